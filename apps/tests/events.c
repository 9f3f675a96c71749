/* Event-driven I/O: poll, ppoll, select, pselect6, epoll (level, edge,
 * one-shot, nesting, close), eventfd, timerfd and sendfile, with a second
 * thread writing while the main one sleeps in the wait, and timeouts that
 * must elapse about right. Runs the same on Linux. KTAP. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "ktap.h"

#define MS		1000000LL	/* nanoseconds */
#define SLACK_MS	5000	/* upper bound on any wait: TCG is slow */
#define DELAY_MS	50	/* the helper thread's delay */
#define DATA		0x1122334455667788ULL
#define CLOSED_FD	900	/* never opened here */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / MS;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * MS };

	nanosleep(&ts, NULL);
}

/* A waited time: at least @ms (less a tick of rounding), not forever. */
static int
took_about(long long start, long ms)
{
	long long d = now_ms() - start;

	return d >= ms - 1 && d < ms + SLACK_MS;
}

/* The helper thread: after DELAY_MS, writes @len bytes to @fd. */
struct delayed_write {
	int fd;
	const void *buf;
	size_t len;
	pthread_t thread;
};

static void *
delayed_write_run(void *arg)
{
	struct delayed_write *d = arg;

	sleep_ms(DELAY_MS);
	if (write(d->fd, d->buf, d->len) != (ssize_t)d->len)
		return (void *)1;
	return NULL;
}

static int
later_write(struct delayed_write *d, int fd, const void *buf, size_t len)
{
	d->fd = fd;
	d->buf = buf;
	d->len = len;
	return pthread_create(&d->thread, NULL, delayed_write_run, d) == 0;
}

static int
later_done(struct delayed_write *d)
{
	void *ret;

	return pthread_join(d->thread, &ret) == 0 && ret == NULL;
}

static const uint64_t one = 1;

/* ---- poll and ppoll ---- */

static int
poll_pipe_readable_after_write(void)
{
	int p[2], ok;
	struct pollfd pfd;

	if (pipe(p))
		return 0;
	pfd = (struct pollfd){ p[0], POLLIN, 0 };
	ok = poll(&pfd, 1, 0) == 0 && pfd.revents == 0;
	ok &= write(p[1], "x", 1) == 1;
	ok &= poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN;
	pfd = (struct pollfd){ p[1], POLLOUT | POLLIN, 0 };
	ok &= poll(&pfd, 1, 0) == 1 && pfd.revents == POLLOUT;
	close(p[0]);
	close(p[1]);
	return ok;
}

static int
poll_hup_and_err_when_other_end_closes(void)
{
	int a[2], b[2], ok;
	struct pollfd pfd;

	if (pipe(a) || pipe(b))
		return 0;
	close(a[1]);
	pfd = (struct pollfd){ a[0], POLLIN, 0 };
	ok = poll(&pfd, 1, 0) == 1 && pfd.revents == POLLHUP;
	close(b[0]);
	pfd = (struct pollfd){ b[1], POLLOUT, 0 };
	ok &= poll(&pfd, 1, 0) == 1 && pfd.revents == (POLLOUT | POLLERR);
	close(a[0]);
	close(b[1]);
	return ok;
}

/* A closed descriptor, and an O_PATH one (no I/O), are POLLNVAL. */
static int
poll_nval_for_closed_and_skips_negative(void)
{
	int path = open("/", O_PATH), ok;
	struct pollfd pfd[3] = { { CLOSED_FD, POLLIN, 0 }, { -1, POLLIN, 7 },
				 { path, POLLIN, 0 } };

	ok = poll(pfd, 3, 0) == 2 && pfd[0].revents == POLLNVAL &&
	     pfd[1].revents == 0 && pfd[2].revents == POLLNVAL;
	close(path);
	return ok;
}

static int
poll_files_and_devices_always_ready(void)
{
	int f = open("/tmp/events-ready", O_CREAT | O_RDWR | O_TRUNC, 0600);
	int d = open("/", O_RDONLY | O_DIRECTORY);
	int n = open("/dev/null", O_RDWR);
	struct pollfd pfd[3] = { { f, POLLIN | POLLOUT, 0 },
				 { d, POLLIN, 0 }, { n, POLLIN | POLLOUT, 0 } };
	int ok = poll(pfd, 3, -1) == 3 &&
		 pfd[0].revents == (POLLIN | POLLOUT) &&
		 pfd[1].revents == POLLIN &&
		 pfd[2].revents == (POLLIN | POLLOUT);

	close(f);
	close(d);
	close(n);
	unlink("/tmp/events-ready");
	return ok;
}

static int
poll_timeout_elapses(void)
{
	int p[2], ok;
	struct pollfd pfd;
	long long t;

	if (pipe(p))
		return 0;
	pfd = (struct pollfd){ p[0], POLLIN, 0 };
	t = now_ms();
	ok = poll(&pfd, 1, 100) == 0 && took_about(t, 100);
	t = now_ms();
	ok &= poll(NULL, 0, 30) == 0 && took_about(t, 30);
	close(p[0]);
	close(p[1]);
	return ok;
}

