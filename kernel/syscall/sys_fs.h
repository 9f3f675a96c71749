/* Shared by the file-system call families (sys_fs.c, sys_fs_path.c). */
#ifndef KEEL_SYS_FS_H
#define KEEL_SYS_FS_H

#include <keel/vfs.h>

#define AT_FDCWD		(-100)
#define AT_SYMLINK_NOFOLLOW	0x100
#define AT_REMOVEDIR		0x200
#define AT_EMPTY_PATH		0x1000

/* Looks the user path @upath up from @dirfd under the tree's lock (@flags
 * as vfs_lookup's; @last gets the final name when asked). NULL with *err. */
struct vnode *
fs_lookup_at(int dirfd, uint64_t upath, int flags, char *last, int *err);
/* The vnode a stat-like *at() call names: @dirfd itself for AT_EMPTY_PATH
 * and "", else the lookup (AT_SYMLINK_NOFOLLOW honoured). NULL with *err. */
struct vnode *
fs_vnode_at(int dirfd, uint64_t upath, int flags, int *err);

struct file;
struct syscall_args;
/* A call on one open file: @fn runs with the file @fd names held, so a
 * close in another thread cannot free it under the call. -EBADF if @fd is
 * not open. */
long
fs_with_file(int fd, long (*fn)(struct file *f, const struct syscall_args *args),
	     const struct syscall_args *args);

/* fcntl's F_(OFD_)GETLK/SETLK/SETLKW on @f with the struct flock at @arg
 * (sys_lock.c). */
long
fcntl_lock(struct file *f, int cmd, uint64_t arg);

#endif
