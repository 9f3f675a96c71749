/* ext2 inodes: finding one in its group's inode table, loading and storing
 * its 128-byte core through the block cache (class META), attributes, and
 * freeing an inode once its last link and last user are gone. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "ext2_internal.h"

#define LARGE_FILE_SIZE		0x80000000ull	/* needs i_size_high */
#define HIGH16_SHIFT		16
#define DEV_OLD_MASK		0xff
#define DEV_MAJOR_SHIFT		8
#define PERM_MASK		07777

/* The root and the inodes from first_ino on; the other reserved ones
 * (bad blocks, resize, journal...) are never files of ours. */
static bool
ino_valid(const struct ext2_fs *fs, uint32_t ino)
{
	return (ino == EXT2_ROOT_INO || ino >= fs->first_ino) &&
	       ino <= fs->sb.s_inodes_count;
}

uint32_t
ext2_inode_block(const struct ext2_fs *fs, uint32_t ino)
{
	uint32_t idx = (ino - 1) % fs->sb.s_inodes_per_group;

	return fs->gd[(ino - 1) / fs->sb.s_inodes_per_group].bg_inode_table +
	       idx / fs->inodes_per_block;
}

static uint32_t
inode_offset(const struct ext2_fs *fs, uint32_t ino)
{
	uint32_t idx = (ino - 1) % fs->sb.s_inodes_per_group;

	return (idx % fs->inodes_per_block) * fs->inode_size;
}

static uint32_t
extra_len(const struct ext2_fs *fs)
{
	return MIN(fs->inode_size - EXT2_GOOD_OLD_INODE_SIZE,
		   (uint32_t)sizeof(struct ext2_inode_extra));
}

static void
node_load_extra(struct ext2_fs *fs, struct ext2_node *n, const uint8_t *slot)
{
	memset(&n->extra, 0, sizeof(n->extra));
	n->extra_len = extra_len(fs);
	memcpy(&n->extra, slot + EXT2_GOOD_OLD_INODE_SIZE, n->extra_len);
}

/* Loads @ino; one that is free (no mode, or deleted) is corruption when a
 * name or a caller refers to it. */
int
ext2_node_load(struct ext2_fs *fs, uint32_t ino, struct ext2_node *n)
{
	struct bcache_buf *b;
	int r;

	if (!ino_valid(fs, ino)) {
		EXT2_ERR(fs, "inode number %u out of range", ino);
		return -EIO;
	}
	r = bcache_get_block(fs->cache, ext2_inode_block(fs, ino), &b);
	if (r < 0)
		return r;
	memcpy(&n->in, b->data + inode_offset(fs, ino), sizeof(n->in));
	node_load_extra(fs, n, b->data + inode_offset(fs, ino));
	bcache_put_block(fs->cache, b);
	n->ino = ino;
	if (n->in.i_mode == 0 || n->in.i_dtime != 0) {
		EXT2_ERR(fs, "inode %u is not in use", ino);
		return -EIO;
	}
	return 0;
}

int
ext2_node_store(struct ext2_fs *fs, const struct ext2_node *n)
{
	struct bcache_buf *b;
	int r;

	if (fs->read_only)
		return -EROFS;
	r = bcache_get_block(fs->cache, ext2_inode_block(fs, n->ino), &b);
	if (r < 0)
		return r;
	memcpy(b->data + inode_offset(fs, n->ino), &n->in, sizeof(n->in));
	memcpy(b->data + inode_offset(fs, n->ino) + EXT2_GOOD_OLD_INODE_SIZE,
	       &n->extra, n->extra_len);
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_META);
	bcache_put_block(fs->cache, b);
	return 0;
}

/* The whole on-disk slot is cleared, so a large inode's extra fields are
 * zero apart from their size, which says they exist (as Linux sets it). */
