"""The Linux-guest baseline: Debian's own kernel with a minimal busybox
initramfs, booted under the same QEMU machine and memory as Keel.

Library only (no printing, no exiting). The facts it relies on are in
../shared/LINUX-GUEST.md:

- the kernel comes from the `linux-image-<version>-amd64` package that
  `linux-image-amd64` depends on, fetched with `apt-get download` (never
  installed on the host); the bzImage's XZ payload is decompressed here to
  the ELF vmlinux with the PVH note (type 18), which QEMU enters directly;
- virtio is modular in that kernel, so the virtio modules (and their
  dependencies, read from each module's .modinfo `depends=`) are loaded
  by /init in dependency order;
- the initramfs holds busybox from busybox-static (also fetched, not taken
  from the host), the program under test and every library `ldd` lists
  (copied from the host) with an ld.so.cache made by `ldconfig -r`.

Everything fetched or derived is cached under build/linux-guest/:
  <kernel package>/            vmlinuz, vmlinux (ELF), config, modules/*.ko
  busybox-static/              busybox, applets (busybox --list-full)
  initrd/<hash>.cpio           initramfs archives, keyed by their inputs

Entry points: prepare_kernel(), prepare_busybox(), build_initramfs(),
run_in_linux_guest(), and the pure helpers extract_vmlinux(), pvh_entry(),
write_newc(), read_newc().
"""

import contextlib
import fcntl
import hashlib
import json
import lzma
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
CACHE = os.path.join(BUILD, "linux-guest")
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))

from imgbuild import qemu  # noqa: E402

META_PACKAGE = "linux-image-amd64"
KERNEL_PACKAGE_ENV = "KEEL_LINUX_PACKAGE"   # e.g. linux-image-6.1.0-56-amd64
BUSYBOX_PACKAGE = "busybox-static"

# The modules LINUX-GUEST.md lists; their dependencies are added.
VIRTIO_MODULES = ("virtio", "virtio_ring", "virtio_mmio", "virtio_pci",
                  "virtio_net", "virtio_blk", "failover", "net_failover")
# For guests that mount an ext2 disk (bench/disk): Debian builds ext2 only
# as part of ext4 (CONFIG_EXT4_USE_FOR_EXT2), a module, and ext4 refuses to
# mount ("Cannot load crc32c driver") without a crc32c shash, which nothing
# else loads here (no modprobe in the initramfs); the generic one needs no
# SSE4.2 from QEMU's CPU model. Pass modules=VIRTIO_MODULES + FS_MODULES to
# prepare_kernel() to load them.
FS_MODULES = ("ext4", "crc32c_generic")

# LINUX-GUEST.md's command line; tsc_early_khz and pci=off are added.
CMDLINE = ("console=ttyS0 quiet panic=-1 reboot=t 8250.nr_uarts=1 "
           "i8042.noaux i8042.nokbd i8042.nopnp random.trust_cpu=on")

# Not anchored at line starts: firmware (SeaBIOS on pc/q35) leaves the
# console mid-line, and a program's output need not end with a newline.
READY = re.compile(r"guest: ready (\d+(?:\.\d+)?)[ \t]*\n")
EXIT = re.compile(r"guest: exit (\d+)[ \t]*$", re.M)

APT_TIMEOUT = 600
XZ_MAGIC = b"\xfd7zXZ\x00"
PT_NOTE = 4
XEN_ELFNOTE_PHYS32_ENTRY = 18


class GuestError(Exception):
    """Something the harness could not do (fetch, extract, build)."""


