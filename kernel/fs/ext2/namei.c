/* ext2 names: creating inodes under a name (files, device nodes, fifos,
 * directories, symlinks), hard links, unlink, rmdir and rename. Each step
 * dirties its blocks in the classes of ext2_internal.h, so a new inode is
 * on the disk before the entry naming it. */
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "ext2_internal.h"

#define DEV_OLD_LIMIT	0x10000	/* major and minor fit a byte each */
#define DEV_MAJOR_SHIFT	8
#define DEV_MINOR_MASK	0xff
#define MAX_TREE_DEPTH	32768	/* ".." steps before we call it a loop */

static bool
is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') ||
	       (len == 2 && name[0] == '.' && name[1] == '.');
}

static bool
node_is_dir(const struct ext2_node *n)
{
	return (n->in.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

/* Loads directory @ino for a change: writable, a directory, not removed. */
static int
load_dir(struct ext2_fs *fs, uint32_t ino, struct ext2_node *d)
{
	int r;

	if (fs->read_only)
		return -EROFS;
	r = ext2_node_load(fs, ino, d);
	if (r < 0)
		return r;
	if (!node_is_dir(d))
		return -ENOTDIR;
	return d->in.i_links_count ? 0 : -ENOENT;
}

static int
check_free_name(struct ext2_fs *fs, struct ext2_node *dir, const char *name,
		size_t len)
{
	struct ext2_dirpos pos;
	int r = ext2_dir_find(fs, dir, name, len, &pos);

	return r == 0 ? -EEXIST : r == -ENOENT ? 0 : r;
}

/* Undoes a half-made inode: no links, then freed with its blocks. */
static void
drop_new(struct ext2_fs *fs, struct ext2_node *n)
{
	n->in.i_links_count = 0;
	if (ext2_node_store(fs, n) == 0)
		ext2_inode_release(fs, n->ino);
}

/* A new inode of @mode for @name in @dir, stored; the name is not added. */
static int
new_node(struct ext2_fs *fs, struct ext2_node *dir, const char *name,
	 size_t len, uint32_t mode, uint32_t uid, uint32_t gid,
	 struct ext2_node *n)
{
	bool is_dir = (mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
	uint32_t ino;
	int r = check_free_name(fs, dir, name, len);

	if (r == 0)
		r = ext2_inode_alloc(fs, ext2_node_group(fs, dir), is_dir,
				     &ino);
	if (r == 0)
		r = ext2_node_init(fs, ino, mode, uid, gid, n);
	return r;
}

/* Names the finished inode @n in @dir; on failure the inode goes. */
static int
name_new(struct ext2_fs *fs, struct ext2_node *dir, const char *name,
	 size_t len, struct ext2_node *n, uint32_t *ino)
{
	int r = ext2_node_store(fs, n);

	if (r == 0)
		r = ext2_dir_add(fs, dir, name, len, n->ino, n->in.i_mode);
	if (r == 0)
		r = ext2_node_store(fs, dir);
	if (r < 0) {
		/* The directory may have gained a block before failing. */
		ext2_node_store(fs, dir);
		drop_new(fs, n);
		return r;
	}
	*ino = n->ino;
	return 0;
}

static void
set_rdev(struct ext2_node *n, uint32_t rdev)
{
	uint32_t major = rdev >> DEV_MAJOR_SHIFT, minor = rdev & DEV_MINOR_MASK;

	if (rdev < DEV_OLD_LIMIT)
		n->in.i_block[0] = rdev;
	else
		n->in.i_block[1] = minor | major << DEV_MAJOR_SHIFT;
}

int
ext2_create(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	    uint32_t mode, uint32_t rdev, uint32_t uid, uint32_t gid,
	    uint32_t *ino)
{
	struct ext2_node d, n;
	uint32_t type = mode & EXT2_S_IFMT;
	int r;

	if (type == 0)
		mode |= type = EXT2_S_IFREG;
	if (type == EXT2_S_IFDIR || type == EXT2_S_IFLNK)
		return -EINVAL;
	r = load_dir(fs, dir, &d);
	if (r == 0)
		r = new_node(fs, &d, name, len, mode, uid, gid, &n);
	if (r < 0)
		return r;
	if (type == EXT2_S_IFCHR || type == EXT2_S_IFBLK)
		set_rdev(&n, rdev);
	return name_new(fs, &d, name, len, &n, ino);
}

int
ext2_mkdir(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	   uint32_t mode, uint32_t uid, uint32_t gid, uint32_t *ino)
{
	struct ext2_node d, n;
	int r = load_dir(fs, dir, &d);

	if (r == 0 && d.in.i_links_count >= EXT2_LINK_MAX)
		r = -EMLINK;
	if (r == 0)
		r = new_node(fs, &d, name, len, EXT2_S_IFDIR |
			     (mode & ~EXT2_S_IFMT), uid, gid, &n);
	if (r < 0)
		return r;
	n.in.i_links_count = 2;		/* its name and its "." */
	r = ext2_dir_init(fs, &n, dir);
	if (r < 0) {
		drop_new(fs, &n);
		return r;
	}
	r = name_new(fs, &d, name, len, &n, ino);
	if (r < 0)
		return r;
	d.in.i_links_count++;		/* the new directory's ".." */
	return ext2_node_store(fs, &d);
}

/* A target shorter than i_block lives in it (fast symlink), else in one
 * data block (slow). */
static int
set_target(struct ext2_fs *fs, struct ext2_node *n, const char *target,
	   size_t tlen)
{
	struct bcache_buf *b;
	uint32_t pblk;
	int r;

	ext2_node_set_size(fs, n, tlen);
	if (tlen < EXT2_FAST_LINK_MAX) {
		memcpy(n->in.i_block, target, tlen);
		return 0;
	}
	r = ext2_bmap(fs, n, 0, true, &pblk, NULL);
	if (r < 0)
		return r;
	r = bcache_get_block(fs->cache, pblk, &b);
	if (r < 0)
		return r;
	memcpy(b->data, target, tlen);
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_DATA);
	bcache_put_block(fs->cache, b);
	return 0;
}

int
ext2_symlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	     const char *target, size_t tlen, uint32_t uid, uint32_t gid,
	     uint32_t *ino)
{
	struct ext2_node d, n;
	int r;

	if (tlen == 0)
		return -ENOENT;
	if (tlen >= fs->block_size)
		return -ENAMETOOLONG;
	r = load_dir(fs, dir, &d);
	if (r == 0)
		r = new_node(fs, &d, name, len, EXT2_S_IFLNK | 0777, uid, gid,
			     &n);
	if (r < 0)
		return r;
	r = set_target(fs, &n, target, tlen);
	if (r < 0) {
		drop_new(fs, &n);
		return r;
	}
	return name_new(fs, &d, name, len, &n, ino);
}

int
ext2_link(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	  uint32_t ino)
{
	struct ext2_node d, n;
	int r = load_dir(fs, dir, &d);

	if (r == 0)
		r = ext2_node_load(fs, ino, &n);
	if (r < 0)
		return r;
	if (node_is_dir(&n))
		return -EPERM;
	if (n.in.i_links_count == 0)
		return -ENOENT;		/* unlinked: no way back */
	if (n.in.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	r = check_free_name(fs, &d, name, len);
	if (r < 0)
		return r;
	/* The count goes up before the name exists (class META first). */
	n.in.i_links_count++;
	ext2_node_touch(&n, EXT2_TIME_CTIME);
	r = ext2_node_store(fs, &n);
	if (r == 0)
		r = ext2_dir_add(fs, &d, name, len, ino, n.in.i_mode);
	if (r == 0)
		return ext2_node_store(fs, &d);
	n.in.i_links_count--;
	ext2_node_store(fs, &n);
	return r;
}

/* Takes one link from @n (all of a directory's); *@orphan when none left. */
static int
drop_link(struct ext2_fs *fs, struct ext2_node *n, uint32_t *orphan)
{
	if (node_is_dir(n) || n->in.i_links_count == 0)
		n->in.i_links_count = 0;
	else
		n->in.i_links_count--;
	ext2_node_touch(n, EXT2_TIME_CTIME);
	if (n->in.i_links_count == 0)
		*orphan = n->ino;
	return ext2_node_store(fs, n);
}

/* Finds @name in @d for removal: "." and ".." never go this way. */
static int
find_victim(struct ext2_fs *fs, struct ext2_node *d, const char *name,
	    size_t len, struct ext2_dirpos *pos, struct ext2_node *n)
{
	int r;

	if (is_dot(name, len))
		return -EINVAL;
	r = ext2_dir_find(fs, d, name, len, pos);
	return r < 0 ? r : ext2_node_load(fs, pos->ino, n);
}

int
ext2_unlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	    uint32_t *orphan)
{
	struct ext2_dirpos pos;
	struct ext2_node d, n;
	int r = load_dir(fs, dir, &d);

	*orphan = 0;
	if (r == 0)
		r = find_victim(fs, &d, name, len, &pos, &n);
	if (r < 0)
		return r;
	if (node_is_dir(&n))
		return -EISDIR;
	r = ext2_dir_remove(fs, &d, &pos);
	if (r == 0)
		r = ext2_node_store(fs, &d);
	return r < 0 ? r : drop_link(fs, &n, orphan);
}

int
ext2_rmdir(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	   uint32_t *orphan)
{
	struct ext2_dirpos pos;
	struct ext2_node d, n;
	int r = load_dir(fs, dir, &d);

	*orphan = 0;
	if (r == 0 && len == 2 && is_dot(name, len))
		return -ENOTEMPTY;
	if (r == 0)
		r = find_victim(fs, &d, name, len, &pos, &n);
	if (r < 0)
		return r;
	if (!node_is_dir(&n))
		return -ENOTDIR;
	r = ext2_dir_is_empty(fs, &n);
	if (r <= 0)
		return r < 0 ? r : -ENOTEMPTY;
	r = ext2_dir_remove(fs, &d, &pos);
	if (r < 0)
		return r;
	if (d.in.i_links_count > 1)
		d.in.i_links_count--;		/* the child's ".." */
	r = ext2_node_store(fs, &d);
	return r < 0 ? r : drop_link(fs, &n, orphan);
}

/* -EINVAL if directory @moved is @dir or above it: the move would cut a
 * subtree loose. Walks ".." up to the root, bounded against loops. */
int
ext2_check_not_ancestor(struct ext2_fs *fs, uint32_t moved, uint32_t dir)
{
	uint32_t cur = dir;

	for (int depth = 0; depth < MAX_TREE_DEPTH; depth++) {
		struct ext2_dirpos pos;
		struct ext2_node n;
		int r;

		if (cur == moved)
			return -EINVAL;
		if (cur == EXT2_ROOT_INO)
			return 0;
		r = ext2_node_load(fs, cur, &n);
		if (r == 0)
			r = ext2_dir_find(fs, &n, "..", 2, &pos);
		if (r < 0)
			return r == -ENOENT ? -EIO : r;
		if (pos.ino == cur)
			break;
		cur = pos.ino;
	}
	EXT2_ERR(fs, "directory loop above inode %u", dir);
	return -EIO;
}
