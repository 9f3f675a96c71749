/* The block cache: file-system-sized blocks of one block device, looked up
 * by block number, written back later with dirty tracking, bounded in size
 * (least recently used clean blocks go first). Each dirty block carries a
 * write-order class; bcache_sync_all() writes class 0 blocks, flushes the
 * device, then class 1 and so on, which is how a file system says "these
 * blocks reach the disk before those". Runs of consecutive dirty blocks go
 * to the device as one request, and readahead (bcache_prefetch) reads runs
 * the same way. When the cache is full of dirty blocks, class 0 is written
 * (without a flush) to make room before anything else: every class may be
 * written early, none may be written before an earlier class, and the
 * flush that orders them comes before the next class is written. Not
 * thread-safe: its owner (one mounted file system) serializes every call
 * with its own lock. May sleep. */
#ifndef KEEL_BCACHE_H
#define KEEL_BCACHE_H

#include <keel/compiler.h>
#include <keel/list.h>

struct blkdev;
struct bcache;

/* Write-order classes, written in this order by bcache_sync_all(). */
enum bcache_order {
	BCACHE_ORDER_DATA = 0,	/* file data and what only it points to */
	BCACHE_ORDER_META = 1,	/* inodes, bitmaps, descriptors, superblock */
	BCACHE_ORDER_NAMES = 2,	/* directory entries naming inodes */
	BCACHE_ORDER_COUNT
};

struct bcache_buf {
	uint64_t blockno;
	uint8_t *data;			/* block_size bytes */
	struct bcache_buf *hash_next;	/* bucket chain */
	struct list_node lru;		/* front: least recently used */
	int refs;			/* bcache_get_* holders */
	int order;			/* dirty: its bcache_order; else -1 */
};

/* Counters for tests and statistics: reads and writes count device
 * requests, blocks_* the blocks they moved. */
struct bcache_stats {
	uint64_t hits, misses, reads, writes, flushes, evictions;
	uint64_t blocks_read, blocks_written;
	uint64_t readahead;		/* blocks bcache_prefetch read */
	size_t cached, dirty;
};

/* A cache of @block_size-byte blocks (a multiple of 512) of @bd holding at
 * most @max_blocks of them. NULL without memory. */
struct bcache *
bcache_create(struct blkdev *bd, uint32_t block_size, size_t max_blocks);
/* Frees every block, dirty or not: sync first. No block may be held. */
void
bcache_destroy(struct bcache *c);

/* Holds block @blockno, read from the device if not cached. -EIO past the
 * device's end or when the device fails; -ENOMEM when every cached block
 * is held. Release with bcache_put_block(). */
int
bcache_get_block(struct bcache *c, uint64_t blockno, struct bcache_buf **out);
/* As bcache_get_block(), but the caller overwrites the whole block: no
 * read, the contents are zeroed. */
int
bcache_get_block_zeroed(struct bcache *c, uint64_t blockno,
			struct bcache_buf **out);
void
bcache_put_block(struct bcache *c, struct bcache_buf *b);
/* Marks @b modified, to be written in class @order; a block dirtied twice
 * keeps the earlier class. */
void
bcache_mark_dirty(struct bcache *c, struct bcache_buf *b,
		  enum bcache_order order);
/* Drops block @blockno (freed by the file system) without writing it. */
void
bcache_forget_block(struct bcache *c, uint64_t blockno);
/* Whether @blockno is cached (no LRU effect). */
bool
bcache_has_block(struct bcache *c, uint64_t blockno);
/* Readahead: reads blocks @first, @first + 1, ... up to @n of them, as one
 * device request, into the cache (clean, unheld), stopping before the
 * first one already cached, at the device's end, at the longest request
 * and at a quarter of the cache. It only takes free slots and evicts only
 * clean unheld blocks, so it may read fewer (or none), and never writes.
 * Returns the number read or a negative errno (nothing cached then). */
long
bcache_prefetch(struct bcache *c, uint64_t first, size_t n);
/* For data another cache keeps (file pages): reads blocks @first,
 * @first + 1, ... up to @n of them, as one request, straight into
 * @dst[i] (a block each), caching none. It stops before the first block
 * the cache holds -- that copy, maybe dirty, is the current one; one it
 * does not hold is current on the device -- and at the longest request.
 * Returns the number read (0: @first is cached, or no bounce buffer) or a
 * negative errno. */
long
bcache_read_uncached(struct bcache *c, uint64_t first, size_t n,
		     uint8_t *const *dst);

/* Writes those of @blocks that are cached and dirty, in the given order,
 * without a device flush. Returns 0 or the first error (blocks that failed
 * stay dirty). */
int
bcache_sync_blocks(struct bcache *c, const uint64_t *blocks, size_t n);
/* Writes every dirty block of class @order, without a device flush, in
 * block order, each run of consecutive block numbers as one request. */
int
bcache_sync_class(struct bcache *c, enum bcache_order order);
/* Writes every dirty block class by class, flushing the device before
 * each class that follows writes and at the end: the ordering barrier. */
int
bcache_sync_all(struct bcache *c);
/* The device's write cache flush (a barrier for what was written). */
int
bcache_flush(struct bcache *c);
/* Frees every clean block no one holds (drop_caches); dirty ones stay.
 * Returns how many went. */
size_t
bcache_drop_clean(struct bcache *c);

void
bcache_get_stats(struct bcache *c, struct bcache_stats *out);

#endif
