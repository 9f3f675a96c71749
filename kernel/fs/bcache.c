/* The block cache (see keel/bcache.h): a hash table of fixed-size blocks
 * over blkdev_read/write/flush, an LRU list for eviction of clean blocks,
 * and per-class dirty counts so a sync writes classes in order with a
 * device flush between them. Multi-block requests (readahead, clustered
 * writes) are in bcache_run.c. */
#include "bcache_internal.h"
#include <keel/blkdev.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/printk.h>
#include <keel/string.h>

#define BCACHE_MIN_BLOCKS	8	/* enough for a few nested holds */

static size_t
bucket_of(const struct bcache *c, uint64_t blockno)
{
	/* Fibonacci hashing spreads runs of consecutive block numbers. */
	return (size_t)((blockno * 0x9E3779B97F4A7C15ULL) >> 20) & c->hash_mask;
}

struct bcache *
bcache_create(struct blkdev *bd, uint32_t block_size, size_t max_blocks)
{
	struct bcache *c;
	size_t buckets = 1;

	if (block_size == 0 || block_size % BLKDEV_SECTOR_SIZE)
		return NULL;
	max_blocks = MAX(max_blocks, (size_t)BCACHE_MIN_BLOCKS);
	while (buckets < max_blocks)
		buckets <<= 1;
	c = kzalloc(sizeof(*c));
	if (!c)
		return NULL;
	c->hash = kzalloc(buckets * sizeof(*c->hash));
	if (!c->hash) {
		kfree(c);
		return NULL;
	}
	c->bd = bd;
	c->block_size = block_size;
	c->sectors_per_block = block_size / BLKDEV_SECTOR_SIZE;
	c->nblocks = bd->sectors / c->sectors_per_block;
	c->max_blocks = max_blocks;
	c->hash_mask = buckets - 1;
	list_init(&c->lru);
	return c;
}

struct bcache_buf *
bcache_hash_find(struct bcache *c, uint64_t blockno)
{
	struct bcache_buf *b = c->hash[bucket_of(c, blockno)];

	while (b && b->blockno != blockno)
		b = b->hash_next;
	return b;
}

static void
hash_remove(struct bcache *c, struct bcache_buf *b)
{
	struct bcache_buf **p = &c->hash[bucket_of(c, b->blockno)];

	while (*p != b)
		p = &(*p)->hash_next;
	*p = b->hash_next;
}

static void
buf_free(struct bcache *c, struct bcache_buf *b)
{
	hash_remove(c, b);
	list_remove(&b->lru);
	if (b->order >= 0)
		c->ndirty[b->order]--;
	c->nbufs--;
	kfree(b->data);
	kfree(b);
}

void
bcache_destroy(struct bcache *c)
{
	if (!c)
		return;
	while (!list_empty(&c->lru))
		buf_free(c, list_entry(c->lru.next, struct bcache_buf, lru));
	kfree(c->bounce);
	kfree(c->hash);
	kfree(c);
}

int
bcache_buf_write(struct bcache *c, struct bcache_buf *b)
{
	int r;

	c->unflushed = true;	/* even a failed write may have landed */
	r = blkdev_write(c->bd, b->blockno * c->sectors_per_block, b->data,
			 c->sectors_per_block);
	if (r < 0) {
		printk("bcache: %s: writing block %llu failed (%d)\n",
		       c->bd->name, (unsigned long long)b->blockno, r);
		return r;
	}
	c->stats.writes++;
	c->stats.blocks_written++;
	c->ndirty[b->order]--;
	b->order = -1;
	return 0;
}

bool
bcache_evict_one(struct bcache *c)
{
	struct list_node *n;

	list_for_each(n, &c->lru) {
		struct bcache_buf *b = list_entry(n, struct bcache_buf, lru);

		if (b->refs == 0 && b->order < 0) {
			buf_free(c, b);
			c->stats.evictions++;
			return true;
		}
	}
	return false;
}

size_t
bcache_drop_clean(struct bcache *c)
{
	size_t dropped = 0;

	while (bcache_evict_one(c))
		dropped++;
	return dropped;
}

/* Makes room for one more block. When only dirty blocks could go, file
 * data goes first and alone: writing DATA early never breaks the order
 * (it must precede the rest, not follow it), and needs no flush now,
 * since bcache_sync_all() flushes before the next class reaches the
 * device. Only when no data is dirty does the full ordered sync run. */
static int
make_room(struct bcache *c)
{
	int r;

	if (c->nbufs < c->max_blocks || bcache_evict_one(c))
		return 0;
	if (c->ndirty[BCACHE_ORDER_DATA]) {
		r = bcache_sync_class(c, BCACHE_ORDER_DATA);
		if (r < 0)
			return r;
		if (bcache_evict_one(c))
			return 0;
	}
	r = bcache_sync_all(c);
	if (r < 0)
		return r;
	return bcache_evict_one(c) ? 0 : -ENOMEM;
}

