/* poll, ppoll, select and pselect6: descriptors (a pollfd array or fd_set
 * bitmaps) become poll entries holding file references, fs/poll.c waits on
 * them, and the answer is written back, with the time left for the calls
 * that write their timeout back as Linux does. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/poll.h>
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/uaccess.h>
#include <keel/waitq.h>
#include "sys_poll.h"

#define SIGSET_SIZE	8
/* A timeout this long (about 146 years) or longer never ends: keeps
 * now + timeout from overflowing. */
#define WAIT_NS_MAX	(1ULL << 62)
#define USEC_PER_SEC	1000000
#define SIGKILL_BIT	(1ULL << (9 - 1))
#define SIGSTOP_BIT	(1ULL << (19 - 1))
#define FDSET_BITS	64	/* an fd_set is an array of longs */
#define FDSET_WORDS	(FD_MAX / FDSET_BITS)
/* What select counts as readable, writable and exceptional (Linux's). */
#define SELECT_IN	(EPOLLIN | EPOLLRDNORM | EPOLLRDBAND | EPOLLHUP | \
			 EPOLLERR)
#define SELECT_OUT	(EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND | EPOLLERR)
#define SELECT_EX	EPOLLPRI

struct pollfd_user {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

struct timespec_user {
	int64_t sec;
	int64_t nsec;
};

struct timeval_user {
	int64_t sec;
	int64_t usec;
};

/* pselect6's sixth argument. */
struct sigset_arg_user {
	uint64_t set;
	uint64_t size;
};

struct wait_limit
wait_limit_from_ms(long ms)
{
	if (ms < 0)
		return (struct wait_limit){ WAIT_FOREVER, false };
	return wait_limit_from_ns((uint64_t)ms * NSEC_PER_MSEC);
}

struct wait_limit
wait_limit_from_ns(uint64_t ns)
{
	if (ns >= WAIT_NS_MAX)
		return (struct wait_limit){ WAIT_FOREVER, false };
	if (ns == 0)
		return (struct wait_limit){ WAIT_FOREVER, true };
	return (struct wait_limit){ clock_monotonic_ns() + ns, false };
}

uint64_t
wait_limit_left_ns(const struct wait_limit *l)
{
	uint64_t now = clock_monotonic_ns();

	if (l->nowait || l->deadline_ns <= now)
		return 0;
	return l->deadline_ns - now;
}

int
wait_sigmask_set(uint64_t uset, uint64_t size, uint64_t *old, bool *set)
{
	uint64_t mask;

	*set = false;
	if (!uset)
		return 0;
	if (size != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&mask, (const void __user *)uset, sizeof(mask)))
		return -EFAULT;
	/* Nothing is delivered yet, so the mask only has to be the
	 * thread's while it waits, as Linux keeps it. */
	*old = thread_current()->sigmask;
	thread_current()->sigmask = mask & ~(SIGKILL_BIT | SIGSTOP_BIT);
	*set = true;
	return 0;
}

void
wait_sigmask_restore(uint64_t old, bool set)
{
	if (set)
		thread_current()->sigmask = old;
}

/* Seconds and a fraction as nanoseconds, WAIT_NS_MAX at most. */
static uint64_t
wait_ns(uint64_t sec, uint64_t frac_ns)
{
	if (sec >= WAIT_NS_MAX / NSEC_PER_SEC)
		return WAIT_NS_MAX;
	return sec * NSEC_PER_SEC + frac_ns;
}

/* A relative timespec; -EFAULT or -EINVAL. */
static int
timespec_get_ns(uint64_t uts, uint64_t *ns)
{
	struct timespec_user ts;

	if (copy_from_user(&ts, (const void __user *)uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	*ns = wait_ns((uint64_t)ts.sec, (uint64_t)ts.nsec);
	return 0;
}

int
wait_limit_from_timespec(uint64_t uts, struct wait_limit *l)
{
	uint64_t ns;
	int err;

	*l = (struct wait_limit){ WAIT_FOREVER, false };
	if (!uts)
		return 0;
	err = timespec_get_ns(uts, &ns);
	if (!err)
		*l = wait_limit_from_ns(ns);
	return err;
}

/* Writes the time left back; like Linux, a fault here is not the call's
 * error (the wait already happened). */
static void
timespec_put_left(uint64_t uts, const struct wait_limit *l)
{
	uint64_t ns = wait_limit_left_ns(l);
	struct timespec_user ts = { (int64_t)(ns / NSEC_PER_SEC),
				    (int64_t)(ns % NSEC_PER_SEC) };

	(void)copy_to_user((void __user *)uts, &ts, sizeof(ts));
}

static void
entries_unref(struct poll_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].file)
			file_unref(e[i].file);
}

