/* Unpacks a cpio newc archive into the tree: directories made as needed,
 * files borrowing the archive's bytes (copied on first write), links
 * copied. An entry that cannot be placed is reported and skipped. */
#include <keel/clock.h>
#include <keel/cpio.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

/* Directory of @path (creating missing ones); @name gets the last part. */
static struct vnode *
parent_dir(const char *path, char *name, int *err)
{
	char part[VFS_NAME_MAX + 1];
	struct vnode *dir = vfs_root(), *next;
	const char *p = path, *slash;

	while ((slash = strchr(p, '/')) != NULL) {
		size_t len = (size_t)(slash - p);

		if (len > VFS_NAME_MAX) {
			*err = -ENAMETOOLONG;
			return NULL;
		}
		memcpy(part, p, len);
		part[len] = '\0';
		next = len ? vfs_dir_find(dir, part) : dir;
		if (!next)
			next = vfs_create(dir, part, S_IFDIR | 0755, err);
		if (!next || !S_ISDIR(next->mode)) {
			*err = next ? -ENOTDIR : *err;
			return NULL;
		}
		dir = next;
		p = slash + 1;
	}
	strlcpy(name, p, VFS_NAME_MAX + 1);
	return dir;
}

/* True if some component of @path is "..": such an entry could land
 * outside the tree it is unpacked into. */
static bool
has_dotdot(const char *path)
{
	for (const char *p = path; *p; p++)
		if ((p == path || p[-1] == '/') && p[0] == '.' && p[1] == '.' &&
		    (p[2] == '/' || p[2] == '\0'))
			return true;
	return false;
}

/* Link targets in the archive are not NUL-terminated. */
static int
unpack_symlink(struct vnode *dir, const char *name, const struct cpio_entry *e)
{
	char *target;
	int err;

	if (e->size == 0 || e->size >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	target = kmalloc(e->size + 1);
	if (!target)
		return -ENOMEM;
	memcpy(target, e->data, e->size);
	target[e->size] = '\0';
	err = vfs_symlink(dir, name, target);
	kfree(target);
	return err;
}

static int
unpack_entry(const struct cpio_entry *e)
{
	char name[VFS_NAME_MAX + 1];
	size_t len;
	const char *path = cpio_entry_path(e, &len);
	struct vnode *dir, *v;
	int err = 0;

	if (len == 0 || has_dotdot(path))
		return 0;	/* the root itself, or an escape attempt */
	if (!S_ISDIR(e->mode) && !S_ISREG(e->mode) && !S_ISLNK(e->mode))
		return 0;	/* device nodes: /dev has its own */
	dir = parent_dir(path, name, &err);
	if (!dir)
		return err;
	v = vfs_dir_find(dir, name);
	if (v && S_ISDIR(v->mode) && S_ISDIR(e->mode))
		return 0;	/* already made for an earlier entry */
	if (v)
		return -EEXIST;
	if (S_ISLNK(e->mode))
		return unpack_symlink(dir, name, e);
	v = vfs_create(dir, name, e->mode, &err);
	if (!v)
		return err;
	v->mtime_ns = v->ctime_ns = v->atime_ns =
		(uint64_t)e->mtime * NSEC_PER_SEC;	/* as archived */
	return S_ISREG(e->mode) ? ramfs_borrow(v, e->data, e->size) : 0;
}

int
vfs_unpack_cpio(const void *archive, size_t len)
{
	struct cpio_entry e;
	size_t off = 0;
	const char *why = NULL;
	int r, err;

	while ((r = cpio_next(archive, len, &off, &e, &why)) == 1) {
		err = unpack_entry(&e);
		if (err)
			printk("keel: initrd: skipping %s: error %d\n", e.name, err);
	}
	if (r < 0)
		printk("keel: initrd: corrupt archive at byte %zu: %s\n", off,
		       why ? why : "unreadable");
	return r < 0 ? -EINVAL : 0;
}
