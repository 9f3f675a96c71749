"""Write cpio "newc" archives (the initrd format Keel unpacks as its root).

Deterministic: entries are sorted, parent directories are added, and every
timestamp, owner and inode number is fixed, so the same files give the same
bytes. Library code: raises UserError, never prints.
"""

import stat

from .. import UserError

MAGIC = "070701"
TRAILER = "TRAILER!!!"
FIELDS = 13                 # after the magic, each 8 hex digits


def _pad4(n):
    return (4 - n % 4) % 4


def _member(name, mode, data, ino):
    raw_name = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw_name), 0]
    assert len(fields) == FIELDS
    out = (MAGIC + "".join(f"{f:08x}" for f in fields)).encode() + raw_name
    out += b"\0" * _pad4(len(out))
    return out + data + b"\0" * _pad4(len(data))


def archive_bytes(files, symlinks=None):
    """files: {guest path: bytes}; symlinks: {guest path: target}.
    Returns the archive, with every parent directory listed first."""
    entries = {}
    for path, data in files.items():
        entries[_clean(path)] = (stat.S_IFREG | 0o755, data)
    for path, target in (symlinks or {}).items():
        entries[_clean(path)] = (stat.S_IFLNK | 0o777, target.encode())
    for path in list(entries):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            entries.setdefault("/".join(parts[:i]), (stat.S_IFDIR | 0o755, b""))
    blob = b"".join(_member(name, mode, data, ino + 1) for ino, (name, (
        mode, data)) in enumerate(sorted(entries.items())))
    return blob + _member(TRAILER, 0, b"", 0)


def _clean(path):
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise UserError(f"{path!r}: not a usable path inside the initrd")
    return "/".join(parts)
