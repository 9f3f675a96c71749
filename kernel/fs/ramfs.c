/* The in-memory file system every path lives in: directories are lists of
 * named entries, files and link targets are byte buffers that grow by
 * doubling. Files unpacked from the initrd borrow the archive's bytes and
 * are copied only when first written. One lock guards the tree. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

#define MIN_CAPACITY	64

struct spinlock vfs_lock = SPINLOCK_INIT_NAMED("vfs");
static uint64_t next_ino = 1;

struct vnode *
vnode_new(uint32_t mode)
{
	struct vnode *v = kzalloc(sizeof(*v));
	uint64_t now = clock_realtime_ns();

	if (!v)
		return NULL;
	v->mode = mode;
	v->nlink = S_ISDIR(mode) ? 2 : 1;
	v->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	v->mtime_ns = v->ctime_ns = v->atime_ns = now;
	list_init(&v->children);
	return v;
}

struct vnode *
vfs_dir_find(struct vnode *dir, const char *name)
{
	struct list_node *n;

	list_for_each(n, &dir->children) {
		struct vfs_dirent *d = list_entry(n, struct vfs_dirent, node);

		if (strcmp(d->name, name) == 0)
			return d->vnode;
	}
	return NULL;
}

int
dir_link(struct vnode *dir, const char *name, struct vnode *v)
{
	size_t len = strnlen(name, VFS_NAME_MAX + 1);
	struct vfs_dirent *d;

	if (len == 0 || len > VFS_NAME_MAX)
		return len ? -ENAMETOOLONG : -ENOENT;
	d = kmalloc(sizeof(*d) + len + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d->name, name, len + 1);
	d->vnode = v;
	list_push_back(&dir->children, &d->node);
	if (S_ISDIR(v->mode)) {
		v->parent = dir;
		dir->nlink++;
	}
	dir->mtime_ns = clock_realtime_ns();
	return 0;
}

struct vnode *
vfs_create(struct vnode *dir, const char *name, uint32_t mode, int *err)
{
	struct vnode *v;

	if (!S_ISDIR(dir->mode)) {
		*err = -ENOTDIR;
		return NULL;
	}
	if (vfs_dir_find(dir, name)) {
		*err = -EEXIST;
		return NULL;
	}
	v = vnode_new(mode);
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = dir_link(dir, name, v);
	if (*err) {
		kfree(v);
		return NULL;
	}
	return v;
}

static void
vnode_put_data(struct vnode *v)
{
	if (v->capacity)
		kfree(v->data);
	v->data = NULL;
	v->capacity = 0;
}

int
vfs_unlink(struct vnode *dir, const char *name, bool rmdir)
{
	struct list_node *n;

	list_for_each(n, &dir->children) {
		struct vfs_dirent *d = list_entry(n, struct vfs_dirent, node);
		struct vnode *v = d->vnode;

		if (strcmp(d->name, name) != 0)
			continue;
		if (rmdir && !S_ISDIR(v->mode))
			return -ENOTDIR;
		if (!rmdir && S_ISDIR(v->mode))
			return -EISDIR;
		if (rmdir && !list_empty(&v->children))
			return -ENOTEMPTY;
		list_remove(n);
		kfree(d);
		if (rmdir)
			dir->nlink--;
		if (--v->nlink == 0 || rmdir) {
			v->nlink = 0;
			if (v->refs == 0) {
				vnode_put_data(v);
				kfree(v);
			}
		}
		return 0;
	}
	return -ENOENT;
}

/* Makes room for @size bytes, copying borrowed contents on first write. */
static int
vnode_reserve(struct vnode *v, uint64_t size)
{
	size_t cap = v->capacity ? v->capacity : MIN_CAPACITY;
	uint8_t *data;

	if (v->capacity >= size && v->capacity)
		return 0;
	while (cap < size)
		cap *= 2;
	data = kmalloc(cap);
	if (!data)
		return -ENOMEM;
	if (v->size)
		memcpy(data, v->data, v->size);
	vnode_put_data(v);
	v->data = data;
	v->capacity = cap;
	return 0;
}

