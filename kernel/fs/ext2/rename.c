/* ext2 rename: the new name is pointed at the moved inode in place before
 * the old name goes, so the target exists at every moment, on the disk
 * too: a replaced inode loses its link only after the new entry is synced
 * (as ext4 does for replace-by-rename). Directory moves fix "..". */
#include <keel/errno.h>
#include <keel/printk.h>
#include "ext2_internal.h"

struct rename_ctx {
	struct ext2_node od, nd_store, *nd;	/* nd aliases od: same dir */
	struct ext2_node moved, victim;
	struct ext2_dirpos opos, npos;
	bool replace, is_dir;
};

static bool
is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') ||
	       (len == 2 && name[0] == '.' && name[1] == '.');
}

static bool
mode_is_dir(uint32_t mode)
{
	return (mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

static int
load_dirs(struct ext2_fs *fs, struct rename_ctx *c, uint32_t odir,
	  uint32_t ndir)
{
	int r = ext2_node_load(fs, odir, &c->od);

	c->nd = odir == ndir ? &c->od : &c->nd_store;
	if (r == 0 && odir != ndir)
		r = ext2_node_load(fs, ndir, c->nd);
	if (r < 0)
		return r;
	if (!mode_is_dir(c->od.in.i_mode) || !mode_is_dir(c->nd->in.i_mode))
		return -ENOTDIR;
	return c->nd->in.i_links_count ? 0 : -ENOENT;
}

/* The checks rename(2) makes before anything changes. */
static int
check_target(struct ext2_fs *fs, struct rename_ctx *c, uint32_t ndir)
{
	bool moves_dir = c->is_dir && c->od.ino != ndir;
	int r = 0;

	if (moves_dir)
		r = ext2_check_not_ancestor(fs, c->moved.ino, ndir);
	if (r < 0)
		return r;
	if (!c->replace) {
		/* The new parent gains a link (a replaced dir frees one). */
		if (moves_dir && c->nd->in.i_links_count >= EXT2_LINK_MAX)
			return -EMLINK;
		return 0;
	}
	r = ext2_node_load(fs, c->npos.ino, &c->victim);
	if (r < 0)
		return r;
	if (c->is_dir && !mode_is_dir(c->victim.in.i_mode))
		return -ENOTDIR;
	if (!c->is_dir && mode_is_dir(c->victim.in.i_mode))
		return -EISDIR;
	if (c->is_dir) {
		r = ext2_dir_is_empty(fs, &c->victim);
		if (r <= 0)
			return r < 0 ? r : -ENOTEMPTY;
	}
	return 0;
}

/* Points the existing new name at the moved inode, makes that durable,
 * then takes the replaced inode's link. */
static int
replace_target(struct ext2_fs *fs, struct rename_ctx *c, uint32_t *orphan)
{
	int r = ext2_dir_set(fs, c->nd, &c->npos, c->moved.ino,
			     c->moved.in.i_mode);

	if (r == 0)
		r = ext2_node_store(fs, c->nd);
	if (r < 0)
		return r;
	/* A device that fails here fails the next sync too, which reports
	 * it; the rename itself goes on so the cached tree stays whole. */
	if (ext2_sync(fs) < 0)
		EXT2_ERR(fs, "rename: the new entry is not on the disk yet");
	if (mode_is_dir(c->victim.in.i_mode) && c->nd->in.i_links_count > 1)
		c->nd->in.i_links_count--;	/* the victim's ".." */
	if (mode_is_dir(c->victim.in.i_mode) ||
	    c->victim.in.i_links_count <= 1)
		c->victim.in.i_links_count = 0;
	else
		c->victim.in.i_links_count--;
	ext2_node_touch(&c->victim, EXT2_TIME_CTIME);
	if (c->victim.in.i_links_count == 0)
		*orphan = c->victim.ino;
	return ext2_node_store(fs, &c->victim);
}

/* Drops the old name, found again: adding the new one may have split the
 * entry before it. */
static int
remove_old(struct ext2_fs *fs, struct rename_ctx *c, const char *oname,
	   size_t olen)
{
	int r = ext2_dir_find(fs, &c->od, oname, olen, &c->opos);

	if (r == 0 && c->opos.ino != c->moved.ino)
		r = -EIO;
	return r < 0 ? r : ext2_dir_remove(fs, &c->od, &c->opos);
}

/* A directory changing parents: its ".." and both parents' link counts. */
static int
reparent(struct ext2_fs *fs, struct rename_ctx *c)
{
	struct ext2_dirpos dotdot;
	int r = ext2_dir_find(fs, &c->moved, "..", 2, &dotdot);

	if (r < 0)
		return r == -ENOENT ? -EIO : r;
	r = ext2_dir_set(fs, &c->moved, &dotdot, c->nd->ino, EXT2_S_IFDIR);
	if (r < 0)
		return r;
	if (c->od.in.i_links_count > 1)
		c->od.in.i_links_count--;
	c->nd->in.i_links_count++;
	return 0;
}

static int
do_rename(struct ext2_fs *fs, struct rename_ctx *c, const char *oname,
	  size_t olen, const char *nname, size_t nlen, uint32_t *orphan)
{
	int r;

	if (c->replace)
		r = replace_target(fs, c, orphan);
	else
		r = ext2_dir_add(fs, c->nd, nname, nlen, c->moved.ino,
				 c->moved.in.i_mode);
	if (r == 0)
		r = remove_old(fs, c, oname, olen);
	if (r == 0 && c->is_dir && c->od.ino != c->nd->ino)
		r = reparent(fs, c);
	ext2_node_touch(&c->moved, EXT2_TIME_CTIME);
	if (r == 0)
		r = ext2_node_store(fs, &c->moved);
	if (r == 0 && c->nd != &c->od)
		r = ext2_node_store(fs, c->nd);
	if (r == 0)
		r = ext2_node_store(fs, &c->od);
	return r;
}

int
ext2_rename(struct ext2_fs *fs, uint32_t odir, const char *oname,
	    size_t olen, uint32_t ndir, const char *nname, size_t nlen,
	    uint32_t *orphan)
{
	struct rename_ctx c = { 0 };
	int r;

	*orphan = 0;
	if (fs->read_only)
		return -EROFS;
	if (is_dot(oname, olen) || is_dot(nname, nlen))
		return -EINVAL;
	r = load_dirs(fs, &c, odir, ndir);
	if (r == 0)
		r = ext2_dir_find(fs, &c.od, oname, olen, &c.opos);
	if (r == 0)
		r = ext2_node_load(fs, c.opos.ino, &c.moved);
	if (r < 0)
		return r;
	c.is_dir = mode_is_dir(c.moved.in.i_mode);
	r = ext2_dir_find(fs, c.nd, nname, nlen, &c.npos);
	if (r < 0 && r != -ENOENT)
		return r;
	c.replace = r == 0;
	if (c.replace && c.npos.ino == c.moved.ino)
		return 0;
	r = check_target(fs, &c, ndir);
	if (r < 0)
		return r;
	return do_rename(fs, &c, oname, olen, nname, nlen, orphan);
}
