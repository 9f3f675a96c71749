/* Host tests for the block cache's multi-block requests (fs/bcache_run.c)
 * through the RAM disk's request log: dirty runs written as one request
 * each in block order, readahead as one request that stops at cached
 * blocks, the device's end and free memory (never writing), and eviction
 * under pressure writing file data without a flush while the flush still
 * precedes any later class. */
#include "unit.h"
#include <stdlib.h>
#include <keel/bcache.h>
#include <keel/errno.h>
#include "ext2_host.h"

#define BS		1024
#define SECTORS		(BS / 512)
#define NBLOCKS		600
#define RUN_MAX		256	/* 256 KiB of 1 KiB blocks */

static struct host_disk *
make_disk(void)
{
	static uint8_t img[NBLOCKS * BS];

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i / BS);	/* every byte: its block */
	return host_disk_new(img, sizeof(img));
}

/* The requests from index @from on, in blocks: "R10+8 W3+3 F". */
static const char *
reqs(const struct host_disk *d, size_t from)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = from; i < d->nreq && len < sizeof(buf) - 32; i++) {
		const struct host_req *q = &d->req[i];

		if (q->op == 'F')
			len += snprintf(buf + len, sizeof(buf) - len, "%sF",
					len ? " " : "");
		else
			len += snprintf(buf + len, sizeof(buf) - len,
					"%s%c%llu+%u", len ? " " : "", q->op,
					(unsigned long long)q->lba / SECTORS,
					q->count / SECTORS);
	}
	return buf;
}

static void
dirty(struct bcache *c, uint64_t blk, enum bcache_order order)
{
	struct bcache_buf *b;

	CHECK_EQ(bcache_get_block_zeroed(c, blk, &b), 0);
	b->data[0] = (uint8_t)(0x80 | blk);
	bcache_mark_dirty(c, b, order);
	bcache_put_block(c, b);
}

TEST(dirty_runs_are_one_write_each_in_block_order)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 64);
	const uint64_t blocks[] = { 20, 5, 9, 3, 10, 4, 30 };
	struct bcache_stats st;

	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		dirty(c, blocks[i], BCACHE_ORDER_DATA);
	dirty(c, 6, BCACHE_ORDER_META);	/* another class breaks the run */
	CHECK_EQ(bcache_sync_class(c, BCACHE_ORDER_DATA), 0);
	CHECK_STR(reqs(d, 0), "W3+3 W9+2 W20+1 W30+1");
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		CHECK_EQ(d->mem[blocks[i] * BS], 0x80 | blocks[i]);
	CHECK_EQ(d->mem[6 * BS], 6);
	bcache_get_stats(c, &st);
	CHECK_EQ(st.writes, 4);
	CHECK_EQ(st.blocks_written, 7);
	CHECK_EQ(st.dirty, 1);
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(long_runs_are_split_at_the_request_limit)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, NBLOCKS);

	for (uint64_t b = 300; b > 0; b--)
		dirty(c, b, BCACHE_ORDER_DATA);
	CHECK_EQ(bcache_sync_all(c), 0);
	CHECK_STR(reqs(d, 0), "W1+256 W257+44 F");
	for (uint64_t b = 1; b <= 300; b++)
		CHECK_EQ(d->mem[b * BS], (uint8_t)(0x80 | b));
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(a_failed_run_stays_dirty_and_others_go_on)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 64);
	struct bcache_stats st;

	for (uint64_t b = 10; b < 14; b++)
		dirty(c, b, BCACHE_ORDER_DATA);
	dirty(c, 40, BCACHE_ORDER_DATA);
	d->fail_lba = 12 * SECTORS;
	d->fail_writes = true;
	CHECK_EQ(bcache_sync_class(c, BCACHE_ORDER_DATA), -EIO);
	CHECK_EQ(d->mem[40 * BS], 0x80 | 40);
	bcache_get_stats(c, &st);
	CHECK_EQ(st.dirty, 4);
	d->fail_writes = false;
	CHECK_EQ(bcache_sync_all(c), 0);
	CHECK_EQ(d->mem[13 * BS], 0x80 | 13);
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(prefetch_reads_a_run_in_one_request)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 64);
	struct bcache_buf *b;
	struct bcache_stats st;

	CHECK_EQ(bcache_prefetch(c, 10, 8), 8);
	CHECK_STR(reqs(d, 0), "R10+8");
	for (uint64_t i = 10; i < 18; i++) {
		CHECK(bcache_has_block(c, i));
		CHECK_EQ(bcache_get_block(c, i, &b), 0);
		CHECK_EQ(b->data[0], i);
		CHECK_EQ(b->data[BS - 1], i);
		bcache_put_block(c, b);
	}
	CHECK_EQ(d->nreq, 1);
	bcache_get_stats(c, &st);
	CHECK_EQ(st.hits, 8);
	CHECK_EQ(st.readahead, 8);
	CHECK_EQ(bcache_prefetch(c, 10, 8), 0);	/* cached: nothing */
	CHECK_EQ(d->nreq, 1);
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(prefetch_stops_at_cached_blocks_and_the_device_end)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 64);
	struct bcache_buf *b;

	CHECK_EQ(bcache_get_block(c, 14, &b), 0);
	bcache_put_block(c, b);
	CHECK_EQ(bcache_prefetch(c, 10, 8), 4);
	CHECK_EQ(bcache_prefetch(c, NBLOCKS - 3, 8), 3);
	CHECK_EQ(bcache_prefetch(c, NBLOCKS, 8), 0);
	/* A quarter of the cache at most, so readahead cannot flush it. */
	CHECK_EQ(bcache_prefetch(c, 100, 40), 16);
	CHECK_STR(reqs(d, 0), "R14+1 R10+4 R597+3 R100+16");
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(prefetch_never_writes_nor_evicts_dirty_blocks)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 8);
	struct bcache_buf *b;
	struct bcache_stats st;

	for (uint64_t i = 0; i < 8; i++)
		dirty(c, i, BCACHE_ORDER_DATA);
	CHECK_EQ(bcache_prefetch(c, 100, 2), 0);
	CHECK_EQ(d->nreq, 0);
	CHECK_EQ(bcache_sync_class(c, BCACHE_ORDER_DATA), 0);
	dirty(c, 0, BCACHE_ORDER_DATA);
	/* Held or dirty blocks stay; clean ones make way. */
	CHECK_EQ(bcache_get_block(c, 1, &b), 0);
	CHECK_EQ(bcache_prefetch(c, 100, 2), 2);
	bcache_put_block(c, b);
	CHECK(bcache_has_block(c, 0));
	CHECK(bcache_has_block(c, 1));
	bcache_get_stats(c, &st);
	CHECK_EQ(st.cached, 8);
	CHECK_EQ(st.dirty, 1);
	CHECK_STR(reqs(d, 0), "W0+8 R100+2");
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(prefetch_read_errors_cache_nothing)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 64);
	struct bcache_stats st;

	d->fail_lba = 12 * SECTORS;
	d->fail_reads = true;
	CHECK_EQ(bcache_prefetch(c, 10, 8), -EIO);
	bcache_get_stats(c, &st);
	CHECK_EQ(st.cached, 0);
	bcache_destroy(c);
	host_disk_free(d);
}

