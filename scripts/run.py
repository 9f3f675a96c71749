#!/usr/bin/python3
"""`make run`: boot Keel on microvm with the console on this terminal.

    run.py KERNEL [ARGS...]

ARGS become the kernel command line of a bare kernel (no root file
system); without any, the top-level capstan.yaml is built and booted by
`imgbuild run capstan.yaml`. Exits with the guest's exit status
(isa-debug-exit), 1 if QEMU failed, 124 on timeout.
"""

import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))

from imgbuild import UserError, qemu  # noqa: E402


def _keel_quote(word):
    if word and not any(c.isspace() or c == '"' for c in word):
        return word
    return '"' + word.replace('"', '\\"') + '"'


def cmdline_from(args):
    """Join ARGS as `make run ARGS="..."` gave them (already split by the
    shell), quoting words that hold spaces as Keel's parser expects."""
    return " ".join(_keel_quote(a) for a in args)


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    kernel, args = argv[0], argv[1:]
    if not args:
        imgbuild = os.path.join(ROOT, "tools", "imgbuild", "bin", "imgbuild")
        return subprocess.call([imgbuild, "run",
                                os.path.join(ROOT, "capstan.yaml")])
    try:
        if not os.path.isfile(kernel):
            raise UserError(f"{kernel}: no such kernel (make kernel)")
        cmdline = cmdline_from(args)
        accel = qemu.pick_accel()
        print(f"run: {qemu.describe_accel(accel)}; machine microvm; "
              f"cmdline {shlex.quote(cmdline) if cmdline else '(empty)'}",
              file=sys.stderr, flush=True)
        boot = qemu.Boot(machine="microvm", kernel=kernel, append=cmdline,
                         accel=accel)
        ex = qemu.run_console(boot)
    except UserError as e:
        print(f"run: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if ex.kind == qemu.STATUS:
        return ex.status
    print(f"run: {ex}", file=sys.stderr)
    return {qemu.NO_STATUS: 0, qemu.TIMEOUT: 124}.get(ex.kind, 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
