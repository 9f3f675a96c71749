/* The vDSO: clock_gettime, gettimeofday, time and getcpu answered in the
 * application's own context from the kernel's vvar page, as Linux's vDSO
 * does, falling back to the system call when the clock needs the kernel.
 * Built as a small shared object and mapped into every application. */
#include <stdint.h>
#include "vdso_data.h"

#define CLOCK_REALTIME		0
#define CLOCK_MONOTONIC		1
#define CLOCK_MONOTONIC_RAW	4
#define CLOCK_REALTIME_COARSE	5
#define CLOCK_MONOTONIC_COARSE	6
#define CLOCK_BOOTTIME		7
#define NSEC_PER_SEC		1000000000ULL
#define NSEC_PER_USEC		1000ULL
#define NR_GETTIMEOFDAY		96
#define NR_TIME			201
#define NR_CLOCK_GETTIME	228

struct timespec_v {
	int64_t sec;
	int64_t nsec;
};

struct timeval_v {
	int64_t sec;
	int64_t usec;
};

/* One page below the vDSO's first byte; see vdso.lds. */
extern const volatile struct vdso_data vvar __attribute__((visibility("hidden")));

static long
vdso_syscall2(long nr, long a0, long a1)
{
	long ret;

	__asm__ __volatile__("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1)
			     : "rcx", "r11", "memory");
	return ret;
}

/* Monotonic nanoseconds, or -1 when the kernel must be asked. */
static int64_t
vdso_monotonic_ns(uint64_t *offset)
{
	uint32_t seq;
	uint64_t ns;

	do {
		seq = vvar.seq;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (vvar.mode != VDSO_MODE_TSC)
			return -1;
		uint32_t lo, hi;

		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
		ns = (uint64_t)(((unsigned __int128)((((uint64_t)hi << 32) | lo) -
			vvar.tsc_base) * vvar.ns_per_tsc_fp) >> VDSO_FP_SHIFT);
		*offset = vvar.realtime_offset_ns;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((seq & 1) || seq != vvar.seq);
	return (int64_t)ns;
}

int
__vdso_clock_gettime(int clk, struct timespec_v *ts)
{
	uint64_t offset, ns;
	int64_t mono;

	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC &&
	    clk != CLOCK_MONOTONIC_RAW && clk != CLOCK_REALTIME_COARSE &&
	    clk != CLOCK_MONOTONIC_COARSE && clk != CLOCK_BOOTTIME)
		return (int)vdso_syscall2(NR_CLOCK_GETTIME, clk, (long)ts);
	mono = vdso_monotonic_ns(&offset);
	if (mono < 0)
		return (int)vdso_syscall2(NR_CLOCK_GETTIME, clk, (long)ts);
	ns = (uint64_t)mono;
	if (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE)
		ns += offset;
	ts->sec = (int64_t)(ns / NSEC_PER_SEC);
	ts->nsec = (int64_t)(ns % NSEC_PER_SEC);
	return 0;
}

int
__vdso_gettimeofday(struct timeval_v *tv, void *tz)
{
	uint64_t offset, ns;
	int64_t mono = vdso_monotonic_ns(&offset);

	if (mono < 0)
		return (int)vdso_syscall2(NR_GETTIMEOFDAY, (long)tv, (long)tz);
	ns = (uint64_t)mono + offset;
	if (tv) {
		tv->sec = (int64_t)(ns / NSEC_PER_SEC);
		tv->usec = (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
	}
	return 0;
}

int64_t
__vdso_time(int64_t *t)
{
	uint64_t offset;
	int64_t mono = vdso_monotonic_ns(&offset), now;

	if (mono < 0)
		return vdso_syscall2(NR_TIME, (long)t, 0);
	now = (int64_t)(((uint64_t)mono + offset) / NSEC_PER_SEC);
	if (t)
		*t = now;
	return now;
}

/* One CPU, one node. */
int
__vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	(void)unused;
	if (cpu)
		*cpu = 0;
	if (node)
		*node = 0;
	return 0;
}

int clock_gettime(int, struct timespec_v *)
	__attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval_v *, void *)
	__attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *)
	__attribute__((weak, alias("__vdso_getcpu")));