/* The pollfd array in, each open descriptor referenced. */
static void
pollfds_take(struct pollfd_user *pfd, struct poll_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		e[i].file = pfd[i].fd >= 0 ? fd_get_ref_io(pfd[i].fd) : NULL;
		e[i].events = (uint16_t)pfd[i].events | POLL_ALWAYS_MASK;
	}
}

/* revents out: a closed descriptor is POLLNVAL, a negative one nothing. */
static long
pollfds_give(uint64_t ufds, struct pollfd_user *pfd, struct poll_entry *e,
	     size_t n)
{
	struct pollfd_user __user *u = (void __user *)ufds;
	long ready = 0;

	for (size_t i = 0; i < n; i++) {
		int16_t rev = (int16_t)(e[i].file ? e[i].revents
				       : pfd[i].fd >= 0 ? EPOLLNVAL : 0);

		ready += rev != 0;
		if (copy_to_user(&u[i].revents, &rev, sizeof(rev)))
			return -EFAULT;
	}
	return ready;
}

static long
poll_run(uint64_t ufds, uint64_t nfds, const struct wait_limit *l)
{
	struct pollfd_user *pfd;
	struct poll_entry *e;
	long ret = -ENOMEM;

	if (nfds > FD_MAX)
		return -EINVAL;
	pfd = kmalloc(MAX(nfds, 1) * sizeof(*pfd));
	e = kzalloc(MAX(nfds, 1) * sizeof(*e));
	if (!pfd || !e)
		goto out;
	ret = -EFAULT;
	if (copy_from_user(pfd, (const void __user *)ufds, nfds * sizeof(*pfd)))
		goto out;
	pollfds_take(pfd, e, nfds);
	ret = poll_files(e, nfds, l->deadline_ns, l->nowait);
	if (ret >= 0)
		ret = pollfds_give(ufds, pfd, e, nfds);
	entries_unref(e, nfds);
out:
	kfree(pfd);
	kfree(e);
	return ret;
}

long
sys_poll(const struct syscall_args *args)
{
	struct wait_limit l = wait_limit_from_ms((int)args->a[2]);

	return poll_run(args->a[0], args->a[1], &l);
}

long
sys_ppoll(const struct syscall_args *args)
{
	struct wait_limit l;
	uint64_t old;
	bool masked;
	long ret = wait_limit_from_timespec(args->a[2], &l);

	if (ret)
		return ret;
	ret = wait_sigmask_set(args->a[3], args->a[4], &old, &masked);
	if (ret)
		return ret;
	ret = poll_run(args->a[0], args->a[1], &l);
	wait_sigmask_restore(old, masked);
	if (args->a[2])
		timespec_put_left(args->a[2], &l);
	return ret;
}

/* select's three sets, as copied in and as answered. */
struct fdsets {
	uint64_t in[FDSET_WORDS], out[FDSET_WORDS], ex[FDSET_WORDS];
};

static bool
fdset_has(const uint64_t *set, int fd)
{
	return set[fd / FDSET_BITS] >> (fd % FDSET_BITS) & 1;
}

static int
fdset_get(uint64_t uset, uint64_t *set, int nfds)
{
	size_t bytes = (size_t)(nfds + FDSET_BITS - 1) / FDSET_BITS * 8;

	if (!uset)
		return 0;
	return copy_from_user(set, (const void __user *)uset, bytes);
}

static int
fdset_put(uint64_t uset, const uint64_t *set, int nfds)
{
	size_t bytes = (size_t)(nfds + FDSET_BITS - 1) / FDSET_BITS * 8;

	if (!uset)
		return 0;
	return copy_to_user((void __user *)uset, set, bytes);
}

