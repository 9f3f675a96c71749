"""Disk images: MBR partition table, ext2 partition, GRUB2 in the gap.

`build_grub_disk` composes the pieces into a raw disk that BIOS firmware
boots through GRUB2 into a multiboot2 kernel. Every step is deterministic
(fixed UUIDs, hash seed and timestamps), so the same inputs give the same
bytes. No root, mounts or loop devices: the partition is made as a file
by mke2fs -d and copied into place.
"""

import os
import tempfile

from .. import UserError
from . import ext2, grub, partition

SECTOR = 512
PART_START_LBA = 2048           # 1 MiB: room for GRUB's core.img
# Build time when SOURCE_DATE_EPOCH is unset: 2000-01-01T00:00:00Z.
DEFAULT_EPOCH = 946684800


def source_date_epoch(env=None):
    """The build timestamp: $SOURCE_DATE_EPOCH, else a fixed date."""
    env = os.environ if env is None else env
    value = env.get("SOURCE_DATE_EPOCH", "")
    if not value:
        return DEFAULT_EPOCH
    if not value.isdigit():
        raise UserError(f"SOURCE_DATE_EPOCH={value}: not a number of seconds")
    return int(value)


def build_grub_disk(out, files, cmdline, size_bytes,
                    kernel_path="/boot/keel.elf", fs_uuid=None, hash_seed=None, epoch=None,
                    grub_dir=grub.GRUB_DIR, contents=None, dirs=(),
                    initrd_path=None, symlinks=None):
    """Write a bootable raw disk to `out`.

    `files` maps absolute in-image paths to host paths; it must include
    `kernel_path`. /boot/grub/grub.cfg is generated to boot it with
    `cmdline`. `contents` maps more image paths to bytes, `dirs` names
    empty directories to make, `symlinks` maps paths to link targets, and `initrd_path` (one of the files) is
    loaded by GRUB as a multiboot2 module. fs_uuid and hash_seed default
    to values derived from the inputs, so distinct images differ but
    rebuilds do not.
    """
    contents = dict(contents or {})
    if kernel_path not in files:
        raise UserError(f"{kernel_path}: the kernel is not among the files")
    if size_bytes % SECTOR or size_bytes < (PART_START_LBA + 2048) * SECTOR:
        raise UserError(f"disk size {size_bytes}: must be a multiple of "
                        f"{SECTOR} and at least 2 MiB")
    epoch = source_date_epoch() if epoch is None else epoch
    cfg = grub.config(cmdline, kernel_path, initrd_path)
    if fs_uuid is None or hash_seed is None:
        extra = [f"{p}\0".encode() + contents[p] for p in sorted(contents)]
        links = [f"{p}\0{t}" for p, t in sorted((symlinks or {}).items())]
        derived = ext2.derive_uuids(files, cfg, *extra, *sorted(dirs),
                                    *links)
        fs_uuid = fs_uuid or derived[0]
        hash_seed = hash_seed or derived[1]
    part_bytes = size_bytes - PART_START_LBA * SECTOR
    with tempfile.TemporaryDirectory(prefix="imgbuild-") as tmp:
        root = os.path.join(tmp, "root")
        contents["/boot/grub/grub.cfg"] = cfg.encode()
        ext2.stage_tree(root, files, contents, dirs, symlinks)
        part_img = os.path.join(tmp, "part.img")
        ext2.make_ext2(part_img, part_bytes, root, fs_uuid, hash_seed, epoch)
        core = grub.core_image(os.path.join(tmp, "core.img"), grub_dir)
        _assemble(out, size_bytes, part_img, core, grub_dir)


def _assemble(out, size_bytes, part_img, core, grub_dir):
    part = partition.Partition(PART_START_LBA,
                               size_bytes // SECTOR - PART_START_LBA,
                               partition.TYPE_LINUX, bootable=True)
    grub.check_fits(core, PART_START_LBA)
    with open(out, "wb") as f:
        f.truncate(size_bytes)
        mbr = bytearray(grub.mbr_boot_code(grub_dir, core_lba=1))
        mbr += partition.table_bytes([part], partition.DEFAULT_SIGNATURE)
        f.write(mbr)
        f.seek(SECTOR)
        f.write(grub.patch_blocklist(core, core_lba=1))
        f.seek(PART_START_LBA * SECTOR)
        with open(part_img, "rb") as p:
            while chunk := p.read(1 << 20):
                f.write(chunk)
