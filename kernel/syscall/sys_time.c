/* Time: clock_gettime/getres for the Linux clocks, gettimeofday, time,
 * nanosleep and clock_nanosleep (relative and TIMER_ABSTIME). Sleeps
 * end early only by timeout here: signals are not delivered yet. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/sched.h>
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/uaccess.h>

#define CLOCK_REALTIME		0
#define CLOCK_MONOTONIC		1
#define CLOCK_PROCESS_CPUTIME	2
#define CLOCK_THREAD_CPUTIME	3
#define CLOCK_MONOTONIC_RAW	4
#define CLOCK_REALTIME_COARSE	5
#define CLOCK_MONOTONIC_COARSE	6
#define CLOCK_BOOTTIME		7
#define TIMER_ABSTIME		1
#define CLOCK_RESOLUTION_NS	1

struct timespec_user {
	int64_t sec;
	int64_t nsec;
};

struct timeval_user {
	int64_t sec;
	int64_t usec;
};

static int
clock_read(long clk, uint64_t *ns)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		*ns = clock_realtime_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		*ns = clock_monotonic_ns();
		return 0;
	case CLOCK_PROCESS_CPUTIME:
	case CLOCK_THREAD_CPUTIME:
		/* One process: its CPU time is its threads'; the running
		 * thread's share since it was switched in is added. */
		*ns = thread_current()->runtime_ns + clock_monotonic_ns() -
		      thread_current()->switched_in_ns;
		return 0;
	}
	return -EINVAL;
}

static int
put_timespec(struct timespec_user __user *u, uint64_t ns)
{
	struct timespec_user ts = { (int64_t)(ns / NSEC_PER_SEC),
				    (int64_t)(ns % NSEC_PER_SEC) };

	return copy_to_user(u, &ts, sizeof(ts));
}

static int
get_timespec_ns(const struct timespec_user __user *u, uint64_t *ns)
{
	struct timespec_user ts;

	if (copy_from_user(&ts, u, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	*ns = (uint64_t)ts.sec * NSEC_PER_SEC + (uint64_t)ts.nsec;
	return 0;
}

long
sys_clock_gettime(const struct syscall_args *args)
{
	uint64_t ns;
	int err = clock_read((int)args->a[0], &ns);

	return err ? err : put_timespec((void __user *)args->a[1], ns);
}

long
sys_clock_getres(const struct syscall_args *args)
{
	uint64_t ns;
	int err = clock_read((int)args->a[0], &ns);

	if (err || !args->a[1])
		return err;
	return put_timespec((void __user *)args->a[1], CLOCK_RESOLUTION_NS);
}

long
sys_gettimeofday(const struct syscall_args *args)
{
	uint64_t ns = clock_realtime_ns();
	struct timeval_user tv = { (int64_t)(ns / NSEC_PER_SEC),
				   (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC) };

	if (args->a[0] && copy_to_user((void __user *)args->a[0], &tv, sizeof(tv)))
		return -EFAULT;
	return 0;	/* the timezone argument is obsolete; Linux ignores it */
}

long
sys_time(const struct syscall_args *args)
{
	int64_t now = (int64_t)(clock_realtime_ns() / NSEC_PER_SEC);

	if (args->a[0] && copy_to_user((void __user *)args->a[0], &now, sizeof(now)))
		return -EFAULT;
	return now;
}

/* Sleeps until @deadline on @clk's scale (realtime or monotonic). */
static long
sleep_until(long clk, uint64_t deadline)
{
	uint64_t now;

	if (clock_read(clk, &now))
		return -EINVAL;
	if (deadline > now)
		sched_sleep_ns(deadline - now);
	return 0;
}

long
sys_nanosleep(const struct syscall_args *args)
{
	uint64_t ns;
	int err = get_timespec_ns((const void __user *)args->a[0], &ns);

	return err ? err : sleep_until(CLOCK_MONOTONIC, clock_monotonic_ns() + ns);
}

long
sys_clock_nanosleep(const struct syscall_args *args)
{
	long clk = (int)args->a[0];
	uint64_t ns, now;
	int err;

	if (clk == CLOCK_THREAD_CPUTIME || clock_read(clk, &now))
		return -EINVAL;
	err = get_timespec_ns((const void __user *)args->a[2], &ns);
	if (err)
		return err;
	return sleep_until(clk, args->a[1] & TIMER_ABSTIME ? ns : now + ns);
}
