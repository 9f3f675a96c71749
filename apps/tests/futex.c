/* futex(2) beyond what pthread mutexes use: WAKE_OP (every operation and
 * comparison, the argument shift, wake counts with real waiter threads,
 * private and shared), REQUEUE and CMP_REQUEUE moving waiters between
 * words, and the PI operations Keel refuses. KTAP; exit status is the
 * number of failed cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "ktap.h"

/* Linux's futex ABI, spelled out: musl's headers do not carry
 * <linux/futex.h>. */
#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_REQUEUE		3
#define FUTEX_CMP_REQUEUE	4
#define FUTEX_WAKE_OP		5
#define FUTEX_LOCK_PI		6
#define FUTEX_UNLOCK_PI		7
#define FUTEX_TRYLOCK_PI	8
#define FUTEX_WAIT_REQUEUE_PI	11
#define FUTEX_CMP_REQUEUE_PI	12
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_WAKE_PRIVATE	(FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_OP_PRIVATE	(FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG)
#define FUTEX_OP_SET		0
#define FUTEX_OP_ADD		1
#define FUTEX_OP_OR		2
#define FUTEX_OP_ANDN		3
#define FUTEX_OP_XOR		4
#define FUTEX_OP_OPARG_SHIFT	8
#define FUTEX_OP_CMP_EQ		0
#define FUTEX_OP_CMP_NE		1
#define FUTEX_OP_CMP_LT		2
#define FUTEX_OP_CMP_LE		3
#define FUTEX_OP_CMP_GT		4
#define FUTEX_OP_CMP_GE		5
#define FUTEX_OP(op, oparg, cmp, cmparg) \
	((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | \
	 (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))
#define SETTLE_NS	20000000L	/* lets armed waiters reach their sleep */
#define ALL		INT_MAX
#define PAGE		4096
#define CMP_UNDEFINED	6	/* past FUTEX_OP_CMP_GE */

/* One thread asleep on a word until woken; its futex result is kept. */
struct waiter {
	pthread_t thread;
	uint32_t *word;
	uint32_t val;
	int op;
	long result;
};

static int armed;

static long
futex(uint32_t *uaddr, int op, uint32_t val, long val2, uint32_t *uaddr2,
      uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;

	__atomic_add_fetch(&armed, 1, __ATOMIC_SEQ_CST);
	w->result = futex(w->word, w->op, w->val, 0, NULL, 0) ? errno : 0;
	return NULL;
}

/* Starts @n waiters on @word (FUTEX_WAIT with its current value, @op's
 * private flag) and returns once they have had time to fall asleep. */
static int
waiters_start(struct waiter *w, int n, uint32_t *word, int op)
{
	struct timespec settle = { 0, SETTLE_NS };

	__atomic_store_n(&armed, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < n; i++) {
		w[i] = (struct waiter){ .word = word, .val = *word,
					.op = FUTEX_WAIT | (op & FUTEX_PRIVATE_FLAG),
					.result = -1 };
		if (pthread_create(&w[i].thread, NULL, waiter_main, &w[i]))
			return 0;
	}
	while (__atomic_load_n(&armed, __ATOMIC_SEQ_CST) < n)
		sched_yield();
	nanosleep(&settle, NULL);
	return 1;
}

/* Joins @n waiters (all must have been woken); true if each was. */
static int
waiters_join(struct waiter *w, int n)
{
	int ok = 1;

	for (int i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		ok &= w[i].result == 0;
	}
	return ok;
}

struct arith_case {
	int op;
	int arg;
	uint32_t before, after;
};

/* Every operation, a negative (sign-extended) argument and the shift. */
static const struct arith_case arith[] = {
	{ FUTEX_OP_SET, 5, 100, 5 },
	{ FUTEX_OP_SET, -1, 100, 0xffffffff },
	{ FUTEX_OP_ADD, 7, 100, 107 },
	{ FUTEX_OP_ADD, -2048, 4096, 2048 },
	{ FUTEX_OP_OR, 0x0f0, 0x00f, 0x0ff },
	{ FUTEX_OP_ANDN, 0x0f0, 0x0ff, 0x00f },
	{ FUTEX_OP_XOR, 0x0ff, 0x0f0, 0x00f },
	{ FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 31, 0, 0x80000000 },
	{ FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, 1, 0x11 },
	{ FUTEX_OP_ANDN | FUTEX_OP_OPARG_SHIFT, 0, 3, 2 },
};

static int
wake_op_arithmetic(int private_flag)
{
	uint32_t w1 = 0, w2;

	for (unsigned i = 0; i < sizeof(arith) / sizeof(arith[0]); i++) {
		const struct arith_case *c = &arith[i];

		w2 = c->before;
		if (futex(&w1, FUTEX_WAKE_OP | private_flag, 1, 1, &w2,
			  FUTEX_OP(c->op, c->arg, FUTEX_OP_CMP_EQ, 0)))
			return 0;
		if (w2 != c->after) {
			printf("# case %u: %#x -> %#x, expected %#x\n", i,
			       c->before, w2, c->after);
			return 0;
		}
	}
	return w1 == 0;
}

struct cmp_case {
	int cmp;
	int cmparg;
	uint32_t old;
	int holds;
};

static const struct cmp_case cmps[] = {
	{ FUTEX_OP_CMP_EQ, 3, 3, 1 }, { FUTEX_OP_CMP_EQ, 3, 4, 0 },
	{ FUTEX_OP_CMP_NE, 3, 4, 1 }, { FUTEX_OP_CMP_NE, 3, 3, 0 },
	{ FUTEX_OP_CMP_LT, 0, (uint32_t)-1, 1 }, { FUTEX_OP_CMP_LT, 0, 0, 0 },
	{ FUTEX_OP_CMP_LE, -5, (uint32_t)-5, 1 }, { FUTEX_OP_CMP_LE, -5, 2, 0 },
	{ FUTEX_OP_CMP_GT, -1, 0, 1 }, { FUTEX_OP_CMP_GT, 7, 7, 0 },
	{ FUTEX_OP_CMP_GE, 7, 7, 1 }, { FUTEX_OP_CMP_GE, 7, (uint32_t)-8, 0 },
};

/* One comparison with a waiter asleep on uaddr2: woken iff it holds. */
static int
wake_op_compare_one(const struct cmp_case *c)
{
	struct waiter w;
	uint32_t w1 = 0, w2 = c->old;
	long woken, rest;

	if (!waiters_start(&w, 1, &w2, FUTEX_PRIVATE_FLAG))
		return 0;
	woken = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2,
		      FUTEX_OP(FUTEX_OP_ADD, 1, c->cmp, c->cmparg));
	rest = futex(&w2, FUTEX_WAKE_PRIVATE, ALL, 0, NULL, 0);
	if (woken != c->holds || rest != !c->holds || w2 != c->old + 1) {
		printf("# cmp %d arg %d old %d: woke %ld then %ld\n", c->cmp,
		       c->cmparg, (int)c->old, woken, rest);
		return 0;
	}
	return waiters_join(&w, 1);
}

static int
wake_op_comparisons(void)
{
	int ok = 1;

	for (unsigned i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++)
		ok &= wake_op_compare_one(&cmps[i]);
	return ok;
}

/* Three waiters on each word: nr_wake and nr_wake2 bound each side. */
static int
wake_op_wake_counts(int private_flag)
{
	struct waiter a[3], b[3];
	uint32_t w1 = 10, w2 = 20;
	long woken, left1, left2;

	if (!waiters_start(a, 3, &w1, private_flag) ||
	    !waiters_start(b, 3, &w2, private_flag))
		return 0;
	woken = futex(&w1, FUTEX_WAKE_OP | private_flag, 2, 1, &w2,
		      FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 20));
	left1 = futex(&w1, FUTEX_WAKE | private_flag, ALL, 0, NULL, 0);
	left2 = futex(&w2, FUTEX_WAKE | private_flag, ALL, 0, NULL, 0);
	if (woken != 3 || left1 != 1 || left2 != 2 || w2 != 0) {
		printf("# woke %ld, then %ld and %ld\n", woken, left1, left2);
		return 0;
	}
	return waiters_join(a, 3) && waiters_join(b, 3);
}

