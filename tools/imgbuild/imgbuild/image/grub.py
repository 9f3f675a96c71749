"""GRUB2 (i386-pc) for a raw disk image, installed without grub-install.

grub-install and grub-bios-setup insist on a real block device, so this
does their job on bytes: grub-mkimage makes core.img with the modules the
boot needs built in and the prefix pointing at partition 1; the first 440
bytes of boot.img become the MBR's boot code with the kernel-sector field
set to core.img's LBA; core.img's first sector (diskboot.img) gets a block
list covering the rest of core.img, which sits right after it.
"""

import os
import re
import struct
import subprocess

from .. import ToolError, UserError

GRUB_DIR = "/usr/lib/grub/i386-pc"
PREFIX = "(hd0,msdos1)/boot/grub"
# Everything grub.cfg needs must be built in: the partition holds no
# module directory. grub-mkimage adds their dependencies (moddep.lst).
MODULES = ("biosdisk", "part_msdos", "ext2", "multiboot2", "normal",
           "configfile", "serial", "terminal", "boot")
SECTOR = 512
BOOT_CODE_SIZE = 440
KERNEL_SECTOR_OFFSET = 0x5C     # boot.img: 8-byte LBA of core.img
BLOCKLIST_OFFSET = SECTOR - 12  # diskboot.img: start(8) len(2) segment(2)
CORE_SEGMENT = 0x820            # where diskboot loads sectors 2.. of core
_BARE = re.compile(r"^[A-Za-z0-9_./:=,+@%-]+$")  # needs no GRUB quoting


def config(cmdline, kernel_path="/boot/keel.elf", initrd_path=None):
    """grub.cfg that boots `kernel_path` with `cmdline` on the serial line.

    `cmdline` is in Keel's syntax (words, double quotes around words with
    spaces, \\" inside them); words with characters GRUB's shell would
    interpret are single-quoted. GRUB joins the words again with spaces
    and does not pass the kernel's path: a word holding a space arrives
    double-quoted, and every \\, ' and " arrives backslash-escaped.
    With `initrd_path`, that file is loaded as a multiboot2 module.
    """
    words = " ".join(_grub_quote(w) for w in split_cmdline(cmdline))
    return ("set timeout=0\n"
            "serial --unit=0 --speed=115200\n"
            "terminal_input serial\n"
            "terminal_output serial\n"
            f"multiboot2 {kernel_path}{' ' + words if words else ''}\n"
            + (f"module2 {initrd_path}\n" if initrd_path else "")
            + "boot\n")


def split_cmdline(cmdline):
    """Words of a Keel command line (double quotes group; \\" is a quote)."""
    words, cur, quoted, i, have = [], [], False, 0, False
    while i < len(cmdline):
        c = cmdline[i]
        if quoted and c == "\\" and cmdline[i + 1:i + 2] == '"':
            cur.append('"')
            i += 1
        elif c == '"':
            quoted, have = not quoted, True
        elif c.isspace() and not quoted:
            if cur or have:
                words.append("".join(cur))
            cur, have = [], False
        else:
            cur.append(c)
        i += 1
    if quoted:
        raise UserError(f"command line {cmdline!r}: unterminated quote")
    if cur or have:
        words.append("".join(cur))
    return words


def _grub_quote(word):
    if any(c in word for c in "\n\r"):
        raise UserError(f"command-line word {word!r}: contains a newline")
    if _BARE.match(word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def core_image(out, grub_dir=GRUB_DIR, prefix=PREFIX, modules=MODULES):
    """Run grub-mkimage; return core.img's bytes."""
    argv = ["grub-mkimage", "-O", "i386-pc", "-d", grub_dir, "-p", prefix,
            "-o", out] + list(modules)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True,
                              timeout=60)
    except FileNotFoundError:
        raise ToolError("grub-mkimage: not installed (grub-common)") from None
    if proc.returncode != 0:
        raise ToolError(f"grub-mkimage failed: {proc.stderr.strip()}")
    with open(out, "rb") as f:
        return f.read()


def mbr_boot_code(grub_dir=GRUB_DIR, core_lba=1):
    """boot.img's first 440 bytes, pointed at core.img's first sector."""
    path = os.path.join(grub_dir, "boot.img")
    try:
        with open(path, "rb") as f:
            boot = bytearray(f.read(SECTOR))
    except FileNotFoundError:
        raise ToolError(f"{path}: missing (grub-pc-bin)") from None
    if len(boot) != SECTOR:
        raise ToolError(f"{path}: not a 512-byte boot sector")
    struct.pack_into("<Q", boot, KERNEL_SECTOR_OFFSET, core_lba)
    return bytes(boot[:BOOT_CODE_SIZE])


def patch_blocklist(core, core_lba=1):
    """core.img with its first block list covering sectors 2..n of it.

    Also checks the list's end marker (the next entry's length) is zero.
    """
    sectors = (len(core) + SECTOR - 1) // SECTOR
    if sectors < 2 or sectors - 1 > 0xFFFF:
        raise ToolError(f"core.img of {len(core)} bytes: unexpected size")
    img = bytearray(core) + bytes(sectors * SECTOR - len(core))
    start, length, seg = struct.unpack_from("<QHH", img, BLOCKLIST_OFFSET)
    if seg != CORE_SEGMENT:
        raise ToolError(f"core.img: block list segment {seg:#x}, expected "
                        f"{CORE_SEGMENT:#x}; not an i386-pc diskboot image")
    struct.pack_into("<QHH", img, BLOCKLIST_OFFSET, core_lba + 1,
                     sectors - 1, CORE_SEGMENT)
    if struct.unpack_from("<H", img, BLOCKLIST_OFFSET - 12 + 8)[0] != 0:
        raise ToolError("core.img: second block list entry is not empty")
    return bytes(img)


def check_fits(core, first_partition_lba, core_lba=1):
    """Raise unless core.img fits between its LBA and the partition."""
    sectors = (len(core) + SECTOR - 1) // SECTOR
    if core_lba + sectors > first_partition_lba:
        raise UserError(f"core.img needs {sectors} sectors; the gap before "
                        f"LBA {first_partition_lba} is too small")
