/* File descriptors: open(at), close, read, write, their vectored and
 * positional forms, sendfile, lseek, dup/dup2/dup3, fcntl. Data moves
 * between the application and the file through a small bounce buffer, so
 * no user memory is touched with the tree's lock held. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/uaccess.h>
#include "../fs/fs_internal.h"
#include "sys_fs.h"
#include "sys_signal.h"

#define BOUNCE		1024
/* Regular files move through a heap buffer of up to this much instead:
 * each file system call costs an inode load, a block map walk and locks,
 * so a 128 KiB read in 1 KiB pieces spent more on calls than on data. */
#define FILE_CHUNK	(64 * 1024)
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
#define SIGPIPE		13
#define SENDFILE_CHUNK	(16 * 1024)
#define PIPE_BUF	4096	/* POSIX: pipe writes this small are atomic */
/* Linux caps one read or write at INT_MAX rounded down to a page. */
#define MAX_RW_COUNT	0x7ffff000L

struct iovec_user {
	uint64_t base;
	uint64_t len;
};

/* Pipes and anonymous files (epoll, eventfd, timerfd) have no offset:
 * their operations take the open flags instead, and pread/pwrite/lseek
 * are -ESPIPE. */
static bool
file_is_stream(const struct file *f)
{
	uint32_t type = f->vnode->mode & S_IFMT;

	return type == S_IFIFO || type == 0;
}

static uint64_t
dev_arg(const struct file *f, uint64_t off)
{
	return file_is_stream(f) ? (uint64_t)f->flags : off;
}

/* One read into kernel memory at @off; @more: a stream must not wait
 * (the read already has data to return). May sleep (devices). */
static long
file_read_kernel(struct file *f, char *kbuf, size_t len, uint64_t off,
		 bool more)
{
	uint64_t arg = dev_arg(f, off);
	long n;

	if (more && file_is_stream(f))
		arg |= O_NONBLOCK;
	if (f->vnode->dev)	/* may sleep: no tree lock */
		return f->vnode->dev->read ?
		       f->vnode->dev->read(f->vnode, kbuf, len, arg) : -EINVAL;
	vfs_tree_lock();
	n = vfs_read(f->vnode, kbuf, len, off);
	vfs_tree_unlock();
	return n;
}

/* One write from kernel memory at @off (the end with O_APPEND). */
static long
file_write_kernel(struct file *f, const char *kbuf, size_t len, uint64_t off)
{
	long n;

	if (f->vnode->dev)	/* may sleep: no tree lock */
		return f->vnode->dev->write ?
		       f->vnode->dev->write(f->vnode, kbuf, len,
					    dev_arg(f, off)) : -EINVAL;
	vfs_tree_lock();
	if (f->flags & O_APPEND)
		off = f->vnode->size;
	n = vfs_write(f->vnode, kbuf, len, off);
	vfs_tree_unlock();
	return n;
}

/* A write to a pipe nobody reads: SIGPIPE's action comes first, as on
 * Linux. Its default ends the program (128 + SIGPIPE, as raise() does
 * here); ignored, handled (handlers are not run yet) or blocked, the
 * write just fails with -EPIPE. */
static long
write_result(long n)
{
	uint64_t bit = 1ULL << (SIGPIPE - 1);

	if (n == -EPIPE && !(thread_current()->sigmask & bit))
		(void)signal_raise_self(SIGPIPE);
	return n;
}

/* The buffer for moving @len bytes of @f: @stack (BOUNCE bytes), or for
 * a large transfer on a regular file a heap one (free with io_put). */
static char *
io_get(const struct file *f, size_t len, char *stack, size_t *size)
{
	char *heap = NULL;

	if (len > BOUNCE && S_ISREG(f->vnode->mode) && !f->vnode->dev)
		heap = kmalloc(MIN(len, (size_t)FILE_CHUNK));
	*size = heap ? MIN(len, (size_t)FILE_CHUNK) : BOUNCE;
	return heap ? heap : stack;
}

static void
io_put(char *buf, char *stack)
{
	if (buf != stack)
		kfree(buf);
}

static long
file_read_into(struct file *f, char __user *buf, size_t len, uint64_t off,
	       char *bounce, size_t size)
{
	size_t done = 0;

	while (done < len) {
		size_t chunk = MIN(len - done, size);
		long n = file_read_kernel(f, bounce, chunk, off + done,
					  done > 0);

		if (n <= 0)
			return done ? (long)done : n;
		if (copy_to_user(buf + done, bounce, (size_t)n))
			return done ? (long)done : -EFAULT;
		done += (size_t)n;
		if (f->vnode->dev && (size_t)n < chunk)
			break;		/* a device gave what it had */
	}
	return (long)done;
}

static long
file_read_at(struct file *f, char __user *buf, size_t len, uint64_t off)
{
	char stack[BOUNCE], *bounce;
	size_t size;
	long n;

	bounce = io_get(f, len, stack, &size);
	n = file_read_into(f, buf, len, off, bounce, size);
	io_put(bounce, stack);
	return n;
}

