/* ext2's multi-block requests, seen in the RAM disk's request log: a cold
 * sequential read of a file laid out contiguously is one read request;
 * readahead stops at holes, at jumps to elsewhere on the disk and at the
 * end of the file; random reads read only what they ask for; sequential
 * small reads grow the window; fsync writes a new file's data as one
 * request; the allocator's scan hint still hands out the first free
 * block. Every read is checked against what was written. */
#include "unit.h"
#include <stdlib.h>
#include <keel/compiler.h>
#include <keel/errno.h>
#include <keel/ext2.h>
#include "ext2_host.h"
#include "ext2_fixture.h"
#include "ext2_test.h"
#include "../../kernel/fs/ext2/ext2_internal.h"

#define BS		4096
#define SECT		(BS / 512)

struct disk {
	struct host_disk *d;
	struct ext2_fs *fs;
};

static bool
setup(struct disk *m)
{
	const char *src = fix_image(BS, "-I 128", "r4k");

	m->d = src ? t_load(src) : NULL;
	m->fs = NULL;
	if (!m->d)
		return false;
	CHECK_EQ(ext2_mount(&m->d->bd, 0, &m->fs), 0);
	return m->fs != NULL;
}

/* Unmounts and mounts again: nothing of the files is cached. */
static void
cold(struct disk *m)
{
	CHECK_EQ(ext2_unmount(m->fs), 0);
	CHECK_EQ(ext2_mount(&m->d->bd, 0, &m->fs), 0);
}

static void
teardown(struct disk *m)
{
	CHECK_EQ(ext2_unmount(m->fs), 0);
	host_disk_free(m->d);
}

static uint8_t *
pattern(size_t len, uint64_t base)
{
	uint8_t *p = malloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = fix_pattern(base + i);
	return p;
}

static uint32_t
create(struct disk *m, const char *name)
{
	uint32_t ino = 0;

	CHECK_EQ(ext2_create(m->fs, EXT2_ROOT_INODE, name, strlen(name),
			     0100644, 0, 0, 0, &ino), 0);
	return ino;
}

/* Writes blocks [@first, @first + @n) of @ino with the pattern. */
static void
put_blocks(struct disk *m, uint32_t ino, uint64_t first, uint64_t n)
{
	uint8_t *p = pattern(n * BS, first * BS);

	CHECK_EQ(ext2_write(m->fs, ino, p, n * BS, first * BS),
		 (long)(n * BS));
	free(p);
}

/* Where block @lblk of @ino is on the disk: the tests check the layout
 * they rely on rather than assume it. */
static uint32_t
pblk(struct disk *m, uint32_t ino, uint64_t lblk)
{
	struct ext2_node n;
	uint32_t p = 0;

	CHECK_EQ(ext2_node_load(m->fs, ino, &n), 0);
	CHECK_EQ(ext2_bmap(m->fs, &n, lblk, false, &p, NULL), 0);
	return p;
}

/* Looks @name up and loads its inode, so what follows is data only. */
static uint32_t
open_cold(struct disk *m, const char *name)
{
	struct ext2_attr a;
	uint32_t ino = 0;

	CHECK_EQ(ext2_lookup(m->fs, EXT2_ROOT_INODE, name, strlen(name),
			     &ino), 0);
	CHECK_EQ(ext2_getattr(m->fs, ino, &a), 0);
	return ino;
}

/* Reads @len at @off and checks it against the pattern (@hole_from..
 * @hole_to: zeros). */
static void
read_check(struct disk *m, uint32_t ino, uint64_t off, size_t len,
	   uint64_t hole_from, uint64_t hole_to)
{
	uint8_t *got = malloc(len);

	CHECK_EQ(ext2_read(m->fs, ino, got, len, off), (long)len);
	for (size_t i = 0; i < len; i++) {
		uint64_t pos = off + i;
		uint8_t want = pos >= hole_from && pos < hole_to ? 0 :
			       fix_pattern(pos);

		if (got[i] != want) {
			CHECK_EQ(got[i], want);
			break;
		}
	}
	free(got);
}

/* The read requests from index @from on: their count and block sizes. */
static int
reads_since(const struct host_disk *d, size_t from, uint32_t *blocks,
	    int max)
{
	int n = 0;

	for (size_t i = from; i < d->nreq; i++) {
		if (d->req[i].op != 'R')
			continue;
		if (n < max)
			blocks[n] = d->req[i].count / SECT;
		n++;
	}
	return n;
}