static int
poll_wakes_when_thread_writes(void)
{
	struct delayed_write d;
	int p[2], ok;
	struct pollfd pfd;
	long long t = now_ms();

	if (pipe(p) || !later_write(&d, p[1], "y", 1))
		return 0;
	pfd = (struct pollfd){ p[0], POLLIN, 0 };
	ok = poll(&pfd, 1, -1) == 1 && pfd.revents == POLLIN &&
	     took_about(t, DELAY_MS);
	ok &= later_done(&d);
	close(p[0]);
	close(p[1]);
	return ok;
}

static int
ppoll_timespec_and_sigmask(void)
{
	int p[2], ok;
	struct pollfd pfd;
	struct timespec ts = { 0, 60 * MS };
	sigset_t mask, before, after;
	long long t;

	if (pipe(p))
		return 0;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_SETMASK, NULL, &before);
	pfd = (struct pollfd){ p[0], POLLIN, 0 };
	t = now_ms();
	ok = ppoll(&pfd, 1, &ts, &mask) == 0 && took_about(t, 60);
	sigprocmask(SIG_SETMASK, NULL, &after);
	ok &= sigismember(&after, SIGUSR1) == sigismember(&before, SIGUSR1);
	/* The kernel's sigset is 8 bytes; anything else is refused. */
	ok &= syscall(SYS_ppoll, &pfd, 1, &ts, &mask, 4) == -1 &&
	      errno == EINVAL;
	ok &= write(p[1], "z", 1) == 1 &&
	      ppoll(&pfd, 1, NULL, NULL) == 1 && pfd.revents == POLLIN;
	close(p[0]);
	close(p[1]);
	return ok;
}

/* A timeout too long to add to the clock waits like none at all. */
static int
huge_timeouts_wait_for_the_event(void)
{
	struct delayed_write d;
	int p[2], ok;
	struct pollfd pfd;
	struct timespec ts = { INT64_MAX, 999999999 };
	fd_set r;
	struct timeval tv = { INT64_MAX, 999999 };
	long long t = now_ms();

	if (pipe(p) || !later_write(&d, p[1], "y", 1))
		return 0;
	pfd = (struct pollfd){ p[0], POLLIN, 0 };
	ok = syscall(SYS_ppoll, &pfd, 1, &ts, NULL, 8) == 1 &&
	     pfd.revents == POLLIN && took_about(t, DELAY_MS);
	ok &= later_done(&d);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ok &= syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv) == 1;
	close(p[0]);
	close(p[1]);
	return ok;
}

/* ---- select and pselect6 ---- */

static int
select_readable_and_writable(void)
{
	int p[2], ok;
	fd_set r, w;
	struct timeval tv = { 0, 0 };

	if (pipe(p))
		return 0;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	ok = select(p[1] + 1, &r, &w, NULL, &tv) == 1 &&
	     !FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w);
	ok &= write(p[1], "x", 1) == 1;
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	tv = (struct timeval){ 0, 0 };
	ok &= select(p[1] + 1, &r, &w, NULL, &tv) == 2 &&
	      FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w);
	close(p[0]);
	close(p[1]);
	return ok;
}

/* A closed descriptor below the table's end (Linux ignores bits past
 * its table, which can be smaller than CLOSED_FD). */
static int
select_ebadf_for_closed_fd(void)
{
	int p[2];
	fd_set r;
	struct timeval tv = { 0, 0 };

	if (pipe(p))
		return 0;
	close(p[0]);
	FD_ZERO(&r);
	FD_SET(p[1], &r);
	FD_SET(p[0], &r);
	close(p[1]);
	return select(p[1] + 1, &r, NULL, NULL, &tv) == -1 && errno == EBADF;
}

/* Raw select: Linux writes the time left back into the timeval. */
static int
select_wakes_and_writes_time_left(void)
{
	struct delayed_write d;
	int p[2], ok;
	fd_set r;
	struct timeval tv = { 2, 0 };
	long long t = now_ms();

	if (pipe(p) || !later_write(&d, p[1], "y", 1))
		return 0;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ok = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv) == 1 &&
	     FD_ISSET(p[0], &r) && took_about(t, DELAY_MS);
	ok &= (tv.tv_sec == 1 || tv.tv_sec == 0) && tv.tv_usec >= 0 &&
	      (tv.tv_sec > 0 || tv.tv_usec > 0);
	ok &= later_done(&d);
	close(p[0]);
	close(p[1]);
	return ok;
}

static int
select_timeout_elapses(void)
{
	int p[2], ok;
	fd_set r;
	struct timeval tv = { 0, 80000 };
	long long t = now_ms();

	if (pipe(p))
		return 0;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ok = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv) == 0 &&
	     took_about(t, 80) && tv.tv_sec == 0 && tv.tv_usec == 0 &&
	     !FD_ISSET(p[0], &r);
	close(p[0]);
	close(p[1]);
	return ok;
}

static int
pselect6_with_sigmask(void)
{
	int e = eventfd(0, 0), ok;
	fd_set r;
	struct timespec ts = { 0, 40 * MS };
	sigset_t mask;
	long long t = now_ms();

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	FD_ZERO(&r);
	FD_SET(e, &r);
	ok = pselect(e + 1, &r, NULL, NULL, &ts, &mask) == 0 &&
	     took_about(t, 40);
	ok &= write(e, &one, 8) == 8;
	FD_SET(e, &r);
	ok &= pselect(e + 1, &r, NULL, NULL, NULL, &mask) == 1 &&
	      FD_ISSET(e, &r);
	close(e);
	return ok;
}