/* One entry per descriptor named in any set; -EBADF for a closed one. */
static int
select_take(const struct fdsets *s, struct poll_entry *e, int nfds)
{
	for (int fd = 0; fd < nfds; fd++) {
		uint32_t ev = (fdset_has(s->in, fd) ? SELECT_IN : 0) |
			      (fdset_has(s->out, fd) ? SELECT_OUT : 0) |
			      (fdset_has(s->ex, fd) ? SELECT_EX : 0);

		if (!ev)
			continue;
		e[fd].events = ev;
		e[fd].file = fd_get_ref_io(fd);
		if (!e[fd].file)
			return -EBADF;
	}
	return 0;
}

/* Turns the answers into the sets written back; returns the bits set. */
static long
select_give(struct fdsets *s, const struct poll_entry *e, int nfds)
{
	struct fdsets r = { { 0 }, { 0 }, { 0 } };
	long bits = 0;

	for (int fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ULL << (fd % FDSET_BITS);
		int w = fd / FDSET_BITS;

		if (fdset_has(s->in, fd) && (e[fd].revents & SELECT_IN))
			r.in[w] |= bit, bits++;
		if (fdset_has(s->out, fd) && (e[fd].revents & SELECT_OUT))
			r.out[w] |= bit, bits++;
		if (fdset_has(s->ex, fd) && (e[fd].revents & SELECT_EX))
			r.ex[w] |= bit, bits++;
	}
	*s = r;
	return bits;
}

static long
select_run(const struct syscall_args *args, const struct wait_limit *l)
{
	int nfds = (int)args->a[0];
	struct fdsets *s = kzalloc(sizeof(*s));
	struct poll_entry *e = NULL;
	long ret = -ENOMEM;

	if (nfds < 0) {
		kfree(s);
		return -EINVAL;
	}
	nfds = MIN(nfds, FD_MAX);	/* Linux ignores bits past its table */
	if (!s || !(e = kzalloc(MAX(nfds, 1) * sizeof(*e))))
		goto out;
	ret = -EFAULT;
	if (fdset_get(args->a[1], s->in, nfds) ||
	    fdset_get(args->a[2], s->out, nfds) ||
	    fdset_get(args->a[3], s->ex, nfds))
		goto out;
	ret = select_take(s, e, nfds);
	if (!ret)
		ret = poll_files(e, (size_t)nfds, l->deadline_ns, l->nowait);
	entries_unref(e, (size_t)nfds);
	if (ret < 0)
		goto out;
	ret = select_give(s, e, nfds);
	if (fdset_put(args->a[1], s->in, nfds) ||
	    fdset_put(args->a[2], s->out, nfds) ||
	    fdset_put(args->a[3], s->ex, nfds))
		ret = -EFAULT;
out:
	kfree(s);
	kfree(e);
	return ret;
}

long
sys_select(const struct syscall_args *args)
{
	struct wait_limit l = { WAIT_FOREVER, false };
	struct timeval_user tv;
	long ret;

	if (args->a[4]) {
		if (copy_from_user(&tv, (const void __user *)args->a[4],
				   sizeof(tv)))
			return -EFAULT;
		if (tv.sec < 0 || tv.usec < 0)
			return -EINVAL;
		/* Linux carries whole seconds out of tv_usec. */
		l = wait_limit_from_ns(wait_ns(
			(uint64_t)tv.sec + (uint64_t)tv.usec / USEC_PER_SEC,
			(uint64_t)tv.usec % USEC_PER_SEC * NSEC_PER_USEC));
	}
	ret = select_run(args, &l);
	if (args->a[4]) {
		uint64_t left = wait_limit_left_ns(&l);

		tv.sec = (int64_t)(left / NSEC_PER_SEC);
		tv.usec = (int64_t)(left % NSEC_PER_SEC / NSEC_PER_USEC);
		(void)copy_to_user((void __user *)args->a[4], &tv, sizeof(tv));
	}
	return ret;
}

long
sys_pselect6(const struct syscall_args *args)
{
	struct wait_limit l;
	struct sigset_arg_user sa = { 0, 0 };
	uint64_t old;
	bool masked;
	long ret = wait_limit_from_timespec(args->a[4], &l);

	if (ret)
		return ret;
	if (args->a[5] && copy_from_user(&sa, (const void __user *)args->a[5],
					 sizeof(sa)))
		return -EFAULT;
	ret = wait_sigmask_set(sa.set, sa.size, &old, &masked);
	if (ret)
		return ret;
	ret = select_run(args, &l);
	wait_sigmask_restore(old, masked);
	if (args->a[4])
		timespec_put_left(args->a[4], &l);
	return ret;
}
