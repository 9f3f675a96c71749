/* Host tests for drivers/virtio/virtqueue.c against a simulated device
 * that walks the available ring and fills the used ring as the spec says:
 * direct and indirect chains, a full ring, index wrap-around, and the
 * notification suppression of EVENT_IDX and of the used-ring flag. */
#include <stdlib.h>
#include "unit.h"
#include "arena.h"
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/pmm.h>
#include <keel/virtio.h>
#include "../../kernel/drivers/virtio/virtio_reg.h"

#undef snprintf
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ARENA_END	MiB(32)
#define QSIZE		8

static int notifies;

__attribute__((constructor)) static void
arena_setup(void)
{
	static const struct pmm_range usable[] = { { MiB(1), MiB(31) } };

	unit_arena_init(ARENA_END, usable, 1, NULL, 0);
}

static int
fake_activate(struct virtio_dev *vdev, struct virtq *vq)
{
	(void)vdev;
	(void)vq;
	return 0;
}

static void
fake_notify(struct virtq *vq)
{
	(void)vq;
	notifies++;
}

static const struct virtio_transport_ops fake_ops = {
	.queue_activate = fake_activate,
	.notify = fake_notify,
};

/* --- the simulated device -------------------------------------------- */

struct device {
	struct virtq *vq;
	uint16_t last_avail;
};

/* Bytes the device may write in the chain at @head, after checking its
 * shape: @want segments, device-writable ones last. */
static uint32_t
device_walk(struct virtq *vq, uint16_t head, unsigned want)
{
	struct virtq_desc *table = vq->desc;
	unsigned n = 0, d = head, limit = vq->size;
	uint32_t writable = 0;

	if (vq->desc[head].flags & VIRTQ_DESC_F_INDIRECT) {
		table = phys_to_virt(vq->desc[head].addr);
		limit = vq->desc[head].len / sizeof(struct virtq_desc);
		d = 0;
	}
	for (;;) {
		CHECK(n < limit);
		if (table[d].flags & VIRTQ_DESC_F_WRITE)
			writable += table[d].len;
		n++;
		if (!(table[d].flags & VIRTQ_DESC_F_NEXT) || n >= limit)
			break;
		d = table[d].next;
	}
	CHECK_EQ(n, want);
	return writable;
}

/* Consumes every available chain (each has @want segments) and
 * completes it; returns how many. */
static int
device_run(struct device *dev, unsigned want)
{
	struct virtq *vq = dev->vq;
	int done = 0;

	while (dev->last_avail != vq->avail->idx) {
		uint16_t head = vq->avail->ring[dev->last_avail % vq->size];
		struct virtq_used_elem *e =
			&vq->used->ring[vq->used->idx % vq->size];

		e->id = head;
		e->len = device_walk(vq, head, want);
		vq->used->idx++;
		dev->last_avail++;
		done++;
	}
	return done;
}

static struct virtq *
make_queue(struct virtio_dev *vdev, uint64_t features)
{
	struct virtq *vq;

	memset(vdev, 0, sizeof(*vdev));
	vdev->ops = &fake_ops;
	vdev->features = features;
	vq = virtq_create(vdev, 0, QSIZE, NULL);
	CHECK(!IS_ERR(vq));
	return vq;
}

static unsigned
fill_segs(struct virtq_seg *segs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		segs[i] = (struct virtq_seg){ 0x1000 * (i + 1), 512,
					      i == n - 1 };
	return n;
}

TEST(direct_chain_round_trip)
{
	struct virtio_dev vdev;
	struct virtq *vq = make_queue(&vdev, 0);
	struct device dev = { vq, 0 };
	struct virtq_seg segs[3];
	uint32_t len = 0;
	int cookie;

	CHECK_EQ(virtq_add_chain(vq, segs, fill_segs(segs, 3), &cookie), 0);
	CHECK_EQ(vq->num_free, QSIZE - 3);
	CHECK(virtq_get_buf(vq, &len) == NULL);
	CHECK_EQ(device_run(&dev, 3), 1);
	CHECK(virtq_get_buf(vq, &len) == &cookie);
	CHECK_EQ(len, 512);
	CHECK_EQ(vq->num_free, QSIZE);
	CHECK(virtq_get_buf(vq, &len) == NULL);
}