/* ---- epoll ---- */

static int
epoll_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int
epoll_create_flags(void)
{
	/* Raw epoll_create: musl's wrapper calls epoll_create1. */
	int a = epoll_create1(EPOLL_CLOEXEC), b = syscall(SYS_epoll_create, 1);
	int ok;

	ok = a >= 0 && b >= 0 && (fcntl(a, F_GETFD) & FD_CLOEXEC) &&
	     !(fcntl(b, F_GETFD) & FD_CLOEXEC);
	ok &= syscall(SYS_epoll_create, 0) == -1 && errno == EINVAL;
	ok &= epoll_create1(1) == -1 && errno == EINVAL;
	close(a);
	close(b);
	return ok;
}

static int
epoll_ctl_errors(void)
{
	int ep = epoll_create1(0), ep2 = epoll_create1(0), p[2], ok;
	int f = open("/tmp/events-plain", O_CREAT | O_RDWR, 0600);
	struct epoll_event ev = { .events = EPOLLIN };

	if (pipe(p))
		return 0;
	ok = epoll_add(ep, p[0], EPOLLIN, 1) == 0;
	ok &= epoll_add(ep, p[0], EPOLLIN, 1) == -1 && errno == EEXIST;
	ok &= epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev) == -1 && errno == ENOENT;
	ok &= epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL) == -1 && errno == ENOENT;
	ok &= epoll_add(ep, f, EPOLLIN, 1) == -1 && errno == EPERM;
	ok &= epoll_add(ep, ep, EPOLLIN, 1) == -1 && errno == EINVAL;
	ok &= epoll_add(p[0], p[1], EPOLLIN, 1) == -1 && errno == EINVAL;
	ok &= epoll_add(p[0], f, EPOLLIN, 1) == -1 && errno == EPERM;
	ok &= epoll_add(ep, CLOSED_FD, EPOLLIN, 1) == -1 && errno == EBADF;
	ok &= epoll_ctl(ep, 99, p[1], &ev) == -1 && errno == EINVAL;
	/* ep2 inside ep, then ep inside ep2: a loop. */
	ok &= epoll_add(ep, ep2, EPOLLIN, 2) == 0;
	ok &= epoll_add(ep2, ep, EPOLLIN, 3) == -1 && errno == ELOOP;
	ok &= epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0;
	close(f);
	unlink("/tmp/events-plain");
	close(ep);
	close(ep2);
	close(p[0]);
	close(p[1]);
	return ok;
}

static int
epoll_level_triggered_data_verbatim(void)
{
	int ep = epoll_create1(0), p[2], ok;
	struct epoll_event out[4];
	char c;

	if (pipe(p))
		return 0;
	ok = epoll_add(ep, p[0], EPOLLIN, DATA) == 0;
	ok &= epoll_wait(ep, out, 4, 0) == 0;
	ok &= write(p[1], "ab", 2) == 2;
	ok &= epoll_wait(ep, out, 4, 0) == 1 && out[0].events == EPOLLIN &&
	      out[0].data.u64 == DATA;
	/* Still readable: reported again. */
	ok &= epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u64 == DATA;
	ok &= read(p[0], &c, 1) == 1 &&
	      epoll_wait(ep, out, 4, 0) == 1;
	ok &= read(p[0], &c, 1) == 1 &&
	      epoll_wait(ep, out, 4, 0) == 0;
	close(ep);
	close(p[0]);
	close(p[1]);
	return ok;
}

static int
epoll_edge_triggered_once_per_change(void)
{
	int ep = epoll_create1(0), p[2], ok;
	struct epoll_event out[4];

	if (pipe(p))
		return 0;
	ok = epoll_add(ep, p[0], EPOLLIN | EPOLLET, 5) == 0;
	ok &= write(p[1], "a", 1) == 1;
	ok &= epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u64 == 5;
	ok &= epoll_wait(ep, out, 4, 0) == 0;	/* nothing new */
	ok &= write(p[1], "b", 1) == 1;
	ok &= epoll_wait(ep, out, 4, 0) == 1 && out[0].events == EPOLLIN;
	ok &= epoll_wait(ep, out, 4, 0) == 0;
	close(ep);
	close(p[0]);
	close(p[1]);
	return ok;
}

static int
epoll_oneshot_rearmed_by_mod(void)
{
	int ep = epoll_create1(0), p[2], ok;
	struct epoll_event out[4], ev = { .events = EPOLLIN | EPOLLONESHOT,
					  .data.u64 = 8 };

	if (pipe(p))
		return 0;
	ok = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0;
	ok &= write(p[1], "a", 1) == 1;
	ok &= epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u64 == 8;
	ok &= epoll_wait(ep, out, 4, 0) == 0;	/* disabled, data or not */
	ok &= write(p[1], "b", 1) == 1 && epoll_wait(ep, out, 4, 0) == 0;
	ev.data.u64 = 9;
	ok &= epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0;
	ok &= epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u64 == 9;
	ok &= epoll_wait(ep, out, 4, 0) == 0;
	close(ep);
	close(p[0]);
	close(p[1]);
	return ok;
}

