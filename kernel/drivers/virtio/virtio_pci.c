/* The virtio-pci transport for 1.x devices: the common, notify and
 * device-configuration structures that vendor capabilities locate in
 * memory BARs (spec 4.1.4), MSI-X interrupts. Also the discovery of every
 * virtio PCI function, handing legacy-only ones to virtio_pci_legacy.c. */
#include <keel/arch.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/irq.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "../pci_reg.h"
#include "virtio_pci.h"
#include "virtio_pci_reg.h"
#include "virtio_reg.h"

#define VIRTIO_RESET_POLLS	1000000	/* bound on waiting for status 0 */

static struct virtio_pci *
to_vp(struct virtio_dev *vdev)
{
	return vdev->transport;
}

static void
vpci_reset(struct virtio_dev *vdev)
{
	volatile struct virtio_pci_common_cfg *c = to_vp(vdev)->common;

	c->device_status = 0;
	for (int i = 0; i < VIRTIO_RESET_POLLS && c->device_status; i++)
		arch_cpu_relax();
}

static uint8_t
vpci_get_status(struct virtio_dev *vdev)
{
	return to_vp(vdev)->common->device_status;
}

static void
vpci_set_status(struct virtio_dev *vdev, uint8_t status)
{
	to_vp(vdev)->common->device_status = status;
}

static uint64_t
vpci_get_features(struct virtio_dev *vdev)
{
	volatile struct virtio_pci_common_cfg *c = to_vp(vdev)->common;
	uint64_t f;

	c->device_feature_select = 0;
	f = c->device_feature;
	c->device_feature_select = 1;
	return f | (uint64_t)c->device_feature << 32;
}

static void
vpci_set_features(struct virtio_dev *vdev, uint64_t features)
{
	volatile struct virtio_pci_common_cfg *c = to_vp(vdev)->common;

	c->driver_feature_select = 0;
	c->driver_feature = (uint32_t)features;
	c->driver_feature_select = 1;
	c->driver_feature = (uint32_t)(features >> 32);
}

static void
vpci_read_config(struct virtio_dev *vdev, unsigned off, void *buf,
		 unsigned len)
{
	volatile uint8_t *cfg = to_vp(vdev)->device_cfg;

	for (unsigned i = 0; i < len; i++)
		((uint8_t *)buf)[i] = cfg[off + i];
}

static uint16_t
vpci_queue_max(struct virtio_dev *vdev, unsigned index)
{
	volatile struct virtio_pci_common_cfg *c = to_vp(vdev)->common;

	if (index >= c->num_queues)
		return 0;
	c->queue_select = index;
	return c->queue_size;
}

static void
vpci_write64(volatile uint64_t *reg, uint64_t v)
{
	volatile uint32_t *half = (volatile uint32_t *)reg;

	half[0] = (uint32_t)v;
	half[1] = (uint32_t)(v >> 32);
}

static int
vpci_queue_activate(struct virtio_dev *vdev, struct virtq *vq)
{
	struct virtio_pci *vp = to_vp(vdev);
	volatile struct virtio_pci_common_cfg *c = vp->common;

	c->queue_select = vq->index;
	c->queue_size = vq->size;
	c->queue_msix_vector = VIRTIO_PCI_MSIX_ENTRY;
	if (c->queue_msix_vector != VIRTIO_PCI_MSIX_ENTRY)
		return -EIO;	/* the device could not take the vector */
	vpci_write64(&c->queue_desc, vq->desc_phys);
	vpci_write64(&c->queue_driver, vq->avail_phys);
	vpci_write64(&c->queue_device, vq->used_phys);
	vq->notify = (uintptr_t)(vp->notify_base +
				 (uint32_t)c->queue_notify_off * vp->notify_mult);
	c->queue_enable = 1;
	return 0;
}

static void
vpci_notify(struct virtq *vq)
{
	*(volatile uint16_t *)vq->notify = vq->index;
}

static void
virtio_pci_irq(unsigned vector, void *arg)
{
	(void)vector;
	virtio_dev_interrupt(arg);
}

int
virtio_pci_setup_msix(struct virtio_dev *vdev)
{
	struct virtio_pci *vp = to_vp(vdev);
	int vector, err = pci_msix_enable(vp->pdev);

	if (err < 0)
		return err;
	vector = irq_alloc_vector(virtio_pci_irq, vdev);
	if (vector < 0)
		return vector;
	return pci_msix_set_vector(vp->pdev, VIRTIO_PCI_MSIX_ENTRY, vector);
}

