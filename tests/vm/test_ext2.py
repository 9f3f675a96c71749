"""ext2 on virtio-blk, end to end: a root file system on the first
partition of a disk (virtio-mmio on microvm, virtio-pci on pc and q35),
data disks mounted with --mount, Debian's busybox tar and gzip and
sqlite3 working on them, and a power cut in the middle of fsync'd appends
that e2fsck -fy repairs without losing an acknowledged record; file data
through the page cache: MAP_SHARED writes reaching the disk by msync (even
across a power cut), a file larger than memory, and ENOSPC from write().
After every boot that shut down normally, e2fsck -fn on the host finds the
image clean.
Images are made by mke2fs -d (no root, no mounts, no loop devices)."""

import hashlib
import os
import select
import shutil
import signal
import stat
import subprocess
import tarfile
import time

import pytest

from conftest import ACCEL, explain
from imgbuild import qemu
import initrd
from test_debian_binaries import SQLITE_PACKAGES, debian_archive
import guest

DISK_MB = 64
PART_START = 2048                   # sectors: 1 MiB, as sfdisk aligns
SECTOR = 512
BOOT_TIMEOUT = 120
APPEND_TOTAL = 100000               # records the power-cut writer would make
ACKS_BEFORE_CUT = 40
CUT_TIMEOUT = 180
ROWS, TRANSACTIONS = 10000, 10

# machine: (extra QEMU options, virtio-blk device)
TRANSPORTS = {
    "microvm": ((), "virtio-blk-device"),
    "pc": ((), "virtio-blk-pci"),
    "q35": ((), "virtio-blk-pci"),
}


def _mke2fs(image, tree, size_kb, offset=0):
    argv = ["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", "-d", str(tree)]
    if offset:
        argv += ["-E", f"offset={offset}"]
    subprocess.run(argv + [str(image), f"{size_kb}k"], check=True,
                   timeout=60, capture_output=True)


def whole_disk(path, tree, mb=DISK_MB):
    """An ext2 file system filling a raw disk (no partition table)."""
    with open(path, "wb") as f:
        f.truncate(mb << 20)
    _mke2fs(path, tree, mb << 10)
    return path


def partitioned_disk(path, tree, mb=DISK_MB):
    """An MBR disk whose partition 1 holds ext2, as imgbuild lays it out."""
    with open(path, "wb") as f:
        f.truncate(mb << 20)
    subprocess.run(["sfdisk", "-q", str(path)], check=True, timeout=30,
                   input=f"label: dos\nstart={PART_START}, type=83\n",
                   text=True, capture_output=True)
    part_kb = (mb << 10) - PART_START * SECTOR // 1024
    _mke2fs(path, tree, part_kb, offset=PART_START * SECTOR)
    return path


def fs_image(disk, partitioned, out):
    """The ext2 file system of `disk` as a file of its own, for e2fsck and
    debugfs."""
    if not partitioned:
        return disk
    with open(disk, "rb") as src, open(out, "wb") as dst:
        src.seek(PART_START * SECTOR)
        shutil.copyfileobj(src, dst)
    return out


def e2fsck(image, repair=False):
    return subprocess.run(["e2fsck", "-f", "-y" if repair else "-n",
                           str(image)], capture_output=True, text=True,
                          timeout=120)


def assert_clean(image):
    r = e2fsck(image)
    assert r.returncode == 0, f"e2fsck -fn {image}:\n{r.stdout}{r.stderr}"


def debugfs_cat(image, path):
    return subprocess.run(["debugfs", "-R", f"cat {path}", str(image)],
                          capture_output=True, timeout=60, check=True).stdout


def drive_args(disks, device):
    """-drive/-device pairs for `disks`, first one vda."""
    args = []
    for i, disk in enumerate(disks):
        args += ["-drive", f"file={disk},format=raw,if=none,id=d{i}",
                 "-device", f"{device},drive=d{i}"]
    return tuple(args)


def boot(kernel, append, disks, machine="microvm", initrd_path=None,
         memory="256M", timeout=BOOT_TIMEOUT):
    extra, device = TRANSPORTS[machine]
    b = qemu.Boot(machine=machine, kernel=kernel, append=append,
                  initrd=initrd_path, memory=memory, accel=ACCEL,
                  extra=extra + drive_args(disks, device))
    return qemu.run(b, timeout)