/* A pipe reports its hang-up as EPOLLHUP (EPOLLRDHUP is a socket's
 * half-close), asked for or not; its write end EPOLLERR. */
static int
epoll_hup_rdhup_and_err(void)
{
	int ep = epoll_create1(0), a[2], b[2], ok;
	struct epoll_event out[4];

	if (pipe(a) || pipe(b))
		return 0;
	ok = epoll_add(ep, a[0], EPOLLIN | EPOLLRDHUP, 1) == 0;
	ok &= epoll_add(ep, b[1], EPOLLOUT | EPOLLET, 2) == 0;
	ok &= epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u64 == 2 &&
	      out[0].events == EPOLLOUT;
	close(a[1]);
	ok &= epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u64 == 1 &&
	      out[0].events == EPOLLHUP;
	close(b[0]);
	ok &= epoll_wait(ep, out, 4, 0) == 2;
	ok &= (out[0].data.u64 == 2 ? out[0].events : out[1].events) ==
	      (EPOLLOUT | EPOLLERR);
	close(ep);
	close(a[0]);
	close(b[1]);
	return ok;
}

static int
epoll_maxevents_and_timeouts(void)
{
	int ep = epoll_create1(0), e[3], ok = 1;
	struct epoll_event out[3];
	long long t;

	for (int i = 0; i < 3; i++) {
		e[i] = eventfd(1, 0);
		ok &= epoll_add(ep, e[i], EPOLLIN, (uint64_t)i) == 0;
	}
	ok &= epoll_wait(ep, out, 2, 0) == 2;
	ok &= epoll_wait(ep, out, 3, -1) == 3;
	ok &= epoll_wait(ep, out, 0, 0) == -1 && errno == EINVAL;
	for (int i = 0; i < 3; i++)
		close(e[i]);
	t = now_ms();
	ok &= epoll_wait(ep, out, 3, 0) == 0 && now_ms() - t < SLACK_MS;
	t = now_ms();
	ok &= epoll_wait(ep, out, 3, 100) == 0 && took_about(t, 100);
	close(ep);
	return ok;
}

static int
epoll_wait_wakes_when_thread_writes(void)
{
	struct delayed_write d;
	int ep = epoll_create1(0), e = eventfd(0, 0), ok;
	struct epoll_event out[2];
	long long t = now_ms();
	uint64_t v = 0;

	ok = epoll_add(ep, e, EPOLLIN, DATA) == 0 && later_write(&d, e, &one, 8);
	ok &= epoll_wait(ep, out, 2, -1) == 1 && out[0].data.u64 == DATA &&
	      took_about(t, DELAY_MS);
	ok &= later_done(&d) && read(e, &v, 8) == 8 && v == 1;
	close(e);
	close(ep);
	return ok;
}

/* Closing the last descriptor of a file takes it out of every set; a
 * dup keeps it in. */
static int
epoll_close_removes_file(void)
{
	int ep = epoll_create1(0), ep2 = epoll_create1(0), p[2], dupfd, ok;
	struct epoll_event out[2];

	if (pipe(p) || write(p[1], "x", 1) != 1)
		return 0;
	ok = epoll_add(ep, p[0], EPOLLIN, 1) == 0 &&
	     epoll_add(ep2, p[0], EPOLLIN, 2) == 0;
	dupfd = dup(p[0]);
	close(p[0]);
	ok &= epoll_wait(ep, out, 2, 0) == 1 && epoll_wait(ep2, out, 2, 0) == 1;
	close(dupfd);
	ok &= epoll_wait(ep, out, 2, 0) == 0 && epoll_wait(ep2, out, 2, 0) == 0;
	close(ep);
	close(ep2);
	close(p[1]);
	return ok;
}

static int
epoll_nested_and_polled(void)
{
	int outer = epoll_create1(0), inner = epoll_create1(0);
	int e = eventfd(0, 0), ok;
	struct epoll_event out[2];
	struct pollfd pfd = { inner, POLLIN, 0 };

	ok = epoll_add(inner, e, EPOLLIN, 1) == 0 &&
	     epoll_add(outer, inner, EPOLLIN, 2) == 0;
	ok &= epoll_wait(outer, out, 2, 0) == 0 && poll(&pfd, 1, 0) == 0;
	ok &= write(e, &one, 8) == 8;
	ok &= poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN;
	ok &= epoll_wait(outer, out, 2, 1000) == 1 && out[0].data.u64 == 2;
	ok &= epoll_wait(inner, out, 2, 0) == 1 && out[0].data.u64 == 1;
	close(e);
	close(inner);
	close(outer);
	return ok;
}

