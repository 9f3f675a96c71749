#!/usr/bin/python3
"""Scheduler benchmark: thread switch time and timer wake-up lateness.

Builds a release kernel (no lock debugging) into build/release, boots it
on microvm with `--test=sched_bench` RUNS times per CPU model, and prints
the medians in ns with the accelerator, the clock source and the FPU save
instruction. The side-by-side with a Linux guest's pthread ping-pong comes
with the Linux-binaries work (see the README).
"""

import argparse
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))
sys.path.insert(0, os.path.join(ROOT, "bench", "linux_guest"))

from imgbuild import qemu  # noqa: E402
from benchkit import build_release  # noqa: E402

RUNS = 3
TIMEOUT = 180
CPU_MODELS = [None, "max"]      # QEMU's default model, and every feature
SWITCH = re.compile(r"^bench: switch_ns=(\d+) switch_fpu_ns=(\d+) .*fpu=(\S+) "
                    r"clock=(.+)$", re.M)
LATE = re.compile(r"^bench: timer_request_us=(\d+) late_median_ns=(\d+) "
                  r"late_p99_ns=(\d+)", re.M)


def run_once(kernel, accel, cpu):
    b = qemu.Boot(machine="microvm", kernel=kernel, accel=accel, cpu=cpu,
                  append="--test=sched_bench")
    r = qemu.run(b, TIMEOUT)
    m = SWITCH.search(r.output)
    if r.exit.kind != qemu.STATUS or r.status != 0 or not m:
        raise RuntimeError(f"sched_bench failed: {r.exit}\n{r.output}")
    late = {int(req): (int(med), int(p99))
            for req, med, p99 in LATE.findall(r.output)}
    return (int(m.group(1)), int(m.group(2))), m.group(3), \
        m.group(4).strip(), late


def report(cpu, runs):
    plain = statistics.median(r[0][0] for r in runs)
    with_fpu = statistics.median(r[0][1] for r in runs)
    _, fpu, clock, _ = runs[0]
    print(f"  cpu model {cpu or 'default'}: fpu save {fpu}, clock {clock}")
    print(f"    thread switch, kernel threads          {plain:9.0f} ns")
    print(f"    thread switch, threads with FPU state  {with_fpu:9.0f} ns")
    for req in sorted(runs[0][3]):
        med = statistics.median(r[3][req][0] for r in runs)
        p99 = statistics.median(r[3][req][1] for r in runs)
        print(f"    sleep {req:5d} us: late by median {med:9.0f} ns, "
              f"p99 {p99:9.0f} ns")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=RUNS)
    args = ap.parse_args(argv)
    accel = qemu.pick_accel()
    kernel = build_release()
    print(f"sched bench: microvm, {qemu.describe_accel(accel)}, "
          f"{args.runs} runs each, medians")
    for cpu in CPU_MODELS if accel == "tcg" else ["host"]:
        report(cpu, [run_once(kernel, accel, cpu) for _ in range(args.runs)])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
