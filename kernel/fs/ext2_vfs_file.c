/* ext2 file data in the VFS: a regular file's contents go through the
 * page cache, filled by ext2_read and written back by ext2_write. The
 * vnode's size runs ahead of the inode's until write-back, which always
 * comes before ext2_fsync/ext2_sync, so data still precedes metadata.
 * Near a full disk writes go through at once, for an honest -ENOSPC. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/pagecache.h>
#include "ext2_vfs.h"

#define FULL_SLACK	(1u << 20)	/* room for indirect blocks and such */

/* The page cache's view of an ext2 file: pages read and written back by
 * ext2_read/ext2_write, never past the vnode's size. */
static int
pc_fill(void *owner, uint64_t index, void *page)
{
	struct vnode *v = owner;
	long n = ext2_read(fs_of(v), ino_of(v), page, PAGE_SIZE,
			   index * PAGE_SIZE);

	return n < 0 ? (int)n : 0;
}

static int
pc_fill_run(void *owner, uint64_t index, size_t count, void *const *pages)
{
	struct vnode *v = owner;
	long n = ext2_read_pages(fs_of(v), ino_of(v), pages, count,
				 index * PAGE_SIZE);

	return n < 0 ? (int)n : 0;
}

static int
pc_writeback(void *owner, uint64_t index, const void *page)
{
	struct vnode *v = owner;
	uint64_t off = index * PAGE_SIZE;
	size_t len;
	long n;

	if (off >= v->size)
		return 0;
	len = (size_t)MIN((uint64_t)PAGE_SIZE, v->size - off);
	n = ext2_write(fs_of(v), ino_of(v), page, len, off);
	container_of(v, struct ext2_vnode, vnode)->written_back = true;
	return n < 0 ? (int)n : (size_t)n == len ? 0 : -EIO;
}

static const struct pcache_ops ext2_pcache_ops = {
	.fill = pc_fill, .fill_run = pc_fill_run,
	.writeback = pc_writeback,
};

struct pcache *
ext2v_cache(struct vnode *v, bool write, int *err)
{
	(void)write;
	if (!v->pcache)
		v->pcache = pcache_new(&ext2_pcache_ops, v);
	*err = v->pcache ? 0 : -ENOMEM;
	return v->pcache;
}

long
ext2v_read(struct vnode *v, char *kbuf, size_t len, uint64_t off)
{
	int err;

	if (!S_ISREG(v->mode))
		return -ENXIO;	/* device nodes on disk have no driver */
	if (!ext2v_cache(v, false, &err))
		return err;
	return pcache_read(v->pcache, kbuf, len, off, v->size);
}

/* True when the file system might not take every dirty page plus @len
 * bytes more (and room for the metadata they need): then writes go
 * through at once, so a full disk is -ENOSPC from write(), as on Linux's
 * ext2, not a lost page found at fsync. */
static bool
nearly_full(struct vnode *v, size_t len)
{
	struct ext2_statfs st;
	struct pcache_stats pc;

	ext2_statfs(fs_of(v), &st);
	pcache_get_stats(&pc);
	return st.blocks_free * st.block_size <
	       pc.dirty * PAGE_SIZE + len + FULL_SLACK;
}

/* The write of @n bytes at @off is written back now. Out of space, the
 * file keeps what reached ext2 (at least its old size) and the write is
 * short, or -ENOSPC if none of it landed. */
static long
write_through(struct vnode *v, uint64_t off, long n, uint64_t old_size)
{
	int err = ext2v_writeback(v);
	struct ext2_attr a;
	uint64_t keep;

	if (err != -ENOSPC)
		return n;	/* other errors stay for fsync to report */
	if (ext2_getattr(fs_of(v), ino_of(v), &a))
		a.size = old_size;
	keep = MIN(v->size, MAX(old_size, a.size));
	pcache_resize(v->pcache, v->size, keep);
	v->size = keep;
	return keep > off ? (long)MIN((uint64_t)n, keep - off) : -ENOSPC;
}

long
ext2v_write(struct vnode *v, const char *kbuf, size_t len, uint64_t off)
{
	uint64_t old_size = v->size;
	bool through;
	long n;
	int err;

	if (!S_ISREG(v->mode))
		return -ENXIO;
	if (!ext2v_cache(v, true, &err))
		return err;
	through = nearly_full(v, len);
	n = pcache_write(v->pcache, kbuf, len, off, &v->size);
	if (n > 0)
		v->mtime_ns = v->ctime_ns = clock_realtime_ns();
	if (n > 0 && through)
		n = write_through(v, off, n, old_size);
	return n;
}

/* Cached pages past the new end go first, so none is written back there. */
int
ext2v_truncate(struct vnode *v, uint64_t size)
{
	int err;

	if (v->pcache)
		pcache_resize(v->pcache, v->size, size);
	err = ext2_truncate(fs_of(v), ino_of(v), size);
	if (!err) {
		ext2v_refresh(v);
		v->size = size;
	}
	return err;
}

/* The inode's times were moved by ext2_write at write-back: they go
 * back to those of the writes (a tar that set mtime keeps it). */
static int
restore_times(struct vnode *v)
{
	struct ext2_attr a = {
		.mtime_ns = v->mtime_ns, .ctime_ns = v->ctime_ns,
	};

	return ext2_setattr(fs_of(v), ino_of(v), &a,
			    EXT2_ATTR_MTIME | EXT2_ATTR_CTIME);
}

int
ext2v_writeback(struct vnode *v)
{
	struct ext2_vnode *e = container_of(v, struct ext2_vnode, vnode);
	int err;

	if (!v->pcache)
		return 0;
	err = pcache_writeback(v->pcache);
	if (e->written_back && v->nlink) {
		e->written_back = false;
		err = restore_times(v) ?: err;
	}
	return err;
}

int
ext2v_writeback_all(struct ext2_mount *m)
{
	int first = 0;

	for (unsigned i = 0; i < INODE_HASH_BUCKETS; i++) {
		for (struct ext2_vnode *e = m->hash[i]; e; e = e->hash_next) {
			int err = ext2v_writeback(&e->vnode);

			if (err && !first)
				first = err;
		}
	}
	return first;
}