static int
epoll_pwait_with_sigmask(void)
{
	int ep = epoll_create1(0), e = eventfd(1, 0), ok;
	struct epoll_event out[2];
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	ok = epoll_add(ep, e, EPOLLIN | EPOLLOUT, 4) == 0;
	ok &= epoll_pwait(ep, out, 2, -1, &mask) == 1 &&
	      out[0].events == (EPOLLIN | EPOLLOUT);
	ok &= syscall(SYS_epoll_pwait, ep, out, 2, 0, &mask, 4) == -1 &&
	      errno == EINVAL;
	/* epoll_pwait2: the timeout is a timespec. */
	ok &= syscall(SYS_epoll_pwait2, ep, out, 2, &(struct timespec){ 0, 0 },
		      &mask, 8) == 1 && out[0].data.u64 == 4;
	ok &= syscall(SYS_epoll_pwait2, ep, out, 2, NULL, NULL, 8) == 1;
	close(e);
	close(ep);
	return ok;
}

/* Ping-pong between two threads, each sleeping in a wait for the other's
 * byte: a lost wake-up hangs (and the harness times out). */
#define ROUNDS	300

struct pingpong {
	int in, out;		/* the pipe ends this side reads and writes */
	int use_epoll;
	int serves;		/* writes the first byte */
};

static int
pingpong_wait(const struct pingpong *pp, int ep)
{
	struct epoll_event ev;
	struct pollfd pfd = { pp->in, POLLIN, 0 };

	if (pp->use_epoll)
		return epoll_wait(ep, &ev, 1, -1) == 1;
	return poll(&pfd, 1, -1) == 1 && pfd.revents == POLLIN;
}

/* ROUNDS bytes each way; the server's last byte comes back unanswered. */
static void *
pingpong_side(void *arg)
{
	const struct pingpong *pp = arg;
	int ep = epoll_create1(0), ok;
	char c = 'p';

	ok = !pp->use_epoll || epoll_add(ep, pp->in, EPOLLIN | EPOLLET, 0) == 0;
	if (pp->serves)
		ok &= write(pp->out, &c, 1) == 1;
	for (int i = 0; i < ROUNDS && ok; i++) {
		ok = pingpong_wait(pp, ep) && read(pp->in, &c, 1) == 1;
		if (ok && !(pp->serves && i == ROUNDS - 1))
			ok = write(pp->out, &c, 1) == 1;
	}
	close(ep);
	return ok ? NULL : (void *)1;
}

static int
pingpong(int use_epoll)
{
	int a[2], b[2], ok;
	pthread_t t;
	void *ret = (void *)1;
	struct pingpong peer, me;

	if (pipe(a) || pipe(b))
		return 0;
	peer = (struct pingpong){ a[0], b[1], use_epoll, 0 };
	me = (struct pingpong){ b[0], a[1], use_epoll, 1 };
	ok = pthread_create(&t, NULL, pingpong_side, &peer) == 0;
	ok &= pingpong_side(&me) == NULL;
	ok &= pthread_join(t, &ret) == 0 && ret == NULL;
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	return ok;
}

static int
poll_ping_pong_between_threads(void)
{
	return pingpong(0);
}

static int
epoll_ping_pong_between_threads(void)
{
	return pingpong(1);
}

/* One thread adds ready pipes to a set, and closes or deletes them,
 * while another waits on the set: every wait ends, nothing is lost or
 * freed twice. */
#define CHURN	200

struct churn {
	int ep;
	volatile int done;
};

static void *
churn_run(void *arg)
{
	struct churn *c = arg;
	int ok = 1;

	for (int i = 0; i < CHURN && ok; i++) {
		int p[2];

		ok = pipe(p) == 0 && write(p[1], "x", 1) == 1 &&
		     epoll_add(c->ep, p[0], EPOLLIN, (uint64_t)i) == 0;
		if (ok && (i & 1))
			ok = epoll_ctl(c->ep, EPOLL_CTL_DEL, p[0], NULL) == 0;
		close(p[0]);	/* the even ones leave the set by closing */
		close(p[1]);
	}
	c->done = 1;
	return ok ? NULL : (void *)1;
}

static int
epoll_ctl_and_close_while_another_thread_waits(void)
{
	struct churn c = { epoll_create1(0), 0 };
	struct epoll_event out[4];
	pthread_t t;
	void *ret = (void *)1;
	int ok, bad = 0;

	ok = pthread_create(&t, NULL, churn_run, &c) == 0;
	for (int i = 0; i < 10 * CHURN && !c.done; i++) {
		int n = epoll_wait(c.ep, out, 4, 5);

		bad += n < 0 || n > 4;
		for (int j = 0; j < n; j++)
			bad += out[j].data.u64 >= CHURN;
	}
	ok &= pthread_join(t, &ret) == 0 && ret == NULL && !bad;
	ok &= epoll_wait(c.ep, out, 4, 0) == 0;	/* all gone */
	close(c.ep);
	return ok;
}

/* ---- eventfd ---- */

static int
eventfd_counts_and_takes_all(void)
{
	int e = eventfd(3, EFD_NONBLOCK), ok;
	uint64_t v = 0, two = 2, five = 5;

	ok = read(e, &v, 8) == 8 && v == 3;
	ok &= read(e, &v, 8) == -1 && errno == EAGAIN;
	ok &= write(e, &two, 8) == 8 && write(e, &five, 8) == 8;
	ok &= read(e, &v, 8) == 8 && v == 7;
	ok &= read(e, &v, 4) == -1 && errno == EINVAL;
	ok &= write(e, &two, 4) == -1 && errno == EINVAL;
	close(e);
	return ok;
}

