# Sources of kernel/fs: vnodes and mounts, the ramfs, lookup, devices,
# /proc, the initrd unpacker, the descriptor table, locks, pipes and
# readiness (poll, epoll, eventfd, timerfd).
KERNEL_SRCS += kernel/fs/ramfs.c kernel/fs/path.c kernel/fs/devfs.c \
	kernel/fs/vnode.c kernel/fs/mount.c kernel/fs/procfs_fd.c \
	kernel/fs/vfs_boot.c \
	kernel/fs/vfs_init.c kernel/fs/unpack.c kernel/fs/file.c \
	kernel/fs/pipe.c kernel/fs/procfs.c kernel/fs/flock.c \
	kernel/fs/record_lock.c \
	kernel/fs/poll.c kernel/fs/epoll.c kernel/fs/eventfd.c kernel/fs/timerfd.c
# The block cache and ext2 (a library by inode number), and its VFS glue.
KERNEL_SRCS += kernel/fs/bcache.c kernel/fs/bcache_run.c kernel/fs/ext2_vfs.c \
	kernel/fs/ext2_vfs_file.c
KERNEL_SRCS += kernel/fs/ext2/super.c kernel/fs/ext2/bitmap.c \
	kernel/fs/ext2/inode.c kernel/fs/ext2/bmap.c kernel/fs/ext2/file.c \
	kernel/fs/ext2/dir.c kernel/fs/ext2/namei.c kernel/fs/ext2/rename.c \
	kernel/fs/ext2/times.c kernel/fs/ext2/readahead.c
