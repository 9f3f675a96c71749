"""virtio-rng: found on each transport and read at boot (its bytes seed
the entropy pool); the boot goes on normally."""

import pytest

from conftest import ACCEL, explain
from imgbuild import qemu

RNG = {
    "microvm": ("virtio-rng-device", ()),
    "microvm-cmdline": ("virtio-rng-device", ("-machine", "acpi=off")),
    "q35": ("virtio-rng-pci", ()),
    "pc-legacy": ("virtio-rng-pci,disable-modern=on", ()),
}


@pytest.mark.parametrize("name", sorted(RNG))
def test_virtio_rng_is_an_entropy_source(kernel, name):
    device, extra = RNG[name]
    machine = name.split("-")[0]
    b = qemu.Boot(machine=machine, kernel=kernel, append="", accel=ACCEL,
                  extra=extra + ("-device", device))
    r = qemu.run(b, 30)
    assert ": entropy source" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)
