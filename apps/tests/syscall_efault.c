/* Every implemented system call that takes a pointer, given an unmapped
 * one, must fail with EFAULT and leave the kernel running. Prints KTAP
 * and exits with the number of failed cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define BAD	((void *)16)	/* page 0: never mapped */
#define FUTEX_WAKE_OP	5
#define FUTEX_OP_SET_1	0x00001000	/* FUTEX_OP(SET, 1, CMP_EQ, 0) */

static unsigned int futex_word;	/* a good uaddr beside a bad uaddr2 */

struct efault_case {
	const char *name;
	long nr;
	long a0, a1, a2, a3, a4, a5;
};

static const struct efault_case cases[] = {
	{ "write", SYS_write, 1, (long)BAD, 8 },
	{ "writev", SYS_writev, 1, (long)BAD, 1 },
	{ "uname", SYS_uname, (long)BAD, 0, 0 },
	{ "clock_gettime", SYS_clock_gettime, CLOCK_MONOTONIC, (long)BAD, 0 },
	{ "clock_getres", SYS_clock_getres, CLOCK_MONOTONIC, (long)BAD, 0 },
	{ "gettimeofday", SYS_gettimeofday, (long)BAD, 0, 0 },
	{ "time", SYS_time, (long)BAD, 0, 0 },
	{ "nanosleep", SYS_nanosleep, (long)BAD, 0, 0 },
	{ "clock_nanosleep", SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)BAD },
	{ "getrandom", SYS_getrandom, (long)BAD, 16, 0 },
	{ "arch_prctl_get_fs", SYS_arch_prctl, 0x1003, (long)BAD, 0 },
	{ "ioctl_tcgets", SYS_ioctl, 1, 0x5401, (long)BAD },
	{ "ioctl_tiocgwinsz", SYS_ioctl, 1, 0x5413, (long)BAD },
	{ "rt_sigaction_new", SYS_rt_sigaction, SIGUSR1, (long)BAD, 0, 8 },
	{ "rt_sigprocmask_set", SYS_rt_sigprocmask, 0, (long)BAD, 0, 8 },
	{ "sigaltstack", SYS_sigaltstack, (long)BAD, 0, 0 },
	{ "getrlimit", SYS_getrlimit, 7, (long)BAD, 0 },
	{ "setrlimit", SYS_setrlimit, 7, (long)BAD, 0 },
	{ "sched_getaffinity", SYS_sched_getaffinity, 0, 8, (long)BAD },
	{ "futex_wait", SYS_futex, (long)BAD, 0, 0 },
	{ "futex_wake_op_uaddr2", SYS_futex, (long)&futex_word, FUTEX_WAKE_OP,
	  1, 1, (long)BAD, FUTEX_OP_SET_1 },
	{ "statfs_path", SYS_statfs, (long)BAD, 0, 0 },
	{ "fstatfs_buf", SYS_fstatfs, 1, (long)BAD, 0 },
	{ "truncate_path", SYS_truncate, (long)BAD, 0, 0 },
	{ "chown_path", SYS_chown, (long)BAD, 0, 0 },
};

#define SIGSET_BYTES	8	/* the kernel's sigset_t */

/* The event calls need descriptors made at run time: an epoll set with
 * a ready eventfd in it (epoll_wait only writes when there are events),
 * a timerfd, a regular file for sendfile. */
static struct {
	int ep, efd, tfd, file, null;
	struct timespec zero_ts;
	struct timeval zero_tv;
	struct itimerspec off;
	uint64_t mask;
	struct { const void *set; size_t size; } bad_set, no_set;
} rt;

static int
runtime_setup(void)
{
	struct epoll_event ev = { .events = EPOLLIN };

	rt.ep = epoll_create1(0);
	rt.efd = eventfd(1, 0);
	rt.tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	rt.file = open("/tmp/efault-src", O_CREAT | O_RDWR | O_TRUNC, 0600);
	rt.null = open("/dev/null", O_WRONLY);
	rt.bad_set.set = BAD;
	rt.bad_set.size = SIGSET_BYTES;
	return rt.ep >= 0 && rt.efd >= 0 && rt.tfd >= 0 && rt.file >= 0 &&
	       rt.null >= 0 && write(rt.file, "abc", 3) == 3 &&
	       epoll_ctl(rt.ep, EPOLL_CTL_ADD, rt.efd, &ev) == 0;
}