/* A full cache of dirty data: the data goes out in one request and no
 * flush; the metadata written later is still preceded by one. */
TEST(pressure_writes_data_without_a_flush_then_orders_metadata)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 8);
	struct bcache_buf *b;

	dirty(c, 50, BCACHE_ORDER_META);
	for (uint64_t i = 1; i < 8; i++)
		dirty(c, i, BCACHE_ORDER_DATA);
	CHECK_EQ(bcache_get_block(c, 20, &b), 0);
	bcache_put_block(c, b);
	CHECK_STR(reqs(d, 0), "W1+7 R20+1");
	CHECK_EQ(bcache_sync_all(c), 0);
	CHECK_STR(reqs(d, 2), "F W50+1 F");
	bcache_destroy(c);
	host_disk_free(d);
}

TEST(sync_flushes_data_written_early_even_with_nothing_dirty)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 8);
	struct bcache_buf *b;

	for (uint64_t i = 0; i < 8; i++)
		dirty(c, i, BCACHE_ORDER_DATA);
	CHECK_EQ(bcache_get_block(c, 20, &b), 0);
	bcache_put_block(c, b);
	CHECK_EQ(bcache_sync_all(c), 0);
	CHECK_STR(reqs(d, 0), "W0+8 R20+1 F");
	CHECK_EQ(bcache_sync_all(c), 0);	/* durable: no more flushes */
	CHECK_EQ(d->nreq, 3);
	bcache_destroy(c);
	host_disk_free(d);
}

/* Only metadata dirty: the full ordered sync, as before. */
TEST(pressure_on_metadata_runs_the_ordered_sync)
{
	struct host_disk *d = make_disk();
	struct bcache *c = bcache_create(&d->bd, BS, 8);
	struct bcache_buf *b;

	for (uint64_t i = 0; i < 4; i++)
		dirty(c, 10 + i, BCACHE_ORDER_META);
	for (uint64_t i = 0; i < 4; i++)
		dirty(c, 30 + i, BCACHE_ORDER_NAMES);
	CHECK_EQ(bcache_get_block(c, 20, &b), 0);
	bcache_put_block(c, b);
	CHECK_STR(reqs(d, 0), "W10+4 F W30+4 F R20+1");
	bcache_destroy(c);
	host_disk_free(d);
}
