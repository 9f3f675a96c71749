/* ext2 on bad input: corrupt superblocks, descriptors, inode tables,
 * directories and block maps, truncated images, unsupported features and
 * failing devices. Every case ends in a refused mount or -EIO with a
 * message, never a crash (ASan and UBSan watch) or a wrong answer. */
#include "unit.h"
#include <stdlib.h>
#include <keel/compiler.h>
#include <keel/errno.h>
#include <keel/ext2.h>
#include "ext2_host.h"
#include "ext2_fixture.h"
#include "ext2_test.h"
#include "../../kernel/fs/ext2/ext2_format.h"

#define RANDOM_ROUNDS	150
#define SECTOR		512

/* Views of the on-disk structures of an image in a host disk. */
struct img {
	struct host_disk *d;
	uint32_t bs;
	struct ext2_super_block *sb;
	struct ext2_group_desc *gd;
};

static void
img_open(struct img *m, struct host_disk *d)
{
	m->d = d;
	m->sb = (struct ext2_super_block *)(d->mem + EXT2_SUPER_OFFSET);
	m->bs = 1024u << m->sb->s_log_block_size;
	m->gd = (struct ext2_group_desc *)(d->mem + (size_t)m->bs *
					  (m->sb->s_first_data_block + 1));
}

static uint8_t *
img_block(struct img *m, uint32_t blk)
{
	return m->d->mem + (size_t)blk * m->bs;
}

static struct ext2_inode *
img_inode(struct img *m, uint32_t ino)
{
	uint32_t isz = m->sb->s_rev_level ? m->sb->s_inode_size : 128;
	uint32_t idx = (ino - 1) % m->sb->s_inodes_per_group;
	uint32_t g = (ino - 1) / m->sb->s_inodes_per_group;

	return (struct ext2_inode *)(img_block(m, m->gd[g].bg_inode_table) +
				     (size_t)idx * isz);
}

/* The inode at @path, found through the (uncorrupted) image itself. */
static uint32_t
ino_of(struct host_disk *d, const char *path)
{
	struct ext2_fs *fs;
	uint32_t ino = 0;

	if (ext2_mount(&d->bd, EXT2_MOUNT_RDONLY, &fs) == 0) {
		ino = t_path(fs, path);
		ext2_unmount(fs);
	}
	CHECK(ino != 0);
	return ino;
}

static struct host_disk *
fresh(int bs)
{
	const char *src = fix_image(bs, bs == 1024 ? "" : "-I 128",
				    bs == 1024 ? "r1k" : "r4k");

	return src ? t_load(src) : NULL;
}

static int
try_mount(struct host_disk *d, int flags)
{
	struct ext2_fs *fs;
	int r = ext2_mount(&d->bd, flags, &fs);

	if (r == 0)
		ext2_unmount(fs);
	return r;
}

TEST(refuses_bad_superblocks_and_descriptors)
{
	struct host_disk *d = fresh(1024);
	struct img m;

	img_open(&m, d);
	m.sb->s_magic = 0x1234;
	CHECK_EQ(try_mount(d, 0), -EINVAL);
	m.sb->s_magic = EXT2_SUPER_MAGIC;
	m.sb->s_log_block_size = 7;
	CHECK_EQ(try_mount(d, 0), -EINVAL);
	m.sb->s_log_block_size = 0;
	m.sb->s_inodes_per_group = 0;
	CHECK_EQ(try_mount(d, 0), -EINVAL);
	m.sb->s_inodes_per_group = m.sb->s_inodes_count;
	m.sb->s_inodes_count += 8;
	CHECK_EQ(try_mount(d, 0), -EINVAL);	/* counts disagree */
	host_disk_free(d);
	d = fresh(1024);
	img_open(&m, d);
	m.sb->s_inode_size = 100;
	CHECK_EQ(try_mount(d, 0), -EINVAL);
	m.sb->s_inode_size = 128;
	m.gd[0].bg_inode_table = m.sb->s_blocks_count - 1;
	CHECK_EQ(try_mount(d, 0), -EINVAL);
	m.gd[0].bg_inode_table = 5;
	m.gd[0].bg_block_bitmap = 0xfffffff0;
	CHECK_EQ(try_mount(d, 0), -EINVAL);
	host_disk_free(d);
}

