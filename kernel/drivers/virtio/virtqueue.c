/* The split virtqueue (virtio 1.x, 2.7), shared by every transport: a
 * descriptor table with a free list, the driver's available ring and the
 * device's used ring, indirect descriptor tables and EVENT_IDX
 * notification suppression. It knows no device and no transport. */
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/pmm.h>
#include <keel/string.h>
#include <keel/virtio.h>
#include "virtio_reg.h"

#define VIRTQ_END	0xffff	/* end of the free list */

/* x86 keeps stores ordered, and loads too, but a store followed by a load
 * of another location may pass it: the event checks need a full fence. */
#define virtq_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)

static size_t
virtq_used_offset(uint16_t size)
{
	size_t avail_end = sizeof(struct virtq_desc) * size +
			   sizeof(struct virtq_avail) + 2 * size +
			   sizeof(uint16_t);

	return ALIGN_UP(avail_end, VIRTQ_ALIGN_LEGACY);
}

static size_t
virtq_ring_bytes(uint16_t size)
{
	return virtq_used_offset(size) + sizeof(struct virtq_used) +
	       sizeof(struct virtq_used_elem) * size + sizeof(uint16_t);
}

static volatile uint16_t *
virtq_used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static volatile uint16_t *
virtq_avail_event(struct virtq *vq)
{
	return (volatile uint16_t *)&vq->used->ring[vq->size];
}

static int
virtq_alloc_ring(struct virtq *vq)
{
	size_t pages = ALIGN_UP(virtq_ring_bytes(vq->size), PAGE_SIZE) /
		       PAGE_SIZE;
	uint8_t *ring;

	while ((1UL << vq->ring_order) < pages)
		vq->ring_order++;
	vq->ring_phys = pmm_alloc_pages(vq->ring_order);
	if (!vq->ring_phys)
		return -ENOMEM;
	ring = phys_to_virt(vq->ring_phys);
	memset(ring, 0, PAGE_SIZE << vq->ring_order);
	vq->desc = (struct virtq_desc *)ring;
	vq->avail = (struct virtq_avail *)(ring + sizeof(struct virtq_desc) *
					   vq->size);
	vq->used = (struct virtq_used *)(ring + virtq_used_offset(vq->size));
	vq->desc_phys = vq->ring_phys;
	vq->avail_phys = virt_to_phys(vq->avail);
	vq->used_phys = virt_to_phys(vq->used);
	return 0;
}

static void
virtq_free(struct virtq *vq)
{
	if (vq->ring_phys)
		pmm_free_pages(vq->ring_phys, vq->ring_order);
	kfree(vq->cookies);
	kfree(vq->indirect_tables);
	kfree(vq);
}

struct virtq *
virtq_create(struct virtio_dev *vdev, unsigned index, uint16_t size,
	     void (*callback)(struct virtq *vq))
{
	struct virtq *vq = kzalloc(sizeof(*vq));
	int err = -ENOMEM;

	if (!vq)
		return ERR_PTR(-ENOMEM);
	vq->vdev = vdev;
	vq->index = index;
	vq->size = size;
	vq->callback = callback;
	vq->indirect = virtio_has_feature(vdev, VIRTIO_F_INDIRECT_DESC);
	vq->event_idx = virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX);
	spin_lock_init(&vq->lock, "virtq");
	vq->cookies = kzalloc(sizeof(void *) * size);
	vq->indirect_tables = kzalloc(sizeof(void *) * size);
	if (!vq->cookies || !vq->indirect_tables || virtq_alloc_ring(vq))
		goto err;
	for (uint16_t i = 0; i < size; i++)
		vq->desc[i].next = i + 1 < size ? i + 1 : VIRTQ_END;
	vq->num_free = size;
	err = vdev->ops->queue_activate(vdev, vq);
	if (err)
		goto err;
	vdev->vqs[vdev->nvqs++] = vq;
	return vq;
err:
	virtq_free(vq);
	return ERR_PTR(err);
}

unsigned
virtq_max_chain(const struct virtq *vq)
{
	/* The spec bounds any chain, indirect ones too, by the queue size. */
	return vq->size;
}

static void
virtq_fill_desc(struct virtq_desc *d, const struct virtq_seg *s, int next)
{
	d->addr = s->phys;
	d->len = s->len;
	d->flags = (s->device_writes ? VIRTQ_DESC_F_WRITE : 0) |
		   (next >= 0 ? VIRTQ_DESC_F_NEXT : 0);
	if (next >= 0)
		d->next = (uint16_t)next;
}

/* Puts @n segments in ring descriptors from the free list; returns the
 * head. Caller holds vq->lock and has checked num_free. */
