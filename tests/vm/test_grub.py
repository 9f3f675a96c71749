"""The portable path: BIOS -> GRUB2 from a raw disk built by imgbuild ->
multiboot2 -> Keel, with the command line from grub.cfg."""

import re

import pytest

from conftest import BOOTED, ERROR, explain
from imgbuild import qemu


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_grub_disk_boots(grub_disk, boot_disk, machine):
    r = boot_disk(grub_disk(""), machine=machine)
    assert BOOTED.search(r.output), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


def test_grub_passes_cmdline(grub_disk, boot_disk):
    """GRUB hands the words after the kernel path over; a bad option must
    reach the kernel's parser and fail there."""
    r = boot_disk(grub_disk("--bogus"))
    assert ERROR.search(r.output), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 2, explain(r)


def test_grub_cmdline_arrives_without_kernel_path(grub_disk, boot_disk):
    """GRUB's multiboot2 command skips its first word (the kernel's path)
    when it builds the command line; --verbose echoes what arrived."""
    r = boot_disk(grub_disk("--verbose"))
    assert BOOTED.search(r.output), explain(r)
    assert not ERROR.search(r.output), explain(r)
    assert re.search(r"^keel: command line: --verbose\s*$", r.output,
                     re.M), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)
