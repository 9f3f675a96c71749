/* ext2 readahead. Each cache miss used to be one synchronous one-block
 * request, and a request costs far more than the data it moves, so a miss
 * now reads the blocks the read asked for plus a window beyond, in one
 * request, as long as the file's next blocks lie next to each other on
 * the disk. The window grows while a file is read sequentially and is
 * zero for random reads, which would only waste the cache and the device
 * on blocks nobody asked for. */
#include "ext2_internal.h"

#define RA_START_BYTES	(16u << 10)	/* first window, and at offset 0 */
#define RA_MAX_BYTES	(256u << 10)	/* a large virtio request */

static uint32_t
ra_blocks(const struct ext2_fs *fs, uint32_t bytes)
{
	return MAX(bytes / fs->block_size, 1u);
}

/* The slot of @ino, or the least recently used one (reset for it). */
static struct ext2_ra *
ra_slot(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_ra *old = &fs->ra[0];

	for (int i = 0; i < EXT2_RA_SLOTS; i++) {
		if (fs->ra[i].ino == ino)
			return &fs->ra[i];
		if (fs->ra[i].stamp < old->stamp)
			old = &fs->ra[i];
	}
	old->ino = ino;
	old->window = 0;
	old->next = UINT64_MAX;
	return old;
}

uint32_t
ext2_ra_start(struct ext2_fs *fs, uint32_t ino, uint64_t first, uint64_t end)
{
	struct ext2_ra *ra = ra_slot(fs, ino);
	uint32_t start = ra_blocks(fs, RA_START_BYTES);

	if (ra->next == first)
		ra->window = ra->window ? MIN(2 * ra->window,
					      ra_blocks(fs, RA_MAX_BYTES)) :
			     start;
	else
		/* Reading from the top of a file is usually reading all of
		 * it; anywhere else, wait until it looks sequential. */
		ra->window = first == 0 ? start : 0;
	ra->next = end;
	ra->stamp = ++fs->ra_clock;
	return ra->window;
}

void
ext2_readahead(struct ext2_fs *fs, struct ext2_node *n, uint64_t lblk,
	       uint32_t pblk, uint64_t want)
{
	uint64_t eof = (ext2_node_size(n) + fs->block_size - 1) /
		       fs->block_size;
	uint64_t limit = MIN(want, (uint64_t)ra_blocks(fs, RA_MAX_BYTES));
	uint64_t k = 1;

	limit = MIN(limit, eof > lblk ? eof - lblk : 1);
	while (k < limit) {
		uint32_t next;

		/* A hole, an error or a jump ends the run. */
		if (ext2_bmap(fs, n, lblk + k, false, &next, NULL) < 0 ||
		    next != pblk + k)
			break;
		k++;
	}
	if (k > 1)
		bcache_prefetch(fs->cache, pblk, (size_t)k);
}