static int
wake_op_bad_requests(void)
{
	uint32_t w1 = 0, w2[2] = { 0, 0 };
	uint32_t *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	int bad_cmp = futex(&w1, FUTEX_WAKE_OP, 1, 1, w2,
			    FUTEX_OP(FUTEX_OP_SET, 1, CMP_UNDEFINED, 0)) == -1 &&
		      errno == ENOSYS;
	int misaligned = futex(&w1, FUTEX_WAKE_OP, 1, 1,
			       (uint32_t *)((char *)w2 + 1),
			       FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)) == -1 &&
			 errno == EINVAL;
	int read_only = ro != MAP_FAILED &&
			futex(&w1, FUTEX_WAKE_OP, 1, 1, ro,
			      FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)) == -1 &&
			errno == EFAULT && ro[0] == 0;

	return bad_cmp && misaligned && read_only;
}

/* Three waiters on w1: one woken, one moved to w2, one left behind. */
static int
requeue_moves_waiters(int cmd)
{
	struct waiter w[3];
	uint32_t w1 = 1, w2 = 2;
	long r, on2, on1;

	if (!waiters_start(w, 3, &w1, FUTEX_PRIVATE_FLAG))
		return 0;
	if (cmd == FUTEX_CMP_REQUEUE &&
	    (futex(&w1, cmd | FUTEX_PRIVATE_FLAG, 1, 1, &w2, 99) != -1 ||
	     errno != EAGAIN))
		return 0;
	r = futex(&w1, cmd | FUTEX_PRIVATE_FLAG, 1, 1, &w2, 1);
	on2 = futex(&w2, FUTEX_WAKE_PRIVATE, ALL, 0, NULL, 0);
	on1 = futex(&w1, FUTEX_WAKE_PRIVATE, ALL, 0, NULL, 0);
	if (r != 2 || on2 != 1 || on1 != 1) {
		printf("# requeue %ld, then %ld on w2, %ld on w1\n", r, on2, on1);
		return 0;
	}
	return waiters_join(w, 3);
}

