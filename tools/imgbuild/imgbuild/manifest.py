"""The application manifest, capstan.yaml: parsed and checked into frozen
dataclasses.

Every field is validated where it is read, so an error names the file, the
line and the field; unknown keys are errors. Relative host paths are taken
from the manifest's directory. Library code: raises UserError.
"""

import ipaddress
import os
import re
from dataclasses import dataclass, field

from . import UserError
from .yamlsrc import Source

TREE = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
DEFAULT_KERNEL = os.path.join(TREE, "build", "keel.elf")
NAME_RE = r"[a-z0-9][a-z0-9._-]{0,62}"
VERSION_RE = r"[A-Za-z0-9][A-Za-z0-9._+-]{0,62}"
GUEST_PATH_RE = r"/[^\s\"\\]*"
ENV_KEY_RE = r"[A-Za-z_][A-Za-z0-9_]*"
PORT_RE = r"(\d{1,5}):(\d{1,5})(/(tcp|udp))?"
FORMATS = ("qcow2", "raw")
ROOTFS = ("ext2", "initrd")
KEYS = ("name", "version", "kernel", "cmdline", "env", "modules", "files",
        "memory", "cpus", "disk_size", "rootfs", "network", "volumes",
        "format")
NETWORK_KEYS = ("ip", "gateway", "dns", "ports")
VOLUME_KEYS = ("path", "size")


@dataclass(frozen=True)
class ModuleRef:
    name: str
    version: str = None         # None: any version
    line: int = 0


@dataclass(frozen=True)
class Network:
    ip: str = "dhcp"            # "dhcp" or ADDR/PREFIX
    gateway: str = None
    dns: str = None
    ports: tuple = ()           # ((host, guest, "tcp"|"udp"), ...)


@dataclass(frozen=True)
class Volume:
    path: str                   # mount point in the guest
    size: int                   # bytes


@dataclass(frozen=True)
class Manifest:
    path: str                   # the capstan.yaml read
    name: str
    version: str = "latest"
    kernel: str = DEFAULT_KERNEL
    cmdline: str = None         # None: the first module's default
    env: tuple = ()             # ((key, value), ...)
    modules: tuple = ()         # (ModuleRef, ...)
    files: tuple = ()           # ((guest path, host path), ...)
    memory: int = 128 << 20
    cpus: int = 1
    disk_size: int = None       # None: fitted to the content
    rootfs: str = "ext2"
    network: Network = None
    volumes: tuple = ()
    format: str = "qcow2"
    data: dict = field(default_factory=dict, compare=False)  # as written

    @property
    def directory(self):
        return os.path.dirname(os.path.abspath(self.path))


def load(path):
    """Read and check the manifest at `path` (a file, or a directory
    holding capstan.yaml)."""
    if os.path.isdir(path):
        path = os.path.join(path, "capstan.yaml")
    src = Source(path)
    return from_source(src)


def from_source(src):
    top = src.mapping(src.root, "", KEYS)
    if "name" not in top:
        raise src.error(src.root, "name", "missing (the image's name)")
    base = os.path.dirname(os.path.abspath(src.path))
    kw = {"path": src.path, "data": src.value(src.root)}
    for key, (knode, vnode) in top.items():
        kw[key] = _READERS[key](src, vnode, key, base)
    return Manifest(**kw)


def _name(src, node, key, base):
    return src.string(node, key, NAME_RE, "lower-case letters, digits, "
                      "'.', '_' and '-', starting with a letter or digit")


def _version(src, node, key, base):
    return src.string(node, key, VERSION_RE, "letters, digits, '.', '_', "
                      "'+' and '-'")


def _kernel(src, node, key, base):
    return existing_path(src, node, key, base, want_dir=False)


def existing_path(src, node, field, base, want_dir=None):
    """An absolute host path for the string at `node`, which must exist
    (as a file when want_dir is False)."""
    rel = src.string(node, field)
    path = os.path.normpath(os.path.join(base, os.path.expanduser(rel)))
    if not os.path.exists(path):
        raise src.error(node, field, f"{rel}: no such file or directory")
    if want_dir is False and not os.path.isfile(path):
        raise src.error(node, field, f"{rel}: not a regular file")
    return path


def cmdline(src, node, key, base=None):
    """A command line: one string in Keel's syntax, or a list of words."""
    import yaml
    if isinstance(node, yaml.SequenceNode):
        words = src.string_list(node, key)
        if not words:
            raise src.error(node, key, "empty list")
        return " ".join(quote_word(w) for w in words)
    text = src.string(node, key)
    if _unbalanced(text):
        raise src.error(node, key, "unterminated double quote")
    if "\n" in text.strip():
        raise src.error(node, key, "must be one line")
    return text.strip()


def _unbalanced(text):
    quoted, i = False, 0
    while i < len(text):
        if quoted and text[i] == "\\" and text[i + 1:i + 2] == '"':
            i += 2
            continue
        if text[i] == '"':
            quoted = not quoted
        i += 1
    return quoted


