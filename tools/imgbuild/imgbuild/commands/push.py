"""Push a store image to an OCI registry."""

import tempfile

from .. import UserError, store
from ..manifest import parse_size
from ..registry import containerdisk, push as pushing, reference
from .common import Log
from .registry_args import add_transport, bars, make_client

NAME = "push"
HELP = "push an image to an OCI registry"
EPILOG = """The image goes as an OCI artifact (application/vnd.keel.image.v1):
a config blob with the image record and the disk as one layer. Blobs the
registry already has are not sent again. Credentials: imgbuild login,
~/.docker/config.json, or KEEL_REGISTRY_USER/KEEL_REGISTRY_PASSWORD
(KEEL_REGISTRY_TOKEN for a bearer token)."""


def add_arguments(p):
    p.add_argument("image", metavar="NAME[:VERSION]")
    p.add_argument("target", metavar="REGISTRY/REPO[:TAG]")
    p.add_argument("--chunk-size", default="16M", metavar="SIZE",
                   help="blobs larger than this go in chunks of this size "
                   "(default 16M)")
    p.add_argument("--containerdisk", action="store_true",
                   help="push a KubeVirt containerDisk (a container image "
                   "with the qcow2 in /disk/, uid 107) instead")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only errors and the result")
    add_transport(p)


def run(args):
    log = Log(getattr(args, "verbose", False), args.quiet)
    ref = reference.parse(args.target)
    if ref.digest:
        raise UserError(f"{args.target}: push to a tag, not a digest")
    chunk = parse_size(args.chunk_size, "--chunk-size")
    if chunk < 1:
        raise UserError("--chunk-size: must be at least 1 byte")
    found = store.lookup(args.image)
    if found is None:
        raise UserError(f"{args.image}: no such image in the store "
                        f"({store.images_dir()})")
    directory, record = found
    c = make_client(args, ref, log, ("pull", "push"))
    disk = store.image_path(directory, record)
    p = pushing.Pusher(c, log, bars(log), chunk)
    try:
        if args.containerdisk:
            with tempfile.TemporaryDirectory(prefix="imgbuild-cd-") as tmp:
                log("packing the containerDisk layer")
                blobs, manifest = containerdisk.build(record, disk, tmp)
                digest, uploaded = p.send(blobs, manifest, ref.tag)
        else:
            digest, uploaded = p.push(record, disk, ref.tag)
    finally:
        c.close()
    kind = " as a containerDisk" if args.containerdisk else ""
    print(f"pushed {record['name']}:{record['version']}{kind} to {ref} "
          f"({len(uploaded)} blob{'s' if len(uploaded) != 1 else ''} "
          f"uploaded, {p.sent} bytes sent): "
          f"{ref.registry}/{ref.repository}@{digest}")
    return 0
