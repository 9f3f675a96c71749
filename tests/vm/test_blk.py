"""virtio-blk end to end (`--test=blk`): a raw disk whose sectors hold a
known pattern, partitioned by sfdisk (MBR or GPT: partition 1 at sectors
2048-4095, partition 2 at 4096-8191), on every transport Keel drives --
virtio-mmio (microvm with acpi=off command-line entries, and with ACPI's
DSDT), modern virtio-pci (pc, q35) and legacy virtio-pci
(disable-modern=on). The guest reads the pattern with many threads and
writes partition 2 inverted; after power-off the host checks the image."""

import shutil
import struct
import subprocess

import pytest

from conftest import ACCEL, explain
from imgbuild import qemu
from test_selftests import check_ktap, ktap_documents

SECTOR = 512
DISK_SECTORS = 16384
P2_START, P2_SECTORS = 4096, 4096
TAG = 0x4b45454c00000000            # kernel/drivers/blk_ktest.c
BLK_TIMEOUT = 180
LAYOUT = "start=2048, size=2048\nstart=4096, size=4096\n"

MMIO_V2 = ("-global", "virtio-mmio.force-legacy=false")

# name: (machine, extra QEMU options, device, device options, label).
# microvm's virtio-mmio is legacy (version 1) unless told otherwise.
TRANSPORTS = {
    "microvm-cmdline": ("microvm", ("-machine", "acpi=off"),
                        "virtio-blk-device", "", "dos"),
    "microvm-acpi": ("microvm", (), "virtio-blk-device", "", "gpt"),
    "microvm-mmio-v2": ("microvm", ("-machine", "acpi=off") + MMIO_V2,
                        "virtio-blk-device", "", "gpt"),
    "pc-modern": ("pc", (), "virtio-blk-pci", "", "dos"),
    "q35-modern": ("q35", (), "virtio-blk-pci", "", "gpt"),
    "q35-behind-bridge": ("q35", ("-device", "pci-bridge,id=br1,chassis_nr=1"),
                          "virtio-blk-pci", ",bus=br1,addr=3", "dos"),
    "pc-legacy": ("pc", (), "virtio-blk-pci", ",disable-modern=on", "dos"),
    # Direct descriptor chains, interrupts without EVENT_IDX, and a ring
    # so small that concurrent callers wait for room.
    "pc-modern-direct": ("pc", (), "virtio-blk-pci",
                         ",indirect_desc=off,event_idx=off", "gpt"),
    "microvm-small-ring": ("microvm", (), "virtio-blk-device",
                           ",indirect_desc=off,queue-size=16", "dos"),
    "pc-legacy-small-ring": ("pc", (), "virtio-blk-pci",
                             ",disable-modern=on,indirect_desc=off,"
                             "queue-size=16", "gpt"),
}