TEST(cold_sequential_read_of_a_contiguous_file_is_one_request)
{
	struct disk m;
	uint32_t blocks[4], ino;
	size_t from;

	if (!setup(&m))
		return;
	ino = create(&m, "seq");
	put_blocks(&m, ino, 0, 11);
	CHECK_EQ(pblk(&m, ino, 10), pblk(&m, ino, 0) + 10);
	cold(&m);
	ino = open_cold(&m, "seq");
	from = m.d->nreq;
	read_check(&m, ino, 0, 11 * BS - 100, 0, 0);
	CHECK_EQ(reads_since(m.d, from, blocks, 4), 1);
	CHECK_EQ(blocks[0], 11);
	/* All cached now: no more requests. */
	read_check(&m, ino, 5 * BS + 7, 3 * BS, 0, 0);
	CHECK_EQ(reads_since(m.d, from, blocks, 4), 1);
	teardown(&m);
}

/* Blocks 0-3 and 6-9 are next to each other on the disk (allocated one
 * after the other) but 4-5 are a hole: two requests, not one. */
TEST(readahead_stops_at_a_hole)
{
	struct disk m;
	uint32_t blocks[4], ino;
	size_t from;

	if (!setup(&m))
		return;
	ino = create(&m, "holey");
	put_blocks(&m, ino, 0, 4);
	put_blocks(&m, ino, 6, 4);
	CHECK_EQ(pblk(&m, ino, 6), pblk(&m, ino, 3) + 1);
	cold(&m);
	ino = open_cold(&m, "holey");
	from = m.d->nreq;
	read_check(&m, ino, 0, 10 * BS, 4 * BS, 6 * BS);
	CHECK_EQ(reads_since(m.d, from, blocks, 4), 2);
	CHECK_EQ(blocks[0], 4);
	CHECK_EQ(blocks[1], 4);
	teardown(&m);
}

/* a's blocks 0-2, b's block, a's blocks 3-5 on the disk: a's read stops
 * before b's block and starts again after it. */
TEST(readahead_stops_where_the_file_jumps_on_the_disk)
{
	struct disk m;
	uint32_t blocks[4], a, b;
	size_t from;

	if (!setup(&m))
		return;
	a = create(&m, "a");
	b = create(&m, "b");
	put_blocks(&m, a, 0, 3);
	put_blocks(&m, b, 0, 1);
	put_blocks(&m, a, 3, 3);
	CHECK_EQ(pblk(&m, b, 0), pblk(&m, a, 2) + 1);
	CHECK_EQ(pblk(&m, a, 3), pblk(&m, a, 2) + 2);
	cold(&m);
	a = open_cold(&m, "a");
	b = open_cold(&m, "b");
	from = m.d->nreq;
	read_check(&m, a, 0, 6 * BS, 0, 0);
	CHECK_EQ(reads_since(m.d, from, blocks, 4), 2);
	CHECK_EQ(blocks[0], 3);
	CHECK_EQ(blocks[1], 3);
	/* b's block was not read ahead into the cache. */
	read_check(&m, b, 0, BS, 0, 0);
	CHECK_EQ(reads_since(m.d, from, blocks, 4), 3);
	teardown(&m);
}

/* f's 2 blocks are followed on the disk by g's: reading f's first bytes
 * reads ahead to f's end, not into g. */
TEST(readahead_stops_at_the_end_of_the_file)
{
	struct disk m;
	uint32_t blocks[4], f, g;
	size_t from;

	if (!setup(&m))
		return;
	f = create(&m, "f");
	g = create(&m, "g");
	put_blocks(&m, f, 0, 2);
	put_blocks(&m, g, 0, 8);
	CHECK_EQ(ext2_truncate(m.fs, f, 2 * BS - 10), 0);
	CHECK_EQ(pblk(&m, g, 0), pblk(&m, f, 1) + 1);
	cold(&m);
	f = open_cold(&m, "f");
	g = open_cold(&m, "g");
	from = m.d->nreq;
	read_check(&m, f, 0, 100, 0, 0);
	CHECK_EQ(reads_since(m.d, from, blocks, 4), 1);
	CHECK_EQ(blocks[0], 2);
	read_check(&m, f, 100, 2 * BS - 110, 0, 0);
	read_check(&m, g, 0, BS, 0, 0);
	CHECK_EQ(reads_since(m.d, from, blocks, 4), 2);
	teardown(&m);
}

