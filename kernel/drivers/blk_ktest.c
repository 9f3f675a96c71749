/* --test=blk: block devices end to end on a disk tests/vm/test_blk.py
 * prepares: every sector outside the partition table holds a known
 * pattern; partitions 1 (sectors 2048-4095) and 2 (4096-8191). Reads
 * (many threads at once), writes the host checks after power-off, flush,
 * partitions, bounds and read-only refusal. Named only: needs the disk. */
#include <keel/blkdev.h>
#include <keel/clock.h>
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/ktest.h>
#include <keel/printk.h>
#include <keel/thread.h>

#define BLK_P1_START		2048
#define BLK_P1_SECTORS		2048
#define BLK_P2_START		4096
#define BLK_P2_SECTORS		4096
#define BLK_WORDS		(BLKDEV_SECTOR_SIZE / 8)
#define BLK_PATTERN_TAG		0x4b45454c00000000ULL	/* "KEEL" */
#define BLK_READERS		8
#define BLK_READS_EACH		24
#define BLK_MAX_READ		96	/* sectors: crosses many pages */
#define BLK_WRITERS		4
#define BLK_JOIN_NS		(120 * NSEC_PER_SEC)

/* Word @i of disk sector @lba; what tests/vm/test_blk.py writes. */
static uint64_t
blk_pattern(uint64_t lba, unsigned i)
{
	return BLK_PATTERN_TAG | lba << 8 | i;
}

/* How many words of @count sectors at @buf differ from the pattern of
 * disk sector @lba on (inverted when @inverted). */
static int
blk_check(const void *buf, uint64_t lba, uint32_t count, bool inverted)
{
	const uint8_t *p = buf;
	int bad = 0;

	for (uint32_t s = 0; s < count; s++) {
		for (unsigned i = 0; i < BLK_WORDS; i++) {
			uint64_t w, want = blk_pattern(lba + s, i);

			__builtin_memcpy(&w, p + s * BLKDEV_SECTOR_SIZE + i * 8, 8);
			bad += w != (inverted ? ~want : want);
		}
	}
	return bad;
}

static struct blkdev *
blk_disk(void)
{
	struct blkdev *bd = blkdev_find("vda");

	if (!bd)
		ktest_fail(__FILE__, __LINE__, "no block device vda");
	return bd;
}

static void
blk_partitions_found(void)
{
	struct blkdev *p1 = blkdev_find("/dev/vda1"), *p2 = blkdev_find("vda2");

	KT_EXPECT(blk_disk() != NULL);
	KT_EXPECT(p1 != NULL && p2 != NULL);
	if (!p1 || !p2)
		return;
	KT_EXPECT_EQ(p1->start, BLK_P1_START);
	KT_EXPECT_EQ(p1->sectors, BLK_P1_SECTORS);
	KT_EXPECT_EQ(p2->start, BLK_P2_START);
	KT_EXPECT_EQ(p2->sectors, BLK_P2_SECTORS);
	KT_EXPECT(blkdev_find("vda5") == NULL);
}

/* One large read (many pages, several requests), an odd-address buffer,
 * a stack buffer (kernel virtual area, not the direct map), and the same
 * sectors through the partition. */
static void
blk_read_pattern(void)
{
	struct blkdev *bd = blk_disk(), *p1 = blkdev_find("vda1");
	uint8_t *big = kmalloc(BLK_P1_SECTORS * BLKDEV_SECTOR_SIZE);
	uint8_t *odd = kmalloc(4 * BLKDEV_SECTOR_SIZE + 1);
	uint8_t stack_buf[2 * BLKDEV_SECTOR_SIZE];

	if (!bd || !p1 || !big || !odd)
		goto out;
	KT_EXPECT_EQ(blkdev_read(bd, BLK_P1_START, big, BLK_P1_SECTORS), 0);
	KT_EXPECT_EQ(blk_check(big, BLK_P1_START, BLK_P1_SECTORS, false), 0);
	KT_EXPECT_EQ(blkdev_read(bd, BLK_P1_START + 1, odd + 1, 3), 0);
	KT_EXPECT_EQ(blk_check(odd + 1, BLK_P1_START + 1, 3, false), 0);
	KT_EXPECT_EQ(blkdev_read(p1, 7, stack_buf, 2), 0);
	KT_EXPECT_EQ(blk_check(stack_buf, BLK_P1_START + 7, 2, false), 0);
out:
	kfree(big);
	kfree(odd);
}

