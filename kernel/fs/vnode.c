/* The VFS's side of every vnode operation: checks that hold for all file
 * systems (kinds, read-only mounts, crossing file systems), then the call
 * through the vnode's file system. Callers hold the tree lock. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/string.h>
#include <keel/sync.h>
#include <keel/thread.h>
#include <keel/vfs.h>
#include "fs_internal.h"

static struct mutex tree_lock;
static bool tree_lock_ready;
static uint64_t next_ino = 1;

void
vfs_tree_lock(void)
{
	if (!tree_lock_ready) {		/* first use is at boot, on one thread */
		mutex_init(&tree_lock, "vfs tree");
		tree_lock_ready = true;
	}
	mutex_lock(&tree_lock);
}

void
vfs_tree_unlock(void)
{
	mutex_unlock(&tree_lock);
}

void
vnode_init(struct vnode *v, uint32_t mode)
{
	uint64_t now = clock_realtime_ns();

	v->mode = mode;
	v->nlink = S_ISDIR(mode) ? 2 : 1;
	v->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	v->mtime_ns = v->ctime_ns = v->atime_ns = now;
	list_init(&v->children);
}

struct vnode *
vnode_new(uint32_t mode)
{
	struct vnode *v = kzalloc(sizeof(*v));

	if (v)
		vnode_init(v, mode);
	return v;
}

static bool
read_only(const struct vnode *v)
{
	return v->mnt && (v->mnt->flags & MOUNT_READ_ONLY);
}

struct vnode *
vfs_dir_find(struct vnode *dir, const char *name)
{
	int err;

	if (!S_ISDIR(dir->mode) || !dir->ops || !dir->ops->lookup)
		return NULL;
	return dir->ops->lookup(dir, name, &err);
}

struct vnode *
vfs_create(struct vnode *dir, const char *name, uint32_t mode, int *err)
{
	*err = !S_ISDIR(dir->mode) ? -ENOTDIR : dir->nlink == 0 ? -ENOENT :
	       read_only(dir) ? -EROFS : !dir->ops || !dir->ops->create ? -EPERM : 0;
	if (*err)
		return NULL;
	return dir->ops->create(dir, name, mode, err);
}

int
vfs_symlink(struct vnode *dir, const char *name, const char *target)
{
	size_t len = strnlen(target, VFS_PATH_MAX);

	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (len == 0 || len >= VFS_PATH_MAX || dir->nlink == 0)
		return len >= VFS_PATH_MAX ? -ENAMETOOLONG : -ENOENT;
	if (read_only(dir))
		return -EROFS;
	if (!dir->ops || !dir->ops->symlink)
		return -EPERM;
	return dir->ops->symlink(dir, name, target, len);
}

int
vfs_link(struct vnode *dir, const char *name, struct vnode *v)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir->mnt != v->mnt)
		return -EXDEV;
	if (dir->nlink == 0 || v->nlink == 0)
		return -ENOENT;		/* a removed directory or file */
	if (read_only(dir))
		return -EROFS;
	if (!dir->ops || !dir->ops->link)
		return -EPERM;
	return dir->ops->link(dir, name, v);
}

int
vfs_unlink(struct vnode *dir, const char *name, bool rmdir)
{
	struct vnode *v = vfs_dir_find(dir, name);

	if (!v)
		return S_ISDIR(dir->mode) ? -ENOENT : -ENOTDIR;
	if (v->mounted || (v->mnt && v == v->mnt->root))
		return -EBUSY;		/* a mount point */
	if (read_only(dir))
		return -EROFS;
	if (!dir->ops->unlink)
		return -EPERM;
	return dir->ops->unlink(dir, name, rmdir);
}

/* True if @v is @dir or one of its ancestors (moving @v there would cut
 * it off the tree). */
static bool
is_ancestor(struct vnode *v, struct vnode *dir)
{
	for (int depth = 0; dir && depth < VFS_PATH_MAX; depth++) {
		if (dir == v)
			return true;
		if (dir->mnt && dir == dir->mnt->root)
			return false;	/* a rename stays inside one mount */
		dir = dir->parent;
	}
	return false;
}

int
vfs_rename(struct vnode *odir, const char *oname, struct vnode *ndir,
	   const char *nname)
{
	struct vnode *v = vfs_dir_find(odir, oname), *to;

	if (!v)
		return -ENOENT;
	if (odir->mnt != ndir->mnt)
		return -EXDEV;
	if (v->mounted || (v->mnt && v == v->mnt->root))
		return -EBUSY;
	to = vfs_dir_find(ndir, nname);
	if (to == v)
		return 0;
	if (to && (to->mounted || (to->mnt && to == to->mnt->root)))
		return -EBUSY;
	if (to && S_ISDIR(v->mode) != S_ISDIR(to->mode))
		return S_ISDIR(v->mode) ? -ENOTDIR : -EISDIR;
	if (S_ISDIR(v->mode) && is_ancestor(v, ndir))
		return -EINVAL;
	if (read_only(odir))
		return -EROFS;
	if (!odir->ops->rename)
		return -EPERM;
	return odir->ops->rename(odir, oname, ndir, nname);
}

