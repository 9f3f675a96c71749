/* Host tests for fs/bcache.c on a RAM disk: reads, bounded size with LRU
 * eviction, write-back only on sync, class-ordered sync with flushes in
 * between, explicit block lists, and device errors reaching the caller.
 * Multi-block requests (bcache_run.c) are in test_bcache_run.c. */
#include "unit.h"
#include <stdlib.h>
#include <keel/bcache.h>
#include <keel/errno.h>
#include "ext2_host.h"

#define BS		1024
#define NBLOCKS		64
#define SECTORS		(BS / 512)
#define SMALL_CACHE	8

static struct host_disk *
make_disk(void)
{
	static uint8_t img[NBLOCKS * BS];

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i / BS);	/* every byte: its block */
	return host_disk_new(img, sizeof(img));
}

TEST(reads_blocks_and_counts_hits)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, SMALL_CACHE);
	struct bcache_buf *b;
	struct bcache_stats st;

	CHECK_EQ(bcache_get_block(c, 5, &b), 0);
	CHECK_EQ(b->data[0], 5);
	CHECK_EQ(b->data[BS - 1], 5);
	bcache_put_block(c, b);
	CHECK_EQ(bcache_get_block(c, 5, &b), 0);
	bcache_put_block(c, b);
	bcache_get_stats(c, &st);
	CHECK_EQ(st.hits, 1);
	CHECK_EQ(st.misses, 1);
	CHECK_EQ(d->nreads, 1);
	CHECK_EQ(bcache_get_block(c, NBLOCKS, &b), -EIO);
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(stays_bounded_and_evicts_least_recent)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, SMALL_CACHE);
	struct bcache_buf *b;
	struct bcache_stats st;

	for (int i = 0; i < 40; i++) {
		CHECK_EQ(bcache_get_block(c, i, &b), 0);
		bcache_put_block(c, b);
		/* block 0 stays recent, so it survives */
		CHECK_EQ(bcache_get_block(c, 0, &b), 0);
		bcache_put_block(c, b);
	}
	bcache_get_stats(c, &st);
	CHECK(st.cached <= SMALL_CACHE);
	CHECK(st.evictions >= 30);
	CHECK_EQ(d->nreads, 40);
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(all_held_is_enomem_not_overflow)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, SMALL_CACHE);
	struct bcache_buf *held[SMALL_CACHE], *b;

	for (int i = 0; i < SMALL_CACHE; i++)
		CHECK_EQ(bcache_get_block(c, i, &held[i]), 0);
	CHECK_EQ(bcache_get_block(c, 20, &b), -ENOMEM);
	for (int i = 0; i < SMALL_CACHE; i++)
		bcache_put_block(c, held[i]);
	CHECK_EQ(bcache_get_block(c, 20, &b), 0);
	bcache_put_block(c, b);
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(writes_back_only_on_sync_and_under_pressure)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, SMALL_CACHE);
	struct bcache_buf *b;

	CHECK_EQ(bcache_get_block_zeroed(c, 3, &b), 0);
	b->data[0] = 0xaa;
	bcache_mark_dirty(c, b, BCACHE_ORDER_DATA);
	bcache_put_block(c, b);
	CHECK_EQ(d->nwrites, 0);
	CHECK_EQ(d->mem[3 * BS], 3);
	/* Dirty blocks pushed out by pressure are written, not lost. */
	for (int i = 10; i < 30; i++) {
		CHECK_EQ(bcache_get_block(c, i, &b), 0);
		b->data[1] = 0xbb;
		bcache_mark_dirty(c, b, BCACHE_ORDER_META);
		bcache_put_block(c, b);
	}
	CHECK_EQ(bcache_sync_all(c), 0);
	CHECK_EQ(d->mem[3 * BS], 0xaa);
	CHECK_EQ(d->mem[3 * BS + 1], 0);
	for (int i = 10; i < 30; i++)
		CHECK_EQ(d->mem[i * BS + 1], 0xbb);
	bcache_destroy(c);
	host_disk_free(d);
}

static void
dirty(struct bcache *c, uint64_t blk, enum bcache_order order)
{
	struct bcache_buf *b;

	CHECK_EQ(bcache_get_block(c, blk, &b), 0);
	b->data[0] ^= 1;
	bcache_mark_dirty(c, b, order);
	bcache_put_block(c, b);
}

/* The class of each write in the log, in order, with flushes: 1-2 and
 * 10-11 are runs, one request each. */
TEST(sync_writes_classes_in_order_with_flushes)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 32);
	const char *want = "DF" "MF" "NF";
	char got[16] = { 0 };

	dirty(c, 20, BCACHE_ORDER_NAMES);
	dirty(c, 10, BCACHE_ORDER_META);
	dirty(c, 1, BCACHE_ORDER_DATA);
	dirty(c, 11, BCACHE_ORDER_META);
	dirty(c, 2, BCACHE_ORDER_NAMES);
	dirty(c, 2, BCACHE_ORDER_DATA);	/* earlier class wins */
	CHECK_EQ(bcache_sync_all(c), 0);
	for (size_t i = 0; i < d->nlog && i < sizeof(got) - 1; i++) {
		uint64_t blk = d->log[i] / SECTORS;

		got[i] = d->log[i] == HOST_LOG_FLUSH ? 'F' :
			 blk < 10 ? 'D' : blk < 20 ? 'M' : 'N';
	}
	CHECK_STR(got, want);
	CHECK_EQ(bcache_sync_all(c), 0);	/* nothing left: no I/O */
	CHECK_EQ(d->nlog, strlen(want));
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(sync_blocks_writes_only_the_list)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 32);
	uint64_t list[] = { 7, 9, 40 };	/* 9: clean, 40: not cached */
	struct bcache_stats st;

	dirty(c, 7, BCACHE_ORDER_META);
	dirty(c, 8, BCACHE_ORDER_META);
	dirty(c, 30, BCACHE_ORDER_DATA);
	bcache_forget_block(c, 30);
	CHECK_EQ(bcache_sync_blocks(c, list, 3), 0);
	CHECK_EQ(d->nwrites, 1);
	CHECK_EQ(d->log[0], 7 * SECTORS);
	bcache_get_stats(c, &st);
	CHECK_EQ(st.dirty, 1);
	CHECK_EQ(bcache_sync_all(c), 0);
	CHECK_EQ(d->nwrites, 2);	/* 30 was forgotten, never written */
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(device_errors_reach_the_caller)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, SMALL_CACHE);
	struct bcache_buf *b;
	struct bcache_stats st;

	d->fail_lba = 4 * SECTORS + 1;
	d->fail_reads = true;
	CHECK_EQ(bcache_get_block(c, 4, &b), -EIO);
	bcache_get_stats(c, &st);
	CHECK_EQ(st.cached, 0);		/* a failed read is not cached */
	d->fail_reads = false;
	CHECK_EQ(bcache_get_block(c, 4, &b), 0);
	CHECK_EQ(b->data[0], 4);
	b->data[0] = 0x44;
	bcache_mark_dirty(c, b, BCACHE_ORDER_DATA);
	bcache_put_block(c, b);
	d->fail_writes = true;
	CHECK_EQ(bcache_sync_all(c), -EIO);
	bcache_get_stats(c, &st);
	CHECK_EQ(st.dirty, 1);		/* kept for a retry */
	d->fail_writes = false;
	CHECK_EQ(bcache_sync_all(c), 0);
	CHECK_EQ(d->mem[4 * BS], 0x44);
	bcache_destroy(c);
	host_disk_free(d);
}
