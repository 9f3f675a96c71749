"""Fixtures for booting Keel in QEMU: the kernel, the accelerator, a boot
function with a hard timeout, and GRUB2 disks built by imgbuild.

Every boot is bounded; a timeout is a failure with the console so far in
the message. The accelerator follows imgbuild.qemu.pick_accel (KVM only
with kvm_intel/kvm_amd, else TCG; KEEL_ACCEL overrides).
"""

import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))

from imgbuild import qemu  # noqa: E402
from imgbuild.image import build_grub_disk  # noqa: E402

KERNEL = os.path.join(os.environ.get("BUILD", os.path.join(ROOT, "build")),
                      "keel.elf")
ACCEL = qemu.pick_accel()
BOOT_TIMEOUT = 30               # seconds per boot, TCG included
# Not anchored at the start of a line: on pc/q35 SeaBIOS leaves its
# "Booting from ROM.." without a newline, so Keel's first line follows it.
BOOTED = re.compile(r"keel: booted in (\d+) us\s*$", re.M)
ERROR = re.compile(r"keel: error: \S.*$", re.M)
PANIC = re.compile(r"keel: panic:", re.M)


def pytest_report_header(config):
    return f"keel: {qemu.describe_accel(ACCEL)}; kernel {KERNEL}"


@pytest.fixture(scope="session")
def kernel():
    if not os.path.isfile(KERNEL):
        pytest.fail(f"{KERNEL} does not exist: run `make kernel` first",
                    pytrace=False)
    return KERNEL


def explain(result):
    """Text for an assertion message: how the run ended and its console."""
    return (f"\n$ {' '.join(result.argv)}\nended: {result.exit} "
            f"(QEMU rc {result.returncode}, {result.seconds:.2f}s)\n"
            f"--- console ---\n{result.output}\n--- stderr ---\n"
            f"{result.stderr}")


@pytest.fixture
def boot(kernel):
    """boot(args, machine=..., memory=..., debug_exit=..., timeout=...)
    boots the kernel by PVH and returns an imgbuild.qemu.Result."""
    def _boot(args="", machine="microvm", memory="128M", debug_exit=True,
              timeout=BOOT_TIMEOUT):
        b = qemu.Boot(machine=machine, kernel=kernel, append=args,
                      memory=memory, accel=ACCEL, debug_exit=debug_exit)
        return qemu.run(b, timeout)
    return _boot


@pytest.fixture(scope="session")
def grub_disk(kernel, tmp_path_factory):
    """grub_disk(cmdline) -> path of a GRUB2 raw disk booting the kernel."""
    made = {}

    def _disk(cmdline=""):
        if cmdline not in made:
            out = tmp_path_factory.mktemp("grub") / "disk.img"
            build_grub_disk(str(out), {"/boot/keel.elf": kernel}, cmdline,
                            16 << 20)
            made[cmdline] = str(out)
        return made[cmdline]
    return _disk


@pytest.fixture
def boot_disk():
    """boot_disk(path, machine=...) boots a raw disk through the BIOS."""
    def _boot(disk, machine="pc", timeout=BOOT_TIMEOUT, debug_exit=True):
        b = qemu.Boot(machine=machine, disk=disk, accel=ACCEL,
                      debug_exit=debug_exit)
        return qemu.run(b, timeout)
    return _boot
