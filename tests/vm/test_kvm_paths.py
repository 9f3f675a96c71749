"""The paths only KVM exercises: kvmclock for time and wall clock, x2APIC,
the TSC-deadline timer. TCG (QEMU 7.2) offers none of them, so these run
under whatever KVM the host has -- even a software one such as kvm_pvm,
which is slow for ring-0 code but fine for a self-test boot -- and are
skipped where /dev/kvm cannot be opened."""

import os

import pytest

from conftest import explain, qemu

KVM_TIMEOUT = 180
# qemu64 plus the two features, so the same model works on hardware KVM
# and on hypervisors whose "host" model QEMU cannot set up.
KVM_CPU = "qemu64,+x2apic,+tsc-deadline"
# kvm_pvm advertises XSAVE whatever the model says but cannot emulate it in
# ring 0 ("KVM internal error ... emulation failure"); FXSAVE it can. Nor
# can it emulate the x87 instructions the fpu suite itself uses, so the
# suites run here are the ones that exercise the KVM-only paths (the
# others are slow under an emulating hypervisor and run on TCG anyway).
KVM_FPU = "--fpu=fxsave"
KVM_SUITES = "clock,timer"


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


@pytest.mark.skipif(not kvm_usable(), reason="/dev/kvm cannot be opened")
def test_selftests_pass_on_kvm_with_kvmclock_x2apic_tsc_deadline(kernel):
    b = qemu.Boot(machine="microvm", kernel=kernel, accel="kvm", cpu=KVM_CPU,
                  append=f"{KVM_FPU} --verbose --test={KVM_SUITES}")
    r = qemu.run(b, KVM_TIMEOUT)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)
    assert "clock kvmclock" in r.output, explain(r)
    assert "wall clock kvmclock" in r.output, explain(r)
    assert "x2APIC, TSC-deadline timer" in r.output, explain(r)
