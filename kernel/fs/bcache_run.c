/* Multi-block requests of the block cache: dirty blocks of a class written
 * in block order, each run of consecutive block numbers as one request,
 * and readahead reading a run of uncached blocks as one request. A virtio
 * request costs far more than copying a block, so both go through one
 * bounce buffer per cache rather than per-block requests. */
#include <keel/blkdev.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "bcache_internal.h"

uint8_t *
bcache_bounce(struct bcache *c)
{
	/* Made on first use and kept: 256 KiB of contiguous pages may be
	 * hard to find later. Without it everything still works, a block
	 * at a time. */
	if (!c->bounce && !c->bounce_failed) {
		c->bounce = kmalloc(BCACHE_RUN_BYTES);
		c->bounce_failed = !c->bounce;
	}
	return c->bounce;
}

/* Heap sort by block number: no recursion, no extra memory. */
static void
sift_down(struct bcache_buf **v, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		struct bcache_buf *t;

		if (child >= n)
			return;
		if (child + 1 < n &&
		    v[child + 1]->blockno > v[child]->blockno)
			child++;
		if (v[root]->blockno >= v[child]->blockno)
			return;
		t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

static void
sort_by_block(struct bcache_buf **v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	while (n > 1) {
		struct bcache_buf *t = v[0];

		v[0] = v[--n];
		v[n] = t;
		sift_down(v, 0, n);
	}
}

/* Writes @v[0 .. n), consecutive blocks, as one request. A failed run
 * stays dirty as a whole. */
static int
write_run(struct bcache *c, struct bcache_buf **v, size_t n)
{
	uint8_t *bounce = n > 1 ? bcache_bounce(c) : NULL;
	int r;

	if (!bounce) {
		int err = 0;

		for (size_t i = 0; i < n; i++) {
			r = bcache_buf_write(c, v[i]);
			if (r < 0 && err == 0)
				err = r;
		}
		return err;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(bounce + i * c->block_size, v[i]->data, c->block_size);
	c->unflushed = true;
	r = blkdev_write(c->bd, v[0]->blockno * c->sectors_per_block, bounce,
			 (uint32_t)(n * c->sectors_per_block));
	if (r < 0) {
		printk("bcache: %s: writing blocks %llu+%zu failed (%d)\n",
		       c->bd->name, (unsigned long long)v[0]->blockno, n, r);
		return r;
	}
	c->stats.writes++;
	c->stats.blocks_written += n;
	for (size_t i = 0; i < n; i++) {
		c->ndirty[v[i]->order]--;
		v[i]->order = -1;
	}
	return 0;
}

/* The dirty blocks of class @order, sorted; NULL without memory. */
static struct bcache_buf **
collect_class(struct bcache *c, enum bcache_order order, size_t *count)
{
	struct bcache_buf **v = kmalloc(c->ndirty[order] * sizeof(*v));
	struct list_node *node;
	size_t n = 0;

	if (!v)
		return NULL;
	list_for_each(node, &c->lru) {
		struct bcache_buf *b = list_entry(node, struct bcache_buf, lru);

		if (b->order == (int)order && n < c->ndirty[order])
			v[n++] = b;
	}
	sort_by_block(v, n);
	*count = n;
	return v;
}

/* Without memory for the list: block by block, in LRU order. */
static int
sync_class_slow(struct bcache *c, enum bcache_order order)
{
	struct list_node *node;
	int err = 0;

	list_for_each(node, &c->lru) {
		struct bcache_buf *b = list_entry(node, struct bcache_buf, lru);
		int r;

		if (b->order != (int)order)
			continue;
		r = bcache_buf_write(c, b);
		if (r < 0 && err == 0)
			err = r;
	}
	return err;
}

int
bcache_sync_class(struct bcache *c, enum bcache_order order)
{
	struct bcache_buf **v;
	size_t n, i = 0, max = bcache_run_max(c);
	int err = 0;

	if (c->ndirty[order] == 0)
		return 0;
	v = collect_class(c, order, &n);
	if (!v)
		return sync_class_slow(c, order);
	while (i < n) {
		size_t len = 1;
		int r;

		while (i + len < n && len < max &&
		       v[i + len]->blockno == v[i]->blockno + len)
			len++;
		r = write_run(c, v + i, len);
		if (r < 0 && err == 0)
			err = r;
		i += len;
	}
	kfree(v);
	return err;
}

/* How many blocks from @first on a prefetch may take: uncached, on the
 * device, within one request and a quarter of the cache. */
static size_t
run_length(struct bcache *c, uint64_t first, size_t n)
{
	size_t k = 0;

	n = MIN(n, bcache_run_max(c));
	n = MIN(n, MAX(c->max_blocks / 4, (size_t)1));
	if (first >= c->nblocks)
		return 0;
	n = (size_t)MIN((uint64_t)n, c->nblocks - first);
	while (k < n && !bcache_hash_find(c, first + k))
		k++;
	return k;
}

/* Frees slots for up to @want more blocks from clean, unheld ones only:
 * readahead is a guess and must never cost a write. */
static size_t
room_for(struct bcache *c, size_t want)
{
	while (c->nbufs + want > c->max_blocks && bcache_evict_one(c))
		;
	return c->nbufs >= c->max_blocks ? 0 :
	       MIN(want, c->max_blocks - c->nbufs);
}

long
bcache_read_uncached(struct bcache *c, uint64_t first, size_t n,
		     uint8_t *const *dst)
{
	uint8_t *bounce;
	size_t k = 0;
	int r;

	if (first >= c->nblocks)
		return 0;
	n = MIN(n, bcache_run_max(c));
	n = (size_t)MIN((uint64_t)n, c->nblocks - first);
	while (k < n && !bcache_hash_find(c, first + k))
		k++;
	bounce = k ? bcache_bounce(c) : NULL;
	if (!bounce)
		return 0;
	r = blkdev_read(c->bd, first * c->sectors_per_block, bounce,
			(uint32_t)(k * c->sectors_per_block));
	if (r < 0) {
		printk("bcache: %s: reading blocks %llu+%zu failed (%d)\n",
		       c->bd->name, (unsigned long long)first, k, r);
		return r;
	}
	c->stats.reads++;
	c->stats.blocks_read += k;
	for (size_t i = 0; i < k; i++)
		memcpy(dst[i], bounce + i * c->block_size, c->block_size);
	return (long)k;
}

long
bcache_prefetch(struct bcache *c, uint64_t first, size_t n)
{
	size_t k = run_length(c, first, n), made = 0;
	uint8_t *bounce;
	int r;

	if (k == 0)
		return 0;
	bounce = bcache_bounce(c);
	if (!bounce)
		return 0;
	k = room_for(c, k);
	if (k == 0)
		return 0;
	r = blkdev_read(c->bd, first * c->sectors_per_block, bounce,
			(uint32_t)(k * c->sectors_per_block));
	if (r < 0)
		return r;	/* the caller's own read reports it */
	c->stats.reads++;
	for (; made < k; made++) {
		struct bcache_buf *b = bcache_buf_insert(c, first + made);

		if (!b)
			break;
		memcpy(b->data, bounce + made * c->block_size, c->block_size);
	}
	c->stats.blocks_read += made;
	c->stats.readahead += made;
	return (long)made;
}
