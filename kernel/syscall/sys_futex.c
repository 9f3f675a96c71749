/* futex(2): WAIT, WAKE, their BITSET forms, REQUEUE and CMP_REQUEUE, with
 * the private flag (one process: every futex is private) and
 * FUTEX_CLOCK_REALTIME for absolute timeouts. WAKE_OP and the PI
 * operations are not supported (-ENOSYS). */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/futex.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>

#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_REQUEUE		3
#define FUTEX_CMP_REQUEUE	4
#define FUTEX_WAIT_BITSET	9
#define FUTEX_WAKE_BITSET	10
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_CLOCK_REALTIME	256
#define FUTEX_CMD_MASK		(~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define INT_MAX_WAKE		0x7fffffff

struct timespec_user {
	int64_t sec;
	int64_t nsec;
};

/* The monotonic deadline for a timeout argument: relative for FUTEX_WAIT,
 * absolute (monotonic or realtime) for FUTEX_WAIT_BITSET. */
static int
futex_deadline(uint64_t uts, int cmd, int op, uint64_t *deadline)
{
	struct timespec_user ts;
	uint64_t ns;

	*deadline = 0;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, (const void __user *)uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	ns = (uint64_t)ts.sec * NSEC_PER_SEC + (uint64_t)ts.nsec;
	if (cmd == FUTEX_WAIT)
		*deadline = clock_monotonic_ns() + ns;
	else if (op & FUTEX_CLOCK_REALTIME)
		*deadline = ns - (clock_realtime_ns() - clock_monotonic_ns());
	else
		*deadline = ns;
	if (*deadline == 0)
		*deadline = 1;	/* 0 means "no deadline" to the wait */
	return 0;
}

long
sys_futex(const struct syscall_args *args)
{
	uint64_t uaddr = args->a[0], deadline;
	int op = (int)args->a[1], cmd = op & FUTEX_CMD_MASK;
	uint32_t val = (uint32_t)args->a[2], bitset = (uint32_t)args->a[5];
	int err;

	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		err = futex_deadline(args->a[3], cmd, op, &deadline);
		if (err)
			return err;
		return futex_wait(uaddr, val, deadline,
				  cmd == FUTEX_WAIT ? FUTEX_BITSET_ANY : bitset);
	case FUTEX_WAKE:
		return futex_wake(uaddr, (int)MIN(val, (uint32_t)INT_MAX_WAKE),
				  FUTEX_BITSET_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake(uaddr, (int)MIN(val, (uint32_t)INT_MAX_WAKE),
				  bitset);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, args->a[4], (int)val,
				     (int)args->a[3], cmd == FUTEX_CMP_REQUEUE,
				     bitset);
	}
	return -ENOSYS;
}