TEST(refuses_truncated_images)
{
	struct host_disk *d = fresh(1024);
	static const size_t lens[] = { 0, 1500, 4096, 1 << 20,
				       (8 << 20) - 512 };

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		struct host_disk *t = host_disk_new(d->mem, lens[i]);
		int r = try_mount(t, 0);

		CHECK(r == -EINVAL || r == -EIO);
		host_disk_free(t);
	}
	host_disk_free(d);
}

TEST(features_decide_read_write_read_only_or_refused)
{
	struct host_disk *d = fresh(1024);
	struct ext2_fs *fs;
	struct img m;
	uint32_t ino;

	img_open(&m, d);
	m.sb->s_feature_incompat |= 0x40;	/* extents */
	CHECK_EQ(try_mount(d, EXT2_MOUNT_RDONLY), -EINVAL);
	m.sb->s_feature_incompat &= ~0x40u;
	m.sb->s_feature_incompat |= EXT2_FEATURE_INCOMPAT_RECOVER;
	m.sb->s_feature_compat |= EXT2_FEATURE_COMPAT_HAS_JOURNAL;
	CHECK_EQ(try_mount(d, 0), -EINVAL);
	m.sb->s_feature_incompat &= ~EXT2_FEATURE_INCOMPAT_RECOVER;
	m.sb->s_feature_ro_compat |= 0x400;	/* metadata_csum */
	CHECK_EQ(ext2_mount(&d->bd, 0, &fs), 0);
	CHECK(ext2_is_read_only(fs));
	CHECK(t_content_is(fs, "/hello.txt", "hello, world\n"));
	CHECK_EQ(ext2_create(fs, EXT2_ROOT_INODE, "n", 1, 0100644, 0, 0, 0,
			     &ino), -EROFS);
	CHECK_EQ(ext2_write(fs, t_path(fs, "/hello.txt"), "x", 1, 0), -EROFS);
	CHECK_EQ(ext2_unmount(fs), 0);
	CHECK_EQ(d->nwrites, 0);
	host_disk_free(d);
}

TEST(bad_directory_entries_are_eio)
{
	struct host_disk *d = fresh(1024);
	uint32_t deep = ino_of(d, "/sub/dir/deep"), ino;
	struct ext2_fs *fs;
	struct ext2_dir_entry *e;
	struct img m;
	uint64_t cookie = 0;
	int n = 0;

	img_open(&m, d);
	e = (struct ext2_dir_entry *)img_block(&m,
					       img_inode(&m, deep)->i_block[0]);
	e->rec_len = 3;				/* "." */
	CHECK_EQ(ext2_mount(&d->bd, 0, &fs), 0);
	CHECK_EQ(ext2_lookup(fs, deep, "file.txt", 8, &ino), -EIO);
	CHECK_EQ(ext2_readdir(fs, deep, &cookie, t_collect_name, &n), -EIO);
	CHECK_EQ(ext2_create(fs, deep, "n", 1, 0100644, 0, 0, 0, &ino), -EIO);
	CHECK(t_content_is(fs, "/hello.txt", "hello, world\n"));
	ext2_unmount(fs);
	e->rec_len = 12;
	e->name_len = 200;			/* longer than the record */
	CHECK_EQ(ext2_mount(&d->bd, 0, &fs), 0);
	CHECK_EQ(ext2_lookup(fs, deep, "file.txt", 8, &ino), -EIO);
	ext2_unmount(fs);
	e->name_len = 1;
	e->inode = m.sb->s_inodes_count + 1;	/* no such inode */
	CHECK_EQ(ext2_mount(&d->bd, 0, &fs), 0);
	CHECK_EQ(ext2_lookup(fs, deep, ".", 1, &ino), -EIO);
	ext2_unmount(fs);
	host_disk_free(d);
}