@contextlib.contextmanager
def _locked(cache):
    """Serialize preparation between processes sharing `cache` (a bench
    and a test run at once must not extract over each other)."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --------------------------------------------------------------------------
# Debian packages, fetched without installing them


def _run(argv, timeout, **kw):
    try:
        return subprocess.run(argv, check=True, timeout=timeout,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, **kw)
    except FileNotFoundError as e:
        raise GuestError(f"{argv[0]}: not found") from e
    except subprocess.TimeoutExpired as e:
        raise GuestError(f"{' '.join(argv)}: timed out after {timeout} s") \
            from e
    except subprocess.CalledProcessError as e:
        err = e.stderr.decode("utf-8", "replace").strip()
        raise GuestError(f"{' '.join(argv)}: exit {e.returncode}: {err}") \
            from e


def kernel_package():
    """The versioned kernel package `linux-image-amd64` depends on
    (or $KEEL_LINUX_PACKAGE)."""
    forced = os.environ.get(KERNEL_PACKAGE_ENV, "").strip()
    if forced:
        return forced
    out = _run(["apt-cache", "depends", META_PACKAGE], 60).stdout.decode()
    m = re.search(r"Depends:\s*(linux-image-\S+-amd64)\b", out)
    if not m:
        raise GuestError(f"apt-cache depends {META_PACKAGE}: no "
                         f"linux-image-*-amd64 dependency in:\n{out}")
    return m.group(1)


def fetch_deb(package, dest):
    """`apt-get download` `package` into `dest` once; return the .deb."""
    os.makedirs(dest, exist_ok=True)
    found = _find_deb(package, dest)
    if found:
        return found
    _run(["apt-get", "download", "-q", package], APT_TIMEOUT, cwd=dest)
    found = _find_deb(package, dest)
    if not found:
        raise GuestError(f"apt-get download {package}: no .deb in {dest}")
    return found


def _find_deb(package, dest):
    for name in sorted(os.listdir(dest)):
        if name.startswith(package + "_") and name.endswith(".deb"):
            return os.path.join(dest, name)
    return None


def extract_members(deb, want, dest):
    """Extract the members of `deb`'s data archive for which
    want(path) is true (path without the leading './') into `dest`,
    flattened to their base names. Returns {path: extracted file}."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = {}
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for m in tar:
                path = m.name[2:] if m.name.startswith("./") else m.name
                if not m.isreg() or not want(path):
                    continue
                out = os.path.join(dest, os.path.basename(path))
                with tar.extractfile(m) as src, open(out + ".tmp", "wb") as f:
                    shutil.copyfileobj(src, f)
                os.chmod(out + ".tmp", m.mode & 0o7777)
                os.replace(out + ".tmp", out)
                got[path] = out
    finally:
        proc.stdout.close()
        try:
            err = proc.stderr.read().decode("utf-8", "replace")
            proc.stderr.close()
            rc = proc.wait(timeout=APT_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise GuestError(f"dpkg-deb --fsys-tarfile {deb}: timed out")
    if rc != 0:
        raise GuestError(f"dpkg-deb --fsys-tarfile {deb}: exit {rc}: {err}")
    return got


# --------------------------------------------------------------------------
# bzImage -> vmlinux, and the PVH note


def extract_vmlinux(bzimage):
    """The ELF vmlinux inside an x86 bzImage (bytes -> bytes).

    The payload's place comes from the setup header (payload_offset is
    relative to the protected-mode code, which starts after the
    setup_sects+1 real-mode sectors); failing that, the first XZ stream
    in the file. Only XZ payloads (Debian's CONFIG_KERNEL_XZ) are handled.
    """
    start = None
    if len(bzimage) >= 0x250 and bzimage[0x202:0x206] == b"HdrS":
        setup_sects = bzimage[0x1F1] or 4
        off, _length = struct.unpack_from("<II", bzimage, 0x248)
        cand = (setup_sects + 1) * 512 + off
        if bzimage[cand:cand + len(XZ_MAGIC)] == XZ_MAGIC:
            start = cand
    if start is None:
        start = bzimage.find(XZ_MAGIC)
    if start < 0:
        raise GuestError("no XZ stream in the bzImage (not CONFIG_KERNEL_XZ?)")
    try:
        elf = lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(
            bzimage[start:])
    except lzma.LZMAError as e:
        raise GuestError(f"the bzImage's XZ payload: {e}") from e
    if elf[:4] != b"\x7fELF":
        raise GuestError("the bzImage's payload is not an ELF file")
    return elf


def elf_notes(elf):
    """(name, type, desc) for every note in the ELF's PT_NOTE segments.
    ELF32 and ELF64, little-endian only."""
    if elf[:4] != b"\x7fELF" or len(elf) < 52:
        raise GuestError("not an ELF file")
    if elf[5] != 1:
        raise GuestError("not a little-endian ELF file")
    if elf[4] == 2:
        phoff, = struct.unpack_from("<Q", elf, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
        ph = "<IIQQQQQQ"   # type flags offset vaddr paddr filesz memsz align

        def seg(b):
            t, _f, o, _v, _p, fs = struct.unpack_from(ph, elf, b)[:6]
            return t, o, fs
    elif elf[4] == 1:
        phoff, = struct.unpack_from("<I", elf, 0x1C)
        phentsize, phnum = struct.unpack_from("<HH", elf, 0x2A)

        def seg(b):
            t, o, _v, _p, fs = struct.unpack_from("<IIIII", elf, b)
            return t, o, fs
    else:
        raise GuestError("unknown ELF class")
    notes = []
    for i in range(phnum):
        b = phoff + i * phentsize
        if b + phentsize > len(elf):
            raise GuestError("ELF program headers run past the file")
        ptype, off, size = seg(b)
        if ptype != PT_NOTE:
            continue
        pos, end = off, min(off + size, len(elf))
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            pos += 12
            name = elf[pos:pos + namesz].rstrip(b"\0").decode("latin-1")
            pos += (namesz + 3) & ~3
            desc = elf[pos:pos + descsz]
            pos += (descsz + 3) & ~3
            notes.append((name, ntype, desc))
    return notes


def pvh_entry(elf):
    """The 32-bit PVH entry address (Xen note type 18), or None."""
    for name, ntype, desc in elf_notes(elf):
        if name == "Xen" and ntype == XEN_ELFNOTE_PHYS32_ENTRY:
            if len(desc) >= 8:
                return struct.unpack_from("<Q", desc)[0]
            if len(desc) >= 4:
                return struct.unpack_from("<I", desc)[0]
    return None


# --------------------------------------------------------------------------
# kernel modules


def modinfo(ko):
    """The key=value strings of a module's .modinfo section (a dict,
    later keys overwrite earlier ones)."""
    with open(ko, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise GuestError(f"{ko}: not an ELF64 module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def sh(i):
        name, _t, _fl, _a, off, size = struct.unpack_from(
            "<IIQQQQ", data, shoff + i * shentsize)
        return name, off, size
    _, stroff, _ = sh(shstrndx)
    info = {}
    for i in range(shnum):
        name, off, size = sh(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] != b".modinfo":
            continue
        for item in data[off:off + size].split(b"\0"):
            if b"=" in item:
                k, v = item.decode("utf-8", "replace").split("=", 1)
                info[k] = v
    return info


def _modname(path):
    base = os.path.basename(path)
    for ext in (".ko.xz", ".ko.zst", ".ko.gz", ".ko"):
        if base.endswith(ext):
            base = base[:-len(ext)]
            break
    return base.replace("-", "_")


def module_order(wanted, available):
    """Load order (dependencies first, as modules.dep implies) of the
    modules `wanted` and everything they depend on. `available` maps a
    module name to its .ko. Returns a list of names."""
    order, state = [], {}

    def visit(name, chain):
        if state.get(name) == "done":
            return
        if state.get(name) == "busy":
            raise GuestError(f"module dependency cycle: {' -> '.join(chain)}")
        if name not in available:
            raise GuestError(f"module {name} (needed by "
                             f"{' -> '.join(chain) or 'the harness'}) "
                             "is not in the kernel package")
        state[name] = "busy"
        deps = modinfo(available[name]).get("depends", "")
        for dep in filter(None, deps.split(",")):
            visit(dep.replace("-", "_"), chain + [name])
        state[name] = "done"
        order.append(name)

    for name in wanted:
        visit(name.replace("-", "_"), [])
    return order


# --------------------------------------------------------------------------
# the kernel and busybox, cached


@dataclass(frozen=True)
class Kernel:
    package: str
    release: str            # uname -r, e.g. 6.1.0-56-amd64
    vmlinux: str            # ELF with the PVH note
    vmlinuz: str            # the bzImage as shipped
    modules: dict           # name -> .ko path, the virtio set and deps
    module_order: tuple     # load order


def prepare_kernel(cache=CACHE, modules=VIRTIO_MODULES, package=None):
    """Fetch, extract and cache the kernel; return a Kernel whose
    module_order loads `modules` and their dependencies. The cache keeps
    every module any caller asked for, so callers with different sets do
    not fetch the package again in turn."""
    package = package or kernel_package()
    with _locked(cache):
        return _prepare_kernel(cache, modules, package)


def _prepare_kernel(cache, modules, package):
    d = os.path.join(cache, package)
    stamp = os.path.join(d, "kernel.json")
    wanted = sorted(m.replace("-", "_") for m in modules)
    cached = []
    if os.path.exists(stamp):
        with open(stamp) as f:
            meta = json.load(f)
        cached = meta.get("wanted", [])
        if set(wanted) <= set(cached) and all(
                os.path.exists(p) for p in
                [meta["vmlinux"], meta["vmlinuz"], *meta["modules"].values()]):
            return _kernel_for(package, meta, wanted)
    # Extract the union, so the sets cached before stay available.
    requested, wanted = wanted, sorted(set(wanted) | set(cached))
    deb = fetch_deb(package, d)
    mdir = os.path.join(d, "modules")
    os.makedirs(mdir, exist_ok=True)

    # Most of the package is modules (~400 MB unpacked): take only the
    # kernel, its config and the modules whose names look relevant, then
    # go back for any dependency that was missed.
    wanted_set = set(wanted)
    pattern = re.compile(r"virtio|failover")

    def first(path):
        if re.fullmatch(r"boot/(vmlinuz|config)-.*", path):
            return True
        return (path.startswith("lib/modules/") and ".ko" in path and
                (pattern.search(path) or _modname(path) in wanted_set))
    got = extract_members(deb, first, d)
    vmlinuz = [p for k, p in got.items() if k.startswith("boot/vmlinuz-")]
    if len(vmlinuz) != 1:
        raise GuestError(f"{deb}: expected one boot/vmlinuz-*, got "
                         f"{len(vmlinuz)}")
    vmlinuz = vmlinuz[0]
    release = os.path.basename(vmlinuz)[len("vmlinuz-"):]
    available = {_modname(k): p for k, p in got.items()
                 if k.startswith("lib/modules/")}
    for _ in range(8):
        try:
            order = module_order(wanted, available)
            break
        except GuestError as e:
            m = re.match(r"module (\S+) ", str(e))
            if not m or m.group(1) in available:
                raise
            missing = m.group(1)
            more = extract_members(
                deb, lambda p: (p.startswith("lib/modules/") and
                                _modname(p) == missing), mdir)
            if not more:
                raise
            available.update({_modname(k): p for k, p in more.items()})
    else:
        raise GuestError("module dependencies did not converge")
    # Flattened extraction put the modules next to vmlinuz; move them.
    mods = {}
    for name in order:
        src = available[name]
        dst = os.path.join(mdir, os.path.basename(src))
        if src != dst:
            os.replace(src, dst)
        mods[name] = dst
    for p in available.values():
        if os.path.dirname(p) == d and os.path.exists(p):
            os.remove(p)        # extracted but not needed

    with open(vmlinuz, "rb") as f:
        elf = extract_vmlinux(f.read())
    if pvh_entry(elf) is None:
        raise GuestError(f"{vmlinuz}: the vmlinux has no PVH note (type 18)")
    vmlinux = os.path.join(d, f"vmlinux-{release}")
    with open(vmlinux + ".tmp", "wb") as f:
        f.write(elf)
    os.replace(vmlinux + ".tmp", vmlinux)
    os.remove(deb)              # 70 MB; everything needed is extracted
    meta = dict(wanted=wanted, release=release, vmlinux=vmlinux,
                vmlinuz=vmlinuz, modules=mods, order=order)
    with open(stamp + ".tmp", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(stamp + ".tmp", stamp)
    return _kernel_for(package, meta, requested)


def _kernel_for(package, meta, wanted):
    """The Kernel that loads only `wanted` (and dependencies) of the
    cached modules in `meta`."""
    order = module_order(wanted, meta["modules"])
    return Kernel(package, meta["release"], meta["vmlinux"], meta["vmlinuz"],
                  {m: meta["modules"][m] for m in order}, tuple(order))


@dataclass(frozen=True)
class Busybox:
    path: str
    applets: tuple          # full paths, e.g. /bin/sh, /sbin/insmod


def prepare_busybox(cache=CACHE):
    """Fetch busybox-static (not the host's busybox); return a Busybox."""
    with _locked(cache):
        return _prepare_busybox(cache)


def _prepare_busybox(cache):
    d = os.path.join(cache, BUSYBOX_PACKAGE)
    path = os.path.join(d, "busybox")
    listing = os.path.join(d, "applets")
    if not (os.path.exists(path) and os.path.exists(listing)):
        deb = fetch_deb(BUSYBOX_PACKAGE, d)
        got = extract_members(deb, lambda p: p == "bin/busybox", d)
        if "bin/busybox" not in got:
            raise GuestError(f"{deb}: no bin/busybox")
        out = _run([path, "--list-full"], 30).stdout.decode()
        with open(listing + ".tmp", "w") as f:
            f.write(out)
        os.replace(listing + ".tmp", listing)
        os.remove(deb)
    with open(listing) as f:
        applets = tuple("/" + a.strip().lstrip("/")
                        for a in f if a.strip())
    return Busybox(path, applets)


# --------------------------------------------------------------------------
# cpio newc


@dataclass(frozen=True)
class Entry:
    """One archive member. kind: 'file', 'dir', 'symlink' or 'chr'."""
    path: str               # absolute in the guest, e.g. /bin/busybox
    kind: str
    mode: int = 0o755       # permission bits only
    data: bytes = b""       # file contents, or the symlink target
    source: str = None      # host file to read instead of data
    rdev: tuple = (0, 0)    # (major, minor) for 'chr'


_KIND = {"file": 0o100000, "dir": 0o040000, "symlink": 0o120000,
         "chr": 0o020000}


def write_newc(entries, out):
    """Write a cpio newc archive of `entries` to the binary file `out`.

    Parent directories are added where missing, members are ordered so a
    directory precedes its contents, and ownership and times are zero, so
    equal inputs give byte-identical archives. Returns the size written.
    """
    byp = {}
    for e in entries:
        p = "/" + e.path.strip("/")
        if p == "/":
            continue
        byp[p] = Entry(p, e.kind, e.mode, e.data, e.source, e.rdev)
        parent = os.path.dirname(p)
        while parent != "/" and parent not in byp:
            byp[parent] = Entry(parent, "dir", 0o755)
            parent = os.path.dirname(parent)
    for p, e in byp.items():
        if e.kind not in _KIND:
            raise GuestError(f"{p}: unknown entry kind {e.kind!r}")
        parent = os.path.dirname(p)
        if parent != "/" and byp[parent].kind != "dir":
            raise GuestError(f"{p}: parent {parent} is not a directory")
    size = 0
    ino = 1
    for p in sorted(byp, key=lambda s: s.strip("/").split("/")):
        e = byp[p]
        if e.kind == "file" and e.source is not None:
            with open(e.source, "rb") as f:
                data = f.read()
        elif e.kind in ("file", "symlink"):
            data = e.data if isinstance(e.data, bytes) else e.data.encode()
        else:
            data = b""
        mode = _KIND[e.kind] | (e.mode & 0o7777)
        if e.kind == "symlink":
            mode = _KIND["symlink"] | 0o777
        size += _newc_member(out, p.lstrip("/"), mode, data, ino,
                             nlink=2 if e.kind == "dir" else 1, rdev=e.rdev)
        ino += 1
    size += _newc_member(out, "TRAILER!!!", 0, b"", 0, nlink=1)
    return size


def _newc_member(out, name, mode, data, ino, nlink, rdev=(0, 0)):
    nameb = name.encode() + b"\0"
    hdr = "070701" + "".join(f"{v:08x}" for v in (
        ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
        len(nameb), 0))
    blob = hdr.encode() + nameb
    blob += b"\0" * (-len(blob) % 4)
    out.write(blob)
    out.write(data)
    pad = -len(data) % 4
    out.write(b"\0" * pad)
    return len(blob) + len(data) + pad


def read_newc(data):
    """Parse a newc archive (bytes) into [(name, mode, contents)], stopping
    at the trailer; raises GuestError on a malformed archive."""
    pos, members = 0, []
    while True:
        if data[pos:pos + 6] != b"070701":
            raise GuestError(f"newc: bad magic at offset {pos}")
        try:
            f = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16)
                 for i in range(13)]
        except ValueError as e:
            raise GuestError(f"newc: bad header at offset {pos}") from e
        mode, filesize, namesize = f[1], f[6], f[11]
        npos = pos + 110
        name = data[npos:npos + namesize - 1].decode("utf-8", "replace")
        dpos = (npos + namesize + 3) & ~3
        if dpos + filesize > len(data):
            raise GuestError(f"newc: {name} runs past the end")
        if name == "TRAILER!!!":
            return members
        members.append((name, mode, data[dpos:dpos + filesize]))
        pos = (dpos + filesize + 3) & ~3


# --------------------------------------------------------------------------
# the initramfs


def ldd_libraries(path):
    """Host paths of the shared objects `path` needs (ldd), including the
    dynamic loader; [] for a static executable."""
    p = subprocess.run(["ldd", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    if "not a dynamic executable" in out or "statically linked" in out:
        return []
    if p.returncode != 0:
        raise GuestError(f"ldd {path}: exit {p.returncode}: {out.strip()}")
    libs = []
    for line in out.splitlines():
        line = line.strip()
        if "=> not found" in line:
            raise GuestError(f"ldd {path}: {line}")
        m = re.match(r"\S+ => (/\S+) \(", line) or re.match(r"(/\S+) \(",
                                                            line)
        if m:
            libs.append(m.group(1))
    return libs


def _is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def init_script(argv, modules, env=None, ip=None, cwd="/"):
    """The /init shell script: mount, load modules, optionally configure
    eth0, print `guest: ready <uptime>`, run argv, print `guest: exit N`,
    reboot (with reboot=t and -no-reboot, QEMU exits)."""
    lines = [
        "#!/bin/sh",
        "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
        "/sbin:/bin HOME=/root TERM=linux",
        "mount -t proc proc /proc",
        "mount -t sysfs sysfs /sys",
        "mount -t devtmpfs devtmpfs /dev",
        "mkdir -p /dev/pts /dev/shm /tmp /run",
        "mount -t tmpfs tmpfs /tmp",
        "mount -t tmpfs tmpfs /dev/shm",
    ]
    for m in modules:
        lines.append(f"insmod /lib/modules/{m}.ko || "
                     f"echo 'guest: insmod {m} failed'")
    lines.append("ip link set lo up")
    if ip:
        addr, _, gw = ip.partition(",")
        lines.append(f"ip addr add {shlex.quote(addr)} dev eth0 && "
                     "ip link set eth0 up || echo 'guest: eth0 failed'")
        if gw:
            lines.append(f"ip route add default via {shlex.quote(gw)}")
    for k, v in sorted((env or {}).items()):
        lines.append(f"export {k}={shlex.quote(v)}")
    lines += [
        "read up idle < /proc/uptime",
        'echo "guest: ready $up"',
        f"cd {shlex.quote(cwd)}",
        " ".join(shlex.quote(a) for a in argv),
        "status=$?",
        'echo "guest: exit $status"',
        "reboot -f",
        "",
    ]
    return "\n".join(lines)


ETC = {
    "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"
                   "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "/etc/group": "root:x:0:\nnogroup:x:65534:\n",
    "/etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n",
    "/etc/hosts": "127.0.0.1 localhost\n::1 localhost\n",
}


def initramfs_entries(kernel, busybox, argv, files=None, env=None, ip=None,
                      ld_cache=True):
    """The archive's Entry list (see build_initramfs)."""
    files = dict(files or {})
    entries = {}

    def put(e):
        entries["/" + e.path.strip("/")] = e

    for d in ("/proc", "/sys", "/dev", "/tmp", "/run", "/root", "/etc",
              "/bin", "/sbin", "/usr/bin", "/usr/sbin"):
        put(Entry(d, "dir", 0o1777 if d == "/tmp" else 0o755))
    put(Entry("/dev/console", "chr", 0o600, rdev=(5, 1)))
    put(Entry("/dev/null", "chr", 0o666, rdev=(1, 3)))
    put(Entry("/bin/busybox", "file", 0o755, source=busybox.path))
    for a in busybox.applets:
        if a != "/bin/busybox":
            put(Entry(a, "symlink", data=os.path.relpath(
                "/bin/busybox", os.path.dirname(a))))
    for name in kernel.module_order:
        put(Entry(f"/lib/modules/{name}.ko", "file", 0o644,
                  source=kernel.modules[name]))
    for path, text in ETC.items():
        put(Entry(path, "file", 0o644, data=text.encode()))
    libs = set()
    for gpath, hpath in sorted(files.items()):
        if not os.path.isfile(hpath):
            raise GuestError(f"{hpath}: no such file (for {gpath})")
        mode = os.stat(hpath).st_mode & 0o7777
        put(Entry(gpath, "file", mode, source=hpath))
        if _is_elf(hpath) and os.access(hpath, os.X_OK):
            libs.update(ldd_libraries(hpath))
    for lib in sorted(libs):
        if lib not in files:
            put(Entry(lib, "file", 0o755, source=lib))
    put(Entry("/init", "file", 0o755, data=init_script(
        argv, kernel.module_order, env, ip).encode()))
    if libs and ld_cache:
        cache = ld_so_cache(sorted(libs))
        if cache is not None:
            put(Entry("/etc/ld.so.cache", "file", 0o644, data=cache))
    return list(entries.values())


def ld_so_cache(libs):
    """An ld.so.cache for `libs` (host paths that will sit at the same
    guest paths), made by `ldconfig -r` over a scratch tree; None if
    ldconfig cannot (it chroots: root only). Debian's ld.so searches the
    multiarch directories without a cache anyway."""
    if os.geteuid() != 0:
        return None
    with tempfile.TemporaryDirectory(prefix="lg-ldconfig-") as root:
        dirs = sorted({os.path.dirname(l) for l in libs})
        for lib in libs:
            dst = os.path.join(root, lib.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(lib, dst)
        os.makedirs(os.path.join(root, "etc"), exist_ok=True)
        with open(os.path.join(root, "etc", "ld.so.conf"), "w") as f:
            f.write("".join(d + "\n" for d in dirs))
        try:
            _run(["/sbin/ldconfig", "-r", root], 60)
        except GuestError:
            return None
        with open(os.path.join(root, "etc", "ld.so.cache"), "rb") as f:
            return f.read()


def build_initramfs(kernel, busybox, argv, files=None, env=None, ip=None,
                    cache=CACHE):
    """Build (or reuse) the initramfs that runs `argv`; return its path.

    files maps guest paths to host paths; executables among them bring
    the libraries ldd lists, at the same paths. The archive is cached
    under cache/initrd/, keyed by every input (host files by path, size
    and mtime)."""
    files = dict(files or {})
    key = hashlib.sha256(json.dumps(dict(
        v=2, kernel=[kernel.package, list(kernel.module_order)],
        busybox=_stat_key(busybox.path), argv=list(argv),
        files={g: [h, _stat_key(h)] for g, h in sorted(files.items())},
        env=sorted((env or {}).items()), ip=ip), sort_keys=True).encode())
    d = os.path.join(cache, "initrd")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, key.hexdigest()[:16] + ".cpio")
    if os.path.exists(path):
        return path
    entries = initramfs_entries(kernel, busybox, argv, files, env, ip)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        write_newc(entries, f)
    os.replace(tmp, path)
    return path


def _stat_key(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


# --------------------------------------------------------------------------
# booting


def host_tsc_khz(cpuinfo="/proc/cpuinfo"):
    """The host CPU's kHz from /proc/cpuinfo's first `cpu MHz`, or None."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return int(float(line.split(":", 1)[1]) * 1000)
    except (OSError, ValueError):
        pass
    return None


def cmdline(machine, extra=""):
    """The Linux command line for `machine` (LINUX-GUEST.md's)."""
    parts = [CMDLINE]
    khz = host_tsc_khz()
    if khz:
        parts.append(f"tsc_early_khz={khz} tsc=reliable")
    if machine == "microvm":
        parts.append("pci=off")
    if extra:
        parts.append(extra)
    return " ".join(parts)


@dataclass(frozen=True)
class GuestResult:
    output: str             # the whole console
    status: int             # the program's exit status, None if unknown
    seconds: float          # whole-process wall time of QEMU
    ready_uptime: float     # guest /proc/uptime at the ready marker, or None
    exit: object            # qemu.ExitStatus (QEMU's own ending)
    initrd: str
    argv: list              # QEMU's argv
    stderr: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def program_output(self):
        """Console text between the ready and exit markers."""
        m = READY.search(self.output)
        start = m.end() if m else 0
        e = EXIT.search(self.output, start)
        return self.output[start:e.start() if e else len(self.output)]

    @property
    def ok(self):
        return self.status is not None and self.ready_uptime is not None


def parse_console(text):
    """(ready_uptime or None, status or None) from the console text."""
    r = READY.search(text)
    e = EXIT.search(text, r.end() if r else 0)
    return (float(r.group(1)) if r else None,
            int(e.group(1)) if e else None)


def run_in_linux_guest(program_argv, files=None, machine="microvm",
                       memory="128M", accel=None, timeout=120, env=None,
                       ip=None, extra_qemu=(), extra_cmdline="", cpus=None,
                       kernel=None, busybox=None):
    """Boot Debian's kernel with an initramfs that runs program_argv.

    files: {guest path: host path} to put in the initramfs (with the
    libraries ldd lists). machine/memory as for Keel; accel defaults to
    qemu.pick_accel(). ip: "ADDR/PREFIX[,GATEWAY]" for eth0 (add the
    netdev and device through extra_qemu). Returns a GuestResult; raises
    GuestError when the kernel or initramfs cannot be prepared.
    """
    kernel = kernel or prepare_kernel()
    busybox = busybox or prepare_busybox()
    initrd = build_initramfs(kernel, busybox, program_argv, files, env, ip)
    accel = accel or qemu.pick_accel()
    extra = tuple(extra_qemu)
    if cpus:
        extra = ("-smp", str(cpus)) + extra
    boot = qemu.Boot(machine=machine, kernel=kernel.vmlinux,
                     append=cmdline(machine, extra_cmdline), initrd=initrd,
                     memory=memory, accel=accel, debug_exit=False,
                     extra=extra)
    r = qemu.run(boot, timeout)
    ready, status = parse_console(r.output)
    return GuestResult(r.output, status, r.seconds, ready, r.exit, initrd,
                       r.argv, r.stderr)


__all__ = ["GuestError", "Kernel", "Busybox", "Entry", "GuestResult",
           "prepare_kernel", "prepare_busybox", "build_initramfs",
           "initramfs_entries", "init_script", "run_in_linux_guest",
           "extract_vmlinux", "pvh_entry", "elf_notes", "modinfo",
           "module_order", "write_newc", "read_newc", "ldd_libraries",
           "cmdline", "host_tsc_khz", "parse_console", "kernel_package"]
