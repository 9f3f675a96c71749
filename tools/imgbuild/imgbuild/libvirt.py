"""libvirt domain XML for a Keel image.

A domain with the image's memory and vCPUs, the disk with its real format
on virtio, a serial console (a pty that `virsh console` reads, optionally
logged to a file), a virtio network interface; boot from the disk (GRUB2
on pc) or directly from the kernel with <kernel> and <cmdline>.

The domain type follows the accelerator: "kvm" on hardware virtualization,
"qemu" (TCG, software emulation) elsewhere. There is no isa-debug-exit
device through libvirt: Keel powers the guest off through ACPI S5 when the
application exits, and on_poweroff=destroy shuts the domain off.
Library code: returns text.
"""

import os
import xml.etree.ElementTree as ET

from . import UserError, qemu

# --accel value -> libvirt domain type.
DOMAIN_TYPES = {"kvm": "kvm", "tcg": "qemu"}
# --network values that are not a libvirt network name.
NET_USER = "user"
NET_NONE = "none"


def pick_accel(forced=None, env=None, sysfs="/sys/module"):
    """(accel, notice): kvm on hardware virtualization (kvm_intel/kvm_amd
    loaded), else tcg. forced (--accel) wins, then $KEEL_ACCEL. notice is a
    line to print when the choice was not explicit and fell to TCG.

    Unlike `imgbuild run`, /dev/kvm access by the caller is not checked:
    libvirt runs QEMU, often as another user."""
    if forced:
        if forced not in DOMAIN_TYPES:
            raise UserError(f"--accel {forced}: expected one of "
                            f"{', '.join(DOMAIN_TYPES)}")
        return forced, None
    env = os.environ if env is None else env
    from_env = env.get(qemu.ACCEL_ENV, "").strip()
    if from_env:
        if from_env not in DOMAIN_TYPES:
            raise UserError(f"{qemu.ACCEL_ENV}={from_env}: expected one of "
                            f"{', '.join(DOMAIN_TYPES)}")
        accel, why = from_env, f"forced by {qemu.ACCEL_ENV}"
    elif qemu.hardware_virt(sysfs):
        return "kvm", None
    else:
        accel, why = "tcg", "no kvm_intel/kvm_amd on this host"
    if accel == "kvm":
        return accel, None
    return accel, (f'accelerator: tcg ({why}): domain type "qemu", software '
                   f"emulation; --accel=kvm for a KVM domain")


def domain_xml(name, image, fmt, memory, cpus, boot="disk", kernel=None,
               cmdline="", initrd=None, volumes=(), accel="kvm",
               network="default", console_log=None):
    if accel not in DOMAIN_TYPES:
        raise UserError(f"accelerator {accel!r}: expected one of "
                        f"{', '.join(DOMAIN_TYPES)}")
    dom = ET.Element("domain", type=DOMAIN_TYPES[accel])
    ET.SubElement(dom, "name").text = name
    ET.SubElement(dom, "memory", unit="KiB").text = str(memory >> 10)
    ET.SubElement(dom, "vcpu").text = str(cpus)
    os_el = ET.SubElement(dom, "os")
    ET.SubElement(os_el, "type", arch="x86_64", machine="pc").text = "hvm"
    if boot == "kernel":
        ET.SubElement(os_el, "kernel").text = kernel
        if initrd:
            ET.SubElement(os_el, "initrd").text = initrd
        ET.SubElement(os_el, "cmdline").text = cmdline
    else:
        ET.SubElement(os_el, "boot", dev="hd")
    feats = ET.SubElement(dom, "features")
    ET.SubElement(feats, "acpi")
    ET.SubElement(dom, "on_poweroff").text = "destroy"
    ET.SubElement(dom, "on_reboot").text = "destroy"
    ET.SubElement(dom, "on_crash").text = "destroy"
    devs = ET.SubElement(dom, "devices")
    disks = [(image, fmt)] + list(volumes)
    for i, (path, dfmt) in enumerate(disks):
        d = ET.SubElement(devs, "disk", type="file", device="disk")
        ET.SubElement(d, "driver", name="qemu", type=dfmt)
        ET.SubElement(d, "source", file=path)
        ET.SubElement(d, "target", dev=f"vd{chr(ord('a') + i)}", bus="virtio")
    if network == NET_USER:
        iface = ET.SubElement(devs, "interface", type="user")
        ET.SubElement(iface, "model", type="virtio")
    elif network != NET_NONE:
        iface = ET.SubElement(devs, "interface", type="network")
        ET.SubElement(iface, "source", network=network)
        ET.SubElement(iface, "model", type="virtio")
    serial = ET.SubElement(devs, "serial", type="pty")
    ET.SubElement(serial, "target", port="0")
    if console_log:
        ET.SubElement(serial, "log", file=console_log, append="off")
    con = ET.SubElement(devs, "console", type="pty")
    ET.SubElement(con, "target", type="serial", port="0")
    ET.SubElement(devs, "memballoon", model="none")
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode") + "\n"