def quote_word(word):
    """One word in Keel's command-line syntax."""
    if word and not any(c.isspace() or c in '"\\' for c in word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _env(src, node, key, base):
    pairs = src.string_map(node, key, ENV_KEY_RE, "names are letters, "
                           "digits and '_', not starting with a digit")
    for k, (v, vnode) in pairs.items():
        if any(c.isspace() or c == '"' for c in v):
            raise src.error(vnode, f"{key}.{k}", "spaces and double quotes "
                            "are not supported in values")
    return tuple((k, v) for k, (v, _) in pairs.items())


def _modules(src, node, key, base):
    refs = []
    for i, n in enumerate(src.seq(node, key)):
        text = src.string(n, f"{key}[{i}]", NAME_RE + f"(@{VERSION_RE})?",
                          "expected NAME or NAME@VERSION")
        name, _, version = text.partition("@")
        if any(r.name == name for r in refs):
            raise src.error(n, f"{key}[{i}]", f"{name}: listed twice")
        refs.append(ModuleRef(name, version or None, n.start_mark.line + 1))
    return tuple(refs)


def _files(src, node, key, base):
    out = []
    for guest, (knode, vnode) in src.mapping(node, key).items():
        name = f"{key}.{guest}"
        guest_path(src, knode, name, guest)
        out.append((guest, existing_path(src, vnode, name, base)))
    return tuple(out)


def guest_path(src, node, field, path):
    if not re.fullmatch(GUEST_PATH_RE, path) or ".." in path.split("/") \
            or path == "/":
        raise src.error(node, field, f"{path!r}: guest paths are absolute, "
                        "without '..', spaces, quotes or backslashes")
    return path


def _memory(src, node, key, base):
    size = src.size(node, key)
    if size < 8 << 20:
        raise src.error(node, key, "at least 8M (Keel needs about 5M)")
    return size


def _cpus(src, node, key, base):
    return src.integer(node, key, 1, 64)


def _disk_size(src, node, key, base):
    size = src.size(node, key)
    if size < 4 << 20:
        raise src.error(node, key, "at least 4M")
    return size


def _rootfs(src, node, key, base):
    return src.choice(node, key, ROOTFS)


def _format(src, node, key, base):
    return src.choice(node, key, FORMATS)


def _network(src, node, key, base):
    import yaml
    if isinstance(node, yaml.ScalarNode):
        src.choice(node, key, ("dhcp",))
        return Network()
    items = src.mapping(node, key, NETWORK_KEYS)
    kw = {}
    for k, (knode, vnode) in items.items():
        name = f"{key}.{k}"
        if k == "ports":
            kw[k] = tuple(_port(src, n, f"{name}[{i}]")
                          for i, n in enumerate(src.seq(vnode, name)))
        elif k == "ip":
            kw[k] = _address(src, vnode, name, allow_dhcp=True)
        else:
            kw[k] = _address(src, vnode, name)
    return Network(**kw)


def _address(src, node, field, allow_dhcp=False):
    text = src.string(node, field)
    if allow_dhcp and text == "dhcp":
        return text
    try:
        if allow_dhcp:
            ipaddress.IPv4Interface(text)
            if "/" not in text:
                raise ValueError
        else:
            ipaddress.IPv4Address(text)
    except ValueError:
        want = "'dhcp' or ADDRESS/PREFIX" if allow_dhcp else "an IPv4 address"
        raise src.error(node, field, f"{text!r}: expected {want}") from None
    return text


def _port(src, node, field):
    text = src.string(node, field, PORT_RE, "expected HOST:GUEST[/tcp|udp]")
    m = re.fullmatch(PORT_RE, text)
    host, guest = int(m.group(1)), int(m.group(2))
    if not (0 < host < 65536 and 0 < guest < 65536):
        raise src.error(node, field, f"{text!r}: ports are 1-65535")
    return (host, guest, m.group(4) or "tcp")


def _volumes(src, node, key, base):
    out = []
    for i, n in enumerate(src.seq(node, key)):
        name = f"{key}[{i}]"
        items = src.mapping(n, name, VOLUME_KEYS)
        for required in VOLUME_KEYS:
            if required not in items:
                raise src.error(n, f"{name}.{required}", "missing")
        pnode = items["path"][1]
        path = guest_path(src, pnode, f"{name}.path",
                          src.string(pnode, f"{name}.path"))
        size = src.size(items["size"][1], f"{name}.size")
        if size < 1 << 20:
            raise src.error(items["size"][1], f"{name}.size", "at least 1M")
        if any(v.path == path for v in out):
            raise src.error(pnode, f"{name}.path", f"{path}: used twice")
        out.append(Volume(path, size))
    if len(out) > 7:
        raise src.error(node, key, "at most 7 volumes")
    return tuple(out)


_READERS = {
    "name": _name, "version": _version, "kernel": _kernel,
    "cmdline": cmdline, "env": _env, "modules": _modules, "files": _files,
    "memory": _memory, "cpus": _cpus, "disk_size": _disk_size,
    "rootfs": _rootfs, "network": _network, "volumes": _volumes,
    "format": _format,
}


def parse_size(text, what):
    """Bytes from a size given on the command line (128M, 1G, 512)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)i?B?\s*", str(text), re.I)
    if not m or int(m.group(1)) == 0:
        raise UserError(f"{what} {text!r}: expected a size like 128M")
    units = {"": 1 << 20, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30,
             "T": 1 << 40}
    return int(m.group(1)) * units[m.group(2).upper()]
