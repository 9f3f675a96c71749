# Sources of kernel/fs: the tree (ramfs), lookup, devices, the initrd
# unpacker, the descriptor table, pipes, and readiness (poll, epoll,
# eventfd, timerfd).
KERNEL_SRCS += kernel/fs/ramfs.c kernel/fs/path.c kernel/fs/devfs.c \
	kernel/fs/vfs_init.c kernel/fs/unpack.c kernel/fs/file.c \
	kernel/fs/pipe.c kernel/fs/procfs.c kernel/fs/flock.c \
	kernel/fs/poll.c kernel/fs/epoll.c kernel/fs/eventfd.c kernel/fs/timerfd.c
