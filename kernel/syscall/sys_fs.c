/* File descriptors: open(at), close, read, write, their vectored and
 * positional forms, lseek, dup/dup2/dup3, fcntl. Data moves between the
 * application and the file through a small bounce buffer, so no user
 * memory is touched with the tree's lock held. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>
#include "../fs/fs_internal.h"
#include "sys_fs.h"

#define BOUNCE		1024
#define IOV_MAX		1024
#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2
#define F_DUPFD		0
#define F_GETFD		1
#define F_SETFD		2
#define F_GETFL		3
#define F_SETFL		4
#define F_DUPFD_CLOEXEC	1030
#define F_GETLK		5
#define F_SETLK		6
#define F_SETLKW	7
#define F_OFD_GETLK	36
#define F_OFD_SETLK	37
#define F_OFD_SETLKW	38
#define FD_CLOEXEC	1
#define SETFL_MASK	(O_APPEND | O_NONBLOCK)

struct iovec_user {
	uint64_t base;
	uint64_t len;
};

/* What a device's read/write gets: pipes want the open flags, the rest
 * the offset. */
static uint64_t
dev_arg(const struct file *f, uint64_t off)
{
	return S_ISFIFO(f->vnode->mode) ? (uint64_t)f->flags : off;
}

static long
file_read_at(struct file *f, char __user *buf, size_t len, uint64_t off)
{
	char bounce[BOUNCE];
	size_t done = 0;

	while (done < len) {
		size_t chunk = MIN(len - done, sizeof(bounce));
		long n;

		if (f->vnode->dev) {	/* may sleep: no tree lock */
			n = f->vnode->dev->read ?
			    f->vnode->dev->read(f->vnode, bounce, chunk,
						dev_arg(f, off + done)) : -EINVAL;
		} else {
			vfs_tree_lock();
			n = vfs_read(f->vnode, bounce, chunk, off + done);
			vfs_tree_unlock();
		}
		if (n <= 0)
			return done ? (long)done : n;
		if (copy_to_user(buf + done, bounce, (size_t)n))
			return done ? (long)done : -EFAULT;
		done += (size_t)n;
		if (f->vnode->dev)
			break;		/* devices answer what they have */
	}
	return (long)done;
}

static long
file_write_at(struct file *f, const char __user *buf, size_t len, uint64_t off)
{
	char bounce[BOUNCE];
	size_t done = 0;

	while (done < len) {
		size_t chunk = MIN(len - done, sizeof(bounce));
		long n;

		if (copy_from_user(bounce, buf + done, chunk))
			return done ? (long)done : -EFAULT;
		if (f->vnode->dev) {	/* may sleep: no tree lock */
			n = f->vnode->dev->write ?
			    f->vnode->dev->write(f->vnode, bounce, chunk,
						 dev_arg(f, off + done)) : -EINVAL;
		} else {
			vfs_tree_lock();
			if (f->flags & O_APPEND)
				off = f->vnode->size - done;
			n = vfs_write(f->vnode, bounce, chunk, off + done);
			vfs_tree_unlock();
		}
		if (n <= 0)
			return done ? (long)done : n;
		done += (size_t)n;
	}
	return (long)done;
}

static struct file *
file_for(long fd, int need, long *err)
{
	struct file *f = fd_get((int)fd);

	*err = -EBADF;
	if (!f || (f->flags & O_PATH))
		return NULL;
	if (need == O_RDONLY && (f->flags & O_ACCMODE) == O_WRONLY)
		return NULL;
	if (need == O_WRONLY && (f->flags & O_ACCMODE) == O_RDONLY)
		return NULL;
	return f;
}

long
sys_read(const struct syscall_args *args)
{
	long err, n;
	struct file *f = file_for((long)args->a[0], O_RDONLY, &err);

	if (!f)
		return err;
	n = file_read_at(f, (char __user *)args->a[1], args->a[2], f->offset);
	if (n > 0 && !S_ISFIFO(f->vnode->mode))
		f->offset += (uint64_t)n;
	return n;
}

long
sys_write(const struct syscall_args *args)
{
	long err, n;
	struct file *f = file_for((long)args->a[0], O_WRONLY, &err);

	if (!f)
		return err;
	if ((long)args->a[2] < 0)
		return -EINVAL;
	n = file_write_at(f, (const char __user *)args->a[1], args->a[2],
			  f->offset);
	if (n > 0 && !f->vnode->dev)
		f->offset = (f->flags & O_APPEND) ? f->vnode->size
						   : f->offset + (uint64_t)n;
	return n;
}

long
sys_pread64(const struct syscall_args *args)
{
	long err;
	struct file *f = file_for((long)args->a[0], O_RDONLY, &err);

	if (!f)
		return err;
	if ((long)args->a[3] < 0)
		return -EINVAL;
	return file_read_at(f, (char __user *)args->a[1], args->a[2], args->a[3]);
}

