/* virtio-rng (spec 5.4): one queue of device-writable buffers the device
 * fills with random bytes. A few buffers' worth at boot is fed into the
 * kernel's entropy pool (random_add_entropy); nothing asks for more. */
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/printk.h>
#include <keel/random.h>
#include <keel/virtio.h>
#include "virtio_reg.h"

#define VRNG_QUEUE_SIZE		8
#define VRNG_BUF_BYTES		64
#define VRNG_FILLS		4	/* 256 bytes in all */

struct vrng {
	struct virtq *vq;
	uint8_t *buf;
	int fills;		/* interrupt context only, after the first */
};

static void
vrng_request(struct vrng *r)
{
	struct virtq_seg seg = { virt_to_phys(r->buf), VRNG_BUF_BYTES, true };

	if (virtq_add_chain(r->vq, &seg, 1, r) == 0)
		virtq_kick(r->vq);
}

static void
vrng_complete(struct virtq *vq)
{
	struct vrng *r = vq->vdev->priv;
	uint32_t len;

	while (virtq_get_buf(vq, &len)) {
		random_add_entropy(r->buf, MIN(len, VRNG_BUF_BYTES));
		if (++r->fills < VRNG_FILLS)
			vrng_request(r);
	}
}

static int
vrng_probe(struct virtio_dev *vdev)
{
	struct vrng *r = kzalloc(sizeof(*r));
	uint16_t qsize = virtio_queue_size(vdev, 0, VRNG_QUEUE_SIZE);

	if (!r || !(r->buf = kmalloc(VRNG_BUF_BYTES)))
		return -ENOMEM;
	if (qsize == 0)
		return -ENODEV;
	vdev->priv = r;
	r->vq = virtq_create(vdev, 0, qsize, vrng_complete);
	if (IS_ERR(r->vq))
		return PTR_ERR(r->vq);
	virtio_dev_ready(vdev);
	vrng_request(r);
	printk("keel: %s: entropy source\n", vdev->name);
	return 0;
}

const struct virtio_driver virtio_rng_driver = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_ENTROPY,
	.features = 0,
	.probe = vrng_probe,
};
