/* write and writev. Until the file-descriptor table arrives, the only
 * descriptors are standard output and error, both the console; anything
 * else is -EBADF, as for a descriptor that is not open. */
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>

#define FD_STDOUT	1
#define FD_STDERR	2
#define IO_CHUNK	256
#define IOV_MAX		1024

struct iovec_user {
	uint64_t base;
	uint64_t len;
};

/* Copies @len bytes from the application to the console in chunks;
 * returns the count written or -EFAULT if nothing could be. */
static long
console_write_user(const char __user *buf, size_t len)
{
	char chunk[IO_CHUNK];
	size_t done = 0;

	while (done < len) {
		size_t n = MIN(len - done, sizeof(chunk));

		if (copy_from_user(chunk, buf + done, n))
			return done ? (long)done : -EFAULT;
		console_write(chunk, n);
		done += n;
	}
	return (long)done;
}

static bool
fd_is_console(long fd)
{
	return fd == FD_STDOUT || fd == FD_STDERR;
}

long
sys_write(const struct syscall_args *args)
{
	if (!fd_is_console((long)args->a[0]))
		return -EBADF;
	if ((long)args->a[2] < 0)
		return -EINVAL;
	return console_write_user((const char __user *)args->a[1], args->a[2]);
}

long
sys_writev(const struct syscall_args *args)
{
	const struct iovec_user __user *uiov = (const void __user *)args->a[1];
	long iovcnt = (long)args->a[2], total = 0;

	if (!fd_is_console((long)args->a[0]))
		return -EBADF;
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	for (long i = 0; i < iovcnt; i++) {
		struct iovec_user iov;
		long n;

		if (copy_from_user(&iov, &uiov[i], sizeof(iov)))
			return total ? total : -EFAULT;
		n = console_write_user((const char __user *)iov.base, iov.len);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	return total;
}
