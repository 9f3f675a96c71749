/* ext2 mount, sync and unmount: the superblock and group descriptor table
 * are checked against each other and the device before anything else is
 * trusted, then kept in memory and written back (class META) on sync. */
#include <keel/blkdev.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "ext2_internal.h"

#define SECTORS_PER_SUPER	(EXT2_SUPER_SIZE / BLKDEV_SECTOR_SIZE)
#define BITS_PER_BYTE		8
/* The block cache per mount: a share of RAM within bounds. More than the
 * old fixed 4 MiB lets a large write gather longer runs before the cache
 * fills and keeps more of a working set; the cap leaves RAM to programs
 * and to other mounts. */
#define CACHE_RAM_SHARE		16
#define CACHE_MIN_BYTES		(4ull << 20)
#define CACHE_MAX_BYTES		(32ull << 20)

uint32_t
ext2_now(void)
{
	return (uint32_t)(clock_realtime_ns() / NSEC_PER_SEC);
}

void
ext2_mark_meta_dirty(struct ext2_fs *fs)
{
	fs->meta_dirty = true;
}

bool
ext2_block_valid(const struct ext2_fs *fs, uint32_t blk)
{
	return blk >= fs->sb.s_first_data_block && blk < fs->sb.s_blocks_count;
}

bool
ext2_is_read_only(const struct ext2_fs *fs)
{
	return fs->read_only;
}

/* Checks what the rest of the code relies on: sizes within limits and
 * consistent with each other and with the device. */
static int
check_super(struct ext2_fs *fs)
{
	struct ext2_super_block *sb = &fs->sb;
	uint64_t dev_blocks, groups;
	uint32_t bits;

	if (sb->s_magic != EXT2_SUPER_MAGIC) {
		EXT2_ERR(fs, "no ext2 superblock (magic %#x)", sb->s_magic);
		return -EINVAL;
	}
	if (sb->s_log_block_size > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG) {
		EXT2_ERR(fs, "unsupported block size (log %u)",
			 sb->s_log_block_size);
		return -EINVAL;
	}
	fs->block_size = 1024u << sb->s_log_block_size;
	bits = fs->block_size * BITS_PER_BYTE;
	if (sb->s_rev_level > EXT2_DYNAMIC_REV) {
		EXT2_ERR(fs, "unknown revision %u", sb->s_rev_level);
		return -EINVAL;
	}
	if (sb->s_rev_level == EXT2_GOOD_OLD_REV) {
		fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
	} else {
		fs->inode_size = sb->s_inode_size;
		fs->first_ino = sb->s_first_ino;
	}
	if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE ||
	    fs->inode_size > fs->block_size ||
	    (fs->inode_size & (fs->inode_size - 1))) {
		EXT2_ERR(fs, "bad inode size %u", fs->inode_size);
		return -EINVAL;
	}
	if (sb->s_blocks_per_group == 0 || sb->s_blocks_per_group > bits ||
	    sb->s_inodes_per_group == 0 || sb->s_inodes_per_group > bits ||
	    sb->s_first_data_block != (fs->block_size == 1024 ? 1u : 0u) ||
	    sb->s_blocks_count <= sb->s_first_data_block) {
		EXT2_ERR(fs, "bad group geometry");
		return -EINVAL;
	}
	groups = (sb->s_blocks_count - sb->s_first_data_block +
		  sb->s_blocks_per_group - 1) / sb->s_blocks_per_group;
	if (groups * sb->s_inodes_per_group != sb->s_inodes_count ||
	    fs->first_ino < EXT2_GOOD_OLD_FIRST_INO ||
	    fs->first_ino >= sb->s_inodes_count) {
		EXT2_ERR(fs, "inode count %u does not match %llu groups",
			 sb->s_inodes_count, (unsigned long long)groups);
		return -EINVAL;
	}
	fs->groups = (uint32_t)groups;
	dev_blocks = fs->bd->sectors / (fs->block_size / BLKDEV_SECTOR_SIZE);
	if (sb->s_blocks_count > dev_blocks) {
		EXT2_ERR(fs, "fs has %u blocks, device only %llu (truncated?)",
			 sb->s_blocks_count, (unsigned long long)dev_blocks);
		return -EINVAL;
	}
	fs->ptrs_per_block = fs->block_size / sizeof(uint32_t);
	fs->inodes_per_block = fs->block_size / fs->inode_size;
	fs->itable_blocks = (sb->s_inodes_per_group + fs->inodes_per_block - 1)
			    / fs->inodes_per_block;
	fs->gd_blocks = (uint32_t)((groups * sizeof(struct ext2_group_desc) +
				    fs->block_size - 1) / fs->block_size);
	return 0;
}

