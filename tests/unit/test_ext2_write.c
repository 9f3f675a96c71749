/* Host tests for writing ext2: files, directories, links, symlinks and
 * device nodes created, renamed, unlinked and truncated on mke2fs images;
 * after unmount e2fsck -fn must find nothing to fix and debugfs must read
 * back what was written. Also orphans, a full disk and fsync. */
#include "unit.h"
#include <stdlib.h>
#include <keel/compiler.h>
#include <keel/errno.h>
#include <keel/ext2.h>
#include "ext2_host.h"
#include "ext2_fixture.h"
#include "ext2_test.h"

#define NEW_LEN		100000
#define ODD_CHUNK	777
#define LONG_TARGET	200

struct mounted {
	char img[256];
	struct host_disk *d;
	struct ext2_fs *fs;
};

/* A private copy of a fixture image, mounted read-write. */
static bool
mount_copy(struct mounted *m, int bs, const char *extra, const char *tag,
	   const char *name)
{
	const char *src = fix_image(bs, extra, tag);

	snprintf(m->img, sizeof(m->img), "%s/%s.img", fix_tmpdir(), name);
	m->d = src ? t_load(src) : NULL;
	m->fs = NULL;
	if (!m->d)
		return false;
	CHECK_EQ(ext2_mount(&m->d->bd, 0, &m->fs), 0);
	return m->fs != NULL;
}

/* Unmounts, saves the image and has e2fsck check it. */
static void
unmount_check(struct mounted *m)
{
	CHECK_EQ(ext2_unmount(m->fs), 0);
	CHECK_EQ(host_disk_save(m->d, m->img), 0);
	CHECK_EQ(fix_fsck(m->img), 0);
}

static void
remount(struct mounted *m, int flags)
{
	CHECK_EQ(ext2_mount(&m->d->bd, flags, &m->fs), 0);
}

static uint8_t *
pattern(size_t len, uint64_t base)
{
	uint8_t *p = malloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = fix_pattern(base + i);
	return p;
}

static bool
debugfs_is(const char *img, const char *path, const void *want, size_t len)
{
	size_t got_len = 0;
	char *got = fix_debugfs_cat(img, path, &got_len);
	bool ok = got && got_len == len && !memcmp(got, want, len);

	if (!ok)
		printf("    # debugfs cat %s: %zu bytes, want %zu\n", path,
		       got_len, len);
	free(got);
	return ok;
}

static uint32_t
mkfile(struct ext2_fs *fs, uint32_t dir, const char *name, const char *text)
{
	uint32_t ino = 0;

	CHECK_EQ(ext2_create(fs, dir, name, strlen(name), 0100644, 0, 0, 0,
			     &ino), 0);
	if (text)
		CHECK_EQ(ext2_write(fs, ino, text, strlen(text), 0),
			 (long)strlen(text));
	return ino;
}

/* Writes NEW_LEN bytes in odd pieces (block-straddling, indirect). */
static void
write_new_file(struct ext2_fs *fs, const uint8_t *data)
{
	uint32_t ino = mkfile(fs, EXT2_ROOT_INODE, "new.txt", NULL);
	uint8_t *back = malloc(NEW_LEN);

	for (size_t off = 0; off < NEW_LEN; off += ODD_CHUNK) {
		size_t n = MIN((size_t)ODD_CHUNK, NEW_LEN - off);

		CHECK_EQ(ext2_write(fs, ino, data + off, n, off), (long)n);
	}
	CHECK_EQ(ext2_read(fs, ino, back, NEW_LEN, 0), NEW_LEN);
	CHECK(!memcmp(back, data, NEW_LEN));
	free(back);
}

