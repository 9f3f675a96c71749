/* The virtio core: binds a device a transport found to its driver by
 * device type, following the initialization sequence of spec 3.1 (reset,
 * ACKNOWLEDGE, DRIVER, feature negotiation, FEATURES_OK, queues,
 * DRIVER_OK). A device that fails is reported and marked FAILED. */
#include <keel/cmdline.h>
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/virtio.h>
#include "virtio_reg.h"

extern const struct virtio_driver virtio_blk_driver;
extern const struct virtio_driver virtio_rng_driver;

static const struct virtio_driver *const virtio_drivers[] = {
	&virtio_blk_driver,
	&virtio_rng_driver,
};

/* Features the core and the shared virtqueue handle for every driver. */
#define VIRTIO_CORE_FEATURES	((1ULL << VIRTIO_F_INDIRECT_DESC) | \
				 (1ULL << VIRTIO_F_EVENT_IDX) | \
				 (1ULL << VIRTIO_F_VERSION_1))

static const struct virtio_driver *
virtio_find_driver(uint32_t device_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(virtio_drivers); i++) {
		if (virtio_drivers[i]->device_id == device_id)
			return virtio_drivers[i];
	}
	return NULL;
}

bool
virtio_driver_exists(uint32_t device_id)
{
	return virtio_find_driver(device_id) != NULL;
}

static void
virtio_add_status(struct virtio_dev *vdev, uint8_t bits)
{
	vdev->ops->set_status(vdev, vdev->ops->get_status(vdev) | bits);
}

/* 3.1.1 steps 4-6. A modern device must offer VERSION_1; a legacy one
 * has no FEATURES_OK step. */
static int
virtio_negotiate(struct virtio_dev *vdev, const struct virtio_driver *drv)
{
	uint64_t offered = vdev->ops->get_features(vdev);
	uint64_t wanted = drv->features | VIRTIO_CORE_FEATURES;

	if (vdev->legacy)
		wanted &= ~(1ULL << VIRTIO_F_VERSION_1) & 0xffffffffULL;
	else if (!(offered & (1ULL << VIRTIO_F_VERSION_1)))
		return -ENODEV;
	vdev->features = offered & wanted;
	vdev->ops->set_features(vdev, vdev->features);
	if (vdev->legacy)
		return 0;
	virtio_add_status(vdev, VIRTIO_STATUS_FEATURES_OK);
	if (!(vdev->ops->get_status(vdev) & VIRTIO_STATUS_FEATURES_OK))
		return -ENODEV;
	return 0;
}

int
virtio_dev_probe(struct virtio_dev *vdev)
{
	const struct virtio_driver *drv = virtio_find_driver(vdev->device_id);
	int err;

	if (!drv)
		return -ENODEV;	/* a device type Keel has no driver for */
	vdev->ops->reset(vdev);
	virtio_add_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_STATUS_DRIVER);
	err = virtio_negotiate(vdev, drv);
	if (err) {
		printk("keel: %s: %s: feature negotiation failed (%d), "
		       "skipped\n", vdev->name, drv->name, err);
		goto fail;
	}
	err = vdev->ops->setup_irq(vdev);
	if (err) {
		printk("keel: %s: no usable interrupt (%d), skipped\n",
		       vdev->name, err);
		goto fail;
	}
	err = drv->probe(vdev);
	if (err) {
		printk("keel: %s: %s: setup failed (%d), skipped\n",
		       vdev->name, drv->name, err);
		goto fail;
	}
	return 0;
fail:
	virtio_add_status(vdev, VIRTIO_STATUS_FAILED);
	return err;
}

uint16_t
virtio_queue_size(struct virtio_dev *vdev, unsigned index, uint16_t want)
{
	uint16_t max = vdev->ops->queue_max(vdev, index);

	/* Legacy PCI devices fix the size; the others take any power of
	 * two up to their maximum. */
	if (vdev->fixed_queue_size || max == 0)
		return max;
	while (want > max)
		want /= 2;
	return want;
}

void
virtio_dev_ready(struct virtio_dev *vdev)
{
	virtio_add_status(vdev, VIRTIO_STATUS_DRIVER_OK);
}

void
virtio_dev_interrupt(struct virtio_dev *vdev)
{
	for (int i = 0; i < vdev->nvqs; i++) {
		if (vdev->vqs[i]->callback)
			vdev->vqs[i]->callback(vdev->vqs[i]);
	}
}

void
virtio_init(const struct cmdline_virtio_mmio *mmio, int nmmio,
	    bool probe_mmio_slots)
{
	virtio_mmio_discover(mmio, nmmio, probe_mmio_slots);
	virtio_pci_discover();
}
