/* statfs and fstatfs. Keel has one file system, the in-memory tree that
 * /proc/mounts names as ramfs; its room is the free physical memory, so
 * that is what the block counts say (df shows what the app can still use). */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/pmm.h>
#include <keel/string.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>
#include "sys_fs.h"

#define RAMFS_MAGIC	0x858458f6	/* Linux's, so statfs agrees with /proc/mounts */
#define STATFS_BSIZE	4096
#define ST_VALID	0x20		/* Linux sets it: f_flags is meaningful */

struct statfs_user {
	int64_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree;
	int32_t fsid[2];
	int64_t namelen, frsize, flags;
	int64_t spare[4];
};
_Static_assert(sizeof(struct statfs_user) == 120, "struct statfs, x86_64");

/* Inode counts stay 0, as on Linux's ramfs: the tree has no inode table
 * to run out of. */
static long
fill_statfs(void __user *ubuf)
{
	struct statfs_user st;

	memset(&st, 0, sizeof(st));
	st.type = RAMFS_MAGIC;
	st.bsize = STATFS_BSIZE;
	st.frsize = STATFS_BSIZE;
	st.blocks = pmm_total_page_count();
	st.bfree = pmm_free_page_count();
	st.bavail = st.bfree;
	st.namelen = VFS_NAME_MAX;
	st.flags = ST_VALID;
	return copy_to_user(ubuf, &st, sizeof(st));
}

long
sys_statfs(const struct syscall_args *args)
{
	int err;
	struct vnode *v = fs_lookup_at(AT_FDCWD, args->a[0], 0, NULL, &err);

	return v ? fill_statfs((void __user *)args->a[1]) : err;
}

long
sys_fstatfs(const struct syscall_args *args)
{
	return fd_get((int)args->a[0]) ? fill_statfs((void __user *)args->a[1])
				       : -EBADF;
}
