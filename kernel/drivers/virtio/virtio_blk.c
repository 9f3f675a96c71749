/* virtio-blk: each disk becomes blkdev "vda", "vdb", ... in discovery
 * order. Requests are interrupt driven: every caller adds its own chain
 * (header, data segments, status) and sleeps on its own request until the
 * completion interrupt marks it done, so many can be in flight at once.
 * Large transfers are cut to the device's segment limits. */
#include <keel/blkdev.h>
#include <keel/clock.h>
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <keel/virtio.h>
#include <keel/waitq.h>
#include "virtio_blk_reg.h"
#include "virtio_reg.h"

#define VBLK_QUEUE_SIZE		128
#define VBLK_MAX_DATA_SEGS	64	/* per request: 256 KiB of pages */
#define VBLK_REQ_TIMEOUT_NS	(30 * NSEC_PER_SEC)
#define VBLK_SPACE_WAIT_NS	NSEC_PER_SEC
#define VBLK_SPACE_TRIES	30	/* ring full for 30 s: give up */
#define VBLK_EXTRA_SEGS		2	/* header and status */

struct vblk {
	struct blkdev bd;
	struct virtio_dev *vdev;
	struct virtq *vq;
	unsigned max_segs;		/* data segments per request */
	uint32_t seg_bytes;		/* largest data segment */
	struct waitq space_wq;		/* callers waiting for ring space */
};

/* One request; lives until its completion has been seen. */
struct vblk_req {
	struct virtio_blk_req_hdr hdr;	/* read by the device */
	uint8_t status;			/* written by the device */
	bool done;			/* under wq.lock */
	bool abandoned;			/* timed out: the device may still
					 * write it, so it is never freed */
	struct waitq wq;		/* its caller sleeps here */
	struct virtq_seg segs[];
};

static int vblk_count;

static void
vblk_complete(struct virtq *vq)
{
	struct vblk *vb = vq->vdev->priv;
	struct vblk_req *req;
	uint32_t len;

	while ((req = virtq_get_buf(vq, &len)) != NULL) {
		unsigned long flags = waitq_lock(&req->wq);

		req->done = true;
		waitq_wake_all_locked(&req->wq);
		waitq_unlock(&req->wq, flags);
	}
	waitq_wake_all(&vb->space_wq);
}

/* Cuts @bytes at @buf into physically contiguous segments, at most
 * max_segs of at most seg_bytes each; returns how many bytes they cover
 * (a multiple of the sector size), or 0 if @buf is not mapped (or, with a
 * device taking one segment per request, a sector straddles pages). */
static uint32_t
vblk_map(const struct vblk *vb, uintptr_t buf, uint32_t bytes,
	 struct virtq_seg *segs, unsigned *nsegs, bool device_writes)
{
	uint32_t done = 0;
	unsigned n = 0;

	while (done < bytes && n < vb->max_segs) {
		uint64_t pa, flags;
		uint32_t len = (uint32_t)MIN((uint64_t)bytes - done,
			PAGE_SIZE - ((buf + done) & (PAGE_SIZE - 1)));

		if (!paging_lookup(buf + done, &pa, &flags))
			return 0;
		if (n > 0 && segs[n - 1].phys + segs[n - 1].len == pa &&
		    segs[n - 1].len + len <= vb->seg_bytes) {
			segs[n - 1].len += len;
		} else {
			len = MIN(len, vb->seg_bytes);
			segs[n++] = (struct virtq_seg){ pa, len, device_writes };
		}
		done += len;
	}
	/* Trim to whole sectors: the device moves sectors only. */
	while (done % BLKDEV_SECTOR_SIZE) {
		uint32_t cut = MIN(done % BLKDEV_SECTOR_SIZE, segs[n - 1].len);

		segs[n - 1].len -= cut;
		done -= cut;
		if (segs[n - 1].len == 0)
			n--;
	}
	*nsegs = n;
	return done;
}

static int
vblk_queue(struct vblk *vb, struct vblk_req *req, unsigned nsegs)
{
	unsigned long flags = waitq_lock(&vb->space_wq);
	int err, tries = 0;

	while ((err = virtq_add_chain(vb->vq, req->segs, nsegs, req)) ==
	       -ENOSPC && tries++ < VBLK_SPACE_TRIES)
		waitq_wait_locked(&vb->space_wq,
				  clock_monotonic_ns() + VBLK_SPACE_WAIT_NS);
	waitq_unlock(&vb->space_wq, flags);
	if (err)
		return err == -ENOSPC ? -EIO : err;
	virtq_kick(vb->vq);
	return 0;
}

/* Queues one request and sleeps until it completes. */
static int
vblk_run(struct vblk *vb, struct vblk_req *req, unsigned ndata)
{
	uint64_t deadline = clock_monotonic_ns() + VBLK_REQ_TIMEOUT_NS;
	unsigned long flags;
	int err;

	req->segs[0] = (struct virtq_seg){ virt_to_phys(&req->hdr),
					   sizeof(req->hdr), false };
	req->segs[ndata + 1] = (struct virtq_seg){ virt_to_phys(&req->status),
						   1, true };
	req->status = VIRTIO_BLK_S_IOERR;
	err = vblk_queue(vb, req, ndata + VBLK_EXTRA_SEGS);
	if (err)
		return err;
	flags = waitq_lock(&req->wq);
	while (!req->done && !err)
		err = waitq_wait_locked(&req->wq, deadline);
	waitq_unlock(&req->wq, flags);
	if (err) {
		req->abandoned = true;
		printk("keel: %s: request timed out\n", vb->bd.name);
		return -EIO;
	}
	return req->status == VIRTIO_BLK_S_OK ? 0 : -EIO;
}

