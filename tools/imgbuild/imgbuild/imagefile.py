"""Reading Keel images: format, partition table and the files imgbuild
put in the ext2 partition (/boot/keel.elf, /boot/keel.json, the initrd).

A qcow2 image is first converted to a raw copy in the cache (keyed by the
file's identity); the partition is read with debugfs at its offset
("disk?offset=N"), never mounted. "Ours" means: an MBR with partition 1
of type Linux and /boot/keel.json in it. Library code: raises UserError.
"""

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass

from . import ToolError, UserError
from .image import partition

QCOW2_MAGIC = b"QFI\xfb"
SECTOR = 512
META = "/boot/keel.json"
KERNEL = "/boot/keel.elf"
INITRD = "/boot/initrd.cpio"
MAX_VIRTUAL = 64 << 30


@dataclass(frozen=True)
class Image:
    path: str                   # the image file
    format: str                 # qcow2 or raw
    raw: str                    # a raw view of it (the file itself if raw)
    partitions: tuple           # (partition.Partition, ...)
    meta: dict                  # /boot/keel.json

    @property
    def root_offset(self):
        return self.partitions[0].start_lba * SECTOR


def detect_format(path):
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise UserError(f"{path}: no such image file") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e}") from None
    return "qcow2" if head == QCOW2_MAGIC else "raw"


def open_image(path, cache):
    """Image for the file at `path`; UserError unless it is one of ours."""
    fmt = detect_format(path)
    raw = path if fmt == "raw" else _raw_copy(path, cache)
    with open(raw, "rb") as f:
        mbr = f.read(SECTOR)
    try:
        _, parts = partition.read_table(mbr)
    except UserError:
        raise UserError(f"{path}: not a Keel image (no partition table)") \
            from None
    if not parts or parts[0].type != partition.TYPE_LINUX:
        raise UserError(f"{path}: not a Keel image (no Linux partition 1)")
    img = Image(path, fmt, raw, tuple(parts), {})
    text = read_file(img, META)
    try:
        meta = json.loads(text)
        if not isinstance(meta, dict) or meta.get("keel_image") != 1:
            raise ValueError
    except ValueError:
        raise UserError(f"{path}: not a Keel image ({META} is not an "
                        "imgbuild record)") from None
    return Image(path, fmt, raw, tuple(parts), meta)


def read_file(img, guest):
    """The bytes of `guest` in the image's root partition."""
    out = _debugfs(img, f"cat {guest}")
    if out is None:
        raise UserError(f"{img.path}: not a Keel image ({guest} not found)")
    return out


def extract(img, guest, dest):
    """Copy `guest` out of the image to the host file `dest`."""
    data = read_file(img, guest)
    tmp = dest + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dest)
    return dest


def _debugfs(img, request):
    argv = ["debugfs", "-R", request, f"{img.raw}?offset={img.root_offset}"]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=120)
    except FileNotFoundError:
        raise ToolError("debugfs: not installed (e2fsprogs)") from None
    err = proc.stderr.decode("utf-8", "replace")
    bad = [l for l in err.splitlines() if l and not l.startswith("debugfs ")]
    if proc.returncode != 0 or bad:
        return None
    return proc.stdout


def _raw_copy(path, cache):
    st = os.stat(path)
    key = hashlib.sha256(f"{os.path.abspath(path)}\0{st.st_size}\0"
                         f"{st.st_mtime_ns}\0{st.st_ino}".encode())
    directory = os.path.join(cache, "raw")
    dest = os.path.join(directory, key.hexdigest()[:24] + ".raw")
    if os.path.exists(dest):
        return dest
    os.makedirs(directory, exist_ok=True)
    _check_virtual_size(path)
    tmp = dest + f".{os.getpid()}.tmp"
    _run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", path, tmp])
    os.replace(tmp, dest)
    return dest


def _check_virtual_size(path):
    out = _run(["qemu-img", "info", "--output=json", "-f", "qcow2", path],
               user_error=True)
    try:
        size = json.loads(out)["virtual-size"]
    except (ValueError, KeyError):
        raise UserError(f"{path}: not a Keel image (unreadable qcow2)") \
            from None
    if size > MAX_VIRTUAL:
        raise UserError(f"{path}: not a Keel image ({size} bytes virtual)")


def _run(argv, user_error=False):
    try:
        proc = subprocess.run(argv, capture_output=True, text=True,
                              timeout=600)
    except FileNotFoundError:
        raise ToolError(f"{argv[0]}: not installed (qemu-utils)") from None
    if proc.returncode != 0:
        msg = f"{' '.join(argv[:2])} failed: {proc.stderr.strip()}"
        raise UserError(msg) if user_error else ToolError(msg)
    return proc.stdout


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def used_bytes(path):
    """Bytes the file really occupies on the host (sparse files)."""
    return os.stat(path).st_blocks * 512


def cleanup_raw_cache(cache):
    shutil.rmtree(os.path.join(cache, "raw"), ignore_errors=True)