static int
eventfd_semaphore_one_at_a_time(void)
{
	int e = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK), ok;
	uint64_t v = 0;

	ok = read(e, &v, 8) == 8 && v == 1;
	ok &= read(e, &v, 8) == 8 && v == 1;
	ok &= read(e, &v, 8) == -1 && errno == EAGAIN;
	close(e);
	return ok;
}

static int
eventfd_overflow_eagain_and_flags(void)
{
	int e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), ok;
	uint64_t max = UINT64_MAX - 1, bad = UINT64_MAX;
	struct pollfd pfd = { e, POLLIN | POLLOUT, 0 };

	ok = (fcntl(e, F_GETFD) & FD_CLOEXEC) && (fcntl(e, F_GETFL) & O_NONBLOCK);
	ok &= write(e, &max, 8) == 8;
	ok &= write(e, &one, 8) == -1 && errno == EAGAIN;
	ok &= write(e, &bad, 8) == -1 && errno == EINVAL;
	ok &= poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN;
	ok &= syscall(SYS_eventfd2, 0, 0x40) == -1 && errno == EINVAL;
	close(e);
	return ok;
}

static int
eventfd_read_blocks_until_thread_writes(void)
{
	struct delayed_write d;
	int e = eventfd(0, 0), ok;
	uint64_t v = 0;
	long long t = now_ms();

	ok = later_write(&d, e, &one, 8);
	ok &= read(e, &v, 8) == 8 && v == 1 && took_about(t, DELAY_MS);
	ok &= later_done(&d);
	close(e);
	return ok;
}

static void *
eventfd_overflow_writer(void *arg)
{
	int e = *(int *)arg;

	return write(e, &one, 8) == 8 ? NULL : (void *)1;
}

static int
eventfd_write_blocks_while_full(void)
{
	int e = eventfd(0, 0), ok;
	uint64_t max = UINT64_MAX - 1, v = 0;
	pthread_t t;
	void *ret = (void *)1;

	ok = write(e, &max, 8) == 8 &&
	     pthread_create(&t, NULL, eventfd_overflow_writer, &e) == 0;
	sleep_ms(DELAY_MS);
	ok &= read(e, &v, 8) == 8 && v == max;
	ok &= pthread_join(t, &ret) == 0 && ret == NULL;
	ok &= read(e, &v, 8) == 8 && v == 1;
	close(e);
	return ok;
}

/* ---- timerfd ---- */

static int
arm(int t, int flags, long long value_ns, long long interval_ns)
{
	struct itimerspec its = {
		{ interval_ns / 1000000000, interval_ns % 1000000000 },
		{ value_ns / 1000000000, value_ns % 1000000000 } };

	return timerfd_settime(t, flags, &its, NULL);
}

static int
timerfd_oneshot_relative(void)
{
	int t = timerfd_create(CLOCK_MONOTONIC, 0), ok;
	uint64_t v = 0;
	long long start = now_ms();

	ok = arm(t, 0, 60 * MS, 0) == 0;
	ok &= read(t, &v, 8) == 8 && v == 1 && took_about(start, 60);
	close(t);
	return ok;
}

static int
timerfd_periodic_expirations_counted(void)
{
	int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), ok;
	uint64_t v = 0, total = 0;
	long long start = now_ms(), elapsed;

	ok = arm(t, 0, 20 * MS, 20 * MS) == 0;
	sleep_ms(110);
	ok &= read(t, &v, 8) == 8;
	total += v;
	elapsed = now_ms() - start;
	/* One per 20 ms that passed, give or take the edges. */
	ok &= v >= 5 && (long long)v <= elapsed / 20 + 1;
	ok &= read(t, &v, 8) == -1 && errno == EAGAIN;
	ok &= timerfd_settime(t, 0, &(struct itimerspec){ 0 }, NULL) == 0;
	close(t);
	return ok && total > 0;
}

static int
timerfd_abstime_on_each_clock(void)
{
	static const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
					    CLOCK_BOOTTIME };
	int ok = 1;

	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		int t = timerfd_create(clocks[i], 0);
		struct timespec now;
		uint64_t v = 0;
		long long start = now_ms(), when;

		clock_gettime(clocks[i], &now);
		when = now.tv_sec * 1000000000LL + now.tv_nsec + 40 * MS;
		ok &= arm(t, TFD_TIMER_ABSTIME, when, 0) == 0;
		ok &= read(t, &v, 8) == 8 && v == 1 && took_about(start, 39);
		close(t);
	}
	return ok;
}

static int
timerfd_gettime_and_old_value(void)
{
	int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), ok;
	struct itimerspec cur, old, off = { { 0, 0 }, { 0, 0 } };
	uint64_t v;

	ok = (fcntl(t, F_GETFD) & FD_CLOEXEC) &&
	     arm(t, 0, 10000 * MS, 1000 * MS) == 0;
	ok &= timerfd_gettime(t, &cur) == 0 && cur.it_interval.tv_sec == 1 &&
	      cur.it_interval.tv_nsec == 0 && cur.it_value.tv_sec >= 4 &&
	      cur.it_value.tv_sec <= 10;
	ok &= timerfd_settime(t, 0, &off, &old) == 0 &&
	      old.it_interval.tv_sec == 1 && old.it_value.tv_sec >= 4;
	ok &= timerfd_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 &&
	      cur.it_value.tv_nsec == 0;
	ok &= read(t, &v, 8) == -1 && errno == EAGAIN;
	close(t);
	return ok;
}

