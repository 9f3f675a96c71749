/* Host tests for reading fs/ext2 on images made by the real mke2fs -d:
 * every kind of file read back (1, 2 and 4 KiB blocks, 128- and 256-byte
 * inodes, rev 0, no filetype feature), with holes, indirect blocks up to
 * triple, fast and slow symlinks, and readdir cookies. Writing is tested
 * in test_ext2_write.c, crashes in test_ext2_crash.c, bad input in
 * test_ext2_corrupt.c. */
#include "unit.h"
#include <stdlib.h>
#include <keel/compiler.h>
#include <keel/errno.h>
#include <keel/ext2.h>
#include "ext2_host.h"
#include "ext2_fixture.h"
#include "ext2_test.h"

/* --- reading ------------------------------------------------------------ */

static void
check_sparse(struct ext2_fs *fs, int bs)
{
	uint32_t ino = t_path(fs, "/sparse");
	uint8_t buf[FIX_CHUNK + 200];
	struct ext2_attr a;
	int n;
	const uint64_t *offs = fix_sparse_offsets(bs, &n);

	CHECK(ino != 0);
	CHECK_EQ(ext2_getattr(fs, ino, &a), 0);
	CHECK_EQ(a.size, fix_sparse_size(bs));
	CHECK(a.blocks < 200);		/* holes take no blocks */
	for (int i = 0; i < n; i++) {
		uint64_t start = offs[i] ? offs[i] - 100 : 0;
		size_t want = MIN(sizeof(buf), a.size - start);
		long r = ext2_read(fs, ino, buf, sizeof(buf), start);
		bool ok = true;

		CHECK_EQ(r, (long)want);
		for (uint64_t p = start; p < start + (uint64_t)r; p++) {
			uint8_t exp = p >= offs[i] && p < offs[i] + FIX_CHUNK ?
				      fix_pattern(p) : 0;

			ok = ok && buf[p - start] == exp;
		}
		CHECK(ok);
	}
}

static void
check_tree(struct ext2_fs *fs, int bs)
{
	struct ext2_attr a;
	uint32_t ino;
	char link[256];
	size_t len;
	uint8_t *data;
	bool ok = true;

	CHECK(t_content_is(fs, "/hello.txt", "hello, world\n"));
	CHECK(t_content_is(fs, "/empty", ""));
	CHECK(t_content_is(fs, "/sub/dir/deep/file.txt", "deep file\n"));
	CHECK_EQ(ext2_getattr(fs, t_path(fs, "/sub/dir"), &a), 0);
	CHECK_EQ(a.mode, 040750);
	CHECK_EQ(a.nlink, 3);
	ino = t_path(fs, "/sub/data.bin");
	data = ino ? t_read_all(fs, ino, &len) : NULL;
	CHECK(data && len == FIX_DATA_LEN);
	for (size_t i = 0; data && i < len; i++)
		ok = ok && data[i] == fix_pattern(i);
	CHECK(ok);
	free(data);
	CHECK_EQ(t_count_entries(fs, t_path(fs, "/many")), FIX_MANY + 2);
	CHECK(t_content_is(fs, "/many/f042", "file 42\n"));
	CHECK(t_content_is(fs, "/many/f099", "file 99\n"));
	ino = t_path(fs, "/link_fast");
	CHECK_EQ(ext2_readlink(fs, ino, link, sizeof(link)), 9);
	CHECK(!memcmp(link, "hello.txt", 9));
	ino = t_path(fs, "/link_slow");
	CHECK_EQ(ext2_readlink(fs, ino, link, sizeof(link)),
		 FIX_SLOW_TARGET_LEN);
	CHECK(!memcmp(link, fix_slow_target(), FIX_SLOW_TARGET_LEN));
	CHECK_EQ(ext2_readlink(fs, t_path(fs, "/hello.txt"), link, 10),
		 -EINVAL);
	check_sparse(fs, bs);
}

static void
check_errors(struct ext2_fs *fs)
{
	uint32_t ino;
	char buf[8];

	CHECK_EQ(ext2_lookup(fs, EXT2_ROOT_INODE, "nope", 4, &ino), -ENOENT);
	CHECK_EQ(ext2_lookup(fs, t_path(fs, "/hello.txt"), "x", 1, &ino),
		 -ENOTDIR);
	CHECK_EQ(ext2_read(fs, EXT2_ROOT_INODE, buf, 8, 0), -EISDIR);
	CHECK_EQ(ext2_read(fs, t_path(fs, "/hello.txt"), buf, 8, 100), 0);
	CHECK_EQ(ext2_getattr(fs, 0, &(struct ext2_attr){ 0 }), -EIO);
	CHECK_EQ(ext2_getattr(fs, 1u << 30, &(struct ext2_attr){ 0 }), -EIO);
	/* reserved inodes (7: the resize inode) are not files */
	CHECK_EQ(ext2_getattr(fs, 7, &(struct ext2_attr){ 0 }), -EIO);
	CHECK_EQ(ext2_read(fs, 7, buf, 8, 0), -EIO);
}

static void
read_image(int bs, const char *extra, const char *tag)
{
	const char *img = fix_image(bs, extra, tag);
	struct host_disk *d = img ? t_load(img) : NULL;
	struct ext2_fs *fs = NULL;
	struct ext2_statfs st;

	CHECK(d != NULL);
	if (!d)
		return;
	d->bd.read_only = true;
	CHECK_EQ(ext2_mount(&d->bd, 0, &fs), 0);
	if (fs) {
		CHECK(ext2_is_read_only(fs));
		ext2_statfs(fs, &st);
		CHECK_EQ(st.block_size, bs);
		CHECK_EQ(st.blocks * bs, bs == 1024 ? 8u << 20 : 16u << 20);
		CHECK(st.blocks_free > 0 && st.blocks_free < st.blocks);
		check_tree(fs, bs);
		check_errors(fs);
		CHECK_EQ(ext2_unmount(fs), 0);
	}
	CHECK_EQ(d->nwrites, 0);
	host_disk_free(d);
}

TEST(reads_1k_image)
{
	read_image(1024, "", "r1k");
}

TEST(reads_2k_image)
{
	read_image(2048, "", "r2k");
}

TEST(reads_4k_image_with_small_inodes)
{
	read_image(4096, "-I 128", "r4k");
}

TEST(reads_1k_image_with_8_groups)
{
	read_image(1024, "-g 1024", "groups");
}

TEST(reads_without_filetype)
{
	read_image(1024, "-O ^filetype", "nofiletype");
}

TEST(reads_revision_0)
{
	read_image(1024, "-r 0", "rev0");
}

TEST(readdir_resumes_from_a_cookie)
{
	const char *img = fix_image(1024, "", "r1k");
	struct host_disk *d = t_load(img);
	struct ext2_fs *fs;
	struct names s = { 0 };
	uint64_t cookie = 0, prev;
	int calls = 0;

	CHECK_EQ(ext2_mount(&d->bd, EXT2_MOUNT_RDONLY, &fs), 0);
	/* One entry per call: the callback refuses the second. */
	do {
		int before = s.n, r;

		prev = cookie;
		r = ext2_readdir(fs, t_path(fs, "/many"), &cookie,
				 t_collect_name, &s);
		CHECK_EQ(r, 0);
		if (s.n > before + 1)
			break;
		calls++;
	} while (cookie != prev && calls < 1000);
	CHECK_EQ(s.n, FIX_MANY + 2);
	ext2_unmount(fs);
	host_disk_free(d);
}
