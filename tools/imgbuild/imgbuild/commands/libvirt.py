"""Print a libvirt domain XML for an image (virsh define it)."""

import os
import re
import sys

from .. import UserError, libvirt
from .common import find_image

NAME = "libvirt"
HELP = "print a libvirt domain XML for an image"
EPILOG = """--boot=disk (default) boots the disk through GRUB2; --boot=kernel is
libvirt's direct kernel boot, with the kernel copied out of the image.
The domain is type "kvm" when the host has hardware virtualization
(kvm_intel/kvm_amd loaded), else type "qemu" (TCG) with a notice on stderr;
--accel (or KEEL_ACCEL) forces one. The guest powers off through ACPI when
the application exits, and the domain shuts off. Example:
  imgbuild libvirt hello -o dom.xml && virsh define dom.xml
  virsh start --console keel-hello"""


def add_arguments(p):
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--name", help="domain name (default: the image's)")
    p.add_argument("--boot", choices=("disk", "kernel"), default="disk")
    p.add_argument("--accel", choices=tuple(libvirt.DOMAIN_TYPES),
                   help='kvm: domain type "kvm"; tcg: type "qemu" (default: '
                   "kvm only with kvm_intel/kvm_amd loaded)")
    p.add_argument("--network", metavar="NET", default="default",
                   help="the libvirt network of the virtio NIC (default: "
                   "'default'); 'user' for user-mode networking (what "
                   "qemu:///session can use), 'none' for no NIC")
    p.add_argument("--console-log", metavar="FILE",
                   help="also log the serial console to FILE (written by "
                   "libvirt's QEMU, so a path it may write)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the XML to FILE instead of stdout")


def run(args):
    found = find_image(args.image)
    meta = found.meta
    name = args.name or f"keel-{meta['name']}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise UserError(f"--name {name!r}: letters, digits, '.', '_', '-'")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", args.network):
        raise UserError(f"--network {args.network!r}: a libvirt network "
                        "name, 'user' or 'none'")
    accel, notice = libvirt.pick_accel(args.accel)
    if notice:
        print(f"imgbuild: {notice}", file=sys.stderr)
    cmdline = " ".join(meta["options"] + [meta["cmdline"]]).strip()
    vols = []
    if found.directory:
        vols = [(os.path.join(found.directory, v["file"]), "raw")
                for v in found.record.get("volumes", [])]
    xml = libvirt.domain_xml(
        name, os.path.abspath(found.path), found.format, meta["memory"],
        meta["cpus"], args.boot, os.path.abspath(found.kernel), cmdline,
        os.path.abspath(found.initrd) if found.initrd else None, vols,
        accel=accel, network=args.network,
        console_log=(os.path.abspath(args.console_log)
                     if args.console_log else None))
    if args.output:
        with open(args.output, "w") as f:
            f.write(xml)
    else:
        sys.stdout.write(xml)
    return 0
