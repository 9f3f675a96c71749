/* ext2 block and inode allocation: one bitmap block per group for each,
 * searched from a goal group on (wrapping around); the descriptor and superblock free
 * counts follow every change. A bit found in the wrong state is corruption
 * (-EIO), never silently fixed. */
#include <keel/errno.h>
#include <keel/printk.h>
#include "ext2_internal.h"

#define BITS_PER_BYTE	8
#define FULL_BYTE	0xff

/* Blocks in group @g: the last group may be short. */
static uint32_t
group_blocks(const struct ext2_fs *fs, uint32_t g)
{
	uint32_t start = g * fs->sb.s_blocks_per_group;
	uint32_t left = fs->sb.s_blocks_count - fs->sb.s_first_data_block -
			start;

	return MIN(left, fs->sb.s_blocks_per_group);
}

static bool
bit_test(const uint8_t *map, uint32_t bit)
{
	return map[bit / BITS_PER_BYTE] & (1u << (bit % BITS_PER_BYTE));
}

/* First clear bit in [from, nbits) of @map, -1 if none; whole bytes of
 * set bits at a time. */
static long
find_clear(const uint8_t *map, uint32_t from, uint32_t nbits)
{
	uint32_t i = from;

	while (i < nbits) {
		if (i % BITS_PER_BYTE == 0 &&
		    map[i / BITS_PER_BYTE] == FULL_BYTE) {
			i += BITS_PER_BYTE;
			continue;
		}
		if (!bit_test(map, i))
			return i;
		i++;
	}
	return -1;
}

static void
bit_flip(uint8_t *map, uint32_t bit)
{
	map[bit / BITS_PER_BYTE] ^= (uint8_t)(1u << (bit % BITS_PER_BYTE));
}

/* Takes the first clear bit of bitmap block @mapblk below @nbits, at or
 * after @skip; 1 and *@bit when found, 0 when full. */
static int
take_bit(struct ext2_fs *fs, uint32_t mapblk, uint32_t nbits, uint32_t skip,
	 uint32_t *bit)
{
	struct bcache_buf *b;
	long found = -1;
	int r = bcache_get_block(fs->cache, mapblk, &b);

	if (r < 0)
		return r;
	found = find_clear(b->data, skip, nbits);
	if (found >= 0) {
		bit_flip(b->data, (uint32_t)found);
		bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_META);
		*bit = (uint32_t)found;
	}
	bcache_put_block(fs->cache, b);
	return found >= 0;
}

/* A cheap guard against a corrupt bitmap: the primary superblock and
 * descriptors, and the bitmaps and inode table of @blk's own group, are
 * never data. (Other groups' metadata, placed anywhere with flex_bg, would
 * cost a scan of every descriptor.) */
static bool
is_metadata(const struct ext2_fs *fs, uint32_t blk)
{
	const struct ext2_group_desc *gd = &fs->gd[(blk -
		fs->sb.s_first_data_block) / fs->sb.s_blocks_per_group];

	return blk <= fs->sb.s_first_data_block + fs->gd_blocks ||
	       blk == gd->bg_block_bitmap || blk == gd->bg_inode_bitmap ||
	       (blk >= gd->bg_inode_table &&
		blk - gd->bg_inode_table < fs->itable_blocks);
}

int
ext2_block_alloc(struct ext2_fs *fs, uint32_t group, uint32_t *blk)
{
	if (fs->read_only)
		return -EROFS;
	for (uint32_t i = 0; i < fs->groups; i++) {
		uint32_t g = (group + i) % fs->groups, bit;
		struct ext2_group_desc *gd = &fs->gd[g];
		int r;

		if (gd->bg_free_blocks_count == 0)
			continue;
		/* Every bit below bfree_from[g] is set: a file written block
		 * by block no longer rescans the filled part of the bitmap
		 * each time, and the block chosen is still the first free. */
		r = take_bit(fs, gd->bg_block_bitmap, group_blocks(fs, g),
			     fs->bfree_from[g], &bit);
		if (r < 0)
			return r;
		if (r == 0) {
			EXT2_ERR(fs, "group %u: bitmap full, %u free said",
				 g, gd->bg_free_blocks_count);
			continue;
		}
		fs->bfree_from[g] = bit + 1;
		gd->bg_free_blocks_count--;
		if (fs->sb.s_free_blocks_count)
			fs->sb.s_free_blocks_count--;
		ext2_mark_meta_dirty(fs);
		*blk = fs->sb.s_first_data_block +
		       g * fs->sb.s_blocks_per_group + bit;
		if (is_metadata(fs, *blk)) {
			EXT2_ERR(fs, "bitmap says metadata block %u is free",
				 *blk);
			return -EIO;
		}
		return 0;
	}
	return -ENOSPC;
}

