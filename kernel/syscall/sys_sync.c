/* fsync, fdatasync, syncfs and sync: what was written reaches stable
 * storage through the file's own file system (the in-memory ones have
 * nothing further to do and succeed, as Linux's tmpfs does). Pipes and
 * terminals cannot be synced: -EINVAL, as on Linux. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/printk.h>
#include <keel/syscall.h>
#include <keel/vfs.h>

/* The open file @fd if it can be synced, else NULL with *err. */
static struct vnode *
sync_target(long fd, long *err)
{
	struct file *f = fd_get((int)fd);

	*err = -EBADF;
	if (!f)
		return NULL;
	*err = -EINVAL;
	if (f->vnode->dev && !S_ISREG(f->vnode->mode))
		return NULL;
	return f->vnode;
}

/* fdatasync may skip metadata that does not find the data; syncing the
 * attributes too is the stronger promise and costs one inode write. */
long
sys_fsync(const struct syscall_args *args)
{
	long err;
	struct vnode *v = sync_target((long)args->a[0], &err);

	if (!v)
		return err;
	vfs_tree_lock();
	err = vfs_fsync(v);
	vfs_tree_unlock();
	return err;
}

long
sys_fdatasync(const struct syscall_args *args)
{
	return sys_fsync(args);
}

long
sys_syncfs(const struct syscall_args *args)
{
	struct file *f = fd_get((int)args->a[0]);
	struct mount *m;
	long err = 0;

	if (!f)
		return -EBADF;
	vfs_tree_lock();
	m = vfs_mount_of(f->vnode);
	if (m && m->ops && m->ops->sync)
		err = m->ops->sync(m);
	vfs_tree_unlock();
	return err;
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