int
vfs_readdir(struct vnode *dir, uint64_t *pos, struct vfs_dirent_info *out)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!dir->ops || !dir->ops->readdir)
		return -EINVAL;
	return dir->ops->readdir(dir, pos, out);
}

long
vfs_readlink(struct vnode *v, char *buf, size_t len)
{
	if (!S_ISLNK(v->mode) || !v->ops || !v->ops->readlink)
		return -EINVAL;
	return v->ops->readlink(v, buf, len);
}

long
vfs_read(struct vnode *v, char *kbuf, size_t len, uint64_t off)
{
	if (v->dev)
		return v->dev->read ? v->dev->read(v, kbuf, len, off) : -EINVAL;
	if (S_ISDIR(v->mode))
		return -EISDIR;
	if (!v->ops || !v->ops->read)
		return -EINVAL;
	return v->ops->read(v, kbuf, len, off);
}

long
vfs_write(struct vnode *v, const char *kbuf, size_t len, uint64_t off)
{
	if (v->dev)
		return v->dev->write ? v->dev->write(v, kbuf, len, off) : -EINVAL;
	if (S_ISDIR(v->mode))
		return -EISDIR;
	if (read_only(v))
		return -EROFS;
	if (off + len < off)
		return -EFBIG;
	if (!v->ops || !v->ops->write)
		return -EINVAL;
	return v->ops->write(v, kbuf, len, off);
}

int
vfs_truncate(struct vnode *v, uint64_t size)
{
	if (!S_ISREG(v->mode))
		return S_ISDIR(v->mode) ? -EISDIR : -EINVAL;
	if (read_only(v))
		return -EROFS;
	if (!v->ops || !v->ops->truncate)
		return -EINVAL;
	return v->ops->truncate(v, size);
}

int
vfs_setattr(struct vnode *v, const struct vfs_attr *a)
{
	if (read_only(v))
		return -EROFS;
	if (a->mask & VFS_ATTR_MODE)
		v->mode = (v->mode & S_IFMT) | (a->mode & 07777);
	if (a->mask & VFS_ATTR_UID)
		v->uid = a->uid;
	if (a->mask & VFS_ATTR_GID)
		v->gid = a->gid;
	if (a->mask & VFS_ATTR_ATIME)
		v->atime_ns = a->atime_ns;
	if (a->mask & VFS_ATTR_MTIME)
		v->mtime_ns = a->mtime_ns;
	v->ctime_ns = clock_realtime_ns();
	return v->ops && v->ops->setattr ? v->ops->setattr(v) : 0;
}

int
vfs_fsync(struct vnode *v)
{
	return v->ops && v->ops->fsync ? v->ops->fsync(v) : 0;
}

struct pcache *
vfs_map_cache(struct vnode *v, bool write, int *err)
{
	*err = !S_ISREG(v->mode) || !v->ops || !v->ops->cache ? -ENODEV :
	       write && read_only(v) ? -EACCES : 0;
	return *err ? NULL : v->ops->cache(v, write, err);
}

int
vfs_read_whole(struct vnode *v, const void **data, size_t *size, bool *owned)
{
	const void *in_place = v->ops && v->ops->contents ? v->ops->contents(v)
							  : NULL;
	char *buf;
	long n;

	*size = (size_t)v->size;
	*owned = !in_place;
	if (in_place || !v->size) {
		*data = in_place;
		return 0;
	}
	buf = kmalloc(v->size);
	if (!buf)
		return -ENOMEM;
	n = vfs_read(v, buf, v->size, 0);
	if (n < 0 || (uint64_t)n != v->size) {
		kfree(buf);
		return n < 0 ? (int)n : -EIO;
	}
	*data = buf;
	return 0;
}

void
vfs_hold_for_call(struct vnode *v)
{
	struct thread *t = thread_current();

	if (t->call_nholds == THREAD_CALL_HOLDS)
		return;		/* no call looks up more than two paths */
	__atomic_fetch_add(&v->refs, 1, __ATOMIC_RELAXED);
	t->call_holds[t->call_nholds++] = v;
}

void
vfs_release_call_holds(void)
{
	struct thread *t = thread_current();

	vfs_tree_lock();
	while (t->call_nholds > 0) {
		struct vnode *v = t->call_holds[--t->call_nholds];

		__atomic_fetch_sub(&v->refs, 1, __ATOMIC_RELAXED);
		vfs_vnode_unused(v);
	}
	vfs_tree_unlock();
}

void
vfs_vnode_unused(struct vnode *v)
{
	if (v->refs == 0 && v->nlink == 0 && v->ops && v->ops->release)
		v->ops->release(v);
}
