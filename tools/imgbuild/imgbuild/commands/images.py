"""List the images in the local store."""

import json

from .. import store

NAME = "images"
HELP = "list the images in the local store"


def add_arguments(p):
    p.add_argument("--json", action="store_true", help="machine-readable")


def run(args):
    rows = store.entries()
    if args.json:
        print(json.dumps([{"name": n, "version": v, "directory": d,
                           "format": r["image"]["format"],
                           "file_size": r["image"]["file_size"],
                           "sha256": r["image"]["sha256"],
                           "build_time": r.get("build_time")}
                          for n, v, d, r in rows], indent=1))
        return 0
    if not rows:
        print(f"no images in {store.images_dir()}")
        return 0
    table = [("NAME", "VERSION", "FORMAT", "SIZE", "BUILT", "SHA256")]
    for n, v, d, r in rows:
        img = r["image"]
        table.append((n, v, img["format"], f"{img['file_size'] / 1048576:.1f}M",
                      r.get("build_time", "?"), img["sha256"][:12]))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return 0
