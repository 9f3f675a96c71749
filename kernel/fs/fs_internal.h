/* Shared by the files of kernel/fs. */
#ifndef KEEL_FS_INTERNAL_H
#define KEEL_FS_INTERNAL_H

#include <keel/spinlock.h>
#include <keel/syscall.h>
#include <keel/vfs.h>

/* Guards the whole tree (names, sizes, contents). */
extern struct spinlock vfs_lock;

struct vnode *
vnode_new(uint32_t mode);
int
dir_link(struct vnode *dir, const char *name, struct vnode *v);

/* epoll, eventfd and timerfd files: no S_IFMT type, as Linux's
 * anonymous inodes. */
#define EVENT_FILE_MODE		0600

struct file;
/* A new pipe's two ends (pipe.c). */
int
pipe_create(struct file **rd, struct file **wr);

/* /proc and /sys (procfs.c). */
int
procfs_init(void);

/* /dev (devfs.c). */
int
devfs_init(void);
struct vnode *
devfs_console(void);

#endif
