/* Path lookup: component by component from the root or a start directory,
 * "." and ".." (the root is its own parent), symbolic links followed --
 * relative to the directory holding them -- up to VFS_SYMLOOP_MAX in all
 * and SYMLINK_NEST_MAX inside each other.
 * Caller holds vfs_lock. */
#include <keel/errno.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

/* Links inside links are resolved recursively, each level with a name
 * buffer on the stack: nesting is capped well within a kernel stack. */
#define SYMLINK_NEST_MAX	8

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
	struct vnode *v;

	if (++w->links > VFS_SYMLOOP_MAX || w->depth >= SYMLINK_NEST_MAX) {
		*err = -ELOOP;
		return NULL;
	}
	w->depth++;
	v = walk_path(w, dir, (const char *)link->data, NULL, err);
	w->depth--;
	return v;
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
		return dir->parent ? dir->parent : dir;
	v = vfs_dir_find(dir, name);
	if (!v) {
		*err = -ENOENT;
		return NULL;
	}
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
