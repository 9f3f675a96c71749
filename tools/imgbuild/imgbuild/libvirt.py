"""libvirt domain XML for a Keel image.

A KVM domain with the image's memory and vCPUs, the disk with its real
format on virtio, a serial console, a virtio network interface on the
default network; boot from the disk (GRUB2 on pc) or directly from the
kernel with <kernel> and <cmdline>. Library code: returns text.
"""

import xml.etree.ElementTree as ET


def domain_xml(name, image, fmt, memory, cpus, boot="disk", kernel=None,
               cmdline="", initrd=None, volumes=()):
    dom = ET.Element("domain", type="kvm")
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
    iface = ET.SubElement(devs, "interface", type="network")
    ET.SubElement(iface, "source", network="default")
    ET.SubElement(iface, "model", type="virtio")
    serial = ET.SubElement(devs, "serial", type="pty")
    ET.SubElement(serial, "target", port="0")
    con = ET.SubElement(devs, "console", type="pty")
    ET.SubElement(con, "target", type="serial", port="0")
    ET.SubElement(devs, "memballoon", model="none")
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode") + "\n"
