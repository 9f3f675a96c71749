/* truncate, ftruncate and fallocate: a regular file's size and the room
 * behind it. File systems without their own fallocate get the generic
 * meaning: allocation by growing the file, and holes punched or ranges
 * zeroed by writing zeros (so reads agree with Linux; space is not given
 * back). */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/string.h>
#include <keel/syscall.h>
#include <keel/vfs.h>
#include "sys_fs.h"

#define FALLOC_FL_KEEP_SIZE	0x01
#define FALLOC_FL_PUNCH_HOLE	0x02
#define FALLOC_FL_ZERO_RANGE	0x10
#define FALLOC_MODES		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | \
				 FALLOC_FL_ZERO_RANGE)
#define FILE_SIZE_MAX		(1ULL << 44)	/* ext2's limit with 4 KiB blocks */
#define ZERO_CHUNK		4096

static long
truncate_vnode(struct vnode *v, int64_t len)
{
	long err;

	if (len < 0)
		return -EINVAL;
	if ((uint64_t)len > FILE_SIZE_MAX)
		return -EFBIG;
	if (S_ISDIR(v->mode))
		return -EISDIR;
	if (!S_ISREG(v->mode) || v->dev)
		return -EINVAL;
	vfs_tree_lock();
	err = vfs_truncate(v, (uint64_t)len);
	vfs_tree_unlock();
	return err;
}

long
sys_truncate(const struct syscall_args *args)
{
	int err;
	struct vnode *v = fs_lookup_at(AT_FDCWD, args->a[0], 0, NULL, &err);

	return v ? truncate_vnode(v, (int64_t)args->a[1]) : err;
}

/* A descriptor not open for writing: -EINVAL, as Linux says for it. */
static long
file_ftruncate(struct file *f, const struct syscall_args *args)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	return truncate_vnode(f->vnode, (int64_t)args->a[1]);
}

long
sys_ftruncate(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_ftruncate, args);
}

/* Zeros [off, end) of @v, under the tree lock. */
static long
write_zeros(struct vnode *v, uint64_t off, uint64_t end)
{
	char *zeros = kzalloc(ZERO_CHUNK);
	long n = 0;

	if (!zeros)
		return -ENOMEM;
	while (off < end) {
		n = vfs_write(v, zeros, MIN(ZERO_CHUNK, end - off), off);
		if (n <= 0)
			break;
		off += (uint64_t)n;
		n = 0;
	}
	kfree(zeros);
	return n;
}

static long
fallocate_vnode(struct vnode *v, int mode, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	bool keep = mode & FALLOC_FL_KEEP_SIZE;
	long err = 0;

	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if (!keep || (mode & FALLOC_FL_ZERO_RANGE))
			return -EOPNOTSUPP;	/* Linux: punching keeps the size */
		return write_zeros(v, off, MIN(end, v->size));
	}
	if (mode & FALLOC_FL_ZERO_RANGE) {
		err = write_zeros(v, off, MIN(end, v->size));
		if (err || keep)
			return err;
	} else if (keep) {
		return -EOPNOTSUPP;	/* room past the end without a size */
	}
	return end > v->size ? vfs_truncate(v, end) : 0;
}

static long
file_fallocate(struct file *f, const struct syscall_args *args)
{
	int mode = (int)args->a[1];
	int64_t off = (int64_t)args->a[2], len = (int64_t)args->a[3];
	long err;

	if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (mode & ~FALLOC_MODES)
		return -EOPNOTSUPP;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if ((uint64_t)off + (uint64_t)len > FILE_SIZE_MAX)
		return -EFBIG;
	if (S_ISDIR(f->vnode->mode))
		return -EISDIR;
	if (S_ISFIFO(f->vnode->mode))
		return -ESPIPE;
	if (!S_ISREG(f->vnode->mode) || f->vnode->dev)
		return -ENODEV;
	vfs_tree_lock();
	err = fallocate_vnode(f->vnode, mode, (uint64_t)off, (uint64_t)len);
	vfs_tree_unlock();
	return err;
}

long
sys_fallocate(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_fallocate, args);
}
