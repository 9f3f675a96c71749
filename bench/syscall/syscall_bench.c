/*
 * System-call micro-benchmark, run unchanged on Keel and on a Linux guest
 * (bench/syscall/bench_syscall.py builds it with musl-gcc -static and
 * gcc -static).
 *
 * Each figure is timed with clock_gettime(CLOCK_MONOTONIC) around a tight
 * loop whose iteration count is calibrated to take ~0.3 s, best of ROUNDS
 * rounds. Output lines are machine-readable:
 *
 *   bench: libc=musl|glibc vdso=1|0
 *   bench: getpid_ns=N            syscall(SYS_getpid): raw kernel entry
 *   bench: clock_gettime_ns=N     libc clock_gettime(MONOTONIC): the vDSO
 *                                 when vdso=1, else a system call
 *   bench: clock_gettime_sys_ns=N syscall(SYS_clock_gettime, MONOTONIC)
 *   bench: read_dev_zero_ns=N|unsupported   1-byte read(2) of /dev/zero
 *   bench: futex_switch_ns=N      futex ping-pong between two threads,
 *                                 ns per switch (round trip / 2)
 *   bench: done
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* musl-gcc has no kernel headers: the futex ABI constants. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

#ifndef AT_SYSINFO_EHDR
#define AT_SYSINFO_EHDR 33
#endif

#define ROUNDS 5
#define TARGET_NS 300000000ull   /* one measurement: ~0.3 s */
#define PROBE_NS 30000000ull     /* calibration grows n until this */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef void (*loop_fn)(uint64_t n);

/* Iteration count for ~TARGET_NS, from timing growing trial runs. */
static uint64_t calibrate(loop_fn fn)
{
	uint64_t n = 16;
	for (;;) {
		uint64_t t0 = now_ns();
		fn(n);
		uint64_t dt = now_ns() - t0;
		if (dt >= PROBE_NS || n >= (1ull << 40)) {
			if (dt == 0)
				dt = 1;
			uint64_t want = (uint64_t)((double)n * TARGET_NS / dt);
			return want ? want : 1;
		}
		n *= dt < PROBE_NS / 16 ? 8 : 2;
	}
}

/* Best (lowest) ns per iteration over ROUNDS rounds; `div` splits an
 * iteration into that many events (2 switches per ping-pong round trip). */
static double measure(loop_fn fn, unsigned div)
{
	uint64_t n = calibrate(fn);
	double best = 0;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns();
		fn(n);
		uint64_t dt = now_ns() - t0;
		double per = (double)dt / (double)n / div;
		if (r == 0 || per < best)
			best = per;
	}
	return best;
}

static volatile long sink;

static void loop_getpid(uint64_t n)
{
	long acc = 0;
	for (uint64_t i = 0; i < n; i++)
		acc += syscall(SYS_getpid);
	sink = acc;
}

static void loop_clock_libc(uint64_t n)
{
	struct timespec ts;
	long acc = 0;
	for (uint64_t i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		acc += ts.tv_nsec;
	}
	sink = acc;
}

static void loop_clock_sys(uint64_t n)
{
	struct timespec ts;
	long acc = 0;
	for (uint64_t i = 0; i < n; i++) {
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
		acc += ts.tv_nsec;
	}
	sink = acc;
}

static int zero_fd = -1;

static void loop_read_zero(uint64_t n)
{
	char c;
	long acc = 0;
	for (uint64_t i = 0; i < n; i++)
		acc += read(zero_fd, &c, 1);
	sink = acc;
}

/* ---- futex ping-pong: strict alternation over two words ---- */

static int ping, pong;          /* 1: the other side may go */
static int pp_exit;

static long futex(int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op | FUTEX_PRIVATE_FLAG, val,
		       NULL, NULL, 0);
}

static void wait_for(int *word)
{
	while (!__atomic_load_n(word, __ATOMIC_ACQUIRE)) {
		long r = futex(word, FUTEX_WAIT, 0);
		if (r < 0 && errno != EAGAIN && errno != EINTR) {
			printf("bench: error futex_wait errno=%d\n", errno);
			fflush(stdout);
			exit(1);
		}
	}
	__atomic_store_n(word, 0, __ATOMIC_RELAXED);
}

static void post(int *word)
{
	__atomic_store_n(word, 1, __ATOMIC_RELEASE);
	futex(word, FUTEX_WAKE, 1);
}

static void *partner(void *arg)
{
	(void)arg;
	for (;;) {
		wait_for(&ping);
		if (__atomic_load_n(&pp_exit, __ATOMIC_ACQUIRE))
			return NULL;
		post(&pong);
	}
}

static void loop_pingpong(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		post(&ping);
		wait_for(&pong);
	}
}

static const char *libc_name(void)
{
#ifdef __GLIBC__
	return "glibc";
#else
	return "musl";
#endif
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int vdso = getauxval(AT_SYSINFO_EHDR) != 0;
	printf("bench: libc=%s vdso=%d\n", libc_name(), vdso);

	printf("bench: getpid_ns=%.1f\n", measure(loop_getpid, 1));
	printf("bench: clock_gettime_ns=%.1f\n", measure(loop_clock_libc, 1));
	printf("bench: clock_gettime_sys_ns=%.1f\n",
	       measure(loop_clock_sys, 1));

	zero_fd = open("/dev/zero", O_RDONLY);
	if (zero_fd >= 0) {
		char c = 1;
		if (read(zero_fd, &c, 1) == 1 && c == 0)
			printf("bench: read_dev_zero_ns=%.1f\n",
			       measure(loop_read_zero, 1));
		else
			printf("bench: read_dev_zero_ns=unsupported\n");
		close(zero_fd);
	} else {
		printf("bench: read_dev_zero_ns=unsupported (open errno=%d)\n",
		       errno);
	}

	pthread_t t;
	int e = pthread_create(&t, NULL, partner, NULL);
	if (e != 0) {
		printf("bench: futex_switch_ns=unsupported "
		       "(pthread_create %d)\n", e);
	} else {
		printf("bench: futex_switch_ns=%.1f\n",
		       measure(loop_pingpong, 2));
		__atomic_store_n(&pp_exit, 1, __ATOMIC_RELEASE);
		post(&ping);
		pthread_join(t, NULL);
	}
	printf("bench: done\n");
	return 0;
}
