"""Options and setup shared by push, pull and login: TLS and the client."""

import sys

from ..registry import auth, client, progress


def add_transport(p):
    p.add_argument("--ca-file", metavar="PEM",
                   help="trust this CA certificate (bundle) for HTTPS")
    p.add_argument("--insecure", action="store_true",
                   help="allow plain HTTP to a registry that is not on "
                   "loopback (warns)")


def make_client(args, ref, log, actions):
    return client.Client(ref.registry, ref.repository, actions,
                         ca_file=args.ca_file, insecure=args.insecure,
                         creds=auth.find(ref.registry), warn=warn)


def bars(log):
    return progress.bar_factory(log.progress)


def warn(message):
    """Warnings show even with -q: they are about security."""
    print(f"imgbuild: {message}", file=sys.stderr, flush=True)
