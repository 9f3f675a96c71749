"""Describe an image: manifest, command line, partitions, files, kernel."""

import json
import os

from .. import imagefile, store
from .common import find_image

NAME = "inspect"
HELP = "describe an image (human-readable, or --json)"
EPILOG = "IMAGE is a store name (NAME or NAME:VERSION) or an image file."


def add_arguments(p):
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--json", action="store_true", help="machine-readable")


def describe(found):
    img = found.image or imagefile.open_image(found.path, store.cache_dir())
    meta = found.meta
    return {
        "path": found.path, "format": found.format,
        "sha256": imagefile.sha256_file(found.path),
        "file_size": os.path.getsize(found.path),
        "used_bytes": imagefile.used_bytes(found.path),
        "name": meta["name"], "version": meta["version"],
        "cmdline": " ".join(meta["options"] + [meta["cmdline"]]).strip(),
        "app_cmdline": meta["cmdline"], "rootfs": meta["rootfs"],
        "memory": meta["memory"], "cpus": meta["cpus"],
        "kernel": meta["kernel"], "modules": meta["modules"],
        "volumes": meta["volumes"], "network": meta["network"],
        "partitions": [{"number": i + 1, "start_lba": p.start_lba,
                        "sectors": p.sectors, "type": f"{p.type:#04x}",
                        "bootable": p.bootable}
                       for i, p in enumerate(img.partitions)],
        "files": meta["files"], "manifest": meta["manifest"],
        "record": found.record,
    }


def run(args):
    info = describe(find_image(args.image))
    if args.json:
        print(json.dumps(info, indent=1, sort_keys=True))
        return 0
    print(f"image     {info['name']}:{info['version']}  ({info['path']})")
    print(f"format    {info['format']}, {info['file_size']} bytes "
          f"({info['used_bytes']} used), sha256 {info['sha256']}")
    print(f"kernel    {info['kernel']['version']}")
    print(f"cmdline   {info['cmdline']}")
    print(f"rootfs    {info['rootfs']}; memory {info['memory'] >> 20} MiB; "
          f"{info['cpus']} CPU(s)")
    mods = ", ".join(m["name"] + (f"@{m['version']}" if m["version"] else "")
                     for m in info["modules"]) or "none"
    print(f"modules   {mods}")
    for v in info["volumes"]:
        print(f"volume    {v['device']} -> {v['path']} ({v['size'] >> 20} MiB)")
    print("partitions")
    for p in info["partitions"]:
        size = p["sectors"] * 512
        print(f"  {p['number']}  start {p['start_lba']:>8}  "
              f"{size / 1048576:8.1f} MiB  type {p['type']}"
              f"{'  boot' if p['bootable'] else ''}")
    print(f"files ({len(info['files'])}, "
          f"{sum(f['size'] for f in info['files'])} bytes)")
    for f in info["files"]:
        print(f"  {f['size']:>10}  {f['path']}")
    return 0