static void
make_names(struct ext2_fs *fs)
{
	uint32_t root = EXT2_ROOT_INODE, d1, d2, ino, orphan;
	char target[LONG_TARGET + 1];
	struct ext2_attr a;

	CHECK_EQ(ext2_mkdir(fs, root, "d1", 2, 0755, 0, 0, &d1), 0);
	CHECK_EQ(ext2_mkdir(fs, d1, "d2", 2, 0700, 0, 0, &d2), 0);
	CHECK_EQ(ext2_mkdir(fs, d1, "d2", 2, 0700, 0, 0, &ino), -EEXIST);
	mkfile(fs, d2, "f", "in d2\n");
	CHECK_EQ(ext2_symlink(fs, root, "sl_fast", 7, "new.txt", 7, 0, 0, &ino),
		 0);
	memset(target, 't', LONG_TARGET);
	CHECK_EQ(ext2_symlink(fs, root, "sl_slow", 7, target, LONG_TARGET, 0, 0,
			      &ino), 0);
	ino = t_path(fs, "/new.txt");
	CHECK_EQ(ext2_link(fs, root, "new_link", 8, ino), 0);
	CHECK_EQ(ext2_link(fs, root, "dl", 2, d1), -EPERM);
	CHECK_EQ(ext2_getattr(fs, ino, &a), 0);
	CHECK_EQ(a.nlink, 2);
	CHECK_EQ(ext2_rename(fs, root, "new_link", 8, d1, "moved_link", 10,
			     &orphan), 0);
	CHECK_EQ(orphan, 0);
	/* a directory changes parents: "..", link counts */
	CHECK_EQ(ext2_rename(fs, d1, "d2", 2, root, "d2moved", 7, &orphan), 0);
	CHECK_EQ(t_path(fs, "/d2moved/.."), EXT2_ROOT_INODE);
	CHECK(t_content_is(fs, "/d2moved/f", "in d2\n"));
	CHECK_EQ(ext2_rename(fs, root, "d2moved", 7, d2, "x", 1, &orphan),
		 -EINVAL);
	CHECK_EQ(ext2_rename(fs, root, "d1", 2, d1, "x", 1, &orphan), -EINVAL);
	CHECK_EQ(ext2_getattr(fs, d1, &a), 0);
	CHECK_EQ(a.nlink, 2);
}

static void
replace_and_remove(struct ext2_fs *fs)
{
	uint32_t root = EXT2_ROOT_INODE, a_ino, b_ino, orphan, d3, ino;

	a_ino = mkfile(fs, root, "a", "AAA");
	b_ino = mkfile(fs, root, "b", "BBB");
	CHECK_EQ(ext2_rename(fs, root, "a", 1, root, "b", 1, &orphan), 0);
	CHECK_EQ(orphan, b_ino);
	CHECK_EQ(t_path(fs, "/b"), a_ino);
	CHECK_EQ(t_path(fs, "/a"), 0);
	CHECK_EQ(ext2_inode_release(fs, orphan), 0);
	CHECK_EQ(ext2_getattr(fs, b_ino, &(struct ext2_attr){ 0 }), -EIO);
	/* a directory over an empty directory, not over a file */
	CHECK_EQ(ext2_mkdir(fs, root, "d3", 2, 0755, 0, 0, &d3), 0);
	CHECK_EQ(ext2_rename(fs, root, "d3", 2, root, "b", 1, &orphan),
		 -ENOTDIR);
	CHECK_EQ(ext2_rename(fs, root, "b", 1, root, "d3", 2, &orphan),
		 -EISDIR);
	CHECK_EQ(ext2_rename(fs, root, "d3", 2, root, "d1", 2, &orphan),
		 -ENOTEMPTY);
	CHECK_EQ(ext2_rmdir(fs, root, "d1", 2, &orphan), -ENOTEMPTY);
	CHECK_EQ(ext2_mkdir(fs, root, "d4", 2, 0755, 0, 0, &ino), 0);
	CHECK_EQ(ext2_rename(fs, root, "d4", 2, root, "d3", 2, &orphan), 0);
	CHECK_EQ(orphan, d3);
	CHECK_EQ(ext2_inode_release(fs, orphan), 0);
	CHECK_EQ(ext2_rmdir(fs, root, "d3", 2, &orphan), 0);
	CHECK_EQ(orphan, ino);
	CHECK_EQ(ext2_inode_release(fs, orphan), 0);
	CHECK_EQ(ext2_unlink(fs, root, "d1", 2, &orphan), -EISDIR);
	CHECK_EQ(ext2_rmdir(fs, root, "hello.txt", 9, &orphan), -ENOTDIR);
	CHECK_EQ(ext2_unlink(fs, root, "..", 2, &orphan), -EINVAL);
}

/* Half the names of a many-block directory go, new ones fill the gaps
 * and then new blocks. */
static void
churn_directory(struct ext2_fs *fs)
{
	uint32_t many = t_path(fs, "/many"), orphan, ino;
	char name[32];

	for (int i = 0; i < FIX_MANY; i += 2) {
		snprintf(name, sizeof(name), "f%03d", i);
		CHECK_EQ(ext2_unlink(fs, many, name, 4, &orphan), 0);
		CHECK(orphan != 0);
		CHECK_EQ(ext2_inode_release(fs, orphan), 0);
	}
	for (int i = 0; i < 3 * FIX_MANY; i++) {
		snprintf(name, sizeof(name), "a_longer_name_%04d", i);
		CHECK_EQ(ext2_create(fs, many, name, strlen(name), 0100600, 0,
				     0, 0, &ino), 0);
	}
	CHECK_EQ(t_count_entries(fs, many), 2 + FIX_MANY / 2 + 3 * FIX_MANY);
	CHECK(t_content_is(fs, "/many/f099", "file 99\n"));
}

