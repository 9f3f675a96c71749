#!/usr/bin/python3
"""Boot-time benchmark: Keel against the floor, the smallest PVH guest.

Builds bench/boot/floor.S into build/bench/floor.elf (one byte to COM1,
status 0 to isa-debug-exit), then boots Keel with an empty command line
and the floor alternately on microvm, RUNS times each, and prints the
median whole-process wall time of each, their ratio, and the median of
Keel's own `keel: booted in N us`. Ratios are what carry across hosts.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))

from imgbuild import qemu  # noqa: E402

RUNS = 10
TIMEOUT = 30
BOOTED = re.compile(r"keel: booted in (\d+) us")


def build_floor(out_dir=os.path.join(BUILD, "bench")):
    """Assemble and link the floor guest if its sources are newer."""
    src = os.path.join(HERE, "floor.S")
    lds = os.path.join(HERE, "floor.ld")
    obj = os.path.join(out_dir, "floor.o")
    elf = os.path.join(out_dir, "floor.elf")
    os.makedirs(out_dir, exist_ok=True)
    newest = max(os.path.getmtime(src), os.path.getmtime(lds))
    if not os.path.exists(elf) or os.path.getmtime(elf) < newest:
        subprocess.run(["gcc", "-m32", "-c", src, "-o", obj], check=True,
                       timeout=60)
        subprocess.run(["ld", "-m", "elf_i386", "-T", lds, "-o", elf, obj],
                       check=True, timeout=60)
    return elf


def boot_once(kernel, accel):
    """One boot; returns the Result, raising if the guest did not exit 0."""
    r = qemu.run(qemu.Boot(machine="microvm", kernel=kernel, append="",
                           accel=accel), TIMEOUT)
    if r.exit.kind != qemu.STATUS or r.status != 0:
        raise RuntimeError(f"{kernel}: {r.exit}\n{r.output}{r.stderr}")
    return r


def measure(keel, floor, accel, runs):
    """Alternate Keel and floor boots; return (keel_s, floor_s, keel_us)."""
    keel_s, floor_s, keel_us = [], [], []
    for _ in range(runs):
        r = boot_once(keel, accel)
        m = BOOTED.search(r.output)
        if not m:
            raise RuntimeError(f"no `keel: booted in` line:\n{r.output}")
        keel_s.append(r.seconds)
        keel_us.append(int(m.group(1)))
        floor_s.append(boot_once(floor, accel).seconds)
    return keel_s, floor_s, keel_us


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", default=os.path.join(BUILD, "keel.elf"))
    p.add_argument("--runs", type=int, default=RUNS)
    args = p.parse_args(argv)
    if not os.path.isfile(args.kernel):
        print(f"bench: {args.kernel}: no such kernel (make kernel)",
              file=sys.stderr)
        return 2
    accel = qemu.pick_accel()
    floor = build_floor()
    try:
        keel_s, floor_s, keel_us = measure(args.kernel, floor, accel,
                                           args.runs)
    except RuntimeError as e:
        print(f"bench: boot failed: {e}", file=sys.stderr)
        return 1
    k, f = statistics.median(keel_s), statistics.median(floor_s)
    print(f"boot bench: microvm, PVH, {qemu.describe_accel(accel)}, "
          f"{args.runs} runs each, alternating")
    print(f"  floor (empty PVH guest)  median {f * 1000:8.1f} ms "
          "whole-process")
    print(f"  keel (empty cmdline)     median {k * 1000:8.1f} ms "
          "whole-process")
    print(f"  ratio keel/floor         {k / f:8.2f}x")
    us = statistics.median(keel_us)
    print(f"  keel self-reported       median {us:8.0f} us "
          "(`keel: booted in`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