static int
runtime_cases(struct efault_case *c)
{
	const long ts = (long)&rt.zero_ts, tv = (long)&rt.zero_tv;
	const long mask = (long)&rt.mask, b = (long)BAD;
	struct efault_case list[] = {
		{ "poll_fds", SYS_poll, b, 1, 0 },
		{ "ppoll_fds", SYS_ppoll, b, 1, ts, 0, 0 },
		{ "ppoll_timeout", SYS_ppoll, 0, 0, b, 0, 0 },
		{ "ppoll_sigmask", SYS_ppoll, 0, 0, ts, b, SIGSET_BYTES },
		{ "select_readfds", SYS_select, 1, b, 0, 0, tv },
		{ "select_writefds", SYS_select, 1, 0, b, 0, tv },
		{ "select_exceptfds", SYS_select, 1, 0, 0, b, tv },
		{ "select_timeout", SYS_select, 0, 0, 0, 0, b },
		{ "pselect6_readfds", SYS_pselect6, 1, b, 0, 0, ts, 0 },
		{ "pselect6_timeout", SYS_pselect6, 0, 0, 0, 0, b, 0 },
		{ "pselect6_sigmask_arg", SYS_pselect6, 0, 0, 0, 0, ts, b },
		{ "pselect6_sigmask", SYS_pselect6, 0, 0, 0, 0, ts,
		  (long)&rt.bad_set },
		{ "epoll_ctl_event", SYS_epoll_ctl, rt.ep, EPOLL_CTL_MOD, rt.efd, b },
		{ "epoll_wait_events", SYS_epoll_wait, rt.ep, b, 1, 0 },
		{ "epoll_pwait_events", SYS_epoll_pwait, rt.ep, b, 1, 0, mask,
		  SIGSET_BYTES },
		{ "epoll_pwait_sigmask", SYS_epoll_pwait, rt.ep, (long)&rt.off, 1,
		  0, b, SIGSET_BYTES },
		{ "epoll_pwait2_timeout", SYS_epoll_pwait2, rt.ep, (long)&rt.off,
		  1, b, 0, 0 },
		{ "epoll_pwait2_sigmask", SYS_epoll_pwait2, rt.ep, (long)&rt.off,
		  1, ts, b, SIGSET_BYTES },
		{ "eventfd_write", SYS_write, rt.efd, b, 8 },
		{ "eventfd_read", SYS_read, rt.efd, b, 8 },
		{ "timerfd_settime_new", SYS_timerfd_settime, rt.tfd, 0, b, 0 },
		{ "timerfd_settime_old", SYS_timerfd_settime, rt.tfd, 0,
		  (long)&rt.off, b },
		{ "timerfd_gettime", SYS_timerfd_gettime, rt.tfd, b },
		{ "sendfile_offset", SYS_sendfile, rt.null, rt.file, b, 1 },
	};
	unsigned n = sizeof(list) / sizeof(list[0]);

	for (unsigned i = 0; i < n; i++)
		c[i] = list[i];
	return (int)n;
}

static int
run_case(const struct efault_case *c, int number)
{
	long r = syscall(c->nr, c->a0, c->a1, c->a2, c->a3, c->a4, c->a5);
	int ok = r == -1 && errno == EFAULT;

	printf("%s %d %s", ok ? "ok" : "not ok", number, c->name);
	if (!ok)
		printf(" # returned %ld, errno %d", r, errno);
	printf("\n");
	return ok;
}

#define RUNTIME_MAX	32

int
main(void)
{
	int n = sizeof(cases) / sizeof(cases[0]), failed = 0, m = 0;
	struct efault_case more[RUNTIME_MAX];

	if (runtime_setup())
		m = runtime_cases(more);
	printf("KTAP version 1\n1..%d\n", n + m + 1);
	for (int i = 0; i < n; i++)
		failed += !run_case(&cases[i], i + 1);
	for (int i = 0; i < m; i++)
		failed += !run_case(&more[i], n + i + 1);
	printf("%s %d runtime_setup\n", m ? "ok" : "not ok", n + m + 1);
	failed += !m;
	unlink("/tmp/efault-src");
	printf("# %d failed\n", failed);
	return failed;
}