/* Unknown incompatible features refuse the mount; unknown read-only
 * compatible ones make it read-only. */
static int
check_features(struct ext2_fs *fs)
{
	struct ext2_super_block *sb = &fs->sb;
	uint32_t ro;

	if (sb->s_rev_level == EXT2_GOOD_OLD_REV)
		return 0;
	if (sb->s_feature_incompat & EXT2_FEATURE_INCOMPAT_RECOVER) {
		EXT2_ERR(fs, "journal needs recovery; run e2fsck");
		return -EINVAL;
	}
	if (sb->s_feature_incompat & ~EXT2_FEATURE_INCOMPAT_SUPP) {
		EXT2_ERR(fs, "unsupported incompatible features %#x",
			 sb->s_feature_incompat & ~EXT2_FEATURE_INCOMPAT_SUPP);
		return -EINVAL;
	}
	ro = sb->s_feature_ro_compat & ~EXT2_FEATURE_RO_COMPAT_SUPP;
	if (ro && !fs->read_only) {
		EXT2_ERR(fs, "unsupported features %#x: mounting read-only",
			 ro);
		fs->read_only = true;
	}
	fs->filetype = sb->s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	return 0;
}

static bool
check_group(struct ext2_fs *fs, uint32_t g)
{
	const struct ext2_group_desc *gd = &fs->gd[g];
	uint64_t table_end = (uint64_t)gd->bg_inode_table + fs->itable_blocks;

	return ext2_block_valid(fs, gd->bg_block_bitmap) &&
	       ext2_block_valid(fs, gd->bg_inode_bitmap) &&
	       ext2_block_valid(fs, gd->bg_inode_table) &&
	       table_end <= fs->sb.s_blocks_count &&
	       gd->bg_free_blocks_count <= fs->sb.s_blocks_per_group &&
	       gd->bg_free_inodes_count <= fs->sb.s_inodes_per_group &&
	       gd->bg_used_dirs_count <= fs->sb.s_inodes_per_group;
}

/* Reads and checks the descriptor table; sums the free counts, which
 * Linux also trusts over the superblock's copies. */
static int
load_groups(struct ext2_fs *fs)
{
	uint32_t first = fs->sb.s_first_data_block + 1;
	uint64_t free_blocks = 0, free_inodes = 0;
	size_t bytes = (size_t)fs->gd_blocks * fs->block_size;

	if ((uint64_t)first + fs->gd_blocks > fs->sb.s_blocks_count) {
		EXT2_ERR(fs, "group descriptors past the end of the fs");
		return -EINVAL;
	}
	fs->gd = kzalloc(bytes);
	fs->bfree_from = kzalloc(fs->groups * sizeof(*fs->bfree_from));
	if (!fs->gd || !fs->bfree_from)
		return -ENOMEM;
	for (uint32_t i = 0; i < fs->gd_blocks; i++) {
		struct bcache_buf *b;
		int r = bcache_get_block(fs->cache, first + i, &b);

		if (r < 0)
			return r;
		memcpy((uint8_t *)fs->gd + (size_t)i * fs->block_size, b->data,
		       fs->block_size);
		bcache_put_block(fs->cache, b);
	}
	for (uint32_t g = 0; g < fs->groups; g++) {
		if (!check_group(fs, g)) {
			EXT2_ERR(fs, "group %u descriptor points outside",
				 g);
			return -EINVAL;
		}
		free_blocks += fs->gd[g].bg_free_blocks_count;
		free_inodes += fs->gd[g].bg_free_inodes_count;
	}
	if (free_blocks > fs->sb.s_blocks_count ||
	    free_inodes > fs->sb.s_inodes_count) {
		EXT2_ERR(fs, "free counts exceed the fs size");
		return -EINVAL;
	}
	fs->sb.s_free_blocks_count = (uint32_t)free_blocks;
	fs->sb.s_free_inodes_count = (uint32_t)free_inodes;
	return 0;
}