/* A stream write of up to PIPE_BUF bytes in one piece, so a pipe can
 * take it whole or not at all (POSIX), larger than the stack bounce. */
static long
file_write_whole(struct file *f, const char __user *buf, size_t len)
{
	char *kbuf = kmalloc(len);
	long n = -ENOMEM;

	if (kbuf) {
		n = copy_from_user(kbuf, buf, len) ? -EFAULT
			: file_write_kernel(f, kbuf, len, 0);
		kfree(kbuf);
	}
	return n;
}

static long
file_write_from(struct file *f, const char __user *buf, size_t len,
		uint64_t off, char *bounce, size_t size)
{
	size_t done = 0;

	while (done < len) {
		size_t chunk = MIN(len - done, size);
		long n;

		if (copy_from_user(bounce, buf + done, chunk))
			return done ? (long)done : -EFAULT;
		n = file_write_kernel(f, bounce, chunk, off + done);
		if (n <= 0)
			return done ? (long)done : n;
		done += (size_t)n;
		if ((size_t)n < chunk)
			break;	/* full, non-blocking, or an 8-byte eventfd */
	}
	return (long)done;
}

static long
file_write_at(struct file *f, const char __user *buf, size_t len, uint64_t off)
{
	char stack[BOUNCE], *bounce;
	size_t size;
	long n;

	if (len > BOUNCE && len <= PIPE_BUF && file_is_stream(f))
		return file_write_whole(f, buf, len);
	bounce = io_get(f, len, stack, &size);
	n = file_write_from(f, buf, len, off, bounce, size);
	io_put(bounce, stack);
	return n;
}

/* The open file at @fd, referenced (a blocking call keeps it even if
 * another thread closes the descriptor), if it may be read (@need
 * O_RDONLY) or written (O_WRONLY). NULL with *err = -EBADF. */
static struct file *
file_for(long fd, int need, long *err)
{
	struct file *f = fd_get_ref_io((int)fd);

	*err = -EBADF;
	if (!f)
		return NULL;
	if ((need == O_RDONLY && (f->flags & O_ACCMODE) == O_WRONLY) ||
	    (need == O_WRONLY && (f->flags & O_ACCMODE) == O_RDONLY)) {
		file_unref(f);
		return NULL;
	}
	return f;
}

typedef long (*file_call)(struct file *f, const struct syscall_args *args);

/* Runs @fn on the file of args->a[0], held for the call. */
static long
with_file(const struct syscall_args *args, int need, file_call fn)
{
	long ret;
	struct file *f = file_for((long)args->a[0], need, &ret);

	if (!f)
		return ret;
	ret = fn(f, args);
	file_unref(f);
	return ret;
}

static long
read_call(struct file *f, const struct syscall_args *args)
{
	long n = file_read_at(f, (char __user *)args->a[1], args->a[2],
			      f->offset);

	if (n > 0 && !S_ISFIFO(f->vnode->mode))
		f->offset += (uint64_t)n;
	return n;
}

static long
write_call(struct file *f, const struct syscall_args *args)
{
	long n;

	if ((long)args->a[2] < 0)
		return -EINVAL;
	n = file_write_at(f, (const char __user *)args->a[1], args->a[2],
			  f->offset);
	if (n > 0 && !f->vnode->dev)
		f->offset = (f->flags & O_APPEND) ? f->vnode->size
						   : f->offset + (uint64_t)n;
	return write_result(n);
}

static long
pread_call(struct file *f, const struct syscall_args *args)
{
	if (file_is_stream(f))
		return -ESPIPE;
	if ((long)args->a[3] < 0)
		return -EINVAL;
	return file_read_at(f, (char __user *)args->a[1], args->a[2], args->a[3]);
}

static long
pwrite_call(struct file *f, const struct syscall_args *args)
{
	if (file_is_stream(f))
		return -ESPIPE;
	if ((long)args->a[3] < 0)
		return -EINVAL;
	return file_write_at(f, (const char __user *)args->a[1], args->a[2],
			     args->a[3]);
}

long
sys_read(const struct syscall_args *args)
{
	return with_file(args, O_RDONLY, read_call);
}

long
sys_write(const struct syscall_args *args)
{
	return with_file(args, O_WRONLY, write_call);
}

long
sys_pread64(const struct syscall_args *args)
{
	return with_file(args, O_RDONLY, pread_call);
}

long
sys_pwrite64(const struct syscall_args *args)
{
	return with_file(args, O_WRONLY, pwrite_call);
}

/* Copies up to @count bytes from @in at *@pos to @out through @buf;
 * *@pos advances by what was written. Returns the bytes moved, or the
 * error if none moved. */
static long
sendfile_copy(struct file *out, struct file *in, uint64_t *pos, size_t count,
	      char *buf)
{
	size_t done = 0;
	long err = 0;

	while (done < count && !err) {
		long n = file_read_kernel(in, buf, MIN(count - done,
						       SENDFILE_CHUNK), *pos,
					  false);
		long w;

		if (n <= 0) {
			err = n;
			break;
		}
		w = file_write_kernel(out, buf, (size_t)n, out->offset);
		if (w <= 0) {
			err = w ? w : -EIO;
			break;
		}
		if (!out->vnode->dev)
			out->offset += (uint64_t)w;
		*pos += (uint64_t)w;
		done += (size_t)w;
		if (w < n)
			break;	/* the output is full (non-blocking pipe) */
	}
	return done ? (long)done : err;
}