TEST(full_ring_refuses_then_recovers)
{
	struct virtio_dev vdev;
	struct virtq *vq = make_queue(&vdev, 0);
	struct device dev = { vq, 0 };
	struct virtq_seg segs[2];
	int cookies[QSIZE];
	uint32_t len;

	fill_segs(segs, 2);
	for (int i = 0; i < QSIZE / 2; i++)
		CHECK_EQ(virtq_add_chain(vq, segs, 2, &cookies[i]), 0);
	CHECK_EQ(virtq_add_chain(vq, segs, 2, &cookies[0]), -ENOSPC);
	CHECK_EQ(virtq_add_chain(vq, segs, QSIZE + 1, &cookies[0]), -EINVAL);
	CHECK_EQ(device_run(&dev, 2), QSIZE / 2);
	for (int i = 0; i < QSIZE / 2; i++)
		CHECK(virtq_get_buf(vq, &len) == &cookies[i]);
	CHECK_EQ(virtq_add_chain(vq, segs, 2, &cookies[0]), 0);
}

/* Many rounds of varying chains: the 16-bit indices wrap around and the
 * free list stays whole. */
TEST(indices_wrap_and_free_list_holds)
{
	struct virtio_dev vdev;
	struct virtq *vq = make_queue(&vdev, 0);
	struct device dev = { vq, 0 };
	struct virtq_seg segs[QSIZE];
	int cookie;
	uint32_t len;

	for (int round = 0; round < 70000; round++) {
		unsigned n = 1 + round % QSIZE;

		CHECK_EQ(virtq_add_chain(vq, segs, fill_segs(segs, n), &cookie), 0);
		CHECK_EQ(device_run(&dev, n), 1);
		CHECK(virtq_get_buf(vq, &len) == &cookie);
		if (vq->num_free != QSIZE) {
			CHECK_EQ(vq->num_free, QSIZE);
			break;
		}
	}
}

TEST(indirect_chain_takes_one_descriptor)
{
	struct virtio_dev vdev;
	struct virtq *vq = make_queue(&vdev, 1ULL << VIRTIO_F_INDIRECT_DESC);
	struct device dev = { vq, 0 };
	struct virtq_seg segs[QSIZE];
	int cookies[QSIZE];
	uint32_t len;

	fill_segs(segs, QSIZE);
	for (int i = 0; i < QSIZE; i++)
		CHECK_EQ(virtq_add_chain(vq, segs, QSIZE, &cookies[i]), 0);
	CHECK_EQ(vq->num_free, 0);
	CHECK_EQ(device_run(&dev, QSIZE), QSIZE);
	for (int i = 0; i < QSIZE; i++)
		CHECK(virtq_get_buf(vq, &len) == &cookies[i]);
	CHECK_EQ(vq->num_free, QSIZE);
}

TEST(event_idx_suppresses_kicks_and_rearms)
{
	struct virtio_dev vdev;
	struct virtq *vq = make_queue(&vdev, 1ULL << VIRTIO_F_EVENT_IDX);
	volatile uint16_t *avail_event = (uint16_t *)&vq->used->ring[QSIZE];
	volatile uint16_t *used_event = &vq->avail->ring[QSIZE];
	struct device dev = { vq, 0 };
	struct virtq_seg seg;
	uint32_t len;
	int cookie;

	fill_segs(&seg, 1);
	notifies = 0;
	*avail_event = 0;	/* device: notify when entry 0 is made available */
	virtq_add_chain(vq, &seg, 1, &cookie);
	virtq_kick(vq);
	CHECK_EQ(notifies, 1);
	virtq_add_chain(vq, &seg, 1, &cookie);
	virtq_kick(vq);		/* entry 1: the device did not ask */
	CHECK_EQ(notifies, 1);
	*avail_event = 2;
	virtq_add_chain(vq, &seg, 1, &cookie);
	virtq_kick(vq);
	CHECK_EQ(notifies, 2);
	device_run(&dev, 1);
	while (virtq_get_buf(vq, &len))
		;
	CHECK_EQ(*used_event, 3);	/* interrupt me at the next entry */
}

TEST(no_notify_flag_suppresses_kicks)
{
	struct virtio_dev vdev;
	struct virtq *vq = make_queue(&vdev, 0);
	struct virtq_seg seg;
	int cookie;

	fill_segs(&seg, 1);
	notifies = 0;
	vq->used->flags = VIRTQ_USED_F_NO_NOTIFY;
	virtq_add_chain(vq, &seg, 1, &cookie);
	virtq_kick(vq);
	CHECK_EQ(notifies, 0);
	vq->used->flags = 0;
	virtq_add_chain(vq, &seg, 1, &cookie);
	virtq_kick(vq);
	CHECK_EQ(notifies, 1);
	virtq_kick(vq);		/* nothing new: no notification */
	CHECK_EQ(notifies, 1);
}
