"""MBR (DOS) partition tables: writing and reading the 72 bytes after the
boot code (disk signature, four 16-byte entries, 0x55AA)."""

import struct
from dataclasses import dataclass

from .. import UserError

SECTOR = 512
BOOT_CODE_SIZE = 440            # bytes of boot code before the signature
TYPE_LINUX = 0x83
DEFAULT_SIGNATURE = 0x4C45454B  # "KEEL", little-endian
_ENTRY = struct.Struct("<B3sB3sII")
_HEADS, _SECTORS = 255, 63      # the usual LBA-assist geometry


@dataclass(frozen=True)
class Partition:
    """One primary partition, in 512-byte sectors."""
    start_lba: int
    sectors: int
    type: int = TYPE_LINUX
    bootable: bool = False

    @property
    def end_lba(self):
        """First sector after the partition."""
        return self.start_lba + self.sectors


def chs(lba):
    """The 3-byte CHS form of `lba`, saturated at 1023/254/63 as tools do
    for addresses CHS cannot reach."""
    cyl, rem = divmod(lba, _HEADS * _SECTORS)
    head, sec = divmod(rem, _SECTORS)
    if cyl > 1023:
        cyl, head, sec = 1023, _HEADS - 1, _SECTORS - 1
    return bytes([head, ((cyl >> 2) & 0xC0) | (sec + 1), cyl & 0xFF])


def _entry(p):
    if p.start_lba < 1 or p.sectors < 1 or p.end_lba > 1 << 32:
        raise UserError(f"partition at LBA {p.start_lba}, {p.sectors} "
                        "sectors: outside what an MBR can describe")
    return _ENTRY.pack(0x80 if p.bootable else 0, chs(p.start_lba), p.type,
                       chs(p.end_lba - 1), p.start_lba, p.sectors)


def table_bytes(partitions, signature=DEFAULT_SIGNATURE):
    """Bytes 440..511 of the MBR: signature, entries, boot signature."""
    if len(partitions) > 4:
        raise UserError(f"{len(partitions)} partitions: an MBR holds 4")
    ordered = sorted(partitions, key=lambda p: p.start_lba)
    for a, b in zip(ordered, ordered[1:]):
        if a.end_lba > b.start_lba:
            raise UserError(f"partitions at LBA {a.start_lba} and "
                            f"{b.start_lba} overlap")
    entries = b"".join(_entry(p) for p in partitions)
    entries += bytes(16 * (4 - len(partitions)))
    return struct.pack("<IH", signature, 0) + entries + b"\x55\xaa"


def read_table(sector):
    """(signature, [Partition]) from a 512-byte MBR; empty slots skipped."""
    if len(sector) < SECTOR or sector[510:512] != b"\x55\xaa":
        raise UserError("no MBR boot signature (0x55AA) in sector 0")
    signature, = struct.unpack_from("<I", sector, BOOT_CODE_SIZE)
    parts = []
    for i in range(4):
        status, _, ptype, _, start, count = _ENTRY.unpack_from(
            sector, 446 + 16 * i)
        if ptype:
            parts.append(Partition(start, count, ptype, status == 0x80))
    return signature, parts
