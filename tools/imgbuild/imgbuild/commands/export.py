"""Export an image as a cloud provider's disk format."""

import os

from .. import export as exporting
from .common import Log, find_image

NAME = "export"
HELP = "write an image as a GCE, AWS, Azure or VMware disk"
EPILOG = """Targets: gce (disk.raw in a gzip'd oldgnu tar), aws and vmware
(stream-optimized VMDK), azure (fixed VHD, size a whole number of MiB).
Import commands are in the README; nothing is uploaded."""


def add_arguments(p):
    p.add_argument("image", metavar="IMAGE",
                   help="a store NAME[:VERSION] or an image file")
    p.add_argument("--target", required=True, choices=exporting.TARGETS)
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true")


def run(args):
    log = Log(getattr(args, "verbose", False), args.quiet)
    found = find_image(args.image, log)
    out = exporting.export(found.path, found.format, args.target,
                           args.output, log)
    print(f"exported {args.image} for {args.target}: {out} "
          f"({os.path.getsize(out) / (1 << 20):.1f} MiB)")
    return 0