int
ext2_node_init(struct ext2_fs *fs, uint32_t ino, uint32_t mode,
	       uint32_t uid, uint32_t gid, struct ext2_node *n)
{
	struct bcache_buf *b;
	int r;

	r = bcache_get_block(fs->cache, ext2_inode_block(fs, ino), &b);
	if (r < 0)
		return r;
	memset(b->data + inode_offset(fs, ino), 0, fs->inode_size);
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_META);
	bcache_put_block(fs->cache, b);
	memset(n, 0, sizeof(*n));
	n->ino = ino;
	n->extra_len = extra_len(fs);
	if (n->extra_len == EXT2_INODE_EXTRA_ISIZE)
		n->extra.i_extra_isize = EXT2_INODE_EXTRA_ISIZE;
	n->in.i_mode = (uint16_t)mode;
	n->in.i_uid = (uint16_t)uid;
	n->in.i_uid_high = (uint16_t)(uid >> HIGH16_SHIFT);
	n->in.i_gid = (uint16_t)gid;
	n->in.i_gid_high = (uint16_t)(gid >> HIGH16_SHIFT);
	ext2_node_touch(n, EXT2_TIME_ATIME | EXT2_TIME_MTIME | EXT2_TIME_CTIME);
	n->extra.i_crtime = n->in.i_ctime;	/* birth time, where it fits */
	n->extra.i_crtime_extra = n->extra.i_ctime_extra;
	n->in.i_links_count = 1;
	return 0;
}

