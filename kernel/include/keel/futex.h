/* Futexes: threads sleep on a word of application memory and are woken by
 * address (kernel/sched/futex.c). Addresses hash to buckets, each a wait
 * queue; every waiter records its word and bitset. */
#ifndef KEEL_FUTEX_H
#define KEEL_FUTEX_H

#include <keel/compiler.h>

#define FUTEX_BITSET_ANY	0xffffffffu

/* Sleeps if *uaddr == val, until woken or @deadline_ns (monotonic, 0 for
 * none). Returns 0, -EAGAIN (value differs), -ETIMEDOUT, -EFAULT. */
int
futex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline_ns, uint32_t bitset);
/* Wakes up to @n waiters on @uaddr whose bitset meets @bitset. */
int
futex_wake(uint64_t uaddr, int n, uint32_t bitset);
/* Wakes up to @nwake waiters on @from and moves up to @nmove others to
 * @to; with @check, only if *from == @cmpval (else -EAGAIN). */
int
futex_requeue(uint64_t from, uint64_t to, int nwake, int nmove, bool check,
	      uint32_t cmpval);

/* The operation of a WAKE_OP, decoded: *uaddr2 = *uaddr2 OP arg, then the
 * old value is compared with cmparg (as signed ints). Both enums are
 * numbered as Linux encodes them in the op word. */
enum futex_op_kind {
	FUTEX_OP_KIND_SET,	/* arg */
	FUTEX_OP_KIND_ADD,	/* old + arg */
	FUTEX_OP_KIND_OR,	/* old | arg */
	FUTEX_OP_KIND_ANDN,	/* old & ~arg */
	FUTEX_OP_KIND_XOR,	/* old ^ arg */
};
enum futex_op_cmp {
	FUTEX_OP_CMP_KIND_EQ,
	FUTEX_OP_CMP_KIND_NE,
	FUTEX_OP_CMP_KIND_LT,
	FUTEX_OP_CMP_KIND_LE,
	FUTEX_OP_CMP_KIND_GT,
	FUTEX_OP_CMP_KIND_GE,
};
struct futex_op {
	enum futex_op_kind kind;
	enum futex_op_cmp cmp;
	uint32_t arg;
	int32_t cmparg;
};

/* Applies @op to *@uaddr2 atomically, wakes up to @nwake waiters on
 * @uaddr1 and, if the comparison of the old value held, up to @nwake2 on
 * @uaddr2; both buckets are locked throughout. Returns the number woken,
 * -EINVAL (misaligned) or -EFAULT (*@uaddr2 not writable). */
int
futex_wake_op(uint64_t uaddr1, uint64_t uaddr2, int nwake, int nwake2,
	      const struct futex_op *op);

#endif
