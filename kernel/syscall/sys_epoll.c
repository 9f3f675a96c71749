/* epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and
 * epoll_pwait2: thin front-ends over fs/epoll.c -- descriptors to
 * referenced files, the event structure in and the ready events out. */
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/poll.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>
#include "sys_poll.h"

#define EPOLL_CLOEXEC		O_CLOEXEC
/* Linux: maxevents may not exceed INT_MAX / sizeof(struct epoll_event). */
#define EPOLL_MAX_EVENTS	(0x7fffffff / (int)sizeof(struct epoll_event_k))
/* Events handed back per call at most; the rest wait for the next. */
#define EPOLL_BATCH		1024

static long
epoll_install(int oflags)
{
	struct file *f = epoll_create_file(0);
	long fd;

	if (IS_ERR(f))
		return PTR_ERR(f);
	fd = fd_install(f, 0, oflags & O_CLOEXEC);
	if (fd < 0)
		file_discard(f);
	return fd;
}

long
sys_epoll_create1(const struct syscall_args *args)
{
	if (args->a[0] & ~(uint64_t)EPOLL_CLOEXEC)
		return -EINVAL;
	return epoll_install((int)args->a[0]);
}

long
sys_epoll_create(const struct syscall_args *args)
{
	if ((int)args->a[0] <= 0)	/* the size hint is ignored, not 0 */
		return -EINVAL;
	return epoll_install(0);
}

long
sys_epoll_ctl(const struct syscall_args *args)
{
	int op = (int)args->a[1], fd = (int)args->a[2];
	struct epoll_event_k ev = { 0, 0 };
	struct file *ep, *target;
	long ret = -EBADF;

	/* As Linux: the event is read first, and not at all for DEL. */
	if (op != EPOLL_CTL_DEL &&
	    copy_from_user(&ev, (const void __user *)args->a[3], sizeof(ev)))
		return -EFAULT;
	ep = fd_get_ref_io((int)args->a[0]);
	target = fd_get_ref_io(fd);
	if (ep && target)
		ret = epoll_ctl_file(ep, op, fd, target, &ev);
	if (ep)
		file_unref(ep);
	if (target)
		file_unref(target);
	return ret;
}

static long
epoll_wait_run(int epfd, uint64_t uevents, int max, const struct wait_limit *l)
{
	struct epoll_event_k *out;
	struct file *ep;
	long n;

	if (max <= 0 || max > EPOLL_MAX_EVENTS)
		return -EINVAL;
	if (!user_range_ok(uevents, (size_t)max * sizeof(*out)))
		return -EFAULT;
	ep = fd_get_ref_io(epfd);
	if (!ep)
		return -EBADF;
	max = MIN(max, EPOLL_BATCH);
	out = kmalloc((size_t)max * sizeof(*out));
	if (!out)
		n = -ENOMEM;
	else if (!file_is_epoll(ep))
		n = -EINVAL;
	else
		n = epoll_wait_file(ep, out, max, l->deadline_ns, l->nowait);
	if (n > 0 && copy_to_user((void __user *)uevents, out,
				  (size_t)n * sizeof(*out)))
		n = -EFAULT;
	kfree(out);
	file_unref(ep);
	return n;
}

long
sys_epoll_wait(const struct syscall_args *args)
{
	struct wait_limit l = wait_limit_from_ms((int)args->a[3]);

	return epoll_wait_run((int)args->a[0], args->a[1], (int)args->a[2], &l);
}

long
sys_epoll_pwait(const struct syscall_args *args)
{
	struct wait_limit l = wait_limit_from_ms((int)args->a[3]);
	uint64_t old;
	bool masked;
	long ret = wait_sigmask_set(args->a[4], args->a[5], &old, &masked);

	if (ret)
		return ret;
	ret = epoll_wait_run((int)args->a[0], args->a[1], (int)args->a[2], &l);
	wait_sigmask_restore(old, masked);
	return ret;
}

/* epoll_pwait with a timespec timeout (NULL: none), not written back. */
long
sys_epoll_pwait2(const struct syscall_args *args)
{
	struct wait_limit l;
	uint64_t old;
	bool masked;
	long ret = wait_limit_from_timespec(args->a[3], &l);

	if (ret)
		return ret;
	ret = wait_sigmask_set(args->a[4], args->a[5], &old, &masked);
	if (ret)
		return ret;
	ret = epoll_wait_run((int)args->a[0], args->a[1], (int)args->a[2], &l);
	wait_sigmask_restore(old, masked);
	return ret;
}
