/* ext2 block maps: a file's logical blocks through its twelve direct
 * pointers and the single, double and triple indirect trees; allocation
 * of missing blocks on write, freeing on truncate, and a walk for fsync.
 * Every pointer read from disk is checked against the fs before use. */
#include <keel/errno.h>
#include <keel/printk.h>
#include "ext2_internal.h"

#define MAX_DEPTH	3

uint64_t
ext2_max_blocks(const struct ext2_fs *fs)
{
	uint64_t p = fs->ptrs_per_block;

	return EXT2_NDIR_BLOCKS + p + p * p + p * p * p;
}

/* Splits @lblk into the i_block slot it starts from and the index at each
 * indirect level below; returns the number of levels or -EFBIG. */
static int
map_path(const struct ext2_fs *fs, uint64_t lblk, uint32_t *root,
	 uint32_t off[MAX_DEPTH])
{
	uint64_t p = fs->ptrs_per_block, span = p;

	if (lblk < EXT2_NDIR_BLOCKS) {
		*root = (uint32_t)lblk;
		return 0;
	}
	lblk -= EXT2_NDIR_BLOCKS;
	for (int depth = 1; depth <= MAX_DEPTH; depth++, span *= p) {
		if (lblk < span) {
			uint64_t rest = lblk;

			*root = EXT2_IND_BLOCK + depth - 1;
			for (int i = depth - 1; i >= 0; i--) {
				off[i] = (uint32_t)(rest % p);
				rest /= p;
			}
			return depth;
		}
		lblk -= span;
	}
	return -EFBIG;
}

static int
bad_pointer(struct ext2_fs *fs, const struct ext2_node *n, uint32_t blk)
{
	EXT2_ERR(fs, "inode %u: block pointer %u outside the fs", n->ino, blk);
	return -EIO;
}

/* A new zeroed block for @n: data, or an indirect block (class DATA: it
 * must be on the disk before the pointer to it). */
static int
new_block(struct ext2_fs *fs, struct ext2_node *n, uint32_t *blk)
{
	struct bcache_buf *b;
	int r = ext2_block_alloc(fs, ext2_node_group(fs, n), blk);

	if (r < 0)
		return r;
	r = bcache_get_block_zeroed(fs->cache, *blk, &b);
	if (r < 0) {
		ext2_block_free(fs, *blk);
		return r;
	}
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_DATA);
	bcache_put_block(fs->cache, b);
	n->in.i_blocks += ext2_block_sectors(fs);
	return 0;
}

int
ext2_bmap(struct ext2_fs *fs, struct ext2_node *n, uint64_t lblk,
	  bool create, uint32_t *pblk, bool *fresh)
{
	uint32_t off[MAX_DEPTH], root, *slot, blk;
	struct bcache_buf *parent = NULL;
	int depth = map_path(fs, lblk, &root, off), r = 0;

	if (fresh)
		*fresh = false;
	*pblk = 0;
	if (depth < 0)
		return depth;
	slot = &n->in.i_block[root];
	for (int level = 0;; level++) {
		blk = *slot;
		if (blk == 0) {
			if (!create)
				break;
			r = new_block(fs, n, &blk);
			if (r < 0)
				break;
			*slot = blk;
			if (parent)
				bcache_mark_dirty(fs->cache, parent,
						  BCACHE_ORDER_DATA);
			if (fresh && level == depth)
				*fresh = true;
		} else if (!ext2_block_valid(fs, blk)) {
			r = bad_pointer(fs, n, blk);
			break;
		}
		if (level == depth) {
			*pblk = blk;
			break;
		}
		bcache_put_block(fs->cache, parent);
		parent = NULL;
		r = bcache_get_block(fs->cache, blk, &parent);
		if (r < 0)
			break;
		slot = (uint32_t *)parent->data + off[level];
	}
	bcache_put_block(fs->cache, parent);
	return r;
}

static int
drop_block(struct ext2_fs *fs, struct ext2_node *n, uint32_t blk)
{
	int r = ext2_block_free(fs, blk);

	if (r == 0)
		n->in.i_blocks -= MIN(n->in.i_blocks, ext2_block_sectors(fs));
	return r;
}

/* Frees block @blk and, for @level > 0, the whole tree below it. */
static int
free_tree(struct ext2_fs *fs, struct ext2_node *n, uint32_t blk, int level)
{
	struct bcache_buf *b;
	int r = 0;

	if (!ext2_block_valid(fs, blk))
		return bad_pointer(fs, n, blk);
	if (level > 0) {
		r = bcache_get_block(fs->cache, blk, &b);
		if (r < 0)
			return r;
		for (uint32_t i = 0; i < fs->ptrs_per_block && r == 0; i++) {
			uint32_t child = ((uint32_t *)b->data)[i];

			if (child)
				r = free_tree(fs, n, child, level - 1);
		}
		bcache_put_block(fs->cache, b);
	}
	return r < 0 ? r : drop_block(fs, n, blk);
}

/* Frees what indirect block @blk (at @level) maps at or past @first,
 * counted from the start of its span; *@empty: nothing is left in it. */
static int
trunc_tree(struct ext2_fs *fs, struct ext2_node *n, uint32_t blk, int level,
	   uint64_t first, bool *empty)
{
	uint64_t span = 1;
	struct bcache_buf *b;
	uint32_t *ents;
	int r;

	if (!ext2_block_valid(fs, blk))
		return bad_pointer(fs, n, blk);
	for (int i = 1; i < level; i++)
		span *= fs->ptrs_per_block;
	r = bcache_get_block(fs->cache, blk, &b);
	if (r < 0)
		return r;
	ents = (uint32_t *)b->data;
	for (uint32_t i = (uint32_t)(first / span);
	     i < fs->ptrs_per_block && r == 0; i++) {
		bool cempty = true;

		if (!ents[i])
			continue;
		if (i * span < first)
			r = trunc_tree(fs, n, ents[i], level - 1,
				       first - i * span, &cempty);
		if (r == 0 && cempty)
			r = i * span < first ? drop_block(fs, n, ents[i]) :
			    free_tree(fs, n, ents[i], level - 1);
		if (r == 0 && cempty) {
			ents[i] = 0;
			bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_DATA);
		}
	}
	*empty = true;
	for (uint32_t i = 0; i < fs->ptrs_per_block && *empty; i++)
		*empty = ents[i] == 0;
	bcache_put_block(fs->cache, b);
	return r;
}

int
ext2_bmap_truncate(struct ext2_fs *fs, struct ext2_node *n, uint64_t first)
{
	uint64_t base = EXT2_NDIR_BLOCKS, span = fs->ptrs_per_block;
	int r = 0;

	for (uint32_t i = 0; i < EXT2_NDIR_BLOCKS && r == 0; i++) {
		if (i < first || !n->in.i_block[i])
			continue;
		r = free_tree(fs, n, n->in.i_block[i], 0);
		if (r == 0)
			n->in.i_block[i] = 0;
	}
	for (int level = 1; level <= MAX_DEPTH && r == 0; level++) {
		uint32_t *root = &n->in.i_block[EXT2_IND_BLOCK + level - 1];
		bool empty = true;

		if (*root && first <= base)
			r = free_tree(fs, n, *root, level);
		else if (*root && first < base + span)
			r = trunc_tree(fs, n, *root, level, first - base,
				       &empty);
		if (r == 0 && *root && first > base && first < base + span &&
		    empty)
			r = drop_block(fs, n, *root);
		if (r == 0 && empty && first < base + span)
			*root = 0;
		base += span;
		span *= fs->ptrs_per_block;
	}
	return r;
}
