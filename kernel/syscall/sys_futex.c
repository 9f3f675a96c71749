/* futex(2): WAIT, WAKE, their BITSET forms, REQUEUE, CMP_REQUEUE and
 * WAKE_OP, with the private flag (one process: private and shared futexes
 * are the same) and FUTEX_CLOCK_REALTIME for absolute timeouts. The
 * priority-inheritance operations are not supported (-ENOSYS). */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/futex.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>

#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_REQUEUE		3
#define FUTEX_CMP_REQUEUE	4
#define FUTEX_WAKE_OP		5
#define FUTEX_LOCK_PI		6
#define FUTEX_UNLOCK_PI		7
#define FUTEX_TRYLOCK_PI	8
#define FUTEX_WAIT_BITSET	9
#define FUTEX_WAKE_BITSET	10
#define FUTEX_WAIT_REQUEUE_PI	11
#define FUTEX_CMP_REQUEUE_PI	12
#define FUTEX_LOCK_PI2		13
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_CLOCK_REALTIME	256
#define FUTEX_CMD_MASK		(~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define INT_MAX_WAKE		0x7fffffff

/* The WAKE_OP op word: op (3 bits) with FUTEX_OP_ARG_SHIFT above it, cmp
 * (4 bits), then two signed 12-bit fields, oparg and cmparg. */
#define FUTEX_OP_ARG_SHIFT	0x80000000u	/* oparg is 1 << oparg */
#define FUTEX_OP_KIND(w)	(((w) >> 28) & 0x7)
#define FUTEX_OP_CMP(w)		(((w) >> 24) & 0xf)
#define FUTEX_OP_OPARG(w)	(((w) >> 12) & 0xfff)
#define FUTEX_OP_CMPARG(w)	((w) & 0xfff)
#define FUTEX_OP_FIELD_BITS	12
#define FUTEX_OP_KIND_LAST	FUTEX_OP_KIND_XOR
#define FUTEX_OP_CMP_LAST	FUTEX_OP_CMP_KIND_GE
#define FUTEX_OP_SHIFT_MASK	31	/* Linux masks a shift to the word */

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

/* A 12-bit two's-complement field as an int. */
static int32_t
futex_op_field(uint32_t field)
{
	return (int32_t)(field << (32 - FUTEX_OP_FIELD_BITS)) >>
	       (32 - FUTEX_OP_FIELD_BITS);
}

/* Decodes WAKE_OP's op word; -ENOSYS for an operation or comparison
 * Linux does not define (checked before the word is touched). */
static int
futex_op_decode(uint32_t w, struct futex_op *op)
{
	int32_t oparg = futex_op_field(FUTEX_OP_OPARG(w));

	if (FUTEX_OP_KIND(w) > FUTEX_OP_KIND_LAST ||
	    FUTEX_OP_CMP(w) > FUTEX_OP_CMP_LAST)
		return -ENOSYS;
	op->kind = (enum futex_op_kind)FUTEX_OP_KIND(w);
	op->cmp = (enum futex_op_cmp)FUTEX_OP_CMP(w);
	op->arg = w & FUTEX_OP_ARG_SHIFT ?
		  1u << (oparg & FUTEX_OP_SHIFT_MASK) : (uint32_t)oparg;
	op->cmparg = futex_op_field(FUTEX_OP_CMPARG(w));
	return 0;
}

static long
futex_wake_op_call(const struct syscall_args *args)
{
	struct futex_op op;
	int err = futex_op_decode((uint32_t)args->a[5], &op);

	if (err)
		return err;
	/* The fourth argument is a count here, not a timeout pointer. */
	return futex_wake_op(args->a[0], args->a[4],
			     (int)MIN((uint32_t)args->a[2], (uint32_t)INT_MAX_WAKE),
			     (int)MIN((uint32_t)args->a[3], (uint32_t)INT_MAX_WAKE),
			     &op);
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
	case FUTEX_WAKE_OP:
		return futex_wake_op_call(args);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_UNLOCK_PI:
	case FUTEX_TRYLOCK_PI:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_CMP_REQUEUE_PI:
		/* Priority inheritance needs owner tracking (the tid in the
		 * word, FUTEX_WAITERS, robust-list hand-over) that a
		 * single-CPU scheduler without priorities does not have. */
		return -ENOSYS;
	}
	return -ENOSYS;		/* not an operation Linux defines either */
}
