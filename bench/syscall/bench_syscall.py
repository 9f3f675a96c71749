#!/usr/bin/python3
"""System-call benchmark: Keel against a Debian Linux guest, same binary.

Builds bench/syscall/syscall_bench.c twice (musl-gcc -static, gcc -static)
into build/bench/syscall/, then runs each build on a release Keel (built
into build/release without lock debugging, as bench/sched does; booted
from an initrd made with cpio.archive_bytes) and in the Linux guest of
bench/linux_guest/guest.py: same QEMU machine (microvm), memory (256M),
one vCPU, accelerator (qemu.pick_accel(): TCG here). Runs alternate,
RUNS each. Each run reports the best of 5 rounds of ~0.3 s loops; the table gives,
per figure, the best and the median over the runs, and the ratio Keel /
Linux of each, against the issue's targets (getpid <= 0.3x, futex
ping-pong <= 0.35x). Under TCG with other work on the host a whole run can
come out ~2x slow, so the best is the steadier figure.
"""

import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "build", "bench", "syscall")
SOURCE = os.path.join(HERE, "syscall_bench.c")
sys.path.insert(0, os.path.join(ROOT, "bench", "linux_guest"))
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))

import guest  # noqa: E402
from benchkit import build_release, parse  # noqa: E402
from imgbuild import qemu  # noqa: E402
from imgbuild.image import cpio  # noqa: E402

RUNS = 3
MACHINE, MEMORY = "microvm", "256M"
TIMEOUT = 300
GUEST_PATH = "/bin/syscall_bench"
LIBCS = {
    "musl": ["musl-gcc", "-static", "-O2", "-Wall", "-Wextra"],
    "glibc": ["gcc", "-static", "-O2", "-Wall", "-Wextra", "-pthread"],
}
# (key, label, target ratio or None)
FIGURES = [
    ("getpid_ns", "getpid (raw syscall)", 0.3),
    ("clock_gettime_ns", "clock_gettime (libc)", None),
    ("clock_gettime_sys_ns", "clock_gettime (raw syscall)", None),
    ("read_dev_zero_ns", "read 1 byte of /dev/zero", None),
    ("futex_switch_ns", "futex ping-pong, per switch", 0.35),
]


def build_program(libc):
    os.makedirs(OUT, exist_ok=True)
    exe = os.path.join(OUT, f"syscall_bench.{libc}")
    subprocess.run(LIBCS[libc] + ["-o", exe, SOURCE], check=True,
                   timeout=300)
    return exe


def keel_once(kernel, initrd, accel):
    b = qemu.Boot(machine=MACHINE, kernel=kernel, initrd=initrd,
                  append=GUEST_PATH, memory=MEMORY, accel=accel)
    r = qemu.run(b, TIMEOUT)
    if r.exit.kind != qemu.STATUS or r.status != 0:
        raise RuntimeError(f"keel: {r.exit}\n{r.output}{r.stderr}")
    return parse(r.output), r.output


def linux_once(exe, kernel, busybox, accel):
    r = guest.run_in_linux_guest([GUEST_PATH], files={GUEST_PATH: exe},
                                 machine=MACHINE, memory=MEMORY, accel=accel,
                                 timeout=TIMEOUT, kernel=kernel,
                                 busybox=busybox)
    if not r.ok or r.status != 0:
        raise RuntimeError(f"linux guest: {r.exit}, status {r.status}\n"
                           f"{r.output}{r.stderr}")
    return parse(r.program_output), r.program_output


def values(runs, key):
    """The runs' figures for `key`, or None if any run lacks one."""
    vals = [r.get(key) for r in runs]
    if not vals or not all(isinstance(v, float) for v in vals):
        return None
    return vals


def ratio(k, l, pick):
    if k is None or l is None:
        return None
    return pick(k) / pick(l)


def report(libc, keel_runs, linux_runs):
    kv = keel_runs[0].get("vdso", 0)
    lv = linux_runs[0].get("vdso", 0)
    print(f"  {libc} (static): vDSO on keel {'yes' if kv else 'no'}, "
          f"on linux {'yes' if lv else 'no'}")
    print(f"    {'ns (best / median of runs)':30s} {'keel':>15s} "
          f"{'linux':>15s} {'keel/linux':>16s}  target")
    for key, label, target in FIGURES:
        k, l = values(keel_runs, key), values(linux_runs, key)

        def cell(v):
            if v is None:
                return f"{'unsupported':>15s}"
            return f"{min(v):7.0f} /{statistics.median(v):6.0f}"
        rb = ratio(k, l, min)
        rm = ratio(k, l, statistics.median)
        rcell = f"{rb:6.2f}x /{rm:5.2f}x" if rb is not None else \
            f"{'-':>16s}"
        tgt = ""
        if target is not None and rb is not None:
            tgt = f"<= {target}x: " + (
                "met" if rb <= target and rm <= target else
                "met at best only" if rb <= target else "NOT met")
        print(f"    {label:30s} {cell(k)} {cell(l)} {rcell}  {tgt}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=RUNS)
    p.add_argument("--libc", choices=sorted(LIBCS), action="append",
                   help="only this libc (repeatable; default both)")
    p.add_argument("--kernel", help="Keel ELF to use instead of building "
                   "the release kernel")
    p.add_argument("--verbose", action="store_true",
                   help="print each run's program output")
    args = p.parse_args(argv)
    libcs = args.libc or ["musl", "glibc"]
    accel = qemu.pick_accel()
    try:
        kernel = args.kernel or build_release()
    except subprocess.SubprocessError as e:
        print(f"bench: building the release kernel: {e} (or pass --kernel)",
              file=sys.stderr)
        return 1
    try:
        lk = guest.prepare_kernel()
        bb = guest.prepare_busybox()
    except guest.GuestError as e:
        print(f"bench: linux guest: {e}", file=sys.stderr)
        return 1
    results = {}
    for libc in libcs:
        exe = build_program(libc)
        with open(exe, "rb") as f:
            archive = cpio.archive_bytes({GUEST_PATH: f.read()})
        initrd = os.path.join(OUT, f"root.{libc}.cpio")
        with open(initrd, "wb") as f:
            f.write(archive)
        keel_runs, linux_runs = [], []
        try:
            for i in range(args.runs):
                got, text = linux_once(exe, lk, bb, accel)
                linux_runs.append(got)
                if args.verbose:
                    print(f"--- linux {libc} run {i + 1}\n{text.strip()}")
                got, text = keel_once(kernel, initrd, accel)
                keel_runs.append(got)
                if args.verbose:
                    print(f"--- keel {libc} run {i + 1}\n{text.strip()}")
        except RuntimeError as e:
            print(f"bench: {libc}: {e}", file=sys.stderr)
            return 1
        results[libc] = (keel_runs, linux_runs)
    print(f"syscall bench: {MACHINE}, {MEMORY}, 1 vCPU, "
          f"{qemu.describe_accel(accel)}; linux {lk.release}; "
          f"{args.runs} runs each, alternating; medians of each run's "
          "best-of-5")
    print("  (figures are TCG emulation costs: compare the ratios)")
    for libc in libcs:
        report(libc, *results[libc])
    return 0


if __name__ == "__main__":
    sys.exit(main())