static int
timerfd_errors(void)
{
	int t = timerfd_create(CLOCK_MONOTONIC, 0), p[2], ok;
	struct itimerspec bad = { { 0, 0 }, { 0, 1000000000 } };
	uint64_t v;

	if (pipe(p))
		return 0;
	ok = timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0) == -1 && errno == EINVAL;
	ok &= timerfd_create(CLOCK_MONOTONIC, 0x40) == -1 && errno == EINVAL;
	ok &= timerfd_settime(t, 0, &bad, NULL) == -1 && errno == EINVAL;
	ok &= timerfd_settime(t, 0x40, &bad, NULL) == -1 && errno == EINVAL;
	ok &= arm(p[0], 0, MS, 0) == -1 && errno == EINVAL;
	ok &= read(t, &v, 4) == -1 && errno == EINVAL;
	close(t);
	close(p[0]);
	close(p[1]);
	return ok;
}

static int
timerfd_wakes_epoll(void)
{
	int t = timerfd_create(CLOCK_MONOTONIC, 0), ep = epoll_create1(0), ok;
	struct epoll_event out[2];
	uint64_t v = 0;
	long long start = now_ms();

	ok = epoll_add(ep, t, EPOLLIN, 77) == 0 && arm(t, 0, 30 * MS, 30 * MS) == 0;
	ok &= epoll_wait(ep, out, 2, -1) == 1 && out[0].data.u64 == 77 &&
	      took_about(start, 30);
	ok &= read(t, &v, 8) == 8 && v >= 1;
	ok &= epoll_wait(ep, out, 2, -1) == 1 && read(t, &v, 8) == 8 && v >= 1;
	close(t);
	close(ep);
	return ok;
}

/* A read sleeping on a descriptor another thread closes keeps its file:
 * it completes when the timer expires, as on Linux. */
static void *
close_later(void *arg)
{
	sleep_ms(DELAY_MS / 2);
	close(*(int *)arg);
	return NULL;
}

static int
timerfd_read_outlives_close_of_its_descriptor(void)
{
	int t = timerfd_create(CLOCK_MONOTONIC, 0), ok;
	uint64_t v = 0;
	pthread_t th;
	long long start = now_ms();

	ok = arm(t, 0, 2 * DELAY_MS * MS, 0) == 0 &&
	     pthread_create(&th, NULL, close_later, &t) == 0;
	ok &= read(t, &v, 8) == 8 && v == 1 && took_about(start, 2 * DELAY_MS);
	ok &= pthread_join(th, NULL) == 0;
	ok &= fcntl(t, F_GETFD) == -1 && errno == EBADF;
	return ok;
}

/* ---- sendfile and pipes ---- */

#define SRC_SIZE	(100 * 1024)

static int
make_source(void)
{
	static char block[SRC_SIZE];
	int f = open("/tmp/events-src", O_CREAT | O_RDWR | O_TRUNC, 0600);

	for (int i = 0; i < SRC_SIZE; i++)
		block[i] = (char)(i % 253);
	if (f < 0 || write(f, block, SRC_SIZE) != SRC_SIZE)
		return -1;
	lseek(f, 0, SEEK_SET);
	return f;
}

static int
matches_source(const char *buf, long from, long len)
{
	for (long i = 0; i < len; i++)
		if (buf[i] != (char)((from + i) % 253))
			return 0;
	return 1;
}

static int
sendfile_file_to_file(void)
{
	static char back[SRC_SIZE];
	int src = make_source(), ok;
	int dst = open("/tmp/events-dst", O_CREAT | O_RDWR | O_TRUNC, 0600);
	off_t off = 10;

	ok = src >= 0 && dst >= 0;
	ok &= sendfile(dst, src, &off, 50000) == 50000 && off == 50010 &&
	      lseek(src, 0, SEEK_CUR) == 0;
	ok &= sendfile(dst, src, NULL, 1000) == 1000 &&
	      lseek(src, 0, SEEK_CUR) == 1000 && lseek(dst, 0, SEEK_CUR) == 51000;
	off = SRC_SIZE - 5;
	ok &= sendfile(dst, src, &off, 100) == 5 && off == SRC_SIZE;
	ok &= pread(dst, back, 51005, 0) == 51005 &&
	      matches_source(back, 10, 50000) &&
	      matches_source(back + 50000, 0, 1000) &&
	      matches_source(back + 51000, SRC_SIZE - 5, 5);
	close(src);
	close(dst);
	unlink("/tmp/events-dst");
	unlink("/tmp/events-src");
	return ok;
}