static int
pi_operations_are_enosys(void)
{
	static const int ops[] = { FUTEX_LOCK_PI, FUTEX_UNLOCK_PI,
				   FUTEX_TRYLOCK_PI, FUTEX_WAIT_REQUEUE_PI,
				   FUTEX_CMP_REQUEUE_PI };
	uint32_t w1 = 0, w2 = 0;

	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (futex(&w1, ops[i] | FUTEX_PRIVATE_FLAG, 0, 0, &w2, 0) != -1 ||
		    errno != ENOSYS)
			return 0;
	return w1 == 0;
}

int
main(void)
{
	printf("KTAP version 1\n1..9\n");
	report("wake_op_arithmetic_private",
	       wake_op_arithmetic(FUTEX_PRIVATE_FLAG));
	report("wake_op_arithmetic_shared", wake_op_arithmetic(0));
	report("wake_op_comparisons_with_a_waiter", wake_op_comparisons());
	report("wake_op_wake_counts_private",
	       wake_op_wake_counts(FUTEX_PRIVATE_FLAG));
	report("wake_op_wake_counts_shared", wake_op_wake_counts(0));
	report("wake_op_bad_requests", wake_op_bad_requests());
	report("requeue_moves_waiters", requeue_moves_waiters(FUTEX_REQUEUE));
	report("cmp_requeue_checks_then_moves",
	       requeue_moves_waiters(FUTEX_CMP_REQUEUE));
	report("pi_operations_are_enosys", pi_operations_are_enosys());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