uint64_t
ext2_node_size(const struct ext2_node *n)
{
	uint64_t size = n->in.i_size;

	if ((n->in.i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
		size |= (uint64_t)n->in.i_size_high << 32;
	return size;
}

/* Sizes of 2 GiB and more need the large_file feature, which is set the
 * first time (as Linux does). */
void
ext2_node_set_size(struct ext2_fs *fs, struct ext2_node *n, uint64_t size)
{
	n->in.i_size = (uint32_t)size;
	if ((n->in.i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
		n->in.i_size_high = (uint32_t)(size >> 32);
	if (size >= LARGE_FILE_SIZE &&
	    !(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)) {
		fs->sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
		ext2_mark_meta_dirty(fs);
	}
}

/* Files, directories and slow symlinks have a block map; a fast symlink
 * keeps its target in i_block and a device its number. */
bool
ext2_node_has_blocks(const struct ext2_fs *fs, const struct ext2_node *n)
{
	uint32_t acl_sectors = n->in.i_file_acl ? ext2_block_sectors(fs) : 0;

	switch (n->in.i_mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:
	case EXT2_S_IFDIR:
		return true;
	case EXT2_S_IFLNK:
		return n->in.i_blocks != acl_sectors;
	default:
		return false;
	}
}

uint32_t
ext2_node_group(const struct ext2_fs *fs, const struct ext2_node *n)
{
	return (n->ino - 1) / fs->sb.s_inodes_per_group;
}

static uint32_t
decode_rdev(const struct ext2_node *n)
{
	uint32_t old = n->in.i_block[0], nw = n->in.i_block[1];

	if (old)
		return old & 0xffff;
	/* New encoding: minor's low byte, 12 bits of major, minor's rest. */
	return ((nw & 0xfff00) >> DEV_MAJOR_SHIFT) << DEV_MAJOR_SHIFT |
	       (nw & DEV_OLD_MASK);
}

int
ext2_getattr(struct ext2_fs *fs, uint32_t ino, struct ext2_attr *out)
{
	struct ext2_node n;
	uint32_t type;
	int r = ext2_node_load(fs, ino, &n);

	if (r < 0)
		return r;
	type = n.in.i_mode & EXT2_S_IFMT;
	memset(out, 0, sizeof(*out));
	out->ino = ino;
	out->mode = n.in.i_mode;
	out->nlink = n.in.i_links_count;
	out->uid = n.in.i_uid | (uint32_t)n.in.i_uid_high << HIGH16_SHIFT;
	out->gid = n.in.i_gid | (uint32_t)n.in.i_gid_high << HIGH16_SHIFT;
	out->size = ext2_node_size(&n);
	out->blocks = n.in.i_blocks;
	out->atime_ns = ext2_node_get_time(&n, EXT2_TIME_ATIME);
	out->mtime_ns = ext2_node_get_time(&n, EXT2_TIME_MTIME);
	out->ctime_ns = ext2_node_get_time(&n, EXT2_TIME_CTIME);
	if (type == EXT2_S_IFCHR || type == EXT2_S_IFBLK)
		out->rdev = decode_rdev(&n);
	return 0;
}

int
ext2_setattr(struct ext2_fs *fs, uint32_t ino, const struct ext2_attr *attr,
	     uint32_t valid)
{
	struct ext2_node n;
	int r;

	if (fs->read_only)
		return -EROFS;
	r = ext2_node_load(fs, ino, &n);
	if (r < 0)
		return r;
	if (valid & EXT2_ATTR_MODE)
		n.in.i_mode = (uint16_t)((n.in.i_mode & EXT2_S_IFMT) |
					 (attr->mode & PERM_MASK));
	if (valid & EXT2_ATTR_UID) {
		n.in.i_uid = (uint16_t)attr->uid;
		n.in.i_uid_high = (uint16_t)(attr->uid >> HIGH16_SHIFT);
	}
	if (valid & EXT2_ATTR_GID) {
		n.in.i_gid = (uint16_t)attr->gid;
		n.in.i_gid_high = (uint16_t)(attr->gid >> HIGH16_SHIFT);
	}
	if (valid & EXT2_ATTR_ATIME)
		ext2_node_set_time(&n, EXT2_TIME_ATIME, attr->atime_ns);
	if (valid & EXT2_ATTR_MTIME)
		ext2_node_set_time(&n, EXT2_TIME_MTIME, attr->mtime_ns);
	if (valid & EXT2_ATTR_CTIME)
		ext2_node_set_time(&n, EXT2_TIME_CTIME, attr->ctime_ns);
	else
		ext2_node_touch(&n, EXT2_TIME_CTIME);
	return ext2_node_store(fs, &n);
}

/* Drops one reference to an extended attribute block, freeing it with
 * the last. */
static int
release_xattr(struct ext2_fs *fs, struct ext2_node *n)
{
	uint32_t blk = n->in.i_file_acl;
	struct ext2_xattr_header *h;
	struct bcache_buf *b;
	bool last;
	int r;

	if (!blk)
		return 0;
	if (!ext2_block_valid(fs, blk)) {
		EXT2_ERR(fs, "inode %u: xattr block %u outside the fs", n->ino,
			 blk);
		return -EIO;
	}
	r = bcache_get_block(fs->cache, blk, &b);
	if (r < 0)
		return r;
	h = (struct ext2_xattr_header *)b->data;
	last = h->h_magic != EXT2_XATTR_MAGIC || h->h_refcount <= 1;
	if (!last) {
		h->h_refcount--;
		bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_META);
	}
	bcache_put_block(fs->cache, b);
	n->in.i_file_acl = 0;
	return last ? ext2_block_free(fs, blk) : 0;
}

/* Link count zero and no users left: free the blocks, then the inode,
 * with its deletion time set as e2fsck expects of a free inode. */
int
ext2_inode_release(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_node n;
	bool dir;
	int r = ext2_node_load(fs, ino, &n);

	if (r < 0 || n.in.i_links_count > 0)
		return r;
	if (fs->read_only)
		return -EROFS;
	dir = (n.in.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
	if (ext2_node_has_blocks(fs, &n))
		r = ext2_bmap_truncate(fs, &n, 0);
	if (r == 0)
		r = release_xattr(fs, &n);
	if (r < 0)
		return r;
	memset(n.in.i_block, 0, sizeof(n.in.i_block));
	n.in.i_blocks = 0;
	ext2_node_set_size(fs, &n, 0);
	n.in.i_dtime = ext2_now();
	r = ext2_node_store(fs, &n);
	if (r == 0)
		r = ext2_inode_free(fs, ino, dir);
	return r;
}
