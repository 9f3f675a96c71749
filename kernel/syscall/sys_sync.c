/* fsync, fdatasync, syncfs and sync: what was written reaches stable
 * storage through the file's own file system (the in-memory ones have
 * nothing further to do and succeed, as Linux's tmpfs does). Pipes and
 * terminals cannot be synced: -EINVAL, as on Linux. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/printk.h>
#include <keel/syscall.h>
#include <keel/vfs.h>
#include "sys_fs.h"

/* fdatasync may skip metadata that does not find the data; syncing the
 * attributes too is the stronger promise and costs one inode write. */
static long
file_fsync(struct file *f, const struct syscall_args *args)
{
	long err;

	(void)args;
	if (f->vnode->dev && !S_ISREG(f->vnode->mode))
		return -EINVAL;
	vfs_tree_lock();
	err = vfs_fsync(f->vnode);
	vfs_tree_unlock();
	return err;
}

long
sys_fsync(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_fsync, args);
}

long
sys_fdatasync(const struct syscall_args *args)
{
	return sys_fsync(args);
}

static long
file_syncfs(struct file *f, const struct syscall_args *args)
{
	struct mount *m;
	long err = 0;

	(void)args;
	vfs_tree_lock();
	m = vfs_mount_of(f->vnode);
	if (m && m->ops && m->ops->sync)
		err = m->ops->sync(m);
	vfs_tree_unlock();
	return err;
}

long
sys_syncfs(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_syncfs, args);
}

/* sync(2) cannot fail on Linux; an error is still worth a console line. */
long
sys_sync(const struct syscall_args *args)
{
	int err;

	(void)args;
	vfs_tree_lock();
	err = vfs_sync_all();
	vfs_tree_unlock();
	if (err)
		printk("keel: sync: a file system reported error %d\n", err);
	return 0;
}