/* sendfile with both files held: from a file (not a stream) to any
 * writable file. With an offset pointer the input's own offset stays. */
static long
sendfile_files(struct file *out, struct file *in,
	       const struct syscall_args *args)
{
	uint64_t __user *uoff = (uint64_t __user *)args->a[2];
	size_t count = MIN(args->a[3], (uint64_t)MAX_RW_COUNT);
	uint64_t pos = in->offset;
	char *buf;
	long n;

	if (file_is_stream(in) || S_ISDIR(in->vnode->mode) ||
	    (out->flags & O_APPEND))
		return -EINVAL;
	if (uoff && copy_from_user(&pos, uoff, sizeof(pos)))
		return -EFAULT;
	if ((int64_t)pos < 0)
		return -EINVAL;
	buf = kmalloc(SENDFILE_CHUNK);
	if (!buf)
		return -ENOMEM;
	n = sendfile_copy(out, in, &pos, count, buf);
	kfree(buf);
	if (uoff && copy_to_user(uoff, &pos, sizeof(pos)))
		return -EFAULT;
	if (!uoff)
		in->offset = pos;
	return write_result(n);
}

long
sys_sendfile(const struct syscall_args *args)
{
	long err;
	struct file *out = file_for((long)args->a[0], O_WRONLY, &err);
	struct file *in = out ? file_for((long)args->a[1], O_RDONLY, &err) : NULL;

	if (in)
		err = sendfile_files(out, in, args);
	if (in)
		file_unref(in);
	if (out)
		file_unref(out);
	return err;
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

/* Copies a writev's pieces into @kbuf (PIPE_BUF bytes); false if they
 * hold more (*n = 0) or one faults (*n = -EFAULT). */
static bool
iov_gather(const struct iovec_user __user *uiov, long cnt, char *kbuf,
	   long *n)
{
	size_t total = 0;

	*n = 0;
	for (long i = 0; i < cnt; i++) {
		struct iovec_user iov;

		if (copy_from_user(&iov, &uiov[i], sizeof(iov)))
			goto fault;
		if (iov.len > PIPE_BUF - total)
			return false;
		if (copy_from_user(kbuf + total, (const void __user *)iov.base,
				   iov.len))
			goto fault;
		total += iov.len;
	}
	*n = (long)total;
	return true;
fault:
	*n = -EFAULT;
	return false;
}

/* writev to a pipe (or other stream) of at most PIPE_BUF bytes in all:
 * one write, so it goes in whole or not at all, as POSIX wants. False
 * when this does not apply (the pieces go one by one). */
static bool
writev_small_stream(const struct syscall_args *args, long *ret)
{
	long cnt = (long)args->a[2];
	struct file *f = file_for((long)args->a[0], O_WRONLY, ret);
	char *kbuf = NULL;
	bool done = false;

	if (!f)
		return true;
	if (file_is_stream(f) && cnt >= 0 && cnt <= IOV_MAX &&
	    (kbuf = kmalloc(PIPE_BUF)) != NULL) {
		long n;

		done = iov_gather((const void __user *)args->a[1], cnt, kbuf, &n);
		if (done && n)
			n = write_result(file_write_kernel(f, kbuf, (size_t)n, 0));
		if (n == -EFAULT)
			done = true;
		*ret = n;
	}
	kfree(kbuf);
	file_unref(f);
	return done;
}

long
sys_readv(const struct syscall_args *args)
{
	return vectored(args, false);
}

long
sys_writev(const struct syscall_args *args)
{
	long ret;

	if (writev_small_stream(args, &ret))
		return ret;
	return vectored(args, true);
}

long
fs_with_file(int fd, long (*fn)(struct file *f, const struct syscall_args *args),
	     const struct syscall_args *args)
{
	struct file *f = fd_get_ref(fd);
	long r;

	if (!f)
		return -EBADF;
	r = fn(f, args);
	file_unref(f);
	return r;
}

static long
file_lseek(struct file *f, const struct syscall_args *args)
{
	int64_t off = (int64_t)args->a[1], base;

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
sys_lseek(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_lseek, args);
}

long
sys_close(const struct syscall_args *args)
{
	return fd_close((int)args->a[0]);
}

static long
file_dup(struct file *f, const struct syscall_args *args)
{
	(void)args;
	return fd_install(f, 0, false);
}

long
sys_dup(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_dup, args);
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

static long
file_fcntl(struct file *f, const struct syscall_args *args)
{
	int fd = (int)args->a[0];

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

long
sys_fcntl(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_fcntl, args);
}

#define LOCK_SH		1
#define LOCK_EX		2
#define LOCK_NB		4
#define LOCK_UN		8

static long
file_flock(struct file *f, const struct syscall_args *args)
{
	int op = (int)args->a[1];

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
sys_flock(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_flock, args);
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
