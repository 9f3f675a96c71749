#!/usr/bin/python3
"""Disk benchmark: Keel against a Debian Linux guest, same program, same disk.

Builds bench/disk/disk_bench.c (musl-gcc -static) into build/bench/disk/
and runs it on a release Keel (build/release, no lock debugging, as
bench/syscall does) and in the Linux guest of bench/linux_guest/guest.py
(with ext4.ko, which Debian's kernel uses for ext2): same QEMU machine
(microvm), memory (256M), one vCPU, accelerator (TCG here), and for every
run a fresh raw image holding an empty ext2 file system made by
`mke2fs -t ext2 -d` on the host, attached as virtio-blk (QEMU's default
cache=writeback on the host, the same for both; the image lives in
/dev/shm by default, so a guest's flush costs QEMU an fdatasync of tmpfs,
not of the host's shared disk, whose load would swamp the figures; use
--image-dir to change that). Keel mounts it with
`--mount=vda:/data`, Linux with `mount -t ext2 /dev/vda /data`. Runs
alternate, Linux first. The figures are what the program measures inside
the guest (clock_gettime(CLOCK_MONOTONIC)); what each includes is in
README.md (Benchmarks) and in the legend printed above the table.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "build", "bench", "disk")
SOURCE = os.path.join(HERE, "disk_bench.c")
sys.path.insert(0, os.path.join(ROOT, "bench", "linux_guest"))
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))

import guest  # noqa: E402
from benchkit import build_release, parse  # noqa: E402
from imgbuild import qemu  # noqa: E402

MACHINE, MEMORY = "microvm", "256M"
RUNS = 3                # ~30 s a pair on TCG at the default size
CFLAGS = ["musl-gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror"]
GUEST_PATH = "/bin/disk_bench"
SCRIPT_PATH = "/etc/disk_bench.sh"
MOUNT_POINT = "/data"
# name: (file MiB, sequential chunk KiB, random ops, fsync ops, timeout s)
SIZES = {
    "default": (64, 128, 4096, 200, 600),
    "big": (256, 128, 16384, 1000, 3600),
}
# (key, label, unit, higher is better, target ratio Keel/Linux or None)
FIGURES = [
    ("seq_write_mibs", "sequential write + fsync", "MiB/s", True, 1.0),
    ("seq_read_mibs", "sequential read, cold", "MiB/s", True, 1.0),
    ("rand_read_iops", "random 4 KiB read, cold", "IOPS", True, 1.2),
    ("rand_write_iops", "random 4 KiB write + fsync", "IOPS", True, None),
    ("fsync_median_us", "4 KiB append+fsync, median", "us", False, 1.0),
    ("fsync_p99_us", "4 KiB append+fsync, p99", "us", False, None),
]
# Keel's block cache per mount: 1/16 of RAM within 4-32 MiB
# (kernel/fs/ext2/super.c), so about 16 MiB at MEMORY.
KEEL_CACHE_MIB = 16
SHM = "/dev/shm"


def build_program(out_dir=OUT):
    os.makedirs(out_dir, exist_ok=True)
    exe = os.path.join(out_dir, "disk_bench")
    subprocess.run(CFLAGS + ["-o", exe, SOURCE], check=True, timeout=300)
    return exe


def program_args(size):
    mib, chunk, rand, fsyncs, _ = SIZES[size]
    return ["-s", str(mib), "-c", str(chunk), "-r", str(rand),
            "-f", str(fsyncs)]


def make_disk(path, file_mib, fsync_ops):
    """A raw image filled by one empty ext2 file system (4 KiB blocks),
    room for the test file, the fsync file and slack."""
    mb = 2 * file_mib + fsync_ops * 4 // 1024 + 32
    with tempfile.TemporaryDirectory(prefix="disk-bench-") as empty:
        with open(path, "wb") as f:
            f.truncate(mb << 20)
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096",
                        "-d", empty, path, f"{mb << 10}k"], check=True,
                       timeout=120, capture_output=True)
    return path


def drive(image):
    return ("-drive", f"file={image},format=raw,if=none,id=d0",
            "-device", "virtio-blk-device,drive=d0")


def keel_initrd(exe, path):
    """The program and an empty mount point, as Keel's initrd."""
    with open(path, "wb") as f:
        guest.write_newc([
            guest.Entry(GUEST_PATH, "file", 0o755, source=exe),
            guest.Entry(MOUNT_POINT, "dir", 0o755)], f)
    return path


