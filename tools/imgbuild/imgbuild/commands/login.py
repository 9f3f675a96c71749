"""Log in to a registry: check the credentials, then store them."""

import getpass
import sys

from .. import UserError
from ..registry import auth, client, reference
from .registry_args import add_transport, warn

NAME = "login"
HELP = "store credentials for a registry (checked first)"
EPILOG = """The password is read from the terminal (not echoed) or, with
--password-stdin, from the first line of standard input; never from the
command line. Credentials go to $KEEL_HOME/auth.json, mode 0600."""


def add_arguments(p):
    p.add_argument("registry", metavar="REGISTRY")
    p.add_argument("-u", "--username", help="user name (default: asked)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input")
    add_transport(p)


def run(args):
    registry = _registry(args.registry)
    user = args.username or _ask("Username: ", hidden=False)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = _ask("Password: ", hidden=True)
    if not user or not password:
        raise UserError("login: a user name and a password are needed")
    creds = auth.Credentials(user, password, source="imgbuild login")
    c = client.Client(registry, None, ca_file=args.ca_file,
                      insecure=args.insecure, creds=creds, warn=warn)
    try:
        c.ping()
    finally:
        c.close()
    path = auth.save(registry, user, password)
    print(f"logged in to {registry} as {user} (saved in {path})")
    return 0


def _registry(text):
    ref = reference.parse(text.rstrip("/") + "/x")
    return ref.registry


def _ask(prompt, hidden):
    if not sys.stdin.isatty():
        raise UserError("login: no terminal to ask on (give -u and "
                        "--password-stdin)")
    return (getpass.getpass(prompt) if hidden else input(prompt)).strip()

