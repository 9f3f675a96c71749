# Sources of kernel/fs: the tree (ramfs), lookup, devices, the initrd
# unpacker and the descriptor table.
KERNEL_SRCS += kernel/fs/ramfs.c kernel/fs/path.c kernel/fs/devfs.c \
	kernel/fs/vfs_init.c kernel/fs/unpack.c kernel/fs/file.c \
	kernel/fs/pipe.c kernel/fs/procfs.c kernel/fs/flock.c
# The block cache and ext2 (a library the VFS glue calls by inode number).
KERNEL_SRCS += kernel/fs/bcache.c kernel/fs/blkdev_weak.c
KERNEL_SRCS += kernel/fs/ext2/super.c kernel/fs/ext2/bitmap.c \
	kernel/fs/ext2/inode.c kernel/fs/ext2/bmap.c kernel/fs/ext2/file.c \
	kernel/fs/ext2/dir.c kernel/fs/ext2/namei.c kernel/fs/ext2/rename.c \
	kernel/fs/ext2/times.c
