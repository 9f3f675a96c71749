"""Build initrd archives (cpio newc) for VM tests: files, symlinks and
programs compiled for the occasion with musl-gcc or gcc."""

import os
import stat
import subprocess

NEWC_MAGIC = "070701"
TRAILER = "TRAILER!!!"


def _pad4(n):
    return (4 - n % 4) % 4


def _entry(name, mode, data, ino):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    header = NEWC_MAGIC + "".join(f"{f:08x}" for f in fields)
    out = header.encode() + name_b
    out += b"\0" * _pad4(len(out))
    out += data + b"\0" * _pad4(len(data))
    return out


def write_newc(path, entries):
    """entries: list of (archive name, st_mode, bytes)."""
    blob = b"".join(_entry(n, m, d, i + 1) for i, (n, m, d) in
                    enumerate(entries))
    blob += _entry(TRAILER, 0, b"", 0)
    with open(path, "wb") as f:
        f.write(blob)


def regular(name, data, perm=0o755):
    return (name, stat.S_IFREG | perm, data)


def symlink(name, target):
    return (name, stat.S_IFLNK | 0o777, target.encode())


def compile_c(source, out, compiler="musl-gcc", flags=("-static", "-O2")):
    """Compile one C file; returns the binary's bytes."""
    subprocess.run([compiler, *flags, "-o", out, source], check=True,
                   timeout=120, capture_output=True)
    with open(out, "rb") as f:
        return f.read()


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
APPS_TESTS = os.path.join(ROOT, "apps", "tests")
