/* timerfd_create, timerfd_settime, timerfd_gettime: itimerspec in and
 * out, clocks and flags checked, the timer itself in fs/timerfd.c. */
#include <keel/clock.h>
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/poll.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>

#define CLOCK_REALTIME		0
#define CLOCK_MONOTONIC		1
#define CLOCK_BOOTTIME		7
#define TFD_NONBLOCK		O_NONBLOCK
#define TFD_CLOEXEC		O_CLOEXEC
#define TFD_TIMER_ABSTIME	1
/* Accepted with ABSTIME; the realtime clock is never set here, so
 * there is never a change to cancel on. */
#define TFD_TIMER_CANCEL_ON_SET	2

struct timespec_user {
	int64_t sec;
	int64_t nsec;
};

struct itimerspec_user {
	struct timespec_user interval;
	struct timespec_user value;
};

long
sys_timerfd_create(const struct syscall_args *args)
{
	int clock = (int)args->a[0];
	uint64_t flags = args->a[1];
	struct file *f;
	long fd;

	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC &&
	    clock != CLOCK_BOOTTIME)
		return -EINVAL;
	if (flags & ~(uint64_t)(TFD_NONBLOCK | TFD_CLOEXEC))
		return -EINVAL;
	f = timerfd_create_file(clock, (int)(flags & TFD_NONBLOCK));
	if (IS_ERR(f))
		return PTR_ERR(f);
	fd = fd_install(f, 0, flags & TFD_CLOEXEC);
	if (fd < 0)
		file_discard(f);
	return fd;
}

/* Times past this (about 146 years) are as good as never, and keep
 * the timer's sums from overflowing. */
#define TIMERFD_NS_MAX		(1ULL << 62)

static int
timespec_to_ns(const struct timespec_user *ts, uint64_t *ns)
{
	if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	if ((uint64_t)ts->sec >= TIMERFD_NS_MAX / NSEC_PER_SEC)
		*ns = TIMERFD_NS_MAX;
	else
		*ns = (uint64_t)ts->sec * NSEC_PER_SEC + (uint64_t)ts->nsec;
	return 0;
}

static struct timespec_user
ns_to_timespec(uint64_t ns)
{
	return (struct timespec_user){ (int64_t)(ns / NSEC_PER_SEC),
				       (int64_t)(ns % NSEC_PER_SEC) };
}

static int
itimerspec_put(uint64_t uptr, const struct timerfd_spec *s)
{
	struct itimerspec_user its = { ns_to_timespec(s->interval_ns),
				       ns_to_timespec(s->value_ns) };

	return copy_to_user((void __user *)uptr, &its, sizeof(its));
}

/* The timerfd at @fd, referenced; -EBADF or -EINVAL (another file). */
static struct file *
timerfd_get(long fd, long *err)
{
	struct file *f = fd_get_ref_io((int)fd);

	*err = -EBADF;
	if (f && !file_is_timerfd(f)) {
		file_unref(f);
		*err = -EINVAL;
		return NULL;
	}
	return f;
}

long
sys_timerfd_settime(const struct syscall_args *args)
{
	uint64_t flags = args->a[1];
	struct itimerspec_user its;
	struct timerfd_spec spec, old;
	struct file *f;
	long err;

	if (flags & ~(uint64_t)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (copy_from_user(&its, (const void __user *)args->a[2], sizeof(its)))
		return -EFAULT;
	if (timespec_to_ns(&its.value, &spec.value_ns) ||
	    timespec_to_ns(&its.interval, &spec.interval_ns))
		return -EINVAL;
	f = timerfd_get((long)args->a[0], &err);
	if (!f)
		return err;
	err = timerfd_settime_file(f, flags & TFD_TIMER_ABSTIME ?
				   TIMERFD_ABSTIME : 0, &spec, &old);
	file_unref(f);
	if (!err && args->a[3] && itimerspec_put(args->a[3], &old))
		err = -EFAULT;
	return err;
}

long
sys_timerfd_gettime(const struct syscall_args *args)
{
	struct timerfd_spec cur;
	struct file *f;
	long err;

	f = timerfd_get((long)args->a[0], &err);
	if (!f)
		return err;
	timerfd_gettime_file(f, &cur);
	file_unref(f);
	return itimerspec_put(args->a[1], &cur);
}