TEST(block_pointers_outside_the_fs_are_eio)
{
	struct host_disk *d = fresh(1024);
	uint32_t data = ino_of(d, "/sub/data.bin"), ino;
	struct ext2_fs *fs;
	struct img m;
	char buf[4096];

	img_open(&m, d);
	img_inode(&m, data)->i_block[3] = m.sb->s_blocks_count + 5;
	((uint32_t *)img_block(&m, img_inode(&m, data)->i_block[12]))[2] =
		0xffffffff;
	CHECK_EQ(ext2_mount(&d->bd, 0, &fs), 0);
	CHECK_EQ(ext2_read(fs, data, buf, 1024, 0), 1024);
	CHECK_EQ(ext2_read(fs, data, buf, 1024, 3 * 1024), -EIO);
	CHECK_EQ(ext2_read(fs, data, buf, 1024, 14 * 1024), -EIO);
	CHECK_EQ(ext2_read(fs, data, buf, 1024, 13 * 1024), 1024);
	/* freeing them must not touch bitmaps outside the fs either */
	CHECK_EQ(ext2_truncate(fs, data, 0), -EIO);
	CHECK_EQ(ext2_lookup(fs, EXT2_ROOT_INODE, "hello.txt", 9, &ino), 0);
	ext2_unmount(fs);
	host_disk_free(d);
}

/* "dir" and "deep" name each other as "..": moving a directory below
 * them must not follow the loop for ever. */
TEST(directory_loops_are_eio)
{
	struct host_disk *d = fresh(1024);
	uint32_t dir = ino_of(d, "/sub/dir"), deep = ino_of(d, "/sub/dir/deep");
	uint32_t orphan;
	struct ext2_dir_entry *e;
	struct ext2_fs *fs;
	struct img m;
	long errors;

	img_open(&m, d);
	e = (struct ext2_dir_entry *)img_block(&m,
					       img_inode(&m, dir)->i_block[0]);
	e = (struct ext2_dir_entry *)((uint8_t *)e + e->rec_len);
	e->inode = deep;
	CHECK_EQ(ext2_mount(&d->bd, 0, &fs), 0);
	CHECK_EQ(ext2_rename(fs, EXT2_ROOT_INODE, "many", 4, deep, "m", 1,
			     &orphan), -EIO);
	CHECK(host_ext2_walk(fs, &errors) > 0);
	ext2_unmount(fs);
	host_disk_free(d);
}

TEST(device_errors_are_eio)
{
	struct host_disk *d = fresh(1024);
	uint32_t data = ino_of(d, "/sub/data.bin"), ino;
	struct ext2_fs *fs;
	struct img m;
	char buf[1024];

	img_open(&m, d);
	d->fail_reads = true;
	d->fail_lba = 2;			/* the superblock */
	CHECK_EQ(try_mount(d, 0), -EIO);
	d->fail_lba = 2 * (m.sb->s_first_data_block + 1);	/* the gdt */
	CHECK_EQ(try_mount(d, 0), -EIO);
	d->fail_lba = 2 * img_inode(&m, data)->i_block[5];
	CHECK_EQ(ext2_mount(&d->bd, 0, &fs), 0);
	CHECK_EQ(ext2_read(fs, data, buf, 1024, 4 * 1024), 1024);
	CHECK_EQ(ext2_read(fs, data, buf, 1024, 5 * 1024), -EIO);
	CHECK_EQ(ext2_read(fs, data, buf, 1024, 5 * 1024), -EIO);
	d->fail_lba = 2 * img_inode(&m, EXT2_ROOT_INODE)->i_block[0];
	CHECK_EQ(ext2_lookup(fs, EXT2_ROOT_INODE, "zzz", 3, &ino), 0 - EIO);
	d->fail_reads = false;
	CHECK_EQ(ext2_create(fs, t_path(fs, "/sub"), "n", 1, 0100644, 0, 0, 0,
			     &ino), 0);
	d->fail_writes = true;
	d->fail_lba = ((uint8_t *)img_inode(&m, ino) - d->mem) / SECTOR;
	CHECK_EQ(ext2_sync(fs), -EIO);
	CHECK_EQ(ext2_unmount(fs), -EIO);
	host_disk_free(d);
}

