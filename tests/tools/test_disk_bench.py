"""bench/disk: the program builds with -Werror and prints what the harness
parses (run on the host on a scratch directory, tiny sizes, page cache
kept), the parser and the verdicts, the Linux guest's mount script, and the
ext2 modules of Debian's kernel in load order. The benchmark itself is not
run here: speed is measured in bench/, not asserted in tests."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "disk"))

import bench_disk  # noqa: E402
import guest  # noqa: E402  (bench_disk put bench/linux_guest on the path)

SAMPLE = """\
bench: config size_mib=32 chunk_kib=128 rand_ops=2048 fsync_ops=200 seed=42
bench: seq_write_mibs=20.000 seq_write_s=1.600
bench: drop_caches=1
bench: seq_read_mibs=100.000 seq_read_s=0.320
bench: rand_read_iops=3000.0 rand_read_mibs=11.719 rand_read_s=0.683
bench: rand_write_iops=5000.0 rand_write_mibs=19.531 rand_write_s=0.410
bench: fsync_median_us=2000.0 fsync_p99_us=9000.0 fsync_min_us=1000.0 \
fsync_max_us=9500.0 fsync_mean_us=2500.0
bench: done
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    if not shutil.which("musl-gcc"):
        pytest.skip("musl-gcc not installed")
    return bench_disk.build_program(str(tmp_path_factory.mktemp("diskb")))


def test_program_runs_and_its_output_parses(program, tmp_path):
    (tmp_path / "d").mkdir()
    # -n: never drop the host's page cache from a test.
    r = subprocess.run([program, "-n", "-s", "1", "-c", "64", "-r", "16",
                        "-f", "4", str(tmp_path / "d")], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    got = bench_disk.parse(r.stdout)
    assert got["size_mib"] == 1 and got["chunk_kib"] == 64
    assert got["drop_caches"] == 0
    for key, *_ in bench_disk.FIGURES:
        assert got[key] > 0, key
    assert got["fsync_median_us"] <= got["fsync_p99_us"]
    # The data it wrote is the file the figures are about.
    assert os.path.getsize(tmp_path / "d" / "bench.dat") == 1 << 20
    assert os.path.getsize(tmp_path / "d" / "fsync.dat") == 4 * 4096


def test_program_rejects_bad_arguments(program, tmp_path):
    for argv in ([], ["-s", "0", str(tmp_path)], ["-c", "6", str(tmp_path)],
                 ["-x", str(tmp_path)]):
        r = subprocess.run([program, *argv], capture_output=True,
                           timeout=30)
        assert r.returncode == 2, argv


def test_program_reports_a_missing_directory(program, tmp_path):
    r = subprocess.run([program, "-n", "-s", "1", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    with pytest.raises(RuntimeError, match="program failed: error open"):
        bench_disk.parse(r.stdout)


def test_parse_sample_and_failures():
    got = bench_disk.parse(SAMPLE)
    assert got["seq_write_mibs"] == 20.0 and got["fsync_p99_us"] == 9000.0
    with pytest.raises(RuntimeError, match="did not finish"):
        bench_disk.parse(SAMPLE.replace("bench: done\n", ""))
    with pytest.raises(RuntimeError, match="open /data"):
        bench_disk.parse("bench: error open /data/x: No space\n")


def test_summary_ratios_and_verdicts():
    linux = bench_disk.parse(SAMPLE)
    keel = dict(linux, seq_write_mibs=30.0, seq_read_mibs=50.0,
                rand_read_iops=3300.0, fsync_median_us=1000.0)
    rows = {r.label: r for r in bench_disk.summarize([keel], [linux])}
    label = {k: l for k, l, *_ in bench_disk.FIGURES}
    w = rows[label["seq_write_mibs"]]
    assert (w.keel_best, w.linux_best, w.ratio_best) == (30.0, 20.0, 1.5)
    assert w.verdict == ">= 1.0x: met"
    assert rows[label["seq_read_mibs"]].verdict.endswith("NOT met")
    r = rows[label["rand_read_iops"]]           # 1.1x against >= 1.2x
    assert r.verdict == ">= 1.2x: NOT met"
    f = rows[label["fsync_median_us"]]          # lower is better
    assert f.ratio_best == 0.5 and f.verdict == "<= 1.0x: met"
    assert rows[label["rand_write_iops"]].verdict == ""
    # A figure missing from a run gives an empty row, not a wrong ratio.
    del keel["fsync_p99_us"]
    rows = {r.label: r for r in bench_disk.summarize([keel], [linux])}
    assert rows[label["fsync_p99_us"]].keel_best is None


def test_summary_best_is_direction_aware():
    """Best is the highest throughput but the lowest latency; a target met
    by the best runs only says so."""
    base = bench_disk.parse(SAMPLE)
    keel = [dict(base, rand_read_iops=v, fsync_median_us=u)
            for v, u in ((4000.0, 1500.0), (3000.0, 2500.0),
                         (3300.0, 2100.0))]
    linux = [dict(base, rand_read_iops=3000.0, fsync_median_us=2000.0)]
    rows = {r.label: r for r in bench_disk.summarize(keel, linux)}
    label = {k: l for k, l, *_ in bench_disk.FIGURES}
    r = rows[label["rand_read_iops"]]
    assert (r.keel_best, r.keel_median) == (4000.0, 3300.0)
    assert r.verdict == ">= 1.2x: met at best only"
    f = rows[label["fsync_median_us"]]
    assert (f.keel_best, f.keel_median) == (1500.0, 2100.0)
    assert f.verdict == "<= 1.0x: met at best only"
    bench_disk.report(list(rows.values()))      # prints without failing


def test_linux_script_mounts_ext2_and_runs_the_program():
    text = bench_disk.linux_script(["-s", "32"])
    assert "mount -t ext2 /dev/vda /data" in text
    assert "/bin/disk_bench -s 32 /data" in text
    assert "umount /data" in text and text.rstrip().endswith("exit $status")


def test_disk_image_is_clean_ext2(tmp_path):
    if not shutil.which("mke2fs") or not shutil.which("e2fsck"):
        pytest.skip("e2fsprogs not installed")
    img = bench_disk.make_disk(str(tmp_path / "d.img"), 4, 8)
    assert os.path.getsize(img) == (2 * 4 + 32) << 20
    r = subprocess.run(["e2fsck", "-fn", img], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ext2_modules_of_debians_kernel_in_load_order():
    """ext4.ko (Debian's ext2) and what it needs come first; the default
    module set, cached alongside, still leaves them out."""
    try:
        k = guest.prepare_kernel(
            modules=guest.VIRTIO_MODULES + guest.FS_MODULES)
        plain = guest.prepare_kernel()
    except guest.GuestError as e:
        pytest.skip(f"Debian kernel package unavailable: {e}")
    order = list(k.module_order)
    for m in guest.FS_MODULES + ("virtio_blk", "virtio_mmio"):
        assert m in order
    for m in order:
        deps = guest.modinfo(k.modules[m]).get("depends", "")
        for d in filter(None, deps.split(",")):
            assert order.index(d) < order.index(m), (d, m)
    assert "ext4" not in plain.module_order
    assert set(plain.module_order) < set(order)