def keel_once(kernel, initrd, image, args, accel, timeout):
    append = " ".join([f"--mount=vda:{MOUNT_POINT}", GUEST_PATH, *args,
                       MOUNT_POINT])
    b = qemu.Boot(machine=MACHINE, kernel=kernel, initrd=initrd,
                  append=append, memory=MEMORY, accel=accel,
                  extra=drive(image))
    r = qemu.run(b, timeout)
    if r.exit.kind != qemu.STATUS or r.status != 0:
        raise RuntimeError(f"keel: {r.exit}\n{r.output}{r.stderr}")
    return parse(r.output), r.output


def linux_script(args):
    """/bin/sh script for the Linux guest: wait for /dev/vda (bounded),
    mount it as ext2, run the program, unmount."""
    return "\n".join([
        "i=0",
        "while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do "
        "sleep 0.1; i=$((i+1)); done",
        f"mkdir -p {MOUNT_POINT}",
        f"mount -t ext2 /dev/vda {MOUNT_POINT} || "
        "{ echo 'bench: error mount -t ext2 /dev/vda failed'; exit 1; }",
        " ".join([GUEST_PATH, *args, MOUNT_POINT]),
        "status=$?",
        f"umount {MOUNT_POINT}",
        "exit $status",
        ""])


def linux_once(exe, script, image, kernel, busybox, accel, timeout):
    r = guest.run_in_linux_guest(["/bin/sh", SCRIPT_PATH],
                                 files={GUEST_PATH: exe, SCRIPT_PATH: script},
                                 machine=MACHINE, memory=MEMORY, accel=accel,
                                 timeout=timeout, kernel=kernel,
                                 busybox=busybox, extra_qemu=drive(image))
    if not r.ok or r.status != 0:
        raise RuntimeError(f"linux guest: {r.exit}, status {r.status}\n"
                           f"{r.output}{r.stderr}")
    return parse(r.program_output), r.program_output


@dataclass
class Row:
    """One figure over the runs: best (highest throughput, lowest
    latency) and median on each system, and Keel / Linux of each."""
    label: str
    unit: str
    keel_best: float = None
    keel_median: float = None
    linux_best: float = None
    linux_median: float = None
    ratio_best: float = None
    ratio_median: float = None
    verdict: str = ""


def summarize(keel_runs, linux_runs):
    """A Row per FIGURES entry; a figure missing from any run gives a Row
    without numbers. The verdict: met (best and median), met at best
    only, or NOT met."""
    rows = []
    for key, label, unit, higher, target in FIGURES:
        k = [r.get(key) for r in keel_runs]
        l = [r.get(key) for r in linux_runs]
        if not k or not l or not all(isinstance(v, float)
                                     for v in k + l):
            rows.append(Row(label, unit))
            continue
        best = max if higher else min
        row = Row(label, unit, best(k), statistics.median(k), best(l),
                  statistics.median(l))
        if row.linux_best and row.linux_median:
            row.ratio_best = row.keel_best / row.linux_best
            row.ratio_median = row.keel_median / row.linux_median
        if target is not None and row.ratio_best is not None:
            def ok(r):
                return r >= target if higher else r <= target
            row.verdict = (f"{'>=' if higher else '<='} {target}x: " + (
                "met" if ok(row.ratio_best) and ok(row.ratio_median) else
                "met at best only" if ok(row.ratio_best) else "NOT met"))
        rows.append(row)
    return rows


def legend(size):
    """What each figure includes, for the output (README repeats it)."""
    mib, chunk, rand, fsyncs, _ = SIZES[size]
    return [
        f"seq write: {mib} MiB in {chunk} KiB writes to a new file, then "
        "one fsync (in the time)",
        f"seq read: that file in {chunk} KiB preads; both: sync + "
        "drop_caches=3 first (page cache and block cache), so cold",
        f"random read: {rand} 4 KiB preads, offsets from a fixed seed, after "
        "another drop; repeats hit each cache",
        f"random write: {rand} whole-block 4 KiB pwrites, then one fsync "
        "(in the time)",
        f"fsync: {fsyncs} x (append 4 KiB to a new file + fsync), each "
        "timed; lower is better",
    ]