long
vfs_read(struct vnode *v, char *kbuf, size_t len, uint64_t off)
{
	if (v->dev)
		return v->dev->read ? v->dev->read(v, kbuf, len, off) : -EINVAL;
	if (S_ISDIR(v->mode))
		return -EISDIR;
	if (off >= v->size)
		return 0;
	len = MIN(len, v->size - off);
	memcpy(kbuf, v->data + off, len);
	return (long)len;
}

long
vfs_write(struct vnode *v, const char *kbuf, size_t len, uint64_t off)
{
	int err;

	if (v->dev)
		return v->dev->write ? v->dev->write(v, kbuf, len, off) : -EINVAL;
	if (S_ISDIR(v->mode))
		return -EISDIR;
	if (off + len < off)
		return -EFBIG;
	err = vnode_reserve(v, MAX(off + len, v->size));
	if (err)
		return err;
	if (off > v->size)
		memset(v->data + v->size, 0, off - v->size);	/* a hole */
	memcpy(v->data + off, kbuf, len);
	v->size = MAX(v->size, off + len);
	v->mtime_ns = clock_realtime_ns();
	return (long)len;
}

int
vfs_truncate(struct vnode *v, uint64_t size)
{
	int err;

	if (!S_ISREG(v->mode))
		return S_ISDIR(v->mode) ? -EISDIR : -EINVAL;
	if (size > v->size) {
		err = vnode_reserve(v, size);
		if (err)
			return err;
		memset(v->data + v->size, 0, size - v->size);
	} else if (size < v->size && !v->capacity) {
		err = vnode_reserve(v, v->size);	/* stop borrowing */
		if (err)
			return err;
	}
	v->size = size;
	v->mtime_ns = clock_realtime_ns();
	return 0;
}

int
vfs_symlink_set(struct vnode *link, const char *target, size_t len)
{
	int err = vnode_reserve(link, len + 1);

	if (err)
		return err;
	memcpy(link->data, target, len);
	link->data[len] = '\0';
	link->size = len;
	return 0;
}

/* The entry @name of @dir, or NULL. */
static struct vfs_dirent *
dir_entry(struct vnode *dir, const char *name)
{
	struct list_node *n;

	list_for_each(n, &dir->children) {
		struct vfs_dirent *d = list_entry(n, struct vfs_dirent, node);

		if (strcmp(d->name, name) == 0)
			return d;
	}
	return NULL;
}

/* True if @v is @dir or one of its ancestors (moving @v there would cut
 * it off the tree). */
static bool
is_ancestor(struct vnode *v, struct vnode *dir)
{
	for (; dir; dir = dir->parent)
		if (dir == v)
			return true;
	return false;
}

int
vfs_rename(struct vnode *odir, const char *oname, struct vnode *ndir,
	   const char *nname)
{
	struct vfs_dirent *from = dir_entry(odir, oname);
	struct vfs_dirent *to = dir_entry(ndir, nname);
	struct vnode *v;
	int err;

	if (!from)
		return -ENOENT;
	v = from->vnode;
	if (to && to->vnode == v)
		return 0;
	if (S_ISDIR(v->mode) && is_ancestor(v, ndir))
		return -EINVAL;
	if (to) {
		/* Replace atomically: the target name never disappears. */
		if (S_ISDIR(v->mode) != S_ISDIR(to->vnode->mode))
			return S_ISDIR(v->mode) ? -ENOTDIR : -EISDIR;
		err = vfs_unlink(ndir, nname, S_ISDIR(to->vnode->mode));
		if (err)
			return err;
	}
	err = dir_link(ndir, nname, v);
	if (err)
		return err;
	list_remove(&from->node);
	kfree(from);
	if (S_ISDIR(v->mode))
		odir->nlink--;
	return 0;
}
