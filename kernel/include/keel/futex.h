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

#endif