static uint16_t
virtq_chain_direct(struct virtq *vq, const struct virtq_seg *segs, unsigned n)
{
	uint16_t head = vq->free_head, d = head;

	for (unsigned i = 0; i < n; i++) {
		uint16_t next = vq->desc[d].next;

		virtq_fill_desc(&vq->desc[d], &segs[i], i + 1 < n ? next : -1);
		if (i + 1 == n)
			vq->free_head = next;
		d = next;
	}
	vq->num_free -= n;
	return head;
}

static void
virtq_publish(struct virtq *vq, uint16_t head, void *cookie)
{
	vq->cookies[head] = cookie;
	vq->avail->ring[vq->avail_idx % vq->size] = head;
	/* The entry must be visible before the index that covers it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->avail_idx++;
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
}

int
virtq_add_chain(struct virtq *vq, const struct virtq_seg *segs, unsigned n,
		void *cookie)
{
	struct virtq_desc *table = NULL;
	unsigned long flags;
	uint16_t head;

	if (n == 0 || n > virtq_max_chain(vq))
		return -EINVAL;
	if (vq->indirect && n > 1) {
		table = kmalloc(sizeof(*table) * n);
		for (unsigned i = 0; table && i < n; i++)
			virtq_fill_desc(&table[i], &segs[i],
					i + 1 < n ? (int)i + 1 : -1);
	}
	flags = spin_lock_irqsave(&vq->lock);
	if (vq->num_free < (table ? 1 : n)) {
		spin_unlock_irqrestore(&vq->lock, flags);
		kfree(table);
		return -ENOSPC;
	}
	if (table) {
		struct virtq_seg ind = { virt_to_phys(table),
					 sizeof(*table) * n, false };

		head = virtq_chain_direct(vq, &ind, 1);
		vq->desc[head].flags = VIRTQ_DESC_F_INDIRECT;
		vq->indirect_tables[head] = table;
	} else {
		head = virtq_chain_direct(vq, segs, n);
	}
	virtq_publish(vq, head, cookie);
	spin_unlock_irqrestore(&vq->lock, flags);
	return 0;
}

/* vring_need_event (2.7.10): did the index cross @event going from @old
 * to @new? */
static bool
virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

void
virtq_kick(struct virtq *vq)
{
	unsigned long flags = spin_lock_irqsave(&vq->lock);
	uint16_t old = vq->kicked_idx, new_idx = vq->avail_idx;
	bool notify;

	vq->kicked_idx = new_idx;
	virtq_mb();	/* avail->idx out before reading the device's wish */
	if (vq->event_idx)
		notify = virtq_need_event(READ_ONCE(*virtq_avail_event(vq)),
					  new_idx, old);
	else
		notify = !(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	spin_unlock_irqrestore(&vq->lock, flags);
	if (notify && new_idx != old)
		vq->vdev->ops->notify(vq);
}

/* Returns chain @head's descriptors to the free list. */
static void
virtq_free_chain(struct virtq *vq, uint16_t head)
{
	uint16_t d = head, n = 1;

	if (vq->indirect_tables[head]) {
		kfree(vq->indirect_tables[head]);
		vq->indirect_tables[head] = NULL;
	}
	while ((vq->desc[d].flags & VIRTQ_DESC_F_NEXT) && n < vq->size) {
		d = vq->desc[d].next;
		n++;
	}
	vq->desc[d].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += n;
}

/* Caller holds vq->lock. True when the device has used entries we have
 * not consumed; with EVENT_IDX, asks for an interrupt at the next one
 * first and checks again, so one arriving meanwhile is not missed. */
static bool
virtq_has_used(struct virtq *vq)
{
	if (READ_ONCE(vq->used->idx) != vq->last_used)
		return true;
	if (!vq->event_idx)
		return false;
	WRITE_ONCE(*virtq_used_event(vq), vq->last_used);
	virtq_mb();
	return READ_ONCE(vq->used->idx) != vq->last_used;
}

void *
virtq_get_buf(struct virtq *vq, uint32_t *len)
{
	unsigned long flags = spin_lock_irqsave(&vq->lock);
	struct virtq_used_elem e;
	void *cookie = NULL;

	if (virtq_has_used(vq)) {
		/* The index is read before the entry it covers. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		e = vq->used->ring[vq->last_used % vq->size];
		vq->last_used++;
		if (e.id < vq->size && vq->cookies[e.id]) {
			cookie = vq->cookies[e.id];
			vq->cookies[e.id] = NULL;
			virtq_free_chain(vq, (uint16_t)e.id);
			*len = e.len;
		}
	}
	spin_unlock_irqrestore(&vq->lock, flags);
	return cookie;
}