static struct vblk_req *
vblk_req_alloc(const struct vblk *vb, uint32_t type, uint64_t lba)
{
	struct vblk_req *req = kzalloc(sizeof(*req) + sizeof(struct virtq_seg) *
				       (vb->max_segs + VBLK_EXTRA_SEGS));

	if (!req)
		return NULL;
	req->hdr.type = type;
	req->hdr.sector = lba;
	waitq_init(&req->wq, "vblk_req");
	return req;
}

/* Moves @count sectors in requests no larger than the device takes. */
static int
vblk_transfer(struct blkdev *bd, uint32_t type, uint64_t lba, uintptr_t buf,
	      uint32_t count)
{
	struct vblk *vb = bd->priv;
	uint64_t bytes = (uint64_t)count * BLKDEV_SECTOR_SIZE;
	int err = 0;

	while (bytes > 0 && !err) {
		struct vblk_req *req = vblk_req_alloc(vb, type, lba);
		unsigned nsegs;
		uint32_t done;

		if (!req)
			return -ENOMEM;
		done = vblk_map(vb, buf, (uint32_t)MIN(bytes, UINT32_MAX / 2),
				req->segs + 1, &nsegs, type == VIRTIO_BLK_T_IN);
		err = done ? vblk_run(vb, req, nsegs) : -EFAULT;
		if (!req->abandoned)
			kfree(req);
		bytes -= done;
		buf += done;
		lba += done / BLKDEV_SECTOR_SIZE;
	}
	return err;
}

static int
vblk_read(struct blkdev *bd, uint64_t lba, void *buf, uint32_t count)
{
	return vblk_transfer(bd, VIRTIO_BLK_T_IN, lba, (uintptr_t)buf, count);
}

static int
vblk_write(struct blkdev *bd, uint64_t lba, const void *buf, uint32_t count)
{
	return vblk_transfer(bd, VIRTIO_BLK_T_OUT, lba, (uintptr_t)buf, count);
}

static int
vblk_flush(struct blkdev *bd)
{
	struct vblk *vb = bd->priv;
	struct vblk_req *req = vblk_req_alloc(vb, VIRTIO_BLK_T_FLUSH, 0);
	int err;

	if (!req)
		return -ENOMEM;
	err = vblk_run(vb, req, 0);
	if (!req->abandoned)
		kfree(req);
	return err;
}

static const struct blkdev_ops vblk_ops = {
	.read = vblk_read,
	.write = vblk_write,
	.flush = vblk_flush,
};

static const struct blkdev_ops vblk_ops_noflush = {
	.read = vblk_read,
	.write = vblk_write,
};

/* Segment limits from the configuration, within what the ring holds. */
static void
vblk_read_limits(struct vblk *vb, const struct virtio_blk_config *cfg)
{
	unsigned chain = virtq_max_chain(vb->vq) - VBLK_EXTRA_SEGS;

	vb->max_segs = MIN(VBLK_MAX_DATA_SEGS, chain);
	if (virtio_has_feature(vb->vdev, VIRTIO_BLK_F_SEG_MAX) && cfg->seg_max)
		vb->max_segs = MIN(vb->max_segs, cfg->seg_max);
	vb->seg_bytes = PAGE_SIZE * VBLK_MAX_DATA_SEGS;
	if (virtio_has_feature(vb->vdev, VIRTIO_BLK_F_SIZE_MAX) &&
	    cfg->size_max >= BLKDEV_SECTOR_SIZE)
		vb->seg_bytes = cfg->size_max;
}

static int
vblk_probe(struct virtio_dev *vdev)
{
	struct virtio_blk_config cfg;
	struct vblk *vb = kzalloc(sizeof(*vb));
	uint16_t qsize = virtio_queue_size(vdev, 0, VBLK_QUEUE_SIZE);

	if (!vb)
		return -ENOMEM;
	if (qsize < VBLK_EXTRA_SEGS + 1)
		return -ENODEV;
	vb->vdev = vdev;
	vdev->priv = vb;
	waitq_init(&vb->space_wq, "vblk_space");
	vdev->ops->read_config(vdev, 0, &cfg, sizeof(cfg));
	vb->vq = virtq_create(vdev, 0, qsize, vblk_complete);
	if (IS_ERR(vb->vq))
		return PTR_ERR(vb->vq);
	vblk_read_limits(vb, &cfg);
	snprintf(vb->bd.name, sizeof(vb->bd.name), "vd%c", 'a' + vblk_count++);
	vb->bd.sectors = cfg.capacity;
	vb->bd.read_only = virtio_has_feature(vdev, VIRTIO_BLK_F_RO);
	vb->bd.ops = virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH) ?
		     &vblk_ops : &vblk_ops_noflush;
	vb->bd.priv = vb;
	virtio_dev_ready(vdev);
	if (blkdev_register(&vb->bd))
		return -EEXIST;
	printk("keel: %s: %s, %lu sectors%s%s%s%s\n", vb->bd.name, vdev->name,
	       vb->bd.sectors, vb->bd.read_only ? ", read-only" : "",
	       vb->bd.ops->flush ? ", write cache" : "",
	       vb->vq->indirect ? ", indirect" : "",
	       vb->vq->event_idx ? ", event-idx" : "");
	partition_scan(&vb->bd);
	return 0;
}

const struct virtio_driver virtio_blk_driver = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.probe = vblk_probe,
	.features = (1ULL << VIRTIO_BLK_F_SIZE_MAX) |
		    (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_RO) |
		    (1ULL << VIRTIO_BLK_F_FLUSH),
};
