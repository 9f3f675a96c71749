#!/usr/bin/python3
"""Boot-time benchmark: Keel against a Debian Linux guest on the same
QEMU machine, memory and accelerator.

The Linux guest (bench/linux_guest/guest.py: Debian's kernel as a PVH
vmlinux, busybox initramfs, virtio modules) runs `/bin/true` (a static
busybox applet); Keel boots with an empty command line. Runs alternate,
RUNS times each. Prints the median whole-process wall time of each and
their ratio, and the guests' own figures: Linux's /proc/uptime at the
`guest: ready` marker (after the modules are loaded, before the program)
and Keel's `keel: booted in N us`.
"""

import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "bench", "boot"))

import guest  # noqa: E402
import bench_boot  # noqa: E402
from imgbuild import qemu  # noqa: E402

RUNS = 3
LINUX_TIMEOUT = 120


def linux_once(kernel, busybox, machine, memory, accel):
    r = guest.run_in_linux_guest(["/bin/true"], machine=machine,
                                 memory=memory, accel=accel,
                                 timeout=LINUX_TIMEOUT, kernel=kernel,
                                 busybox=busybox)
    if not r.ok or r.status != 0:
        raise RuntimeError(f"linux guest: {r.exit}, status {r.status}, "
                           f"ready {r.ready_uptime}\n{r.output}{r.stderr}")
    return r


def keel_once(kernel, accel):
    r = bench_boot.boot_once(kernel, accel)
    m = bench_boot.BOOTED.search(r.output)
    if not m:
        raise RuntimeError(f"no `keel: booted in` line:\n{r.output}")
    return r.seconds, int(m.group(1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", default=os.path.join(guest.BUILD, "keel.elf"),
                   help="Keel's ELF (default build/keel.elf)")
    p.add_argument("--runs", type=int, default=RUNS)
    args = p.parse_args(argv)
    machine, memory = "microvm", "128M"   # what bench_boot boots Keel on
    if not os.path.isfile(args.kernel):
        print(f"bench: {args.kernel}: no such kernel (make kernel)",
              file=sys.stderr)
        return 2
    accel = qemu.pick_accel()
    try:
        kernel = guest.prepare_kernel()
        busybox = guest.prepare_busybox()
        initrd = guest.build_initramfs(kernel, busybox, ["/bin/true"])
    except guest.GuestError as e:
        print(f"bench: linux guest: {e}", file=sys.stderr)
        return 1
    lin_s, lin_up, keel_s, keel_us = [], [], [], []
    try:
        for _ in range(args.runs):
            r = linux_once(kernel, busybox, machine, memory, accel)
            lin_s.append(r.seconds)
            lin_up.append(r.ready_uptime)
            s, us = keel_once(args.kernel, accel)
            keel_s.append(s)
            keel_us.append(us)
    except RuntimeError as e:
        print(f"bench: boot failed: {e}", file=sys.stderr)
        return 1
    ls, ks = statistics.median(lin_s), statistics.median(keel_s)
    lu, ku = statistics.median(lin_up), statistics.median(keel_us) / 1e6
    print(f"linux-guest boot bench: {machine}, {memory}, "
          f"{qemu.describe_accel(accel)}, {args.runs} runs each, "
          "alternating")
    print(f"  linux {kernel.release} (/bin/true)  median "
          f"{ls * 1000:8.1f} ms whole-process, "
          f"{lu * 1000:8.0f} ms uptime at ready")
    print(f"  keel (empty cmdline)        median {ks * 1000:8.1f} ms "
          f"whole-process, {ku * 1000:8.1f} ms self-reported booted")
    print(f"  ratio keel/linux whole-process  {ks / ls:8.3f}x "
          f"(linux {ls / ks:.1f}x slower)")
    print(f"  ratio keel/linux in-guest       {ku / lu:8.4f}x")
    print(f"  sizes: keel.elf {os.path.getsize(args.kernel) / 1e6:.2f} MB; "
          f"linux vmlinux {os.path.getsize(kernel.vmlinux) / 1e6:.1f} MB "
          f"(bzImage {os.path.getsize(kernel.vmlinuz) / 1e6:.1f} MB) + "
          f"initramfs {os.path.getsize(initrd) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
