/* The chown family. The app runs as root, so every change is allowed; the
 * owner is kept and reported by stat, which is what tar, cp -p and
 * install check after they set it. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/syscall.h>
#include "../fs/fs_internal.h"
#include "sys_fs.h"

#define OWNER_UNCHANGED	((uint32_t)-1)
#define FCHOWNAT_FLAGS	(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)

static long
owner_set(struct vnode *v, uint64_t uid, uint64_t gid)
{
	struct vfs_attr a = { .uid = (uint32_t)uid, .gid = (uint32_t)gid };
	long err;

	if ((uint32_t)uid != OWNER_UNCHANGED)
		a.mask |= VFS_ATTR_UID;
	if ((uint32_t)gid != OWNER_UNCHANGED)
		a.mask |= VFS_ATTR_GID;
	vfs_tree_lock();
	err = vfs_setattr(v, &a);
	vfs_tree_unlock();
	return err;
}

static long
file_fchown(struct file *f, const struct syscall_args *args)
{
	return owner_set(f->vnode, args->a[1], args->a[2]);
}

long
sys_fchown(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_fchown, args);
}

long
sys_fchownat(const struct syscall_args *args)
{
	int flags = (int)args->a[4], err;
	struct vnode *v;

	if (flags & ~FCHOWNAT_FLAGS)
		return -EINVAL;
	v = fs_vnode_at((int)args->a[0], args->a[1], flags, &err);
	return v ? owner_set(v, args->a[2], args->a[3]) : err;
}

long
sys_chown(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], args->a[1],
				    args->a[2], 0, 0 } };

	return sys_fchownat(&a);
}

long
sys_lchown(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], args->a[1],
				    args->a[2], AT_SYMLINK_NOFOLLOW, 0 } };

	return sys_fchownat(&a);
}
