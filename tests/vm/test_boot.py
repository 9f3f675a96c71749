"""Keel boots on every path and machine, reports its boot time, and powers
off with status 0 when there is no program to run."""

import re

import pytest

from conftest import BOOTED, PANIC, explain
from imgbuild import qemu

MACHINES = ["microvm", "pc", "q35"]
PHASE_TIME = re.compile(r"\d+(\.\d+)?\s*(us|ms|ns)\b")


@pytest.mark.parametrize("machine", MACHINES)
def test_pvh_boot_exits_zero(boot, machine):
    r = boot("", machine=machine)
    assert BOOTED.search(r.output), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


@pytest.mark.parametrize("machine", MACHINES)
def test_acpi_poweroff_without_debug_exit(boot, machine):
    """Without isa-debug-exit Keel powers off through ACPI S5: QEMU exits
    by itself with 0 (a triple fault would also exit 0 under -no-reboot,
    hence the check for a clean boot and no panic)."""
    r = boot("", machine=machine, debug_exit=False)
    assert r.exit.kind == qemu.NO_STATUS and r.returncode == 0, explain(r)
    assert BOOTED.search(r.output), explain(r)
    assert not PANIC.search(r.output), explain(r)


def test_verbose_prints_phase_timings(boot):
    r = boot("--verbose")
    assert r.status == 0, explain(r)
    m = BOOTED.search(r.output)
    assert m, explain(r)
    after = [l for l in r.output[m.end():].splitlines() if l.strip()]
    timed = [l for l in after if PHASE_TIME.search(l)]
    assert timed, "no phase line with a time after the boot line" + \
        explain(r)