/* Reads that do not follow each other read what they ask for. */
TEST(random_reads_read_only_their_blocks)
{
	struct disk m;
	uint32_t blocks[8], ino;
	const uint64_t at[] = { 5, 2, 9, 7, 3 };
	size_t from;

	if (!setup(&m))
		return;
	put_blocks(&m, create(&m, "rnd"), 0, 11);
	cold(&m);
	ino = open_cold(&m, "rnd");
	from = m.d->nreq;
	for (int i = 0; i < 5; i++)
		read_check(&m, ino, at[i] * BS, BS, 0, 0);
	CHECK_EQ(reads_since(m.d, from, blocks, 8), 5);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(blocks[i], 1);
	teardown(&m);
}

/* 4 KiB reads one after the other (as a page cache makes them): the
 * window grows to 64 blocks, so 300 blocks take a handful of requests.
 * The indirect block sits between blocks 11 and 12 on the disk. */
TEST(sequential_small_reads_grow_the_window)
{
	struct disk m;
	uint32_t blocks[64], ino, total = 0;
	size_t from;
	int n;

	if (!setup(&m))
		return;
	put_blocks(&m, create(&m, "big"), 0, 300);
	cold(&m);
	ino = open_cold(&m, "big");
	from = m.d->nreq;
	for (uint64_t b = 0; b < 300; b++)
		read_check(&m, ino, b * BS, BS, 0, 0);
	n = reads_since(m.d, from, blocks, 64);
	printf("    # %d requests for 300 blocks\n", n);
	CHECK(n <= 10);
	for (int i = 0; i < n && i < 64; i++) {
		CHECK(blocks[i] <= 64);
		total += blocks[i];
	}
	CHECK_EQ(total, 301);	/* each data block once, and the indirect */
	teardown(&m);
}

/* fsync writes the new file's blocks (its indirect block among them, in
 * the same class) as one request. */
TEST(fsync_writes_a_contiguous_file_as_one_request)
{
	struct disk m;
	uint32_t ino;
	size_t from, writes = 0;

	if (!setup(&m))
		return;
	ino = create(&m, "w");
	put_blocks(&m, ino, 0, 40);
	from = m.d->nreq;
	CHECK_EQ(ext2_fsync(m.fs, ino), 0);
	for (size_t i = from; i < m.d->nreq && m.d->req[i].op != 'F'; i++) {
		CHECK_EQ(m.d->req[i].op, 'W');
		CHECK_EQ(m.d->req[i].count, 41 * SECT);
		writes++;
	}
	CHECK_EQ(writes, 1);
	cold(&m);
	read_check(&m, open_cold(&m, "w"), 0, 40 * BS, 0, 0);
	teardown(&m);
}

/* Blocks freed below the allocator's hint are found again: allocation
 * stays first-fit, only faster. */
TEST(freed_blocks_are_reused_first)
{
	struct disk m;
	uint32_t a, b, c, orphan, first;

	if (!setup(&m))
		return;
	a = create(&m, "a");
	b = create(&m, "b");
	put_blocks(&m, a, 0, 4);
	put_blocks(&m, b, 0, 4);
	first = pblk(&m, a, 0);
	CHECK_EQ(pblk(&m, b, 0), first + 4);
	CHECK_EQ(ext2_unlink(m.fs, EXT2_ROOT_INODE, "a", 1, &orphan), 0);
	CHECK_EQ(ext2_inode_release(m.fs, orphan), 0);
	c = create(&m, "c");
	put_blocks(&m, c, 0, 6);
	CHECK_EQ(pblk(&m, c, 0), first);
	CHECK_EQ(pblk(&m, c, 3), first + 3);
	CHECK_EQ(pblk(&m, c, 4), first + 8);	/* past b's */
	read_check(&m, b, 0, 4 * BS, 0, 0);
	read_check(&m, c, 0, 6 * BS, 0, 0);
	teardown(&m);
}

/* ext2_read_pages (the page cache's run fill) gives what ext2_read gives
 * -- data, a hole's zeros, nothing past the end of the file -- with 1 KiB
 * blocks (four to a page) and with 4 KiB ones, in no more requests. */
