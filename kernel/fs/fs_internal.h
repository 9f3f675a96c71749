/* Shared by the files of kernel/fs. */
#ifndef KEEL_FS_INTERNAL_H
#define KEEL_FS_INTERNAL_H

#include <keel/syscall.h>
#include <keel/vfs.h>

/* statfs f_type values: Linux's, so programs recognise the file systems. */
#define RAMFS_MAGIC		0x858458f6
#define TMPFS_MAGIC		0x01021994
#define PROC_SUPER_MAGIC	0x9fa0
#define SYSFS_MAGIC		0x62656572

/* A new vnode of no file system (pipes); file systems set ops and mnt.
 * vnode_init sets up one allocated (zeroed) by a file system itself. */
struct vnode *
vnode_new(uint32_t mode);
void
vnode_init(struct vnode *v, uint32_t mode);

/* An empty ramfs mounted as "/" (for the initrd). */
int
vfs_init_ramfs_root(void);

struct blkdev;
/* ext2 on @bd as a mount to attach (ext2_vfs.c); NULL with *err. */
struct mount *
ext2_vfs_mount(struct blkdev *bd, bool read_only, int *err);

/* The root of the first mount, "/"; NULL before one exists. */
struct vnode *
vfs_mount_root(void);

/* Makes regular file @v (empty, of a ramfs) show @data in place. */
int
ramfs_borrow(struct vnode *v, const void *data, size_t size);

/* epoll, eventfd and timerfd files: no S_IFMT type, as Linux's
 * anonymous inodes. */
#define EVENT_FILE_MODE		0600

struct file;
/* A new pipe's two ends (pipe.c). */
int
pipe_create(struct file **rd, struct file **wr);

/* /proc and /sys (procfs.c): their file systems, to be mounted. */
int
procfs_init(struct mount **proc, struct mount **sys);

/* /proc/self/fd (procfs_fd.c): the directory, made in @self. */
int
procfs_fd_init(struct vnode *self);

/* /dev (devfs.c). */
struct mount *
devfs_mount(void);
struct vnode *
devfs_console(void);

#endif
