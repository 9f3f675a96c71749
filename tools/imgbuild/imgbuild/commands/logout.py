"""Forget the credentials `imgbuild login` stored for a registry."""

from ..registry import auth
from .login import _registry

NAME = "logout"
HELP = "remove stored credentials for a registry"


def add_arguments(p):
    p.add_argument("registry", metavar="REGISTRY")


def run(args):
    registry = _registry(args.registry)
    if auth.remove(registry):
        print(f"removed the credentials for {registry}")
    else:
        print(f"no stored credentials for {registry}")
    return 0