static void
pages_match_read(struct disk *m, int bs)
{
	enum { NPAGES = 6 };
	uint8_t *pages[NPAGES], *flat = malloc(NPAGES * 4096);
	uint32_t blocks[4], ino = create(m, "pages");
	uint64_t size = 5 * 4096 + 300;
	uint8_t *p = pattern(size, 0);
	size_t from;
	int nreads;

	CHECK_EQ(ext2_write(m->fs, ino, p, 4096, 0), 4096);
	CHECK_EQ(ext2_write(m->fs, ino, p + 2 * 4096, size - 2 * 4096,
			    2 * 4096), (long)(size - 2 * 4096));
	cold(m);
	ino = open_cold(m, "pages");
	for (int i = 0; i < NPAGES; i++) {
		pages[i] = malloc(4096);
		memset(pages[i], 0xaa, 4096);
	}
	from = m->d->nreq;
	CHECK_EQ(ext2_read_pages(m->fs, ino, (void *const *)pages, NPAGES, 0),
		 (long)size);
	nreads = reads_since(m->d, from, blocks, 4);
	cold(m);
	ino = open_cold(m, "pages");
	from = m->d->nreq;
	CHECK_EQ(ext2_read(m->fs, ino, flat, NPAGES * 4096, 0), (long)size);
	CHECK(nreads <= reads_since(m->d, from, blocks, 4));
	printf("# %d-byte blocks: %d read requests\n", bs, nreads);
	for (int i = 0; i < 5; i++)
		CHECK(memcmp(pages[i], flat + i * 4096, 4096) == 0);
	CHECK(memcmp(pages[5], flat + 5 * 4096, 300) == 0);
	CHECK_EQ(pages[5][300], 0);	/* past the end: zeros */
	CHECK_EQ(pages[1][7], 0);
	CHECK_EQ(pages[3][4096 - bs + 5],
		 fix_pattern(3 * 4096 + 4096 - bs + 5));	/* its last block */
	CHECK_EQ(ext2_read_pages(m->fs, ino, (void *const *)pages, 1, 100),
		 -EINVAL);
	for (int i = 0; i < NPAGES; i++)
		free(pages[i]);
	free(flat);
	free(p);
}

TEST(read_pages_fills_pages_like_ext2_read)
{
	struct disk m;

	if (!setup(&m))
		return;
	pages_match_read(&m, BS);
	teardown(&m);
	m.d = t_load(fix_image(1024, "-I 128", "r1k"));
	CHECK(m.d != NULL);
	if (!m.d)
		return;
	CHECK_EQ(ext2_mount(&m.d->bd, 0, &m.fs), 0);
	pages_match_read(&m, 1024);
	teardown(&m);
}

/* A block dirty in the block cache (written, not yet on the disk) is
 * read from there, not from the device, by the direct path around it;
 * the blocks read directly are not cached, and read again after a write
 * give the new data. */
TEST(read_pages_takes_dirty_blocks_from_the_block_cache)
{
	enum { NPAGES = 8 };
	uint8_t *pages[NPAGES];
	uint32_t blocks[4], ino;
	struct disk m;
	size_t from;

	if (!setup(&m))
		return;
	ino = create(&m, "dirty");
	put_blocks(&m, ino, 0, NPAGES);
	CHECK_EQ(pblk(&m, ino, NPAGES - 1), pblk(&m, ino, 0) + NPAGES - 1);
	cold(&m);
	ino = open_cold(&m, "dirty");
	CHECK_EQ(ext2_write(m.fs, ino, "XXXX", 4, 3 * BS + 10), 4);
	for (int i = 0; i < NPAGES; i++)
		pages[i] = malloc(BS);
	from = m.d->nreq;
	CHECK_EQ(ext2_read_pages(m.fs, ino, (void *const *)pages, NPAGES, 0),
		 NPAGES * BS);
	CHECK_EQ(reads_since(m.d, from, blocks, 4), 2);	/* 0-2, 4-7 */
	CHECK_EQ(blocks[0], 3);
	CHECK_EQ(blocks[1], 4);
	CHECK(memcmp(pages[3] + 10, "XXXX", 4) == 0);
	CHECK_EQ(pages[3][9], fix_pattern(3 * BS + 9));
	CHECK_EQ(pages[3][14], fix_pattern(3 * BS + 14));
	CHECK_EQ(pages[6][5], fix_pattern(6 * BS + 5));
	CHECK(!bcache_has_block(m.fs->cache, pblk(&m, ino, 6)));
	CHECK_EQ(ext2_write(m.fs, ino, "YY", 2, 6 * BS + 5), 2);
	CHECK_EQ(ext2_read_pages(m.fs, ino, (void *const *)pages, NPAGES, 0),
		 NPAGES * BS);
	CHECK(memcmp(pages[6] + 5, "YY", 2) == 0);
	CHECK(memcmp(pages[3] + 10, "XXXX", 4) == 0);
	CHECK_EQ(pages[7][0], fix_pattern(7 * BS));
	for (int i = 0; i < NPAGES; i++)
		free(pages[i]);
	teardown(&m);
}