/* Random damage in the metadata: mount, walk, change things, unmount;
 * whatever happens must be an error code, not a crash or a hang. */
static void
mutate(struct img *m, unsigned int *seed)
{
	uint32_t blocks[6], n = 0, region, off, len;
	uint8_t *p;

	blocks[n++] = EXT2_SUPER_OFFSET / m->bs;
	blocks[n++] = m->sb->s_first_data_block + 1;
	blocks[n++] = m->gd[0].bg_inode_table;
	blocks[n++] = img_inode(m, EXT2_ROOT_INODE)->i_block[0];
	blocks[n++] = m->gd[0].bg_block_bitmap;
	blocks[n++] = 1 + rand_r(seed) % 200;
	region = blocks[rand_r(seed) % n];
	if ((size_t)region * m->bs >= m->d->len)
		return;
	p = img_block(m, region);
	len = region == EXT2_SUPER_OFFSET / m->bs ? EXT2_SUPER_OFFSET +
		EXT2_SUPER_SIZE : MIN(m->bs, 1024u);
	for (int i = 1 + rand_r(seed) % 4; i > 0; i--) {
		off = rand_r(seed) % len;
		if (rand_r(seed) % 2)
			p[off] = (uint8_t)rand_r(seed);
		else
			p[off & ~3u] ^= 1u << (rand_r(seed) % 8);
	}
}

static void
churn(struct ext2_fs *fs)
{
	uint32_t root = EXT2_ROOT_INODE, ino = 0, orphan;
	char buf[3000] = { 1 };

	if (ext2_create(fs, root, "nf", 2, 0100644, 0, 0, 0, &ino) == 0)
		ext2_write(fs, ino, buf, sizeof(buf), 70000);
	ext2_mkdir(fs, root, "nd", 2, 0755, 0, 0, &ino);
	ext2_rename(fs, root, "nd", 2, t_path(fs, "/sub"), "nd2", 3, &orphan);
	if (ext2_unlink(fs, t_path(fs, "/many"), "f003", 4, &orphan) == 0)
		ext2_inode_release(fs, orphan);
	ext2_truncate(fs, t_path(fs, "/sub/data.bin"), 100);
	ext2_truncate(fs, t_path(fs, "/sparse"), 0);
	ext2_symlink(fs, root, "ns", 2, buf, 100, 0, 0, &ino);
}

static void
random_damage(int bs, unsigned int seed)
{
	struct host_disk *orig = fresh(bs);
	int mounted = 0;

	for (int round = 0; orig && round < RANDOM_ROUNDS; round++) {
		struct host_disk *d = host_disk_new(orig->mem, orig->len);
		struct ext2_fs *fs;
		struct img m;
		long errors;

		img_open(&m, d);
		mutate(&m, &seed);
		if (ext2_mount(&d->bd, round % 2 ? EXT2_MOUNT_RDONLY : 0,
			       &fs) == 0) {
			mounted++;
			host_ext2_walk(fs, &errors);
			if (!ext2_is_read_only(fs))
				churn(fs);
			ext2_unmount(fs);
		}
		host_disk_free(d);
	}
	CHECK(mounted > RANDOM_ROUNDS / 4);
	host_disk_free(orig);
}

TEST(random_metadata_damage_1k)
{
	random_damage(1024, 1);
}

TEST(random_metadata_damage_4k)
{
	random_damage(4096, 2);
}
