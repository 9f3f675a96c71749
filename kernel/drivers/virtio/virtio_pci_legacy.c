/* The legacy (virtio 0.9.5) PCI transport: one register file in I/O BAR
 * 0, 32 feature bits, queues of a size the device fixes, given to it as
 * one page frame number in the legacy ring layout. QEMU offers it with
 * disable-modern=on. Interrupts are MSI-X, as for modern devices. */
#include <keel/arch.h>
#include <keel/errno.h>
#include <keel/printk.h>
#include "virtio_pci.h"
#include "virtio_pci_reg.h"
#include "virtio_reg.h"

static struct virtio_pci *
to_vp(struct virtio_dev *vdev)
{
	return vdev->transport;
}

static uint16_t
vleg_port(struct virtio_dev *vdev, unsigned reg)
{
	return (uint16_t)(to_vp(vdev)->io_base + reg);
}

static void
vleg_reset(struct virtio_dev *vdev)
{
	/* Writing 0 resets; the register reads 0 once done (at once on
	 * QEMU). */
	outb(vleg_port(vdev, VIRTIO_LEGACY_STATUS), 0);
}

static uint8_t
vleg_get_status(struct virtio_dev *vdev)
{
	return inb(vleg_port(vdev, VIRTIO_LEGACY_STATUS));
}

static void
vleg_set_status(struct virtio_dev *vdev, uint8_t status)
{
	outb(vleg_port(vdev, VIRTIO_LEGACY_STATUS), status);
}

static uint64_t
vleg_get_features(struct virtio_dev *vdev)
{
	return inl(vleg_port(vdev, VIRTIO_LEGACY_HOST_FEATURES));
}

static void
vleg_set_features(struct virtio_dev *vdev, uint64_t features)
{
	outl(vleg_port(vdev, VIRTIO_LEGACY_GUEST_FEATURES), (uint32_t)features);
}

/* With MSI-X on (always, for Keel) the configuration sits 4 bytes
 * further. */
static void
vleg_read_config(struct virtio_dev *vdev, unsigned off, void *buf,
		 unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)buf)[i] = inb(vleg_port(vdev,
				VIRTIO_LEGACY_CONFIG_MSIX + off + i));
}

static uint16_t
vleg_queue_max(struct virtio_dev *vdev, unsigned index)
{
	outw(vleg_port(vdev, VIRTIO_LEGACY_QUEUE_SEL), (uint16_t)index);
	return inw(vleg_port(vdev, VIRTIO_LEGACY_QUEUE_NUM));
}

static int
vleg_queue_activate(struct virtio_dev *vdev, struct virtq *vq)
{
	outw(vleg_port(vdev, VIRTIO_LEGACY_QUEUE_SEL), (uint16_t)vq->index);
	if (inw(vleg_port(vdev, VIRTIO_LEGACY_QUEUE_NUM)) != vq->size)
		return -EINVAL;
	outw(vleg_port(vdev, VIRTIO_LEGACY_QUEUE_VECTOR), VIRTIO_PCI_MSIX_ENTRY);
	if (inw(vleg_port(vdev, VIRTIO_LEGACY_QUEUE_VECTOR)) !=
	    VIRTIO_PCI_MSIX_ENTRY)
		return -EIO;
	vq->notify = vleg_port(vdev, VIRTIO_LEGACY_QUEUE_NOTIFY);
	outl(vleg_port(vdev, VIRTIO_LEGACY_QUEUE_PFN),
	     (uint32_t)(vq->ring_phys >> VIRTIO_LEGACY_PFN_SHIFT));
	return 0;
}

static void
vleg_notify(struct virtq *vq)
{
	outw((uint16_t)vq->notify, (uint16_t)vq->index);
}

static int
vleg_setup_irq(struct virtio_dev *vdev)
{
	int err = virtio_pci_setup_msix(vdev);

	if (!err)
		outw(vleg_port(vdev, VIRTIO_LEGACY_CONFIG_VECTOR),
		     VIRTIO_MSI_NO_VECTOR);
	return err;
}

static const struct virtio_transport_ops virtio_pci_legacy_ops = {
	.reset = vleg_reset,
	.get_status = vleg_get_status,
	.set_status = vleg_set_status,
	.get_features = vleg_get_features,
	.set_features = vleg_set_features,
	.read_config = vleg_read_config,
	.queue_max = vleg_queue_max,
	.queue_activate = vleg_queue_activate,
	.notify = vleg_notify,
	.setup_irq = vleg_setup_irq,
};

int
virtio_pci_legacy_setup(struct virtio_pci *vp)
{
	const struct pci_bar *bar = pci_get_bar(vp->pdev, 0);

	if (!bar->is_io || !bar->base)
		return -ENODEV;
	vp->io_base = (uint16_t)bar->base;
	vp->vdev.legacy = true;
	vp->vdev.fixed_queue_size = true;
	vp->vdev.ops = &virtio_pci_legacy_ops;
	snprintf(vp->vdev.name, sizeof(vp->vdev.name),
		 "virtio-pci-legacy %02x:%02x.%u",
		 vp->pdev->bus, vp->pdev->dev, vp->pdev->fn);
	return 0;
}