/* Copies the superblock and descriptors into their cached blocks. */
int
ext2_write_meta(struct ext2_fs *fs)
{
	uint32_t sb_block = EXT2_SUPER_OFFSET / fs->block_size;
	uint32_t sb_off = EXT2_SUPER_OFFSET % fs->block_size;
	struct bcache_buf *b;
	int r;

	if (!fs->meta_dirty || fs->read_only)
		return 0;
	fs->sb.s_wtime = ext2_now();
	r = bcache_get_block(fs->cache, sb_block, &b);
	if (r < 0)
		return r;
	memcpy(b->data + sb_off, &fs->sb, sizeof(fs->sb));
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_META);
	bcache_put_block(fs->cache, b);
	for (uint32_t i = 0; i < fs->gd_blocks; i++) {
		r = bcache_get_block(fs->cache,
				     fs->sb.s_first_data_block + 1 + i, &b);
		if (r < 0)
			return r;
		memcpy(b->data, (uint8_t *)fs->gd + (size_t)i * fs->block_size,
		       fs->block_size);
		bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_META);
		bcache_put_block(fs->cache, b);
	}
	fs->meta_dirty = false;
	return 0;
}

int
ext2_sync(struct ext2_fs *fs)
{
	int r = ext2_write_meta(fs);

	if (r < 0)
		return r;
	return bcache_sync_all(fs->cache);
}

static void
fs_free(struct ext2_fs *fs)
{
	bcache_destroy(fs->cache);
	kfree(fs->gd);
	kfree(fs->bfree_from);
	kfree(fs);
}

static size_t
cache_blocks(const struct ext2_fs *fs)
{
	uint64_t bytes = pmm_total_page_count() * PAGE_SIZE / CACHE_RAM_SHARE;

	bytes = MIN(MAX(bytes, CACHE_MIN_BYTES), CACHE_MAX_BYTES);
	return (size_t)(bytes / fs->block_size);
}

static int
read_super(struct ext2_fs *fs)
{
	int r = blkdev_read(fs->bd, EXT2_SUPER_OFFSET / BLKDEV_SECTOR_SIZE,
			    &fs->sb, SECTORS_PER_SUPER);

	if (r < 0)
		EXT2_ERR(fs, "cannot read the superblock (%d)", r);
	return r < 0 ? -EIO : 0;
}

/* A read-write mount marks the fs in use on disk at once, so a crash
 * before unmount sends it through e2fsck. */
static int
mark_mounted(struct ext2_fs *fs)
{
	if (!(fs->sb.s_state & EXT2_VALID_FS))
		EXT2_ERR(fs, "was not cleanly unmounted; run e2fsck");
	else if (fs->sb.s_state & EXT2_ERROR_FS)
		EXT2_ERR(fs, "has errors; run e2fsck");
	fs->sb.s_state &= ~EXT2_VALID_FS;
	fs->sb.s_mnt_count++;
	fs->sb.s_mtime = ext2_now();
	ext2_mark_meta_dirty(fs);
	return ext2_sync(fs);
}

int
ext2_mount(struct blkdev *bd, int flags, struct ext2_fs **out)
{
	struct ext2_fs *fs = kzalloc(sizeof(*fs));
	int r;

	if (!fs)
		return -ENOMEM;
	fs->bd = bd;
	fs->read_only = (flags & EXT2_MOUNT_RDONLY) || bd->read_only;
	r = read_super(fs);
	if (r == 0)
		r = check_super(fs);
	if (r == 0)
		r = check_features(fs);
	if (r < 0)
		goto err;
	fs->cache = bcache_create(bd, fs->block_size, cache_blocks(fs));
	r = fs->cache ? load_groups(fs) : -ENOMEM;
	if (r == 0 && !fs->read_only)
		r = mark_mounted(fs);
	if (r < 0)
		goto err;
	*out = fs;
	return 0;
err:
	fs_free(fs);
	return r;
}

int
ext2_unmount(struct ext2_fs *fs)
{
	int r = 0;

	if (!fs->read_only) {
		r = ext2_sync(fs);
		if (r == 0) {
			/* Clean only once everything else is on the disk. */
			fs->sb.s_state |= EXT2_VALID_FS;
			ext2_mark_meta_dirty(fs);
			r = ext2_sync(fs);
		}
	}
	fs_free(fs);
	return r;
}

void
ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *out)
{
	const struct ext2_super_block *sb = &fs->sb;

	out->block_size = fs->block_size;
	out->blocks = sb->s_blocks_count;
	out->blocks_free = sb->s_free_blocks_count;
	out->blocks_avail = sb->s_free_blocks_count > sb->s_r_blocks_count ?
			    sb->s_free_blocks_count - sb->s_r_blocks_count : 0;
	out->files = sb->s_inodes_count;
	out->files_free = sb->s_free_inodes_count;
	out->name_max = EXT2_NAME_LEN;
}

void
ext2_drop_clean(struct ext2_fs *fs)
{
	bcache_drop_clean(fs->cache);
}
