/* statfs and fstatfs: the figures of the mounted file system a path or
 * descriptor is on, as its file system reports them (in-memory ones count
 * physical memory: df shows what the app can still use). */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/string.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>
#include "sys_fs.h"

#define ST_VALID	0x20		/* Linux sets it: f_flags is meaningful */
#define ST_RDONLY	0x1

struct statfs_user {
	int64_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree;
	int32_t fsid[2];
	int64_t namelen, frsize, flags;
	int64_t spare[4];
};
_Static_assert(sizeof(struct statfs_user) == 120, "struct statfs, x86_64");

/* The figures of the file system @v is on. */
static long
fill_statfs(struct vnode *v, void __user *ubuf)
{
	struct vfs_statfs fs;
	struct statfs_user st;
	long err;

	vfs_tree_lock();
	err = vfs_statfs(v, &fs);
	vfs_tree_unlock();
	if (err)
		return err;
	memset(&st, 0, sizeof(st));
	st.type = (int64_t)fs.magic;
	st.bsize = st.frsize = (int64_t)fs.block_size;
	st.blocks = fs.blocks;
	st.bfree = fs.blocks_free;
	st.bavail = fs.blocks_avail;
	st.files = fs.files;
	st.ffree = fs.files_free;
	st.fsid[0] = (int32_t)v->mnt->dev;
	st.namelen = VFS_NAME_MAX;
	st.flags = ST_VALID | (v->mnt->flags & MOUNT_READ_ONLY ? ST_RDONLY : 0);
	return copy_to_user(ubuf, &st, sizeof(st));
}

long
sys_statfs(const struct syscall_args *args)
{
	int err;
	struct vnode *v = fs_lookup_at(AT_FDCWD, args->a[0], 0, NULL, &err);

	return v ? fill_statfs(v, (void __user *)args->a[1]) : err;
}

static long
file_fstatfs(struct file *f, const struct syscall_args *args)
{
	return fill_statfs(f->vnode, (void __user *)args->a[1]);
}

long
sys_fstatfs(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_fstatfs, args);
}
