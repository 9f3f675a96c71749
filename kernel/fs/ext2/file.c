/* ext2 file contents: read (holes as zeros), write (allocating blocks as
 * it goes), truncate both ways, symlink targets, and fsync, all on top of
 * the block map and the block cache. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "ext2_internal.h"

#define RELATIME_SECS		(24 * 60 * 60)
#define OLD_REV_MAX_SIZE	0x7fffffffull	/* no i_size_high in rev 0 */
#define LONG_MAX_BYTES		0x7fffffffffffffffull
#define I_BLOCKS_MAX_SIZE	((1ull << 41) - (1ull << 32))

static int
load_file(struct ext2_fs *fs, uint32_t ino, struct ext2_node *n)
{
	int r = ext2_node_load(fs, ino, n);

	if (r < 0)
		return r;
	switch (n->in.i_mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:
		return 0;
	case EXT2_S_IFDIR:
		return -EISDIR;
	default:
		return -EINVAL;
	}
}

/* The block map's reach, and i_blocks' (32 bits of 512-byte units, the
 * indirect blocks included: 4 GiB is more than they take at that size). */
static uint64_t
max_size(const struct ext2_fs *fs)
{
	if (fs->sb.s_rev_level == EXT2_GOOD_OLD_REV)
		return OLD_REV_MAX_SIZE;
	return MIN(ext2_max_blocks(fs) * fs->block_size, I_BLOCKS_MAX_SIZE);
}

/* relatime: atime moves when it is older than the last change or a day. */
static void
touch_atime(struct ext2_fs *fs, struct ext2_node *n)
{
	uint64_t now = clock_realtime_ns();
	uint64_t atime = ext2_node_get_time(n, EXT2_TIME_ATIME);

	if (fs->read_only)
		return;
	if (atime <= ext2_node_get_time(n, EXT2_TIME_MTIME) ||
	    atime <= ext2_node_get_time(n, EXT2_TIME_CTIME) ||
	    now - atime >= RELATIME_SECS * NSEC_PER_SEC) {
		ext2_node_set_time(n, EXT2_TIME_ATIME, now);
		ext2_node_store(fs, n);
	}
}

/* Bytes from @pos to the end of its block, at most @left. */
static size_t
chunk_len(const struct ext2_fs *fs, uint64_t pos, size_t left)
{
	return MIN(left, (size_t)(fs->block_size - pos % fs->block_size));
}

/* Copies @len bytes at @off (inside one block) of @n into @buf; a miss
 * reads ahead through block @last of the read, and @window beyond. */
static int
read_chunk(struct ext2_fs *fs, struct ext2_node *n, uint64_t off,
	   uint8_t *buf, size_t len, uint64_t last, uint32_t window)
{
	uint64_t lblk = off / fs->block_size;
	struct bcache_buf *b;
	uint32_t pblk;
	int r = ext2_bmap(fs, n, lblk, false, &pblk, NULL);

	if (r < 0)
		return r;
	if (pblk == 0) {
		memset(buf, 0, len);
		return 0;
	}
	if (!bcache_has_block(fs->cache, pblk))
		ext2_readahead(fs, n, lblk, pblk,
			       MAX(last - lblk + 1, (uint64_t)window));
	r = bcache_get_block(fs->cache, pblk, &b);
	if (r < 0)
		return r;
	memcpy(buf, b->data + off % fs->block_size, len);
	bcache_put_block(fs->cache, b);
	return 0;
}

/* Where ext2_read puts its bytes: one flat buffer, or an array of pages
 * (then no chunk crosses a page). */
struct read_dst {
	uint8_t *flat;
	void *const *pages;
};

static uint8_t *
dst_at(const struct read_dst *d, size_t done)
{
	if (!d->pages)
		return d->flat + done;
	return (uint8_t *)d->pages[done / PAGE_SIZE] + done % PAGE_SIZE;
}

static size_t
dst_chunk(const struct read_dst *d, size_t done, size_t chunk)
{
	return !d->pages ? chunk : MIN(chunk, PAGE_SIZE - done % PAGE_SIZE);
}

#define DIRECT_MAX	64	/* blocks per direct request: 256 KiB at 4 KiB */

/* The run of blocks from @lblk (mapped to @first) on, at most @max, that
 * lie next to each other on the disk. */
static size_t
contiguous_run(struct ext2_fs *fs, struct ext2_node *n, uint64_t lblk,
	       uint32_t first, size_t max)
{
	size_t k = 1;
	uint32_t next;

	while (k < max && ext2_bmap(fs, n, lblk + k, false, &next, NULL) == 0 &&
	       next == first + k)
		k++;
	return k;
}

/* Into pages, whole blocks the block cache does not hold go from the
 * device straight to the pages, a run per request: the page cache keeps
 * file data, so copying it into the block cache too (evicting other
 * blocks) is wasted. A block the block cache holds may be dirty there and
 * is taken from it by read_chunk, as are holes and errors. The last
 * block is read whole and its bytes past the end zeroed, as a page past
 * the end of the file must be. Bytes read at @done (@left to go), 0 for
 * read_chunk, or -errno. */
