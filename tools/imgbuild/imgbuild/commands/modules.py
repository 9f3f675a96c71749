"""List the modules available to manifests."""

import json
import os

from .. import modules

NAME = "modules"
HELP = "list the available modules"


def add_arguments(p):
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.add_argument("-C", "--directory", default=".",
                   help="where the manifest is (its modules/ is searched "
                   "first)")


def run(args):
    dirs = modules.search_path([os.path.join(args.directory, "modules")])
    rows = []
    for name, path in modules.available(dirs).items():
        m = modules.load(path, name)
        kind = "debian" if m.debian else "build" if m.build else "files"
        rows.append({"name": name, "version": m.version, "kind": kind,
                     "requires": list(m.requires),
                     "description": m.description, "path": path})
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max([len(r["name"]) for r in rows] + [4])
    for r in rows:
        req = f" (requires {', '.join(r['requires'])})" if r["requires"] else ""
        print(f"{r['name'].ljust(width)}  {r['kind']:6}  "
              f"{r['description']}{req}")
    return 0
