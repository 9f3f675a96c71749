#!/usr/bin/python3
"""Image benchmark: size and build time of imgbuild images for the hello,
sqlite and python3 modules, beside the Linux-guest equivalent.

For each application imgbuild builds a qcow2 image (--force, with the
Debian packages and module builds already cached: the figure is the image
work, not the download) and then rebuilds the unchanged manifest (the
warm rebuild). The Linux-guest equivalent is bench/linux_guest's: Debian's
kernel (the bzImage as shipped plus the virtio modules) and an initramfs
with busybox and exactly the files the Keel image holds; its size is given
uncompressed and gzip'ed (-6), and its build time is the initramfs's.
Prints a table; --json for the numbers.
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IMGBUILD = os.path.join(ROOT, "tools", "imgbuild", "bin", "imgbuild")
sys.path.insert(0, os.path.join(ROOT, "bench", "linux_guest"))
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))

import guest  # noqa: E402
from imgbuild import builder, manifest, store  # noqa: E402
from imgbuild.commands.common import Log  # noqa: E402

APPS = ("hello", "sqlite", "python3")
CACHE = os.path.join(ROOT, "build", "imgbuild-cache")


def keel(app, home, env):
    d = os.path.join(home, "src", app)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "capstan.yaml")
    with open(path, "w") as f:
        f.write(f"name: bench-{app}\nmodules: [{app}]\nformat: qcow2\n")
    subprocess.run([IMGBUILD, "build", "-q", path], env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=1800)   # fill caches
    times = {}
    for label, extra in (("cold", ["--force"]), ("warm", [])):
        t = time.monotonic()
        subprocess.run([IMGBUILD, "build", "-q", *extra, path], env=env,
                       check=True, stdout=subprocess.DEVNULL, timeout=1800)
        times[label] = time.monotonic() - t
    rec = store.read_record(os.path.join(home, "images", f"bench-{app}",
                                         "latest"))
    kernel = os.path.getsize(manifest.DEFAULT_KERNEL)
    return path, {"qcow2_bytes": rec["image"]["file_size"],
                  "used_bytes": rec["content_bytes"] + kernel,
                  "disk_bytes": rec["image"]["virtual_size"],
                  "build_s": times["cold"], "rebuild_s": times["warm"]}


def linux(path, lk, busybox):
    old = dict(os.environ)
    try:
        man = manifest.load(path)
        plan = builder.compose(man, store.cache_dir(), Log(quiet=True))
    finally:
        os.environ.clear()
        os.environ.update(old)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.monotonic()
        entries = guest.initramfs_entries(lk, busybox, ["/bin/true"],
                                          plan.files)
        cpio = os.path.join(tmp, "initramfs.cpio")
        with open(cpio, "wb") as f:
            guest.write_newc(entries, f)
        seconds = time.monotonic() - t
        with open(cpio, "rb") as f:
            data = f.read()
    kernel = os.path.getsize(lk.vmlinuz) + sum(
        os.path.getsize(p) for p in lk.modules.values())
    return {"kernel_bytes": kernel, "initramfs_bytes": len(data),
            "initramfs_gz_bytes": len(gzip.compress(data, 6, mtime=0)),
            "build_s": seconds}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--apps", nargs="+", default=list(APPS))
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    lk, busybox = guest.prepare_kernel(), guest.prepare_busybox()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-image-") as home:
        env = dict(os.environ, KEEL_HOME=home,
                   KEEL_CACHE=os.environ.get("KEEL_CACHE", CACHE))
        os.environ.update(KEEL_HOME=home, KEEL_CACHE=env["KEEL_CACHE"])
        for app in args.apps:
            path, k = keel(app, home, env)
            results[app] = {"keel": k, "linux": linux(path, lk, busybox)}
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    mb = lambda n: f"{n / 1e6:.2f} MB"  # noqa: E731
    print("app      keel qcow2  keel used  build   rebuild | linux kernel+"
          "initramfs (gz)          ratio qcow2/linux-gz")
    for app, r in results.items():
        k, lx = r["keel"], r["linux"]
        linux_gz = lx["kernel_bytes"] + lx["initramfs_gz_bytes"]
        linux_raw = lx["kernel_bytes"] + lx["initramfs_bytes"]
        print(f"{app:8} {mb(k['qcow2_bytes']):>10} {mb(k['used_bytes']):>10} "
              f"{k['build_s']:5.2f} s {k['rebuild_s']:5.2f} s | "
              f"{mb(linux_raw):>9} ({mb(linux_gz)})  "
              f"{k['qcow2_bytes'] / linux_gz:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