static void
truncate_files(struct ext2_fs *fs, int bs)
{
	uint32_t sparse = t_path(fs, "/sparse");
	uint32_t data = t_path(fs, "/sub/data.bin");
	struct ext2_statfs before, after;
	uint8_t buf[3000];
	bool zero = true;

	ext2_statfs(fs, &before);
	CHECK_EQ(ext2_truncate(fs, sparse, 15000), 0);
	ext2_statfs(fs, &after);
	/* the chunks past 15000 and their (double, triple) indirect blocks */
	CHECK(after.blocks_free > before.blocks_free + (bs == 1024 ? 20 : 4));
	CHECK_EQ(ext2_truncate(fs, sparse, NEW_LEN), 0);
	CHECK_EQ(ext2_read(fs, sparse, buf, sizeof(buf), 14000), sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		zero = zero && buf[i] == 0;
	CHECK(zero);
	CHECK_EQ(ext2_read(fs, sparse, buf, sizeof(buf), 4000), sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		zero = zero && buf[i] == (i < 1000 ? fix_pattern(4000 + i) : 0);
	CHECK(zero);
	CHECK_EQ(ext2_truncate(fs, data, 1000), 0);
	CHECK_EQ(ext2_truncate(fs, data, 3000), 0);
	CHECK_EQ(ext2_read(fs, data, buf, sizeof(buf), 0), 3000);
	for (size_t i = 0; i < sizeof(buf); i++)
		zero = zero && buf[i] == (i < 1000 ? fix_pattern(i) : 0);
	CHECK(zero);
	CHECK_EQ(ext2_truncate(fs, EXT2_ROOT_INODE, 0), -EISDIR);
}

#define SOME_TIME_NS	(1234567890ull * 1000000000 + 123456789)

/* @large: 256-byte inodes keep nanoseconds, 128-byte ones seconds. */
static void
set_attributes(struct ext2_fs *fs, bool large)
{
	struct ext2_attr a = { .mode = 0600, .uid = 100000, .gid = 100,
			       .mtime_ns = SOME_TIME_NS };
	uint32_t ino = t_path(fs, "/hello.txt"), dev;

	CHECK_EQ(ext2_setattr(fs, ino, &a, EXT2_ATTR_MODE | EXT2_ATTR_UID |
			      EXT2_ATTR_GID | EXT2_ATTR_MTIME), 0);
	memset(&a, 0, sizeof(a));
	CHECK_EQ(ext2_getattr(fs, ino, &a), 0);
	CHECK_EQ(a.mode, 0100600);
	CHECK_EQ(a.uid, 100000);
	CHECK_EQ(a.gid, 100);
	CHECK_EQ(a.mtime_ns, large ? SOME_TIME_NS :
		 SOME_TIME_NS - SOME_TIME_NS % 1000000000);
	CHECK_EQ(ext2_create(fs, EXT2_ROOT_INODE, "fifo", 4, 010644, 0, 0, 0,
			     &dev), 0);
	CHECK_EQ(ext2_create(fs, EXT2_ROOT_INODE, "null", 4, 020666, 0x103, 0,
			     0, &dev), 0);
	CHECK_EQ(ext2_getattr(fs, dev, &a), 0);
	CHECK_EQ(a.rdev, 0x103);
}

static void
check_with_e2fsprogs(struct mounted *m, const uint8_t *data)
{
	uint8_t *p = pattern(3000, 0);

	memset(p + 1000, 0, 2000);
	CHECK(debugfs_is(m->img, "/new.txt", data, NEW_LEN));
	CHECK(debugfs_is(m->img, "/d1/moved_link", data, NEW_LEN));
	CHECK(debugfs_is(m->img, "/b", "AAA", 3));
	CHECK(debugfs_is(m->img, "/d2moved/f", "in d2\n", 6));
	CHECK(debugfs_is(m->img, "/sub/data.bin", p, 3000));
	CHECK(debugfs_is(m->img, "/many/f099", "file 99\n", 8));
	CHECK_EQ(fix_run("debugfs -R 'stat /sl_slow' '%s' 2>/dev/null | "
			 "grep -q 'Size: 200'", m->img), 0);
	CHECK_EQ(fix_run("debugfs -R 'ls -l /' '%s' 2>/dev/null | "
			 "grep -q 'fifo'", m->img), 0);
	CHECK_EQ(fix_run("debugfs -R 'stat /hello.txt' '%s' 2>/dev/null | "
			 "grep -q 'mtime: 0x499602d2'", m->img), 0);
	free(p);
}

static void
write_image(int bs, const char *extra, const char *tag)
{
	struct mounted m;
	char name[64];
	uint8_t *data = pattern(NEW_LEN, 7);

	snprintf(name, sizeof(name), "w-%s", tag);
	if (!mount_copy(&m, bs, extra, tag, name))
		return;
	CHECK(!ext2_is_read_only(m.fs));
	write_new_file(m.fs, data);
	make_names(m.fs);
	replace_and_remove(m.fs);
	churn_directory(m.fs);
	truncate_files(m.fs, bs);
	set_attributes(m.fs, strcmp(extra, "-I 128") && strcmp(tag, "rev0"));
	unmount_check(&m);
	check_with_e2fsprogs(&m, data);
	remount(&m, EXT2_MOUNT_RDONLY);
	if (m.fs) {
		long errors = 0, visits = host_ext2_walk(m.fs, &errors);

		CHECK(visits > 250);	/* the walk caps entries per dir */
		CHECK_EQ(errors, 0);
		CHECK(t_content_is(m.fs, "/b", "AAA"));
		ext2_unmount(m.fs);
	}
	host_disk_free(m.d);
	free(data);
}

TEST(writes_1k_image)
{
	write_image(1024, "", "r1k");
}

TEST(writes_4k_image_with_small_inodes)
{
	write_image(4096, "-I 128", "r4k");
}

TEST(writes_2k_image)
{
	write_image(2048, "", "r2k");
}

TEST(writes_1k_image_with_8_groups)
{
	write_image(1024, "-g 1024", "groups");
}

TEST(writes_without_filetype)
{
	write_image(1024, "-O ^filetype", "nofiletype");
}

TEST(writes_revision_0)
{
	write_image(1024, "-r 0", "rev0");
}

TEST(writes_ext3_as_ext2_ignoring_the_journal)
{
	write_image(1024, "-j", "ext3");
}

TEST(unlinked_open_file_lives_until_released)
{
	struct ext2_statfs before, during, after;
	uint8_t *data = pattern(200000, 3), *back = malloc(200000);
	uint32_t ino, orphan;
	struct ext2_attr a;
	struct mounted m;

	if (!mount_copy(&m, 1024, "", "r1k", "orphan"))
		return;
	ext2_statfs(m.fs, &before);
	ino = mkfile(m.fs, EXT2_ROOT_INODE, "tmp", NULL);
	CHECK_EQ(ext2_write(m.fs, ino, data, 200000, 0), 200000);
	CHECK_EQ(ext2_unlink(m.fs, EXT2_ROOT_INODE, "tmp", 3, &orphan), 0);
	CHECK_EQ(orphan, ino);
	CHECK_EQ(t_path(m.fs, "/tmp"), 0);
	CHECK_EQ(ext2_read(m.fs, ino, back, 200000, 0), 200000);
	CHECK(!memcmp(back, data, 200000));
	CHECK_EQ(ext2_getattr(m.fs, ino, &a), 0);
	CHECK_EQ(a.nlink, 0);
	ext2_statfs(m.fs, &during);
	CHECK(during.blocks_free < before.blocks_free - 190);
	CHECK_EQ(ext2_inode_release(m.fs, ino), 0);
	ext2_statfs(m.fs, &after);
	CHECK_EQ(after.blocks_free, before.blocks_free);
	CHECK_EQ(after.files_free, before.files_free);
	/* a linked inode is not released */
	ino = t_path(m.fs, "/hello.txt");
	CHECK_EQ(ext2_inode_release(m.fs, ino), 0);
	CHECK(t_content_is(m.fs, "/hello.txt", "hello, world\n"));
	unmount_check(&m);
	host_disk_free(m.d);
	free(data);
	free(back);
}

/* Writes at offsets that need double and triple indirect blocks. */
TEST(sparse_writes_reach_triple_indirect_blocks)
{
	static const uint64_t offs[] = { 0, 300000, 80000000, 80000000 + 1020 };
	uint8_t buf[3000];
	struct ext2_attr a;
	struct mounted m;
	uint32_t ino;

	if (!mount_copy(&m, 1024, "", "r1k", "sparsew"))
		return;
	ino = mkfile(m.fs, EXT2_ROOT_INODE, "holes", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		uint8_t *p = pattern(sizeof(buf), offs[i]);

		CHECK_EQ(ext2_write(m.fs, ino, p, sizeof(buf), offs[i]),
			 sizeof(buf));
		free(p);
	}
	unmount_check(&m);
	remount(&m, EXT2_MOUNT_RDONLY);
	ino = t_path(m.fs, "/holes");
	CHECK_EQ(ext2_getattr(m.fs, ino, &a), 0);
	CHECK_EQ(a.size, 80000000 + 1020 + sizeof(buf));
	CHECK(a.blocks < 40);
	CHECK_EQ(ext2_read(m.fs, ino, buf, sizeof(buf), 300000 - 1000),
		 sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != (i < 1000 ? 0 : fix_pattern(300000 - 1000 + i)))
			CHECK(!"hole or data mismatch");
	CHECK_EQ(ext2_read(m.fs, ino, buf, sizeof(buf), 80000000 + 1020),
		 sizeof(buf));
	CHECK_EQ(buf[0], fix_pattern(80000000 + 1020));
	CHECK_EQ(buf[2999], fix_pattern(80000000 + 1020 + 2999));
	ext2_unmount(m.fs);
	host_disk_free(m.d);
}

static void
fill_disk(const char *extra, const char *tag)
{
	static uint8_t chunk[65536];
	struct ext2_statfs before, full, after;
	uint32_t ino, orphan;
	struct mounted m;
	uint64_t off = 0;
	long r;
	int files = 0;

	if (!mount_copy(&m, 1024, extra, tag, "full"))
		return;
	ext2_statfs(m.fs, &before);
	ino = mkfile(m.fs, EXT2_ROOT_INODE, "big", NULL);
	while ((r = ext2_write(m.fs, ino, chunk, sizeof(chunk), off)) ==
	       sizeof(chunk))
		off += r;
	CHECK(r >= 0 && r < (long)sizeof(chunk));
	CHECK_EQ(ext2_write(m.fs, ino, chunk, sizeof(chunk), off + r), -ENOSPC);
	ext2_statfs(m.fs, &full);
	CHECK_EQ(full.blocks_free, 0);
	/* inodes run out too; the empty files take no blocks */
	for (;;) {
		char name[16];

		snprintf(name, sizeof(name), "e%d", files);
		r = ext2_create(m.fs, t_path(m.fs, "/sub"), name, strlen(name),
				0100644, 0, 0, 0, &ino);
		if (r < 0)
			break;
		files++;
	}
	CHECK_EQ(r, -ENOSPC);
	CHECK(files > 0);
	unmount_check(&m);
	remount(&m, 0);
	CHECK_EQ(ext2_unlink(m.fs, EXT2_ROOT_INODE, "big", 3, &orphan), 0);
	CHECK_EQ(ext2_inode_release(m.fs, orphan), 0);
	ext2_statfs(m.fs, &after);
	CHECK(after.blocks_free + 64 > before.blocks_free);
	unmount_check(&m);
	host_disk_free(m.d);
}

TEST(full_disk_is_enospc_and_stays_consistent)
{
	fill_disk("", "r1k");
}

TEST(full_disk_with_8_groups)
{
	fill_disk("-g 1024", "groups");
}

/* More dirty data than the block cache holds: it writes back (in class
 * order) to make room, and nothing is lost. */
TEST(writes_more_than_the_cache_holds)
{
	const size_t len = 10 << 20, chunk = 65536;
	uint8_t *data = pattern(len, 11), *back = malloc(len);
	struct mounted m;
	uint32_t ino;

	if (!mount_copy(&m, 4096, "-I 128", "r4k", "bigfile"))
		return;
	ino = mkfile(m.fs, EXT2_ROOT_INODE, "big", NULL);
	for (size_t off = 0; off < len; off += chunk)
		CHECK_EQ(ext2_write(m.fs, ino, data + off, chunk, off), chunk);
	CHECK(m.d->nwrites > 0);
	CHECK_EQ(ext2_read(m.fs, ino, back, len, 0), (long)len);
	CHECK(!memcmp(back, data, len));
	unmount_check(&m);
	CHECK(debugfs_is(m.img, "/big", data, len));
	host_disk_free(m.d);
	free(data);
	free(back);
}
