/* ext2's in-memory state and the functions its files share: the mounted
 * fs (superblock and descriptors kept in memory, written back on sync),
 * inode load/store, block maps, bitmap allocation, directory blocks.
 *
 * Write ordering, the rule every file here follows so that a power cut
 * leaves a file system e2fsck repairs without losing what fsync or sync
 * acknowledged: blocks are dirtied in one of three classes of the block
 * cache, written class by class with a device flush between them:
 *   1. BCACHE_ORDER_DATA: file data, indirect blocks and a new directory's
 *      first block: what an inode points to must exist before it does;
 *   2. BCACHE_ORDER_META: inode table blocks, bitmaps, group descriptors
 *      and the superblock: an inode is complete before a name refers to it;
 *   3. BCACHE_ORDER_NAMES: directory entries.
 * A crash can then leave only allocated-but-unnamed inodes, stale link
 * counts or bitmaps marking blocks in use that nothing uses: e2fsck -fy
 * fixes each of these without dropping any data that was synced. */
#ifndef KEEL_EXT2_INTERNAL_H
#define KEEL_EXT2_INTERNAL_H

#include <keel/bcache.h>
#include <keel/blkdev.h>
#include <keel/printk.h>
#include <keel/ext2.h>
#include "ext2_format.h"

/* Readahead state of the files read most recently (see readahead.c). */
#define EXT2_RA_SLOTS		8
struct ext2_ra {
	uint32_t ino;			/* 0: unused */
	uint32_t window;		/* blocks read ahead on a miss */
	uint64_t next;			/* block a sequential read starts at */
	uint32_t stamp;			/* last use, for replacement */
};

struct ext2_fs {
	struct blkdev *bd;
	struct bcache *cache;
	struct ext2_super_block sb;	/* in-memory copy, written on sync */
	struct ext2_group_desc *gd;	/* all descriptors, written on sync */
	uint32_t *bfree_from;		/* per group: bits below are all set */
	uint32_t block_size;
	uint32_t ptrs_per_block;	/* block numbers in an indirect block */
	uint32_t groups;
	uint32_t gd_blocks;		/* blocks the descriptor table spans */
	uint32_t inode_size;
	uint32_t inodes_per_block;
	uint32_t itable_blocks;		/* inode table blocks per group */
	uint32_t first_ino;
	bool read_only;
	bool filetype;			/* entries carry a file type */
	bool meta_dirty;		/* sb or descriptors changed */
	struct ext2_ra ra[EXT2_RA_SLOTS];
	uint32_t ra_clock;
};

#define EXT2_SECTOR_SHIFT	9	/* i_blocks counts 512-byte units */

static inline uint32_t
ext2_block_sectors(const struct ext2_fs *fs)
{
	return fs->block_size >> EXT2_SECTOR_SHIFT;
}

/* An inode as loaded for one operation. */
struct ext2_node {
	uint32_t ino;
	struct ext2_inode in;
	struct ext2_inode_extra extra;	/* large inodes: what follows in */
	uint32_t extra_len;		/* bytes of extra on disk (0..32) */
};

/* Timestamps, for ext2_node_set_time() and ext2_node_touch(). */
#define EXT2_TIME_ATIME		0x1
#define EXT2_TIME_MTIME		0x2
#define EXT2_TIME_CTIME		0x4

/* super.c */
uint32_t
ext2_now(void);
void
ext2_mark_meta_dirty(struct ext2_fs *fs);
int
ext2_write_meta(struct ext2_fs *fs);
bool
ext2_block_valid(const struct ext2_fs *fs, uint32_t blk);

/* inode.c */
int
ext2_node_load(struct ext2_fs *fs, uint32_t ino, struct ext2_node *n);
int
ext2_node_store(struct ext2_fs *fs, const struct ext2_node *n);
/* Loads a fresh inode slot (alloc) with @mode, times now, one link. */
int
ext2_node_init(struct ext2_fs *fs, uint32_t ino, uint32_t mode,
	       uint32_t uid, uint32_t gid, struct ext2_node *n);
uint64_t
ext2_node_size(const struct ext2_node *n);
/* Nanosecond timestamps: whole seconds in the core, the rest in the large
 * inode fields where the inode has them. */