static long
read_direct(struct ext2_fs *fs, struct ext2_node *n,
	    const struct read_dst *d, uint64_t off, size_t done, size_t left)
{
	uint64_t pos = off + done, lblk = pos / fs->block_size;
	size_t max = MIN((left + fs->block_size - 1) / fs->block_size,
			 (size_t)DIRECT_MAX), k, bytes;
	uint8_t *dst[DIRECT_MAX];
	uint32_t first;
	long r;

	if (!d->pages || fs->block_size > PAGE_SIZE || max == 0 ||
	    pos % fs->block_size)
		return 0;
	if (ext2_bmap(fs, n, lblk, false, &first, NULL) < 0 || first == 0 ||
	    bcache_has_block(fs->cache, first))
		return 0;
	k = contiguous_run(fs, n, lblk, first, max);
	for (size_t i = 0; i < k; i++)
		dst[i] = dst_at(d, done + i * fs->block_size);
	r = bcache_read_uncached(fs->cache, first, k, dst);
	if (r <= 0)
		return r;
	bytes = (size_t)r * fs->block_size;
	if (bytes > left) {
		memset(dst_at(d, done + left), 0, bytes - left);
		bytes = left;
	}
	return (long)bytes;
}

static long
read_into(struct ext2_fs *fs, uint32_t ino, const struct read_dst *d,
	  size_t len, uint64_t off)
{
	struct ext2_node n;
	uint64_t size, last;
	uint32_t window;
	size_t done = 0;
	int r = load_file(fs, ino, &n);

	if (r < 0)
		return r;
	size = ext2_node_size(&n);
	if (off >= size)
		return 0;
	len = (size_t)MIN((uint64_t)len, MIN(size - off, LONG_MAX_BYTES));
	last = (off + len - 1) / fs->block_size;
	window = ext2_ra_start(fs, ino, off / fs->block_size,
			       (off + len) / fs->block_size);
	while (done < len) {
		size_t chunk = dst_chunk(d, done,
					 chunk_len(fs, off + done, len - done));
		long direct = read_direct(fs, &n, d, off, done, len - done);

		if (direct < 0)
			return done ? (long)done : direct;
		if (direct > 0) {
			done += (size_t)direct;
			continue;
		}
		r = read_chunk(fs, &n, off + done, dst_at(d, done), chunk,
			       last, window);
		if (r < 0)
			return done ? (long)done : r;
		done += chunk;
	}
	touch_atime(fs, &n);
	return (long)done;
}

long
ext2_read(struct ext2_fs *fs, uint32_t ino, void *buf, size_t len,
	  uint64_t off)
{
	struct read_dst d = { .flat = buf };

	return read_into(fs, ino, &d, len, off);
}

long
ext2_read_pages(struct ext2_fs *fs, uint32_t ino, void *const *pages,
		size_t count, uint64_t off)
{
	struct read_dst d = { .pages = pages };

	if (off % PAGE_SIZE)
		return -EINVAL;
	return read_into(fs, ino, &d, count * PAGE_SIZE, off);
}

static int
write_chunk(struct ext2_fs *fs, struct ext2_node *n, uint64_t off,
	    const uint8_t *buf, size_t len)
{
	struct bcache_buf *b;
	uint32_t pblk;
	bool fresh;
	int r = ext2_bmap(fs, n, off / fs->block_size, true, &pblk, &fresh);

	if (r < 0)
		return r;
	/* A whole block needs no read; a fresh one is zeroed in the cache. */
	if (len == fs->block_size)
		r = bcache_get_block_zeroed(fs->cache, pblk, &b);
	else
		r = bcache_get_block(fs->cache, pblk, &b);
	if (r < 0)
		return r;
	memcpy(b->data + off % fs->block_size, buf, len);
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_DATA);
	bcache_put_block(fs->cache, b);
	return 0;
}

long
ext2_write(struct ext2_fs *fs, uint32_t ino, const void *buf, size_t len,
	   uint64_t off)
{
	struct ext2_node n;
	size_t done = 0;
	int r;

	if (fs->read_only)
		return -EROFS;
	r = load_file(fs, ino, &n);
	if (r < 0)
		return r;
	if (len == 0)
		return 0;
	if (off >= max_size(fs) || len > max_size(fs) - off)
		return -EFBIG;
	while (done < len) {
		size_t chunk = chunk_len(fs, off + done, len - done);

		r = write_chunk(fs, &n, off + done, (const uint8_t *)buf + done,
				chunk);
		if (r < 0)
			break;
		done += chunk;
	}
	/* Blocks allocated before an error are mapped: store in any case. */
	if (off + done > ext2_node_size(&n))
		ext2_node_set_size(fs, &n, off + done);
	if (done)
		ext2_node_touch(&n, EXT2_TIME_MTIME | EXT2_TIME_CTIME);
	if (ext2_node_store(fs, &n) < 0 && r == 0)
		r = -EIO;
	return done ? (long)done : r;
}