static int
sendfile_to_pipe(void)
{
	static char back[8192];
	int src = make_source(), p[2], ok;
	off_t off = 4096;

	if (pipe(p))
		return 0;
	ok = sendfile(p[1], src, &off, 8192) == 8192 && off == 4096 + 8192;
	ok &= read(p[0], back, sizeof(back)) == sizeof(back) &&
	      matches_source(back, 4096, 8192);
	ok &= sendfile(p[1], src, NULL, 100) == 100 &&
	      read(p[0], back, 100) == 100 && matches_source(back, 0, 100);
	/* The input must be a file with an offset, not a pipe. */
	ok &= sendfile(src, p[0], NULL, 10) == -1 && errno == EINVAL;
	ok &= sendfile(p[0], src, NULL, 10) == -1 && errno == EBADF;
	close(src);
	close(p[0]);
	close(p[1]);
	unlink("/tmp/events-src");
	return ok;
}

/* Non-blocking: a small write goes in whole or not at all; with the
 * reader gone, EPIPE (SIGPIPE ignored here; its default would end us). */
static int
pipe_nonblock_whole_small_writes_and_epipe(void)
{
	static char fill[65536 - 50];
	int p[2], ok;
	char buf[100] = { 0 };

	signal(SIGPIPE, SIG_IGN);
	if (pipe2(p, O_NONBLOCK))
		return 0;
	ok = write(p[1], fill, sizeof(fill)) == sizeof(fill);
	ok &= write(p[1], buf, 100) == -1 && errno == EAGAIN;
	ok &= write(p[1], buf, 50) == 50;
	ok &= write(p[1], buf, 1) == -1 && errno == EAGAIN;
	/* 3000 bytes free: a PIPE_BUF write does not fit, so none of it
	 * goes in. */
	ok &= read(p[0], fill, 3000) == 3000;
	ok &= write(p[1], fill, 4096) == -1 && errno == EAGAIN;
	/* The same for a writev of two pieces, PIPE_BUF bytes in all. */
	ok &= writev(p[1], (struct iovec[]){ { fill, 2000 }, { fill, 2000 } },
		     2) == -1 && errno == EAGAIN;
	ok &= pread(p[0], buf, 1, 0) == -1 && errno == ESPIPE;
	close(p[0]);
	ok &= write(p[1], buf, 1) == -1 && errno == EPIPE;
	close(p[1]);
	return ok;
}

/* `events sigpipe`: a write to a pipe with no reader, SIGPIPE left at
 * its default, must end the program (status 128 + 13 from a shell). */
static int
sigpipe_default_ends_program(void)
{
	int p[2];

	if (pipe(p))
		return 2;
	close(p[0]);
	printf("sigpipe: writing with no reader\n");
	fflush(stdout);
	(void)write(p[1], "x", 1);
	printf("sigpipe: the write returned\n");
	return 1;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} cases[] = {
#define CASE(f)	{ #f, f }
		CASE(poll_pipe_readable_after_write),
		CASE(poll_hup_and_err_when_other_end_closes),
		CASE(poll_nval_for_closed_and_skips_negative),
		CASE(poll_files_and_devices_always_ready),
		CASE(poll_timeout_elapses),
		CASE(poll_wakes_when_thread_writes),
		CASE(ppoll_timespec_and_sigmask),
		CASE(huge_timeouts_wait_for_the_event),
		CASE(select_readable_and_writable),
		CASE(select_ebadf_for_closed_fd),
		CASE(select_wakes_and_writes_time_left),
		CASE(select_timeout_elapses),
		CASE(pselect6_with_sigmask),
		CASE(epoll_create_flags),
		CASE(epoll_ctl_errors),
		CASE(epoll_level_triggered_data_verbatim),
		CASE(epoll_edge_triggered_once_per_change),
		CASE(epoll_oneshot_rearmed_by_mod),
		CASE(epoll_hup_rdhup_and_err),
		CASE(epoll_maxevents_and_timeouts),
		CASE(epoll_wait_wakes_when_thread_writes),
		CASE(epoll_close_removes_file),
		CASE(epoll_nested_and_polled),
		CASE(epoll_pwait_with_sigmask),
		CASE(poll_ping_pong_between_threads),
		CASE(epoll_ping_pong_between_threads),
		CASE(epoll_ctl_and_close_while_another_thread_waits),
		CASE(eventfd_counts_and_takes_all),
		CASE(eventfd_semaphore_one_at_a_time),
		CASE(eventfd_overflow_eagain_and_flags),
		CASE(eventfd_read_blocks_until_thread_writes),
		CASE(eventfd_write_blocks_while_full),
		CASE(timerfd_oneshot_relative),
		CASE(timerfd_periodic_expirations_counted),
		CASE(timerfd_abstime_on_each_clock),
		CASE(timerfd_gettime_and_old_value),
		CASE(timerfd_errors),
		CASE(timerfd_wakes_epoll),
		CASE(timerfd_read_outlives_close_of_its_descriptor),
		CASE(sendfile_file_to_file),
		CASE(sendfile_to_pipe),
		CASE(pipe_nonblock_whole_small_writes_and_epipe),
#undef CASE
	};
	unsigned n = sizeof(cases) / sizeof(cases[0]);

	if (argc > 1 && strcmp(argv[1], "sigpipe") == 0)
		return sigpipe_default_ends_program();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%u\n", n);
	for (unsigned i = 0; i < n; i++)
		report(cases[i].name, cases[i].fn());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
