/* What bcache.c (lookup, allocation, eviction, ordered sync) and
 * bcache_run.c (multi-block reads and writes) share. */
#ifndef KEEL_BCACHE_INTERNAL_H
#define KEEL_BCACHE_INTERNAL_H

#include <keel/bcache.h>

/* One device request moves at most this much: a bounce buffer of this
 * size turns runs of separately allocated blocks into one request. */
#define BCACHE_RUN_BYTES	(256u << 10)

struct bcache {
	struct blkdev *bd;
	uint32_t block_size;
	uint32_t sectors_per_block;
	uint64_t nblocks;		/* whole blocks on the device */
	size_t max_blocks;
	size_t nbufs;
	size_t ndirty[BCACHE_ORDER_COUNT];
	struct bcache_buf **hash;
	size_t hash_mask;		/* buckets - 1, a power of two */
	struct list_node lru;
	struct bcache_stats stats;
	uint8_t *bounce;		/* BCACHE_RUN_BYTES, made on first use */
	bool bounce_failed;		/* no memory for it: single blocks */
	bool unflushed;			/* writes since the last flush */
};

struct bcache_buf *
bcache_hash_find(struct bcache *c, uint64_t blockno);
/* A new clean block @blockno in the cache, unheld, its data undefined;
 * the caller has made room. NULL without memory. */
struct bcache_buf *
bcache_buf_insert(struct bcache *c, uint64_t blockno);
/* Frees the least recently used clean, unheld block; false if none. */
bool
bcache_evict_one(struct bcache *c);
/* Writes one dirty block by itself and marks it clean. */
int
bcache_buf_write(struct bcache *c, struct bcache_buf *b);
/* The bounce buffer, NULL when it cannot be had (callers then go block
 * by block). */
uint8_t *
bcache_bounce(struct bcache *c);
/* Blocks per run request. */
static inline size_t
bcache_run_max(const struct bcache *c)
{
	return BCACHE_RUN_BYTES / c->block_size;
}

#endif