/* Clears the bit for @index of group @g in bitmap @mapblk; -EIO if clear. */
static int
clear_bit(struct ext2_fs *fs, uint32_t mapblk, uint32_t index)
{
	struct bcache_buf *b;
	int r = bcache_get_block(fs->cache, mapblk, &b);

	if (r < 0)
		return r;
	if (!bit_test(b->data, index)) {
		bcache_put_block(fs->cache, b);
		return -EIO;
	}
	bit_flip(b->data, index);
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_META);
	bcache_put_block(fs->cache, b);
	return 0;
}

int
ext2_block_free(struct ext2_fs *fs, uint32_t blk)
{
	uint32_t rel, g;
	int r;

	if (!ext2_block_valid(fs, blk) || is_metadata(fs, blk)) {
		EXT2_ERR(fs, "freeing block %u: outside or metadata", blk);
		return -EIO;
	}
	rel = blk - fs->sb.s_first_data_block;
	g = rel / fs->sb.s_blocks_per_group;
	r = clear_bit(fs, fs->gd[g].bg_block_bitmap,
		      rel % fs->sb.s_blocks_per_group);
	if (r < 0) {
		if (r == -EIO)
			EXT2_ERR(fs, "freeing free block %u", blk);
		return r;
	}
	bcache_forget_block(fs->cache, blk);
	fs->bfree_from[g] = MIN(fs->bfree_from[g],
				rel % fs->sb.s_blocks_per_group);
	if (fs->gd[g].bg_free_blocks_count < fs->sb.s_blocks_per_group)
		fs->gd[g].bg_free_blocks_count++;
	fs->sb.s_free_blocks_count++;
	ext2_mark_meta_dirty(fs);
	return 0;
}

/* Directories spread out: the group with the most free inodes; files stay
 * in their directory's group. */
static uint32_t
pick_group(const struct ext2_fs *fs, uint32_t group, bool dir)
{
	uint32_t best = group;

	if (!dir)
		return group;
	for (uint32_t g = 0; g < fs->groups; g++)
		if (fs->gd[g].bg_free_inodes_count >
		    fs->gd[best].bg_free_inodes_count)
			best = g;
	return best;
}

int
ext2_inode_alloc(struct ext2_fs *fs, uint32_t group, bool dir, uint32_t *ino)
{
	uint32_t ipg = fs->sb.s_inodes_per_group;

	if (fs->read_only)
		return -EROFS;
	group = pick_group(fs, group % fs->groups, dir);
	for (uint32_t i = 0; i < fs->groups; i++) {
		uint32_t g = (group + i) % fs->groups, bit;
		/* Reserved inodes below first_ino are never handed out. */
		uint32_t skip = g == 0 ? fs->first_ino - 1 : 0;
		struct ext2_group_desc *gd = &fs->gd[g];
		int r;

		if (gd->bg_free_inodes_count == 0 || skip >= ipg)
			continue;
		r = take_bit(fs, gd->bg_inode_bitmap, ipg, skip, &bit);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		gd->bg_free_inodes_count--;
		if (dir)
			gd->bg_used_dirs_count++;
		if (fs->sb.s_free_inodes_count)
			fs->sb.s_free_inodes_count--;
		ext2_mark_meta_dirty(fs);
		*ino = g * ipg + bit + 1;
		return 0;
	}
	return -ENOSPC;
}

int
ext2_inode_free(struct ext2_fs *fs, uint32_t ino, bool dir)
{
	uint32_t g = (ino - 1) / fs->sb.s_inodes_per_group;
	struct ext2_group_desc *gd = &fs->gd[g];
	int r = clear_bit(fs, gd->bg_inode_bitmap,
			  (ino - 1) % fs->sb.s_inodes_per_group);

	if (r < 0) {
		if (r == -EIO)
			EXT2_ERR(fs, "freeing free inode %u", ino);
		return r;
	}
	if (gd->bg_free_inodes_count < fs->sb.s_inodes_per_group)
		gd->bg_free_inodes_count++;
	if (dir && gd->bg_used_dirs_count)
		gd->bg_used_dirs_count--;
	fs->sb.s_free_inodes_count++;
	ext2_mark_meta_dirty(fs);
	return 0;
}