static int
vpci_setup_irq(struct virtio_dev *vdev)
{
	int err = virtio_pci_setup_msix(vdev);

	if (!err)	/* configuration changes are not watched */
		to_vp(vdev)->common->config_msix_vector = VIRTIO_MSI_NO_VECTOR;
	return err;
}

static const struct virtio_transport_ops virtio_pci_modern_ops = {
	.reset = vpci_reset,
	.get_status = vpci_get_status,
	.set_status = vpci_set_status,
	.get_features = vpci_get_features,
	.set_features = vpci_set_features,
	.read_config = vpci_read_config,
	.queue_max = vpci_queue_max,
	.queue_activate = vpci_queue_activate,
	.notify = vpci_notify,
	.setup_irq = vpci_setup_irq,
};

/* Where capability @cap points, or NULL if its BAR is unusable. */
static volatile uint8_t *
vpci_cap_window(struct pci_dev *pdev, int cap)
{
	uint8_t bar = pci_read_config8(pdev, cap + VIRTIO_PCI_CAP_BAR);
	uint32_t off = pci_read_config32(pdev, cap + VIRTIO_PCI_CAP_OFFSET);
	uint32_t len = pci_read_config32(pdev, cap + VIRTIO_PCI_CAP_LENGTH);
	uint8_t *base = pci_map_bar(pdev, bar);

	if (!base || (uint64_t)off + len > pci_get_bar(pdev, bar)->size)
		return NULL;
	return base + off;
}

/* Finds the modern structures; -ENODEV when the device has none (legacy
 * only) or they are unusable. The first capability of each type wins. */
static int
vpci_find_caps(struct virtio_pci *vp)
{
	struct pci_dev *pdev = vp->pdev;

	for (int cap = pci_find_cap(pdev, PCI_CAP_ID_VENDOR, 0); cap;
	     cap = pci_find_cap(pdev, PCI_CAP_ID_VENDOR, cap)) {
		uint8_t type = pci_read_config8(pdev,
						cap + VIRTIO_PCI_CAP_CFG_TYPE);
		volatile uint8_t *w;

		if (type == VIRTIO_PCI_CAP_COMMON_CFG && !vp->common)
			vp->common = (void *)vpci_cap_window(pdev, cap);
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !vp->notify_base) {
			w = vpci_cap_window(pdev, cap);
			vp->notify_base = w;
			vp->notify_mult = pci_read_config32(pdev,
					cap + VIRTIO_PCI_NOTIFY_MULTIPLIER);
		} else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !vp->device_cfg)
			vp->device_cfg = vpci_cap_window(pdev, cap);
	}
	return vp->common && vp->notify_base && vp->device_cfg ? 0 : -ENODEV;
}

/* The virtio device type of a PCI function, or 0 if it is not virtio. */
static uint32_t
vpci_device_type(const struct pci_dev *pdev)
{
	if (pdev->vendor != VIRTIO_PCI_VENDOR)
		return 0;
	if (pdev->device >= VIRTIO_PCI_DEVICE_MODERN_BASE &&
	    pdev->device <= VIRTIO_PCI_DEVICE_MODERN_LAST)
		return pdev->device - VIRTIO_PCI_DEVICE_MODERN_BASE;
	if (pdev->device >= VIRTIO_PCI_DEVICE_LEGACY_FIRST &&
	    pdev->device <= VIRTIO_PCI_DEVICE_LEGACY_LAST)
		return pdev->subsys_id;
	return 0;
}

static void
vpci_probe_one(struct pci_dev *pdev, void *arg)
{
	uint32_t type = vpci_device_type(pdev);
	struct virtio_pci *vp;

	(void)arg;
	if (!type || !virtio_driver_exists(type))
		return;
	vp = kzalloc(sizeof(*vp));
	if (!vp)
		return;
	vp->pdev = pdev;
	vp->vdev.transport = vp;
	vp->vdev.device_id = type;
	pci_enable_device(pdev);
	if (vpci_find_caps(vp) == 0) {
		vp->vdev.ops = &virtio_pci_modern_ops;
		snprintf(vp->vdev.name, sizeof(vp->vdev.name),
			 "virtio-pci %02x:%02x.%u", pdev->bus, pdev->dev, pdev->fn);
	} else if (virtio_pci_legacy_setup(vp) != 0) {
		printk("keel: virtio-pci %02x:%02x.%u: neither 1.x capabilities "
		       "nor a legacy I/O BAR, skipped\n",
		       pdev->bus, pdev->dev, pdev->fn);
		kfree(vp);
		return;
	}
	/* On failure @vp stays allocated: the device may still hold its
	 * queues' addresses. */
	virtio_dev_probe(&vp->vdev);
}

void
virtio_pci_discover(void)
{
	pci_for_each(vpci_probe_one, NULL);
}
