/* Path lookup: component by component from the root or a start directory,
 * "." and ".." (the root is its own parent), symbolic links followed --
 * relative to the directory holding them -- up to VFS_SYMLOOP_MAX in all
 * and SYMLINK_NEST_MAX inside each other; mount points crossed both ways.
 * Caller holds the tree lock. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

/* Links inside links are resolved recursively, each level with a name
 * buffer on the stack: nesting is capped well within a kernel stack. */
#define SYMLINK_NEST_MAX	8
/* Mounts stacked on one directory that a walk passes through. */
#define MOUNT_STACK_MAX		16

struct walk {
	int links;		/* symbolic links followed so far */
	int depth;		/* links being resolved inside each other */
	int flags;
};

static struct vnode *walk_path(struct walk *w, struct vnode *dir,
			       const char *path, char *last, int *err);

/* Splits off the next component of *path into @name; false at the end. */
static bool
next_component(const char **path, char *name, int *err)
{
	const char *p = *path, *start;
	size_t len;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	start = p;
	while (*p && *p != '/')
		p++;
	len = (size_t)(p - start);
	if (len > VFS_NAME_MAX) {
		*err = -ENAMETOOLONG;
		return false;
	}
	memcpy(name, start, len);
	name[len] = '\0';
	*path = p;
	return true;
}

static bool
only_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return *p == '\0';
}

static struct vnode *
follow_link(struct walk *w, struct vnode *dir, struct vnode *link, int *err)
{
	struct vnode *v = NULL;
	char *target;
	long n;

	if (++w->links > VFS_SYMLOOP_MAX || w->depth >= SYMLINK_NEST_MAX) {
		*err = -ELOOP;
		return NULL;
	}
	target = kmalloc(VFS_PATH_MAX);
	if (!target) {
		*err = -ENOMEM;
		return NULL;
	}
	n = vfs_readlink(link, target, VFS_PATH_MAX - 1);
	if (n <= 0) {
		*err = n < 0 ? (int)n : -ENOENT;
	} else {
		target[n] = '\0';
		w->depth++;
		v = walk_path(w, dir, target, NULL, err);
		w->depth--;
	}
	kfree(target);
	return v;
}

/* The root of whatever is mounted on @v, through mounts stacked on it. */
static struct vnode *
cross_down(struct vnode *v)
{
	for (int i = 0; v->mounted && i < MOUNT_STACK_MAX; i++)
		v = v->mounted->root;
	return v;
}

/* Out of mount roots to the directories they hide. */
static struct vnode *
climb_mounts(struct vnode *v)
{
	for (int i = 0; i < MOUNT_STACK_MAX; i++) {
		if (!v->mnt || v != v->mnt->root || !v->mnt->covered)
			break;
		v = v->mnt->covered;
	}
	return v;
}

/* ".." of @dir: out of a mount's root to the directory it hides first;
 * the tree's root is its own parent. */
static struct vnode *
step_up(struct vnode *dir, int *err)
{
	struct vnode *up;

	dir = climb_mounts(dir);
	if (dir == vfs_root())
		return dir;
	up = dir->ops->lookup(dir, "..", err);
	return up ? cross_down(up) : NULL;
}

static struct vnode *
step(struct walk *w, struct vnode *dir, const char *name, bool is_last,
     int *err)
{
	struct vnode *v;

	if (!S_ISDIR(dir->mode)) {
		*err = -ENOTDIR;
		return NULL;
	}
	if (strcmp(name, ".") == 0)
		return dir;
	if (strcmp(name, "..") == 0)
		return step_up(dir, err);
	v = dir->ops->lookup(dir, name, err);
	if (!v)
		return NULL;
	v = cross_down(v);
	if (S_ISLNK(v->mode) && !(is_last && (w->flags & LOOKUP_NOFOLLOW)))
		return follow_link(w, dir, v, err);
	return v;
}

static struct vnode *
walk_path(struct walk *w, struct vnode *dir, const char *path, char *last,
	  int *err)
{
	char name[VFS_NAME_MAX + 1];
	struct vnode *v = path[0] == '/' ? vfs_root() : dir;

	*err = 0;
	while (next_component(&path, name, err)) {
		bool is_last = only_slashes(path);

		if (is_last && last) {
			memcpy(last, name, strlen(name) + 1);
			if (!S_ISDIR(v->mode)) {
				*err = -ENOTDIR;
				return NULL;
			}
			return v;
		}
		v = step(w, v, name, is_last, err);
		if (!v)
			return NULL;
	}
	if (*err)
		return NULL;
	if (last) {		/* "/" or "" has no last component */
		*err = path[0] ? -EEXIST : -ENOENT;
		return NULL;
	}
	return v;
}

struct vnode *
vfs_lookup(struct vnode *start, const char *path, int flags, char *last,
	   int *err)
{
	struct walk w = { 0, 0, flags };

	if (path[0] == '\0') {
		*err = -ENOENT;
		return NULL;
	}
	if (strnlen(path, VFS_PATH_MAX) >= VFS_PATH_MAX) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	return walk_path(&w, start ? start : vfs_cwd(), path,
			 (flags & LOOKUP_PARENT) ? last : NULL, err);
}

/* The name under which @dir's parent @parent lists @v, into @name. */
static int
name_in_parent(struct vnode *parent, struct vnode *v, char *name)
{
	struct vfs_dirent_info *e = kmalloc(sizeof(*e));
	uint64_t pos = 0;
	int r;

	if (!e)
		return -ENOMEM;
	while ((r = vfs_readdir(parent, &pos, e)) == 1) {
		if (e->ino == v->ino && strcmp(e->name, ".") != 0 &&
		    strcmp(e->name, "..") != 0) {
			strlcpy(name, e->name, VFS_NAME_MAX + 1);
			break;
		}
	}
	kfree(e);
	return r == 1 ? 0 : r == 0 ? -ENOENT : r;
}

long
vfs_path_of(struct vnode *v, char *buf, size_t size)
{
	char name[VFS_NAME_MAX + 1];
	struct vnode *dir = v;
	size_t pos = size - 1;
	int err = -ENOENT;

	buf[pos] = '\0';
	for (int depth = 0; depth < VFS_PATH_MAX / 2; depth++) {
		struct vnode *parent;
		size_t len;

		dir = climb_mounts(dir);
		if (dir == vfs_root())
			break;
		/* Files keep the directory they were last linked in. */
		parent = S_ISDIR(dir->mode) ? dir->ops->lookup(dir, "..", &err)
					    : dir->parent;
		if (!parent || parent == dir)
			return parent ? -ENOENT : err;
		err = name_in_parent(parent, dir, name);
		if (err)
			return err;	/* removed */
		len = strlen(name);
		if (len + 1 > pos)
			return -ERANGE;
		pos -= len;
		memcpy(buf + pos, name, len);
		buf[--pos] = '/';
		dir = parent;
	}
	if (pos == size - 1)
		buf[--pos] = '/';
	return (long)pos;
}