def ok(r):
    return r.exit.kind == qemu.STATUS and r.status == 0


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """busybox-static and the appender: {name: bytes}."""
    d = tmp_path_factory.mktemp("ext2progs")
    try:
        busybox = guest.prepare_busybox().path
    except Exception as e:          # no package here: say why, don't fail
        pytest.skip(f"busybox-static cannot be fetched: {e}")
    appender = initrd.compile_c(os.path.join(initrd.APPS_TESTS, "appender.c"),
                                str(d / "appender"))
    with open(busybox, "rb") as f:
        return {"busybox": f.read(), "appender": appender}


def _root_tree(tmp, programs):
    tree = tmp / "root"
    (tree / "bin").mkdir(parents=True)
    (tree / "etc").mkdir()
    for name, data in programs.items():
        (tree / "bin" / name).write_bytes(data)
        os.chmod(tree / "bin" / name, 0o755)
    (tree / "etc" / "greeting").write_text("hello from ext2\n")
    os.symlink("greeting", tree / "etc" / "link")
    return tree


@pytest.mark.parametrize("machine", sorted(TRANSPORTS))
def test_ext2_root_reads_and_writes(kernel, programs, tmp_path, machine):
    """The first partition of the first disk is "/" without an initrd;
    the program and its data come from it, and what it writes is there
    after power-off, in a file system e2fsck finds clean."""
    disk = partitioned_disk(tmp_path / "disk.img",
                            _root_tree(tmp_path, programs))
    r = boot(kernel, "/bin/busybox cat /proc/mounts /etc/link", [disk],
             machine=machine)
    assert ok(r), explain(r)
    assert "/dev/vda1 / ext2 rw 0 0" in r.output, explain(r)
    assert "tmpfs /tmp tmpfs rw" in r.output, explain(r)
    assert "hello from ext2" in r.output, explain(r)
    r = boot(kernel, "/bin/appender append /log 25", [disk], machine=machine)
    assert ok(r) and "ack 24" in r.output, explain(r)
    fs = fs_image(disk, True, tmp_path / "part.img")
    assert_clean(fs)
    r = boot(kernel, "/bin/appender check /log", [disk], machine=machine)
    assert ok(r) and "records 25" in r.output, explain(r)
    assert_clean(fs_image(disk, True, tmp_path / "part.img"))


def test_rootfs_option_and_bad_devices(kernel, programs, tmp_path):
    """--rootfs names the root's device; a device that is not there or not
    ext2 stops the boot with a message, not a crash."""
    disk = partitioned_disk(tmp_path / "disk.img",
                            _root_tree(tmp_path, programs))
    empty = tmp_path / "empty.img"
    with open(empty, "wb") as f:
        f.truncate(8 << 20)
    r = boot(kernel, "--rootfs=vdb1 /bin/busybox cat /etc/greeting",
             [empty, disk])
    assert ok(r) and "hello from ext2" in r.output, explain(r)
    r = boot(kernel, "--rootfs=vdz /bin/busybox true", [disk])
    assert "root: vdz: no such block device" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status != 0, explain(r)
    r = boot(kernel, "--rootfs=vda /bin/busybox true", [empty])
    assert "cannot mount ext2 on vda" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status != 0, explain(r)
    r = boot(kernel, "--mount=vdb:/data /bin/busybox true", [disk])
    assert "--mount=vdb:/data: no such block device" in r.output, explain(r)


def _data_initrd(tmp, programs, files):
    """An initrd with busybox, the appender, an empty /data and @files."""
    entries = [("bin", stat.S_IFDIR | 0o755, b""),
               ("data", stat.S_IFDIR | 0o755, b""),
               ("etc", stat.S_IFDIR | 0o755, b"")]
    for name, data in programs.items():
        entries.append(initrd.regular(f"bin/{name}", data))
    for name, data in files.items():
        entries.append(initrd.regular(name, data, 0o644))
    path = str(tmp / "root.cpio")
    initrd.write_newc(path, entries)
    return path