struct bcache_buf *
bcache_buf_insert(struct bcache *c, uint64_t blockno)
{
	struct bcache_buf *b = kzalloc(sizeof(*b));
	size_t h;

	if (!b)
		return NULL;
	b->data = kmalloc(c->block_size);
	if (!b->data) {
		kfree(b);
		return NULL;
	}
	b->blockno = blockno;
	b->order = -1;
	h = bucket_of(c, blockno);
	b->hash_next = c->hash[h];
	c->hash[h] = b;
	list_push_back(&c->lru, &b->lru);
	c->nbufs++;
	return b;
}

static int
buf_new(struct bcache *c, uint64_t blockno, struct bcache_buf **out)
{
	int r;

	if (blockno >= c->nblocks) {
		printk("bcache: %s: block %llu is past the device's end\n",
		       c->bd->name, (unsigned long long)blockno);
		return -EIO;
	}
	r = make_room(c);
	if (r < 0)
		return r;
	*out = bcache_buf_insert(c, blockno);
	return *out ? 0 : -ENOMEM;
}

static int
get_block(struct bcache *c, uint64_t blockno, bool read,
	  struct bcache_buf **out)
{
	struct bcache_buf *b = bcache_hash_find(c, blockno);
	int r;

	if (b) {
		c->stats.hits++;
		list_remove(&b->lru);
		list_push_back(&c->lru, &b->lru);
		if (!read)
			memset(b->data, 0, c->block_size);
		b->refs++;
		*out = b;
		return 0;
	}
	c->stats.misses++;
	r = buf_new(c, blockno, &b);
	if (r < 0)
		return r;
	if (read) {
		r = blkdev_read(c->bd, blockno * c->sectors_per_block, b->data,
				c->sectors_per_block);
		if (r < 0) {
			printk("bcache: %s: reading block %llu failed (%d)\n",
			       c->bd->name, (unsigned long long)blockno, r);
			buf_free(c, b);
			return -EIO;
		}
		c->stats.reads++;
		c->stats.blocks_read++;
	} else {
		memset(b->data, 0, c->block_size);
	}
	b->refs = 1;
	*out = b;
	return 0;
}

int
bcache_get_block(struct bcache *c, uint64_t blockno, struct bcache_buf **out)
{
	return get_block(c, blockno, true, out);
}

int
bcache_get_block_zeroed(struct bcache *c, uint64_t blockno,
			struct bcache_buf **out)
{
	return get_block(c, blockno, false, out);
}

void
bcache_put_block(struct bcache *c, struct bcache_buf *b)
{
	(void)c;
	if (b)
		b->refs--;
}

void
bcache_mark_dirty(struct bcache *c, struct bcache_buf *b,
		  enum bcache_order order)
{
	if (b->order >= 0 && b->order <= (int)order)
		return;
	if (b->order >= 0)
		c->ndirty[b->order]--;
	b->order = order;
	c->ndirty[order]++;
}

void
bcache_forget_block(struct bcache *c, uint64_t blockno)
{
	struct bcache_buf *b = bcache_hash_find(c, blockno);

	if (!b)
		return;
	if (b->refs == 0) {
		buf_free(c, b);
		return;
	}
	if (b->order >= 0)
		c->ndirty[b->order]--;
	b->order = -1;
}

bool
bcache_has_block(struct bcache *c, uint64_t blockno)
{
	return bcache_hash_find(c, blockno) != NULL;
}

int
bcache_sync_blocks(struct bcache *c, const uint64_t *blocks, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		struct bcache_buf *b = bcache_hash_find(c, blocks[i]);
		int r;

		if (!b || b->order < 0)
			continue;
		r = bcache_buf_write(c, b);
		if (r < 0 && err == 0)
			err = r;
	}
	return err;
}

/* Class by class; the flush goes before a class rather than after the one
 * before it, so that data written early (make_room) without a flush is
 * also durable before any metadata, even when no data is dirty now. */
int
bcache_sync_all(struct bcache *c)
{
	int r;

	for (int order = 0; order < BCACHE_ORDER_COUNT; order++) {
		if (c->ndirty[order] == 0)
			continue;
		r = c->unflushed && order > 0 ? bcache_flush(c) : 0;
		if (r == 0)
			r = bcache_sync_class(c, order);
		/* A later class must not overtake one that failed. */
		if (r < 0)
			return r;
	}
	return c->unflushed ? bcache_flush(c) : 0;
}

int
bcache_flush(struct bcache *c)
{
	int r = blkdev_flush(c->bd);

	c->stats.flushes++;
	if (r < 0)
		printk("bcache: %s: flush failed (%d)\n", c->bd->name, r);
	else
		c->unflushed = false;
	return r;
}

void
bcache_get_stats(struct bcache *c, struct bcache_stats *out)
{
	*out = c->stats;
	out->cached = c->nbufs;
	out->dirty = 0;
	for (int i = 0; i < BCACHE_ORDER_COUNT; i++)
		out->dirty += c->ndirty[i];
}