def sector_words(lba):
    return [TAG | lba << 8 | i for i in range(SECTOR // 8)]


def make_disk(path, label):
    """The pattern in every sector, then an sfdisk table over it."""
    if shutil.which("sfdisk") is None:
        pytest.fail("sfdisk is missing (Debian package fdisk)",
                    pytrace=False)
    with open(path, "wb") as f:
        for lba in range(DISK_SECTORS):
            f.write(struct.pack("<64Q", *sector_words(lba)))
    subprocess.run(["sfdisk", "-q", str(path)], check=True, timeout=30,
                   input=f"label: {label}\n{LAYOUT}", text=True)


def boot_blk(kernel, disk, machine, extra, device, dev_opts, readonly=False,
             append="--test=blk", more_disks=()):
    """Boots with `disk` as the first virtio-blk device (written through,
    so the host sees what the guest wrote): QEMU options `extra`, the
    disk, then the options of `more_disks`."""
    drive = f"file={disk},format=raw,if=none,id=d0"
    if readonly:
        drive += ",readonly=on"
    args = tuple(extra) + ("-drive", drive, "-device",
                           f"{device},drive=d0{dev_opts}") + tuple(more_disks)
    b = qemu.Boot(machine=machine, kernel=kernel, append=append,
                  accel=ACCEL, extra=args)
    return qemu.run(b, BLK_TIMEOUT)


def assert_ktap_passed(r):
    docs = ktap_documents(r.output)
    assert docs, "no `KTAP version 1` line" + explain(r)
    problems = [p for d in docs for p in check_ktap(d)]
    assert not problems, "; ".join(problems) + explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


def partition2_inverted(disk):
    with open(disk, "rb") as f:
        f.seek(P2_START * SECTOR)
        data = f.read(P2_SECTORS * SECTOR)
    mask = (1 << 64) - 1
    for s in range(P2_SECTORS):
        words = struct.unpack_from("<64Q", data, s * SECTOR)
        want = [~w & mask for w in sector_words(P2_START + s)]
        if list(words) != want:
            return f"sector {P2_START + s} differs"
    return None


@pytest.mark.parametrize("name", sorted(TRANSPORTS))
def test_blk_reads_writes_and_partitions(kernel, tmp_path, name):
    machine, extra, device, dopts, label = TRANSPORTS[name]
    disk = tmp_path / "disk.img"
    make_disk(disk, label)
    r = boot_blk(kernel, disk, machine, extra, device, dopts)
    assert_ktap_passed(r)
    assert "keel: vda1: sectors 2048-4095" in r.output, explain(r)
    assert "keel: vda2: sectors 4096-8191" in r.output, explain(r)
    assert "# blk: wrote partition 2" in r.output, explain(r)
    problem = partition2_inverted(disk)
    assert problem is None, problem + explain(r)


@pytest.mark.parametrize("machine", ["microvm", "q35"])
def test_blk_read_only_disk_refuses_writes(kernel, tmp_path, machine):
    disk = tmp_path / "disk.img"
    make_disk(disk, "dos")
    before = disk.read_bytes()
    device = "virtio-blk-device" if machine == "microvm" else "virtio-blk-pci"
    r = boot_blk(kernel, disk, machine, (), device, "", readonly=True)
    assert_ktap_passed(r)
    assert "read-only" in r.output, explain(r)
    assert "# blk: vda is read-only" in r.output, explain(r)
    assert disk.read_bytes() == before


def test_blk_corrupt_gpt_is_reported_not_fatal(kernel, tmp_path):
    disk = tmp_path / "disk.img"
    make_disk(disk, "gpt")
    with open(disk, "r+b") as f:     # flip a byte of the primary header
        f.seek(SECTOR + 40)
        b = f.read(1)
        f.seek(SECTOR + 40)
        f.write(bytes([b[0] ^ 0xff]))
    r = boot_blk(kernel, disk, "microvm", (), "virtio-blk-device", "",
                 append="")
    assert "keel: vda: partition table ignored: GPT header CRC mismatch" \
        in r.output, explain(r)
    assert "vda1" not in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


@pytest.mark.parametrize("machine", ["microvm", "q35"])
def test_blk_disks_named_in_discovery_order(kernel, tmp_path, machine):
    """Two disks become vda and vdb in the order QEMU was given them; on
    q35 a third without MSI-X (vectors=0) is reported and skipped."""
    device = "virtio-blk-device" if machine == "microvm" else "virtio-blk-pci"
    a, b, c = (tmp_path / f"{n}.img" for n in "abc")
    make_disk(a, "dos")
    make_disk(b, "gpt")
    make_disk(c, "dos")
    extra = ("-drive", f"file={b},format=raw,if=none,id=d1,snapshot=on",
             "-device", f"{device},drive=d1")
    if machine == "q35":
        extra += ("-drive", f"file={c},format=raw,if=none,id=d2,"
                  "snapshot=on", "-device", f"{device},drive=d2,vectors=0")
    r = boot_blk(kernel, a, machine, (), device, "", append="",
                 more_disks=extra)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)
    for name in ("vda1", "vda2", "vdb1", "vdb2"):
        assert f"keel: {name}: " in r.output, explain(r)
    assert r.output.index("keel: vda:") < r.output.index("keel: vdb:")
    if machine == "q35":
        assert "no usable interrupt" in r.output, explain(r)
        assert "keel: vdc:" not in r.output, explain(r)