def _sample_tree(root):
    """Nested directories, small and large files, a sparse-ish one, links."""
    (root / "tree" / "a" / "b").mkdir(parents=True)
    (root / "tree" / "empty").mkdir()
    (root / "tree" / "a" / "small.txt").write_text("small\n")
    (root / "tree" / "a" / "b" / "big.bin").write_bytes(
        bytes((i * 7919) % 251 for i in range(3 << 20)))
    (root / "tree" / "zeros").write_bytes(bytes(200000))
    os.symlink("a/small.txt", root / "tree" / "link")
    for i in range(60):
        (root / "tree" / "a" / f"f{i:02d}").write_text(f"file {i}\n" * i)
    return root / "tree"


def _tree_listing(top):
    """{relative path: (kind, contents or link target, permission bits)}."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, top)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p), 0)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", b"", stat.S_IMODE(st.st_mode))
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read(), stat.S_IMODE(st.st_mode))
    return out


# The data-disk tests run over virtio-mmio and over modern virtio-pci.
DATA_MACHINES = ["microvm", "q35"]


@pytest.mark.parametrize("machine", DATA_MACHINES)
def test_busybox_tar_and_gzip_round_trip_on_ext2(kernel, programs, tmp_path,
                                                  machine):
    """busybox tar unpacks a tree onto an ext2 data disk, packs it again
    and gzip compresses the archive; the host unpacks the result and finds
    the tree byte-identical."""
    src = _sample_tree(tmp_path / "src")
    archive = tmp_path / "in.tar"
    with tarfile.open(archive, "w", format=tarfile.GNU_FORMAT) as t:
        t.add(src, arcname="tree")
    cpio = _data_initrd(tmp_path, programs,
                        {"etc/in.tar": archive.read_bytes()})
    (tmp_path / "empty").mkdir()
    disk = whole_disk(tmp_path / "data.img", tmp_path / "empty")
    mount = "--mount=vda:/data"
    steps = ["/bin/busybox tar -xf /etc/in.tar -C /data",
             "/bin/busybox tar -cf /data/out.tar -C /data tree",
             "/bin/busybox gzip /data/out.tar"]
    for step in steps:
        r = boot(kernel, f"{mount} {step}", [disk], initrd_path=cpio,
                 machine=machine)
        assert ok(r), explain(r)
        assert_clean(disk)
    packed = debugfs_cat(disk, "/out.tar.gz")
    (tmp_path / "out.tar.gz").write_bytes(packed)
    (tmp_path / "back").mkdir()
    subprocess.run(["tar", "-xzf", str(tmp_path / "out.tar.gz"), "-C",
                    str(tmp_path / "back")], check=True, timeout=60)
    assert _tree_listing(tmp_path / "back" / "tree") == _tree_listing(src)


@pytest.fixture(scope="module")
def sqlite_root(tmp_path_factory):
    """sqlite3 and its libraries (Debian's) plus the load script, as a
    directory tree for an initrd."""
    script = ["create table t(id integer primary key, name text, n int);"]
    per = ROWS // TRANSACTIONS
    for k in range(TRANSACTIONS):
        script.append(
            "begin; with recursive c(x) as (select 1 union all select x+1 "
            f"from c where x < {per}) insert into t(name, n) select "
            f"'row ' || (x + {k * per}), x + {k * per} from c; commit;")
    return debian_archive(tmp_path_factory, "sqlite-ext2", SQLITE_PACKAGES,
                          {"/etc/load.sql": "\n".join(script).encode(),
                           "/data/.keep": b""})


@pytest.mark.parametrize("machine", DATA_MACHINES)
def test_sqlite3_database_on_ext2_survives_reboot(kernel, sqlite_root,
                                                   tmp_path, machine):
    """Debian's sqlite3 creates a database on an ext2 data disk and inserts
    10,000 rows in transactions; a second boot reads them back; e2fsck -fn
    is clean after each."""
    (tmp_path / "empty").mkdir()
    disk = whole_disk(tmp_path / "data.img", tmp_path / "empty")
    env = "--env=HOME=/tmp --mount=vda:/data"
    r = boot(kernel, f'{env} /usr/bin/sqlite3 /data/t.db ".read /etc/load.sql"',
             [disk], initrd_path=sqlite_root, memory="256M", machine=machine)
    assert ok(r), explain(r)
    assert_clean(disk)
    r = boot(kernel, f'{env} /usr/bin/sqlite3 /data/t.db '
                     '"select count(*), sum(n), max(name) from t;"',
             [disk], initrd_path=sqlite_root, memory="256M", machine=machine)
    assert ok(r), explain(r)
    assert f"{ROWS}|{ROWS * (ROWS + 1) // 2}|row 9999" in r.output, explain(r)
    assert_clean(disk)


def _boot_until_acks(argv, acks, timeout):
    """Starts QEMU and kills it (SIGKILL, no shutdown) once the console has
    shown `acks` acknowledgements; returns the highest one seen."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    seen, buf = -1, b""
    deadline = time.monotonic() + timeout
    try:
        while seen < acks - 1 and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            whole = buf.decode("ascii", "replace").split("\n")[:-1]
            for line in whole:      # the last piece may be half a line
                if line.strip().startswith("ack "):
                    seen = max(seen, int(line.split()[1]))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    return seen, buf.decode("utf-8", "replace")


@pytest.mark.parametrize("machine", DATA_MACHINES)
def test_power_cut_keeps_every_fsynced_record(kernel, programs, tmp_path,
                                              machine):
    """QEMU is killed in the middle of a stream of fsync'd appends; e2fsck
    -fy repairs the disk; the next boot finds every acknowledged record."""
    (tmp_path / "empty").mkdir()
    disk = whole_disk(tmp_path / "data.img", tmp_path / "empty")
    cpio = _data_initrd(tmp_path, programs, {})
    extra, device = TRANSPORTS[machine]
    b = qemu.Boot(machine=machine, kernel=kernel, initrd=cpio,
                  append=f"--mount=vda:/data /bin/appender append /data/log "
                         f"{APPEND_TOTAL}",
                  memory="256M", accel=ACCEL,
                  extra=extra + drive_args([disk], device))
    acked, console = _boot_until_acks(qemu.command(b), ACKS_BEFORE_CUT,
                                      CUT_TIMEOUT)
    assert acked >= ACKS_BEFORE_CUT - 1, console
    fix = e2fsck(disk, repair=True)
    assert fix.returncode in (0, 1), f"{fix.stdout}{fix.stderr}"
    assert_clean(disk)
    r = boot(kernel, "--mount=vda:/data /bin/appender check /data/log",
             [disk], initrd_path=cpio, machine=machine)
    assert ok(r), explain(r)
    assert "bad " not in r.output, explain(r)
    have = int(r.output.split("records ")[1].split()[0])
    assert have >= acked + 1, explain(r)
    assert_clean(disk)


LEAVE_PAGES = 3                     # apps/tests/filemap.c's --leave file


def _leave_contents():
    """What filemap --leave writes through its mapping."""
    return b"".join(b"mapped line %06d %-44s\n" % (i, b"")
                    for i in range(LEAVE_PAGES * 4096 // 64))


@pytest.fixture(scope="module")
def filemap_initrd(tmp_path_factory):
    """An initrd with apps/tests/filemap.c and an empty /data."""
    d = tmp_path_factory.mktemp("filemap")
    prog = initrd.compile_c(os.path.join(initrd.APPS_TESTS, "filemap.c"),
                            str(d / "filemap"))
    return _data_initrd(d, {"filemap": prog}, {})


def test_shared_mapping_written_back_to_ext2(kernel, filemap_initrd,
                                             tmp_path):
    """filemap's cases run on an ext2 data disk (every read and write going
    through the page cache), then a file is written only through a
    MAP_SHARED mapping and msynced; after power-off the host reads it with
    debugfs, finds the mtime a case set after writing, and e2fsck -fn finds
    the disk clean."""
    (tmp_path / "empty").mkdir()
    disk = whole_disk(tmp_path / "data.img", tmp_path / "empty")
    r = boot(kernel, "--mount=vda:/data /bin/filemap /data --leave "
             "/data/mapped.txt", [disk], initrd_path=filemap_initrd)
    assert ok(r), explain(r)
    assert "not ok" not in r.output, explain(r)
    assert "ok 16 leave_file_written_through_mapping" in r.output, explain(r)
    assert debugfs_cat(disk, "/mapped.txt") == _leave_contents()
    # Written back after futimens, the file keeps the time set.
    st = subprocess.run(["debugfs", "-R", "stat /filemap.mt", str(disk)],
                        capture_output=True, text=True, timeout=60,
                        check=True).stdout
    assert "mtime: 0x3b9aca00" in st, st
    assert_clean(disk)


def test_msync_is_durable_before_a_power_cut(kernel, filemap_initrd,
                                             tmp_path):
    """msync(MS_SYNC) alone makes the mapped writes durable: QEMU is killed
    (no unmount) once it returned, and the disk, repaired by e2fsck -fy if
    need be, holds the data."""
    (tmp_path / "empty").mkdir()
    disk = whole_disk(tmp_path / "data.img", tmp_path / "empty")
    extra, device = TRANSPORTS["microvm"]
    b = qemu.Boot(machine="microvm", kernel=kernel, initrd=filemap_initrd,
                  append="--mount=vda:/data /bin/filemap /tmp --leave "
                         "/data/mapped.txt --hold",
                  memory="256M", accel=ACCEL,
                  extra=extra + drive_args([disk], device))
    _, console = _boot_until_line(qemu.command(b), "# 0 failed", CUT_TIMEOUT)
    assert "# 0 failed" in console, console
    fix = e2fsck(disk, repair=True)
    assert fix.returncode in (0, 1), f"{fix.stdout}{fix.stderr}"
    assert_clean(disk)
    assert debugfs_cat(disk, "/mapped.txt") == _leave_contents()


def _boot_until_line(argv, marker, timeout):
    """Starts QEMU and kills it (SIGKILL) once the console shows `marker`;
    returns whether it did and the console."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while marker.encode() not in buf and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
            elif proc.poll() is not None:
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    return marker.encode() in buf, buf.decode("utf-8", "replace")


BIG_MB, BIG_MEMORY = 96, "64M"


def test_file_larger_than_memory_goes_through_the_cache(kernel, programs,
                                                        tmp_path):
    """busybox dd writes a file half again as large as the VM's memory onto
    an ext2 disk, and md5sum reads it back: the page cache writes dirty
    pages back past its limit and gives clean ones up under pressure
    instead of running out of memory. The host finds the same bytes."""
    (tmp_path / "empty").mkdir()
    disk = whole_disk(tmp_path / "data.img", tmp_path / "empty",
                      mb=BIG_MB + 32)
    cpio = _data_initrd(tmp_path, programs, {})
    r = boot(kernel, f"--mount=vda:/data /bin/busybox dd if=/dev/zero "
             f"of=/data/big bs=65536 count={BIG_MB * 16} iflag=fullblock",
             [disk],
             initrd_path=cpio, memory=BIG_MEMORY, timeout=300)
    assert ok(r), explain(r)
    r = boot(kernel, "--mount=vda:/data /bin/busybox md5sum /data/big",
             [disk], initrd_path=cpio, memory=BIG_MEMORY, timeout=300)
    assert ok(r), explain(r)
    zeros = hashlib.md5(bytes(BIG_MB << 20)).hexdigest()
    assert f"{zeros}  /data/big" in r.output, explain(r)
    assert_clean(disk)


def test_full_disk_is_enospc_from_write(kernel, programs, tmp_path):
    """Writes are cached, yet filling a small ext2 disk makes write()
    itself fail with ENOSPC (near full, writes go through at once); the
    file keeps what dd was told was written, and e2fsck -fn is clean."""
    (tmp_path / "empty").mkdir()
    disk = whole_disk(tmp_path / "small.img", tmp_path / "empty", mb=4)
    cpio = _data_initrd(tmp_path, programs, {})
    r = boot(kernel, "--mount=vda:/data /bin/busybox dd if=/dev/zero "
             "of=/data/fill bs=4096 count=4096 iflag=fullblock", [disk],
             initrd_path=cpio)
    assert "No space left on device" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status != 0, explain(r)
    written = int(r.output.split("+0 records out")[0].split()[-1])
    assert 0 < written < 1024, explain(r)
    assert len(debugfs_cat(disk, "/fill")) == written * 4096
    assert_clean(disk)
