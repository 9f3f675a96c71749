#!/usr/bin/python3
"""`make run`: boot Keel on microvm with the console on this terminal.

    run.py KERNEL [ARGS...]

ARGS become the kernel command line; without any, the top-level
capstan.yaml decides: its `modules` are built (each module.yaml's `build`
command, with OUT set to a fresh directory) and their `files` packed into
an initrd, and its `cmdline` (else the first module's) is run. This is the
small path `make run` needs until imgbuild builds full images. Exits with
the guest's exit status (isa-debug-exit), 1 if QEMU failed, 124 on timeout.
"""

import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))

from imgbuild import UserError, qemu  # noqa: E402
from imgbuild.image import cpio  # noqa: E402


def default_cmdline(manifest=os.path.join(ROOT, "capstan.yaml")):
    """capstan.yaml's `cmdline`, or "" when there is no manifest or field."""
    if not os.path.exists(manifest):
        return ""
    import yaml
    with open(manifest) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise UserError(f"{manifest}: expected a mapping at the top level")
    value = data.get("cmdline", "")
    if isinstance(value, list):
        value = " ".join(_keel_quote(str(v)) for v in value)
    if not isinstance(value, str):
        raise UserError(f"{manifest}: cmdline: expected a string")
    return value


def load_yaml(path):
    import yaml
    try:
        with open(path) as f:
            data = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as e:
        raise UserError(f"{path}: {e}")
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping at the top level")
    return data


def build_module(name, out_root):
    """Builds module NAME; returns ({guest path: bytes}, its cmdline)."""
    path = os.path.join(ROOT, "modules", name, "module.yaml")
    if not os.path.isfile(path):
        raise UserError(f"capstan.yaml: modules: no module {name!r} ({path})")
    mod = load_yaml(path)
    out = os.path.join(out_root, name)
    os.makedirs(out, exist_ok=True)
    if mod.get("build"):
        r = subprocess.run(mod["build"], shell=True, cwd=ROOT, timeout=600,
                           env={**os.environ, "OUT": out},
                           capture_output=True, text=True)
        if r.returncode:
            raise UserError(f"{path}: build failed:\n{r.stderr.strip()}")
    files = {}
    for guest, src in (mod.get("files") or {}).items():
        try:
            with open(os.path.join(out, src), "rb") as f:
                files[guest] = f.read()
        except OSError as e:
            raise UserError(f"{path}: files: {guest}: {e}")
    return files, mod.get("cmdline", "")


def manifest_initrd(out_root, manifest=os.path.join(ROOT, "capstan.yaml")):
    """(initrd path or None, default cmdline) for the manifest's modules."""
    if not os.path.exists(manifest):
        return None, ""
    modules = load_yaml(manifest).get("modules") or []
    files, cmdline = {}, ""
    for name in modules:
        more, mod_cmdline = build_module(str(name), out_root)
        files.update(more)
        cmdline = cmdline or mod_cmdline
    if not files:
        return None, cmdline
    path = os.path.join(out_root, "initrd.cpio")
    with open(path, "wb") as f:
        f.write(cpio.archive_bytes(files))
    return path, cmdline


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
    try:
        if not os.path.isfile(kernel):
            raise UserError(f"{kernel}: no such kernel (make kernel)")
        initrd, module_cmdline = manifest_initrd(
            os.path.join(ROOT, "build", "run"))
        cmdline = cmdline_from(args) if args else \
            (default_cmdline() or module_cmdline)
        accel = qemu.pick_accel()
        print(f"run: {qemu.describe_accel(accel)}; machine microvm; "
              f"cmdline {shlex.quote(cmdline) if cmdline else '(empty)'}",
              file=sys.stderr, flush=True)
        boot = qemu.Boot(machine="microvm", kernel=kernel, append=cmdline,
                         initrd=initrd, accel=accel)
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
