/* Crash safety of ext2's write ordering: a workload runs after an fsync,
 * then the power is cut after each possible number of writes of its sync.
 * The write the cut falls on is torn: half of its blocks land, as a
 * multi-block request may on real hardware. For every cut, e2fsck -fy
 * must repair the image (then -fn find it clean), the fsync'd file must
 * be intact, and a name replaced by rename must still exist, old or new. */
#include "unit.h"
#include <stdlib.h>
#include <keel/compiler.h>
#include <keel/errno.h>
#include <keel/ext2.h>
#include "ext2_host.h"
#include "ext2_fixture.h"
#include "ext2_test.h"

#define DURABLE_LEN	30000
#define MAX_CUTS	24
#define BIG_LEN		(6u << 20)	/* more than the 4 MiB cache */

typedef void (*workload_fn)(struct ext2_fs *fs, const uint8_t *junk);

static uint32_t
mkfile(struct ext2_fs *fs, uint32_t dir, const char *name, const void *data,
       size_t len)
{
	uint32_t ino = 0;

	CHECK_EQ(ext2_create(fs, dir, name, strlen(name), 0100644, 0, 0, 0,
			     &ino), 0);
	CHECK_EQ(ext2_write(fs, ino, data, len, 0), (long)len);
	return ino;
}

/* The part before the cut: a durable file and a synced rename target. */
static void
prepare(struct ext2_fs *fs, const uint8_t *durable)
{
	uint32_t ino = mkfile(fs, EXT2_ROOT_INODE, "durable", durable,
			      DURABLE_LEN);

	mkfile(fs, EXT2_ROOT_INODE, "target", "OLD", 3);
	CHECK_EQ(ext2_sync(fs), 0);
	CHECK_EQ(ext2_write(fs, ino, durable, DURABLE_LEN, DURABLE_LEN),
		 DURABLE_LEN);
	CHECK_EQ(ext2_fsync(fs, ino), 0);
}

/* What runs while the power may go: every kind of change. */
static void
workload(struct ext2_fs *fs, const uint8_t *junk)
{
	uint32_t root = EXT2_ROOT_INODE, x, orphan, ino;

	CHECK_EQ(ext2_mkdir(fs, root, "x", 1, 0755, 0, 0, &x), 0);
	mkfile(fs, x, "y", junk, 5000);
	mkfile(fs, root, "tmpnew", "NEW", 3);
	CHECK_EQ(ext2_rename(fs, root, "tmpnew", 6, root, "target", 6,
			     &orphan), 0);
	CHECK_EQ(ext2_inode_release(fs, orphan), 0);
	CHECK_EQ(ext2_rename(fs, root, "hello.txt", 9, x, "hello2", 6,
			     &orphan), 0);
	CHECK_EQ(ext2_rename(fs, t_path(fs, "/sub"), "dir", 3, x, "dir", 3,
			     &orphan), 0);
	CHECK_EQ(ext2_unlink(fs, t_path(fs, "/many"), "f001", 4, &orphan), 0);
	CHECK_EQ(ext2_inode_release(fs, orphan), 0);
	CHECK_EQ(ext2_truncate(fs, t_path(fs, "/sub/data.bin"), 100), 0);
	CHECK_EQ(ext2_symlink(fs, x, "s", 1, "../durable", 10, 0, 0, &ino), 0);
	mkfile(fs, root, "late", junk, 20000);
	CHECK_EQ(ext2_sync(fs), 0);
}

/* A write larger than the cache: the cache writes file data early, with
 * no flush, to make room; the rename and the metadata come after. */
static void
workload_big(struct ext2_fs *fs, const uint8_t *junk)
{
	uint32_t root = EXT2_ROOT_INODE, orphan, ino = 0;

	mkfile(fs, root, "tmpnew", "NEW", 3);
	CHECK_EQ(ext2_create(fs, root, "big", 3, 0100644, 0, 0, 0, &ino), 0);
	for (uint32_t off = 0; off < BIG_LEN; off += 20000)
		CHECK_EQ(ext2_write(fs, ino, junk, 20000, off), 20000);
	CHECK_EQ(ext2_rename(fs, root, "tmpnew", 6, root, "target", 6,
			     &orphan), 0);
	CHECK_EQ(ext2_inode_release(fs, orphan), 0);
	CHECK_EQ(ext2_sync(fs), 0);
}

/* Mounts a fresh copy, runs up to the workload, cuts the power after
 * @cut more writes (UINT64_MAX: never) and returns the writes it made. */
static uint64_t
run(const char *src, int bs, workload_fn work, uint64_t cut,
    const uint8_t *durable, const uint8_t *junk, const char *out)
{
	struct host_disk *d = t_load(src);
	struct ext2_fs *fs;
	uint64_t start;

	CHECK_EQ(ext2_mount(&d->bd, 0, &fs), 0);
	prepare(fs, durable);
	start = d->nwrites;
	d->cut_after = cut == UINT64_MAX ? cut : start + cut;
	d->tear_align = (uint32_t)bs / 512;
	work(fs, junk);
	if (out)
		CHECK_EQ(host_disk_save(d, out), 0);
	ext2_unmount(fs);
	start = d->nwrites - start;
	host_disk_free(d);
	return start;
}

static bool
target_survived(const char *img)
{
	size_t len = 0;
	char *got = fix_debugfs_cat(img, "/target", &len);
	bool ok = got && len == 3 &&
		  (!memcmp(got, "OLD", 3) || !memcmp(got, "NEW", 3));

	free(got);
	return ok;
}

static void
check_cut(const char *img, const uint8_t *durable)
{
	size_t len = 0;
	char *got;
	int r = fix_run("e2fsck -fy '%s' > '%s.fy' 2>&1", img, img);

	CHECK(r == 0 || r == 1);
	CHECK_EQ(fix_fsck(img), 0);
	got = fix_debugfs_cat(img, "/durable", &len);
	CHECK(got && len == 2 * DURABLE_LEN);
	CHECK(got && !memcmp(got, durable, DURABLE_LEN) &&
	      !memcmp(got + DURABLE_LEN, durable, DURABLE_LEN));
	free(got);
	CHECK(target_survived(img));
}

static void
crash_at_every_write(int bs, const char *extra, const char *tag,
		     workload_fn work)
{
	const char *src = fix_image(bs, extra, tag);
	uint8_t *durable = malloc(DURABLE_LEN), junk[20000];
	char img[256];
	uint64_t total, step;

	for (size_t i = 0; i < DURABLE_LEN; i++)
		durable[i] = fix_pattern(i * 3);
	memset(junk, 0x5a, sizeof(junk));
	snprintf(img, sizeof(img), "%s/crash-%s.img", fix_tmpdir(), tag);
	total = run(src, bs, work, UINT64_MAX, durable, junk, NULL);
	CHECK(total > 10);
	printf("    # %llu writes, cut at every %llu\n", (unsigned long long)total, (unsigned long long)(total > MAX_CUTS ? total / MAX_CUTS : 1));
	step = total > MAX_CUTS ? total / MAX_CUTS : 1;
	for (uint64_t cut = 0; cut <= total; cut += step) {
		run(src, bs, work, cut, durable, junk, img);
		check_cut(img, durable);
	}
	free(durable);
}

TEST(power_cut_during_sync_1k)
{
	crash_at_every_write(1024, "-g 1024", "groups", workload);
}

TEST(power_cut_during_sync_4k)
{
	crash_at_every_write(4096, "-I 128", "r4k", workload);
}

TEST(power_cut_while_writing_more_than_the_cache)
{
	crash_at_every_write(4096, "-I 128", "r4k", workload_big);
}
