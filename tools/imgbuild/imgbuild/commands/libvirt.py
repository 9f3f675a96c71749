"""Print a libvirt domain XML for an image (virsh define it)."""

import os
import re
import sys

from .. import UserError, libvirt
from .common import find_image

NAME = "libvirt"
HELP = "print a libvirt domain XML for an image"
EPILOG = """--boot=disk (default) boots the disk through GRUB2; --boot=kernel is
libvirt's direct kernel boot, with the kernel copied out of the image."""


def add_arguments(p):
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--name", help="domain name (default: the image's)")
    p.add_argument("--boot", choices=("disk", "kernel"), default="disk")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the XML to FILE instead of stdout")


def run(args):
    found = find_image(args.image)
    meta = found.meta
    name = args.name or f"keel-{meta['name']}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise UserError(f"--name {name!r}: letters, digits, '.', '_', '-'")
    cmdline = " ".join(meta["options"] + [meta["cmdline"]]).strip()
    vols = []
    if found.directory:
        vols = [(os.path.join(found.directory, v["file"]), "raw")
                for v in found.record.get("volumes", [])]
    xml = libvirt.domain_xml(
        name, os.path.abspath(found.path), found.format, meta["memory"],
        meta["cpus"], args.boot, os.path.abspath(found.kernel), cmdline,
        os.path.abspath(found.initrd) if found.initrd else None, vols)
    if args.output:
        with open(args.output, "w") as f:
            f.write(xml)
    else:
        sys.stdout.write(xml)
    return 0
