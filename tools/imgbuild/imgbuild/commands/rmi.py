"""Remove images from the local store."""

from .. import store

NAME = "rmi"
HELP = "remove images from the local store"


def add_arguments(p):
    p.add_argument("images", nargs="+", metavar="NAME[:VERSION]")


def run(args):
    for ref in args.images:
        print(f"removed {store.remove(ref)}")
    return 0
