"""tools/grubdisk.py against the real mke2fs, e2fsck, debugfs and GRUB2:
the disk's MBR, GRUB's placement, the ext2 partition and its files, and
byte-identical rebuilds."""

import os
import random
import struct
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))

from imgbuild.image import grub, partition  # noqa: E402

GRUBDISK = os.path.join(ROOT, "tools", "grubdisk.py")
SECTOR = 512
SIZE_MIB = 8


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A stand-in kernel: fixed pseudo-random bytes (the disk's structure
    does not depend on the kernel; booting it is tests/vm/test_grub.py)."""
    path = tmp_path_factory.mktemp("kernel") / "keel.elf"
    path.write_bytes(random.Random(7).randbytes(300_000))
    return str(path)


def grubdisk(kernel, out, cmdline="--verbose", env=None):
    subprocess.run(["/usr/bin/python3", GRUBDISK, "--kernel", kernel,
                    "--cmdline", cmdline, "-o", str(out),
                    "--size-mib", str(SIZE_MIB)],
                   check=True, timeout=120, env=env)
    return out.read_bytes()


@pytest.fixture(scope="module")
def disk(kernel, tmp_path_factory):
    out = tmp_path_factory.mktemp("disk") / "grub.img"
    grubdisk(kernel, out)
    return out


def test_mbr_partition_table(disk):
    data = disk.read_bytes()
    assert len(data) == SIZE_MIB << 20
    _, parts = partition.read_table(data[:SECTOR])
    assert len(parts) == 1
    p = parts[0]
    assert p.type == 0x83 and p.bootable
    assert p.start_lba == 2048
    assert p.end_lba == len(data) // SECTOR


def test_grub_boot_code_and_core_placement(disk):
    data = disk.read_bytes()
    boot = open(os.path.join(grub.GRUB_DIR, "boot.img"), "rb").read()
    assert data[:0x5C] == boot[:0x5C]
    assert struct.unpack_from("<Q", data, 0x5C)[0] == 1  # core.img at LBA 1
    assert data[0x64:440] == boot[0x64:440]
    start, count, seg = struct.unpack_from("<QHH", data, 2 * SECTOR - 12)
    assert (start, seg) == (2, 0x820)
    assert count >= 1 and 1 + 1 + count <= 2048
    # The sectors the block list names hold data (core.img's rest).
    assert any(data[2 * SECTOR:(2 + count) * SECTOR])


def partition_image(disk, tmp_path):
    data = disk.read_bytes()
    _, (p,) = partition.read_table(data[:SECTOR])
    img = tmp_path / "part.img"
    img.write_bytes(data[p.start_lba * SECTOR:p.end_lba * SECTOR])
    return img


def test_partition_passes_e2fsck(disk, tmp_path):
    img = partition_image(disk, tmp_path)
    r = subprocess.run(["e2fsck", "-fn", str(img)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def debugfs(img, request):
    r = subprocess.run(["debugfs", "-R", request, str(img)],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r


def test_kernel_is_byte_identical(disk, kernel, tmp_path):
    img = partition_image(disk, tmp_path)
    out = tmp_path / "dumped.elf"
    debugfs(img, f"dump /boot/keel.elf {out}")
    assert out.read_bytes() == open(kernel, "rb").read()


def test_grub_cfg_boots_kernel_on_serial(disk, tmp_path):
    img = partition_image(disk, tmp_path)
    cfg = debugfs(img, "cat /boot/grub/grub.cfg").stdout.decode()
    lines = cfg.splitlines()
    for want in ("set timeout=0", "serial --unit=0 --speed=115200",
                 "terminal_input serial", "terminal_output serial",
                 "multiboot2 /boot/keel.elf --verbose", "boot"):
        assert want in lines, cfg


def test_rebuild_is_byte_identical(kernel, tmp_path):
    a = grubdisk(kernel, tmp_path / "a.img")
    b = grubdisk(kernel, tmp_path / "b.img")
    assert a == b


def test_inputs_change_the_bytes(kernel, tmp_path):
    a = grubdisk(kernel, tmp_path / "a.img", cmdline="--verbose")
    b = grubdisk(kernel, tmp_path / "b.img", cmdline="--strace")
    assert a != b


def test_cmdline_words_are_quoted_for_grub():
    cfg = grub.config('/bin/db "select 1;" --env=A=$x')
    assert "multiboot2 /boot/keel.elf /bin/db 'select 1;' '--env=A=$x'" \
        in cfg.splitlines()


def test_missing_kernel_is_user_error(tmp_path):
    r = subprocess.run(["/usr/bin/python3", GRUBDISK, "--kernel",
                        str(tmp_path / "nope"), "-o", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "nope" in r.stderr
    assert not (tmp_path / "d").exists()
