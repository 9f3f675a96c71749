# Sources of kernel/fs: vnodes and mounts, the ramfs, lookup, devices,
# /proc, the initrd
# unpacker and the descriptor table.
KERNEL_SRCS += kernel/fs/ramfs.c kernel/fs/path.c kernel/fs/devfs.c \
	kernel/fs/vnode.c kernel/fs/mount.c kernel/fs/procfs_fd.c \
	kernel/fs/vfs_boot.c \
	kernel/fs/vfs_init.c kernel/fs/unpack.c kernel/fs/file.c \
	kernel/fs/pipe.c kernel/fs/procfs.c kernel/fs/flock.c \
	kernel/fs/record_lock.c
