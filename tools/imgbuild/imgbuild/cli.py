"""The imgbuild command line: one argparse subparser per command.

Commands live in imgbuild/commands/, one per file, registered in
commands.COMMANDS. main() maps errors to exit statuses: bad input
(UserError) is one line and 2, a failing tool (ToolError) 1, Ctrl-C 130.
"""

import argparse
import sys

from . import ToolError, UserError
from .commands import COMMANDS

PROG = "imgbuild"


def parser():
    p = argparse.ArgumentParser(
        prog=PROG, description="Build, run and describe Keel images from "
        "an application manifest (capstan.yaml).")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show the commands run")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for cmd in COMMANDS:
        sp = sub.add_parser(cmd.NAME, help=cmd.HELP,
                            description=cmd.__doc__.strip().splitlines()[0],
                            epilog=cmd.EPILOG if hasattr(cmd, "EPILOG")
                            else None,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.add_argument("--verbose", action="store_true",
                        default=argparse.SUPPRESS,
                        help="show the commands run")
        cmd.add_arguments(sp)
        sp.set_defaults(func=cmd.run)
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        print(f"{PROG}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except ToolError as e:
        print(f"{PROG}: {_one_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _one_line(e):
    return " ".join(str(e).split("\n")).strip()