long
sys_pwrite64(const struct syscall_args *args)
{
	long err;
	struct file *f = file_for((long)args->a[0], O_WRONLY, &err);

	if (!f)
		return err;
	if ((long)args->a[3] < 0)
		return -EINVAL;
	return file_write_at(f, (const char __user *)args->a[1], args->a[2],
			     args->a[3]);
}

/* readv and writev: one read or write per vector, stopping short where
 * a piece comes up short. */
static long
vectored(const struct syscall_args *args, bool writing)
{
	const struct iovec_user __user *uiov = (const void __user *)args->a[1];
	long cnt = (long)args->a[2], total = 0;

	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	for (long i = 0; i < cnt; i++) {
		struct iovec_user iov;
		struct syscall_args one = { { args->a[0], 0, 0, 0, 0, 0 } };
		long n;

		if (copy_from_user(&iov, &uiov[i], sizeof(iov)))
			return total ? total : -EFAULT;
		one.a[1] = iov.base;
		one.a[2] = iov.len;
		n = writing ? sys_write(&one) : sys_read(&one);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((uint64_t)n < iov.len)
			break;
	}
	return total;
}

long
sys_readv(const struct syscall_args *args)
{
	return vectored(args, false);
}

long
sys_writev(const struct syscall_args *args)
{
	return vectored(args, true);
}

long
sys_lseek(const struct syscall_args *args)
{
	struct file *f = fd_get((int)args->a[0]);
	int64_t off = (int64_t)args->a[1], base;

	if (!f)
		return -EBADF;
	if (f->vnode->dev)
		return -ESPIPE;
	switch (args->a[2]) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->offset; break;
	case SEEK_END: base = (int64_t)f->vnode->size; break;
	default: return -EINVAL;
	}
	if (base + off < 0)
		return -EINVAL;
	f->offset = (uint64_t)(base + off);
	return (long)f->offset;
}

long
sys_close(const struct syscall_args *args)
{
	return fd_close((int)args->a[0]);
}

long
sys_dup(const struct syscall_args *args)
{
	struct file *f = fd_get((int)args->a[0]);

	return f ? fd_install(f, 0, false) : -EBADF;
}

long
sys_dup2(const struct syscall_args *args)
{
	if (args->a[0] == args->a[1])
		return fd_get((int)args->a[0]) ? (long)args->a[1] : -EBADF;
	return fd_dup_to((int)args->a[0], (int)args->a[1], false);
}

long
sys_dup3(const struct syscall_args *args)
{
	if (args->a[0] == args->a[1] || (args->a[2] & ~(uint64_t)O_CLOEXEC))
		return -EINVAL;
	return fd_dup_to((int)args->a[0], (int)args->a[1],
			 args->a[2] & O_CLOEXEC);
}

long
sys_fcntl(const struct syscall_args *args)
{
	int fd = (int)args->a[0];
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	switch (args->a[1]) {
	case F_DUPFD:
		return fd_install(f, (int)args->a[2], false);
	case F_DUPFD_CLOEXEC:
		return fd_install(f, (int)args->a[2], true);
	case F_GETFD:
		return fd_get_cloexec(fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		return fd_set_cloexec(fd, args->a[2] & FD_CLOEXEC);
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~SETFL_MASK) | ((int)args->a[2] & SETFL_MASK);
		return 0;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return fcntl_lock(f, (int)args->a[1], args->a[2]);
	}
	return -EINVAL;
}

#define LOCK_SH		1
#define LOCK_EX		2
#define LOCK_NB		4
#define LOCK_UN		8

long
sys_flock(const struct syscall_args *args)
{
	struct file *f = fd_get((int)args->a[0]);
	int op = (int)args->a[1];

	if (!f)
		return -EBADF;
	switch (op & ~LOCK_NB) {
	case LOCK_SH:
		return flock_apply(f, FLOCK_SHARED, op & LOCK_NB);
	case LOCK_EX:
		return flock_apply(f, FLOCK_EXCLUSIVE, op & LOCK_NB);
	case LOCK_UN:
		return flock_apply(f, FLOCK_NONE, true);
	}
	return -EINVAL;
}

long
sys_pipe2(const struct syscall_args *args)
{
	struct file *rd, *wr;
	int fds[2], err;
	int flags = (int)args->a[1];

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	err = pipe_create(&rd, &wr);
	if (err)
		return err;
	rd->flags |= flags & O_NONBLOCK;
	wr->flags |= flags & O_NONBLOCK;
	fds[0] = fd_install(rd, 0, flags & O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -EMFILE : fd_install(wr, 0, flags & O_CLOEXEC);
	if (fds[1] < 0 || copy_to_user((void __user *)args->a[0], fds,
				       sizeof(fds))) {
		if (fds[0] >= 0)
			fd_close(fds[0]);
		if (fds[1] >= 0)
			fd_close(fds[1]);
		return fds[1] < 0 ? -EMFILE : -EFAULT;
	}
	return 0;
}

long
sys_pipe(const struct syscall_args *args)
{
	struct syscall_args a = { { args->a[0], 0, 0, 0, 0, 0 } };

	return sys_pipe2(&a);
}
