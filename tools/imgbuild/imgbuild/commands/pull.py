"""Pull an image from an OCI registry into the local store."""

from ..registry import pull as pulling, reference
from .common import Log
from .registry_args import add_transport, bars, make_client

NAME = "pull"
HELP = "pull an image from an OCI registry into the store"
EPILOG = """REFERENCE is REGISTRY/REPO[:TAG] or REGISTRY/REPO@sha256:DIGEST.
The image is stored under the name and version it was built with
(--as renames it); every blob is checked against its digest, and a
failed pull leaves the store as it was."""


def add_arguments(p):
    p.add_argument("reference", metavar="REFERENCE")
    p.add_argument("--as", dest="rename", metavar="NAME[:VERSION]",
                   help="store the image under this name")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only errors and the result")
    add_transport(p)


def run(args):
    log = Log(getattr(args, "verbose", False), args.quiet)
    ref = reference.parse(args.reference)
    c = make_client(args, ref, log, ("pull",))
    try:
        name, version, directory, digest = pulling.Puller(
            c, log, bars(log)).pull(ref, args.rename)
    finally:
        c.close()
    print(f"pulled {ref.registry}/{ref.repository}@{digest} as "
          f"{name}:{version}: {directory}")
    return 0
