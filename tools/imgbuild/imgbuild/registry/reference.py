"""Image references: [REGISTRY/]REPO[:TAG] or [REGISTRY/]REPO@sha256:HEX.

The grammar is the distribution spec's: repository components of lower-case
letters and digits joined by . _ __ or dashes, tags of up to 128 word
characters, dots and dashes. A first component with a dot or a colon, or
'localhost', names the registry; otherwise it is Docker Hub's.
"""

import ipaddress
import re
from dataclasses import dataclass

from .. import UserError

COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPO_RE = re.compile(rf"{COMPONENT}(?:/{COMPONENT})*")
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST_RE = re.compile(r"sha256:[a-f0-9]{64}")
HOST_RE = re.compile(r"(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?")
DOCKER_HUB = "registry-1.docker.io"


@dataclass(frozen=True)
class Reference:
    registry: str               # host[:port], as used in URLs
    repository: str             # e.g. keel/hello
    tag: str = None
    digest: str = None          # sha256:..., when pinned

    @property
    def ref(self):
        """What the manifest endpoint takes: the digest, else the tag."""
        return self.digest or self.tag

    def __str__(self):
        tail = f"@{self.digest}" if self.digest else f":{self.tag}"
        return f"{self.registry}/{self.repository}{tail}"

    @property
    def host(self):
        return split_host(self.registry)[0]


def parse(text, default_tag="latest"):
    """Reference for `text`; UserError naming what is malformed."""
    if not text or any(c.isspace() for c in text):
        raise UserError(f"{text!r}: malformed reference (expected "
                        "REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:...)")
    rest, digest = text, None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not DIGEST_RE.fullmatch(digest):
            raise UserError(f"{text}: malformed digest {digest!r} (expected "
                            "sha256: and 64 lower-case hex digits)")
    registry, slash, path = rest.partition("/")
    if not slash or not _is_host(registry):
        registry, path = DOCKER_HUB, rest
        if "/" not in path:
            path = "library/" + path
    elif not HOST_RE.fullmatch(registry):
        raise UserError(f"{text}: malformed registry {registry!r}")
    tag = None
    name, colon, maybe_tag = path.rpartition(":")
    if colon and "/" not in maybe_tag:
        path, tag = name, maybe_tag
        if not TAG_RE.fullmatch(tag):
            raise UserError(f"{text}: malformed tag {tag!r}")
    if not REPO_RE.fullmatch(path) or len(path) > 255:
        raise UserError(f"{text}: malformed repository {path!r} (lower-case "
                        "letters, digits and . _ - separated by /)")
    if tag is None and digest is None:
        tag = default_tag
    return Reference(registry, path, tag, digest)


def _is_host(first):
    return "." in first or ":" in first or first == "localhost"


def split_host(registry):
    """(host, port or None) of 'host:port' or '[v6]:port'."""
    if registry.startswith("["):
        host, _, port = registry[1:].partition("]")
        return host, int(port[1:]) if port.startswith(":") else None
    host, _, port = registry.partition(":")
    return host, int(port) if port else None


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