uint64_t
ext2_node_get_time(const struct ext2_node *n, unsigned int which);
void
ext2_node_set_time(struct ext2_node *n, unsigned int which, uint64_t ns);
/* Sets the @which timestamps to now. */
void
ext2_node_touch(struct ext2_node *n, unsigned int which);
void
ext2_node_set_size(struct ext2_fs *fs, struct ext2_node *n, uint64_t size);
bool
ext2_node_has_blocks(const struct ext2_fs *fs, const struct ext2_node *n);
uint32_t
ext2_node_group(const struct ext2_fs *fs, const struct ext2_node *n);
/* The inode table block holding @ino (for fsync). */
uint32_t
ext2_inode_block(const struct ext2_fs *fs, uint32_t ino);

/* bitmap.c */
int
ext2_block_alloc(struct ext2_fs *fs, uint32_t group, uint32_t *blk);
int
ext2_block_free(struct ext2_fs *fs, uint32_t blk);
int
ext2_inode_alloc(struct ext2_fs *fs, uint32_t group, bool dir, uint32_t *ino);
int
ext2_inode_free(struct ext2_fs *fs, uint32_t ino, bool dir);

/* bmap.c */
/* The block holding byte @lblk * block_size of @n: 0 for a hole unless
 * @create, which allocates it (and its indirect blocks) zeroed; @fresh
 * then says it is new. */
int
ext2_bmap(struct ext2_fs *fs, struct ext2_node *n, uint64_t lblk,
	  bool create, uint32_t *pblk, bool *fresh);
/* Frees every block at or past logical block @first. */
int
ext2_bmap_truncate(struct ext2_fs *fs, struct ext2_node *n, uint64_t first);
uint64_t
ext2_max_blocks(const struct ext2_fs *fs);

/* file.c */
int
ext2_node_truncate(struct ext2_fs *fs, struct ext2_node *n, uint64_t size);

/* readahead.c */
/* A read of blocks [@first, @end) of @ino starts: the readahead window
 * (blocks to read from a missed block on), which grows while @ino is read
 * sequentially and is 0 for random reads. */
uint32_t
ext2_ra_start(struct ext2_fs *fs, uint32_t ino, uint64_t first, uint64_t end);
/* Block @lblk of @n, at @pblk, is not cached: reads it and up to @want - 1
 * following blocks in one request, as far as they are contiguous on the
 * disk, inside the file and uncached. Errors are left to the reader. */
void
ext2_readahead(struct ext2_fs *fs, struct ext2_node *n, uint64_t lblk,
	       uint32_t pblk, uint64_t want);

/* namei.c */
int
ext2_check_not_ancestor(struct ext2_fs *fs, uint32_t moved, uint32_t dir);

/* dir.c */
struct ext2_dirpos {
	uint32_t ino;		/* the entry's inode */
	uint8_t type;		/* EXT2_FT_* (0 without the filetype feature) */
	uint64_t lblk;		/* directory block holding it */
	uint32_t off;		/* entry offset in that block */
	uint32_t prev;		/* previous entry's offset, or off if first */
};
int
ext2_dir_find(struct ext2_fs *fs, struct ext2_node *dir, const char *name,
	      size_t len, struct ext2_dirpos *pos);
int
ext2_dir_add(struct ext2_fs *fs, struct ext2_node *dir, const char *name,
	     size_t len, uint32_t ino, uint32_t mode);
int
ext2_dir_remove(struct ext2_fs *fs, struct ext2_node *dir,
		const struct ext2_dirpos *pos);
int
ext2_dir_set(struct ext2_fs *fs, struct ext2_node *dir,
	     const struct ext2_dirpos *pos, uint32_t ino, uint32_t mode);
int
ext2_dir_is_empty(struct ext2_fs *fs, struct ext2_node *dir);
int
ext2_dir_init(struct ext2_fs *fs, struct ext2_node *dir, uint32_t parent);
uint8_t
ext2_mode_to_ft(uint32_t mode);

#define EXT2_ERR(fs, fmt, ...) \
	printk("ext2: %s: " fmt "\n", (fs)->bd->name, ##__VA_ARGS__)

#endif
