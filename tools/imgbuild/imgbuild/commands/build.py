"""Build an image from a manifest (capstan.yaml) into the local store."""

import os

from .. import builder, manifest
from .common import Log

NAME = "build"
HELP = "build an image from capstan.yaml"
EPILOG = """The image goes to ~/.keel/images/NAME/VERSION/ ($KEEL_HOME), unless
-o writes it to a file instead. An unchanged manifest is not rebuilt."""


def add_arguments(p):
    p.add_argument("manifest", nargs="?", default="capstan.yaml",
                   help="the manifest, or a directory holding capstan.yaml "
                   "(default: ./capstan.yaml)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the image to FILE instead of the store")
    p.add_argument("--no-compress", action="store_true",
                   help="qcow2 without compression")
    p.add_argument("--force", action="store_true",
                   help="rebuild even when nothing changed")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only errors and the result")


def run(args):
    log = Log(getattr(args, "verbose", False), args.quiet)
    man = manifest.load(args.manifest)
    record, directory, reused = builder.build(
        man, log, output=args.output, compress=not args.no_compress,
        force=args.force)
    where = args.output or os.path.join(directory, record["image"]["file"])
    img = record["image"]
    state = "unchanged" if reused else "built"
    print(f"{man.name}:{man.version} {state}: {where} ({img['format']}, "
          f"{_mib(img['file_size'])} file, {_mib(img['virtual_size'])} disk, "
          f"sha256 {img['sha256'][:16]})")
    return 0


def _mib(n):
    return f"{n / (1 << 20):.1f} MiB"