def report(rows):
    print(f"    {'best / median of runs':28s} {'unit':>6s} "
          f"{'keel':>17s} {'linux':>17s} {'keel/linux':>14s}  target")
    for r in rows:
        if r.keel_best is None:
            print(f"    {r.label:28s} {r.unit:>6s} {'-':>17s} {'-':>17s}")
            continue
        ratio = (f"{r.ratio_best:5.2f} /{r.ratio_median:5.2f}x"
                 if r.ratio_best is not None else "-")
        print(f"    {r.label:28s} {r.unit:>6s} "
              f"{r.keel_best:8.1f} /{r.keel_median:7.1f} "
              f"{r.linux_best:8.1f} /{r.linux_median:7.1f} "
              f"{ratio:>14s}  {r.verdict}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=RUNS,
                   help=f"runs on each system, alternating (default {RUNS})")
    p.add_argument("--big", action="store_true",
                   help="256 MiB file, 16384 random ops, 1000 fsyncs "
                   "(about a minute a pair on TCG)")
    p.add_argument("--kernel", help="Keel ELF to use instead of building "
                   "the release kernel")
    p.add_argument("--image-dir", default=SHM if os.path.isdir(SHM)
                   else OUT, help="where the disk image lives (default "
                   f"{SHM}: tmpfs; a directory on a disk adds the host's "
                   "own fdatasync to every guest flush)")
    p.add_argument("--verbose", action="store_true",
                   help="print each run's program output")
    args = p.parse_args(argv)
    size = "big" if args.big else "default"
    mib, _, _, fsyncs, timeout = SIZES[size]
    bench_args = program_args(size)
    accel = qemu.pick_accel()
    try:
        kernel = args.kernel or build_release()
    except subprocess.SubprocessError as e:
        print(f"bench: building the release kernel: {e} (or pass --kernel)",
              file=sys.stderr)
        return 1
    try:
        lk = guest.prepare_kernel(
            modules=guest.VIRTIO_MODULES + guest.FS_MODULES)
        bb = guest.prepare_busybox()
    except guest.GuestError as e:
        print(f"bench: linux guest: {e}", file=sys.stderr)
        return 1
    exe = build_program()
    initrd = keel_initrd(exe, os.path.join(OUT, "root.cpio"))
    script = os.path.join(OUT, "disk_bench.sh")
    text = linux_script(bench_args)
    # Rewrite only on change: the guest initramfs is cached by mtime.
    old = None
    if os.path.exists(script):
        with open(script) as f:
            old = f.read()
    if old != text:
        with open(script, "w") as f:
            f.write(text)
    image_dir = tempfile.mkdtemp(prefix="keel-disk-bench-",
                                 dir=args.image_dir)
    image = os.path.join(image_dir, "disk.img")
    keel_runs, linux_runs = [], []
    try:
        for i in range(args.runs):
            make_disk(image, mib, fsyncs)
            got, out = linux_once(exe, script, image, lk, bb, accel, timeout)
            linux_runs.append(got)
            if args.verbose:
                print(f"--- linux run {i + 1}\n{out.strip()}", flush=True)
            make_disk(image, mib, fsyncs)
            got, out = keel_once(kernel, initrd, image, bench_args, accel,
                                 timeout)
            keel_runs.append(got)
            if args.verbose:
                print(f"--- keel run {i + 1}\n{out.strip()}", flush=True)
    except (RuntimeError, subprocess.SubprocessError) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    finally:
        if os.path.exists(image):
            os.remove(image)
        os.rmdir(image_dir)
    dropped = all(r.get("drop_caches") == 1.0 for r in linux_runs)
    keel_dropped = all(r.get("drop_caches") == 1.0 for r in keel_runs)
    print(f"disk bench: {MACHINE}, {MEMORY}, 1 vCPU, "
          f"{qemu.describe_accel(accel)}; linux {lk.release} (ext2 through "
          f"ext4.ko); {args.runs} run(s) each, alternating; "
          f"{' '.join(bench_args)}")
    print(f"  raw image in {args.image_dir}, ext2 4 KiB blocks, "
          "virtio-blk-device; "
          f"caches dropped before reads: linux "
          f"{'yes' if dropped else 'NO'}, keel "
          f"{'yes' if keel_dropped else 'NO'}; keel: page cache over a "
          f"~{KEEL_CACHE_MIB} MiB block cache")
    for line in legend(size):
        print(f"  {line}")
    report(summarize(keel_runs, linux_runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