/* Zeroes the end of the block @size falls in, so a later extension
 * reads zeros there. */
static int
zero_tail(struct ext2_fs *fs, struct ext2_node *n, uint64_t size)
{
	uint32_t pblk, off = size % fs->block_size;
	struct bcache_buf *b;
	int r;

	if (off == 0)
		return 0;
	r = ext2_bmap(fs, n, size / fs->block_size, false, &pblk, NULL);
	if (r < 0 || pblk == 0)
		return r;
	r = bcache_get_block(fs->cache, pblk, &b);
	if (r < 0)
		return r;
	memset(b->data + off, 0, fs->block_size - off);
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_DATA);
	bcache_put_block(fs->cache, b);
	return 0;
}

int
ext2_node_truncate(struct ext2_fs *fs, struct ext2_node *n, uint64_t size)
{
	uint64_t first = (size + fs->block_size - 1) / fs->block_size;
	int r = 0;

	if (size > max_size(fs))
		return -EFBIG;
	if (size < ext2_node_size(n)) {
		r = ext2_bmap_truncate(fs, n, first);
		if (r == 0)
			r = zero_tail(fs, n, size);
	}
	if (r == 0)
		ext2_node_set_size(fs, n, size);
	ext2_node_touch(n, EXT2_TIME_MTIME | EXT2_TIME_CTIME);
	/* Freed blocks are gone from the map even after an error. */
	return ext2_node_store(fs, n) < 0 && r == 0 ? -EIO : r;
}

int
ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size)
{
	struct ext2_node n;
	int r;

	if (fs->read_only)
		return -EROFS;
	r = load_file(fs, ino, &n);
	return r < 0 ? r : ext2_node_truncate(fs, &n, size);
}

long
ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t size)
{
	struct ext2_node n;
	struct bcache_buf *b;
	uint64_t len;
	uint32_t pblk;
	int r = ext2_node_load(fs, ino, &n);

	if (r < 0)
		return r;
	if ((n.in.i_mode & EXT2_S_IFMT) != EXT2_S_IFLNK)
		return -EINVAL;
	len = ext2_node_size(&n);
	if (!ext2_node_has_blocks(fs, &n)) {
		if (len >= EXT2_FAST_LINK_MAX)
			goto bad;
		len = MIN(len, (uint64_t)size);
		memcpy(buf, n.in.i_block, len);
		return (long)len;
	}
	if (len >= fs->block_size)
		goto bad;
	r = ext2_bmap(fs, &n, 0, false, &pblk, NULL);
	if (r < 0)
		return r;
	if (pblk == 0)
		goto bad;
	r = bcache_get_block(fs->cache, pblk, &b);
	if (r < 0)
		return r;
	len = MIN(len, (uint64_t)size);
	memcpy(buf, b->data, len);
	bcache_put_block(fs->cache, b);
	return (long)len;
bad:
	EXT2_ERR(fs, "symlink %u is corrupt", ino);
	return -EIO;
}

/* The metadata a file's blocks and inode need: its inode table block,
 * every bitmap, the descriptors and the superblock (clean ones are not
 * written). */
static int
sync_inode_meta(struct ext2_fs *fs, uint32_t ino)
{
	size_t n = 0, max = 2 + 2 * (size_t)fs->groups + fs->gd_blocks;
	uint64_t *list = kmalloc(max * sizeof(*list));
	int r;

	if (!list)
		return -ENOMEM;
	list[n++] = ext2_inode_block(fs, ino);
	for (uint32_t g = 0; g < fs->groups; g++) {
		list[n++] = fs->gd[g].bg_block_bitmap;
		list[n++] = fs->gd[g].bg_inode_bitmap;
	}
	for (uint32_t i = 0; i < fs->gd_blocks; i++)
		list[n++] = fs->sb.s_first_data_block + 1 + i;
	list[n++] = EXT2_SUPER_OFFSET / fs->block_size;
	r = bcache_sync_blocks(fs->cache, list, n);
	kfree(list);
	return r;
}

/* All file data in the cache goes first (class DATA: an inode in the same
 * table block may point to any of it), a flush, then the inode and its
 * metadata, a flush. A directory's entries name other inodes: a whole
 * ordered sync. */
int
ext2_fsync(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_node n;
	int r;

	if (fs->read_only)
		return 0;
	r = ext2_node_load(fs, ino, &n);
	if (r < 0)
		return r;
	if ((n.in.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
		return ext2_sync(fs);
	r = ext2_write_meta(fs);
	if (r == 0)
		r = bcache_sync_class(fs->cache, BCACHE_ORDER_DATA);
	if (r == 0)
		r = bcache_flush(fs->cache);
	if (r == 0)
		r = sync_inode_meta(fs, ino);
	if (r == 0)
		r = bcache_flush(fs->cache);
	return r;
}