static uint64_t
blk_next_random(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static void
blk_reader(void *arg)
{
	struct blkdev *p1 = blkdev_find("vda1");
	uint64_t seed = (uintptr_t)arg;
	uint8_t *buf = kmalloc(BLK_MAX_READ * BLKDEV_SECTOR_SIZE + 8);
	int bad = 0;

	for (int i = 0; buf && p1 && i < BLK_READS_EACH && !bad; i++) {
		uint32_t count = 1 + blk_next_random(&seed) % BLK_MAX_READ;
		uint64_t lba = blk_next_random(&seed) % (BLK_P1_SECTORS - count);
		unsigned shift = blk_next_random(&seed) % 8;

		if (blkdev_read(p1, lba, buf + shift, count) != 0 ||
		    blk_check(buf + shift, BLK_P1_START + lba, count, false))
			bad = 1;
	}
	kfree(buf);
	thread_exit(buf && p1 ? bad : 1);
}

static void
blk_concurrent_readers(void)
{
	struct thread *t[BLK_READERS];
	int code;

	for (uintptr_t i = 0; i < BLK_READERS; i++) {
		t[i] = thread_create("blk_reader", blk_reader, (void *)(i + 1));
		KT_EXPECT(!IS_ERR(t[i]));
	}
	for (int i = 0; i < BLK_READERS; i++) {
		if (IS_ERR(t[i]))
			continue;
		code = -1;
		KT_EXPECT_EQ(thread_join(t[i], &code,
					 clock_monotonic_ns() + BLK_JOIN_NS), 0);
		KT_EXPECT_EQ(code, 0);
	}
}

/* Writer @arg fills its quarter of partition 2 with the inverted
 * pattern, 32 sectors per request. */
static void
blk_writer(void *arg)
{
	struct blkdev *p2 = blkdev_find("vda2");
	uint32_t quarter = BLK_P2_SECTORS / BLK_WRITERS, chunk = 32;
	uint64_t first = (uintptr_t)arg * quarter;
	uint64_t *buf = kmalloc(chunk * BLKDEV_SECTOR_SIZE);
	int err = buf && p2 ? 0 : -ENOMEM;

	for (uint64_t lba = first; !err && lba < first + quarter; lba += chunk) {
		for (uint32_t s = 0; s < chunk; s++)
			for (unsigned i = 0; i < BLK_WORDS; i++)
				buf[s * BLK_WORDS + i] =
					~blk_pattern(BLK_P2_START + lba + s, i);
		err = blkdev_write(p2, lba, buf, chunk);
	}
	kfree(buf);
	thread_exit(err ? 1 : 0);
}

static void
blk_write_read_only(struct blkdev *bd)
{
	uint8_t buf[BLKDEV_SECTOR_SIZE] = { 0 };

	printk("    # blk: vda is read-only\n");
	KT_EXPECT_EQ(blkdev_write(bd, BLK_P2_START, buf, 1), -EROFS);
	KT_EXPECT_EQ(blkdev_write(blkdev_find("vda2"), 0, buf, 1), -EROFS);
	/* The device itself refuses too, without harm. */
	KT_EXPECT_EQ(bd->ops->write(bd, BLK_P2_START, buf, 1), -EIO);
	KT_EXPECT_EQ(blkdev_read(bd, BLK_P2_START, buf, 1), 0);
	KT_EXPECT_EQ(blk_check(buf, BLK_P2_START, 1, false), 0);
}

static void
blk_write_pattern(void)
{
	struct blkdev *bd = blk_disk();
	struct thread *t[BLK_WRITERS];
	uint8_t *back;
	int code;

	if (!bd)
		return;
	if (bd->read_only) {
		blk_write_read_only(bd);
		return;
	}
	for (uintptr_t i = 0; i < BLK_WRITERS; i++)
		t[i] = thread_create("blk_writer", blk_writer, (void *)i);
	for (int i = 0; i < BLK_WRITERS; i++) {
		code = -1;
		KT_EXPECT(!IS_ERR(t[i]));
		if (!IS_ERR(t[i]))
			thread_join(t[i], &code, clock_monotonic_ns() + BLK_JOIN_NS);
		KT_EXPECT_EQ(code, 0);
	}
	back = kmalloc(BLK_P2_SECTORS * BLKDEV_SECTOR_SIZE);
	if (!back)
		return;
	KT_EXPECT_EQ(blkdev_read(bd, BLK_P2_START, back, BLK_P2_SECTORS), 0);
	KT_EXPECT_EQ(blk_check(back, BLK_P2_START, BLK_P2_SECTORS, true), 0);
	kfree(back);
	printk("    # blk: wrote partition 2\n");
}

static void
blk_flush_succeeds(void)
{
	struct blkdev *bd = blk_disk();

	if (bd)
		KT_EXPECT_EQ(blkdev_flush(bd), 0);
}

static void
blk_bounds_checked(void)
{
	struct blkdev *bd = blk_disk(), *p1 = blkdev_find("vda1");
	uint8_t buf[BLKDEV_SECTOR_SIZE];

	if (!bd || !p1)
		return;
	KT_EXPECT_EQ(blkdev_read(bd, bd->sectors, buf, 1), -EIO);
	KT_EXPECT_EQ(blkdev_read(bd, bd->sectors - 1, buf, 2), -EIO);
	KT_EXPECT_EQ(blkdev_read(p1, BLK_P1_SECTORS, buf, 1), -EIO);
	KT_EXPECT_EQ(blkdev_read(bd, UINT64_MAX, buf, 1), -EIO);
	KT_EXPECT_EQ(blkdev_read(p1, BLK_P1_SECTORS - 1, buf, 1), 0);
}

KTEST_SUITE_DEFINE(blk, true,
	KTEST_CASE(blk_partitions_found),
	KTEST_CASE(blk_read_pattern),
	KTEST_CASE(blk_concurrent_readers),
	KTEST_CASE(blk_write_pattern),
	KTEST_CASE(blk_flush_succeeds),
	KTEST_CASE(blk_bounds_checked),
);
