/* Futexes (see keel/futex.h). The value check and the queueing happen
 * under the bucket's lock, and wakers take the same lock, so a wake-up
 * between a thread's check and its sleep cannot be lost. Two-word
 * operations (REQUEUE, WAKE_OP) hold both words' buckets. */
#include <keel/errno.h>
#include <keel/futex.h>
#include <keel/sched.h>
#include <keel/thread.h>
#include <keel/uaccess.h>
#include <keel/waitq.h>
#include "sched_internal.h"

#define FUTEX_BUCKETS	64

static struct waitq buckets[FUTEX_BUCKETS];
static bool buckets_ready;

static struct waitq *
bucket_of(uint64_t uaddr)
{
	uint64_t h = (uaddr >> 2) * 0x9e3779b97f4a7c15ULL;

	if (!READ_ONCE(buckets_ready)) {
		for (int i = 0; i < FUTEX_BUCKETS; i++)
			waitq_init(&buckets[i], "futex");
		WRITE_ONCE(buckets_ready, true);
	}
	return &buckets[h >> 58];
}

int
futex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline_ns, uint32_t bitset)
{
	struct waitq *wq;
	struct thread *t = thread_current();
	unsigned long flags;
	uint32_t now;
	int err;

	if ((uaddr & 3) || !bitset)
		return -EINVAL;
	wq = bucket_of(uaddr);
	flags = waitq_lock(wq);
	err = copy_from_user(&now, (const void __user *)uaddr, sizeof(now));
	if (!err && now != val)
		err = -EAGAIN;
	if (!err) {
		t->futex_addr = uaddr;
		t->futex_bitset = bitset;
		err = waitq_wait_locked(wq, deadline_ns);
		t->futex_addr = 0;
	}
	waitq_unlock(wq, flags);
	return err;
}

/* Wakes up to @n matching waiters of @wq; caller holds its lock. */
static int
bucket_wake(struct waitq *wq, uint64_t uaddr, int n, uint32_t bitset)
{
	struct list_node *node, *next;
	int woken = 0;

	for (node = wq->waiters.next; node != &wq->waiters && woken < n;
	     node = next) {
		struct thread *w = list_entry(node, struct thread, wait_node);

		next = node->next;
		if (w->futex_addr != uaddr || !(w->futex_bitset & bitset))
			continue;
		list_remove(node);
		sched_wakeup(w);
		woken++;
	}
	return woken;
}

int
futex_wake(uint64_t uaddr, int n, uint32_t bitset)
{
	struct waitq *wq;
	unsigned long flags;
	int woken;

	if ((uaddr & 3) || !bitset)
		return -EINVAL;
	wq = bucket_of(uaddr);
	flags = waitq_lock(wq);
	woken = bucket_wake(wq, uaddr, n, bitset);
	waitq_unlock(wq, flags);
	return woken;
}

/* Moves up to @n waiters on @from to @to; both buckets locked. */
static int
bucket_move(struct waitq *src, struct waitq *dst, uint64_t from, uint64_t to,
	    int n)
{
	struct list_node *node, *next;
	int moved = 0;

	for (node = src->waiters.next; node != &src->waiters && moved < n;
	     node = next) {
		struct thread *w = list_entry(node, struct thread, wait_node);

		next = node->next;
		if (w->futex_addr != from)
			continue;
		list_remove(node);
		w->futex_addr = to;
		w->waiting_on = dst;
		list_push_back(&dst->waiters, node);
		moved++;
	}
	return moved;
}

/* Locks the buckets of two words in a fixed order (no deadlock between
 * two callers naming them the other way round); the same bucket once. */
static unsigned long
buckets_lock_pair(struct waitq *a, struct waitq *b)
{
	unsigned long flags = waitq_lock(a < b ? a : b);

	if (a != b)
		spin_lock(&(a < b ? b : a)->lock);
	return flags;
}

static void
buckets_unlock_pair(struct waitq *a, struct waitq *b, unsigned long flags)
{
	if (a != b)
		spin_unlock(&(a < b ? b : a)->lock);
	waitq_unlock(a < b ? a : b, flags);
}

int
futex_requeue(uint64_t from, uint64_t to, int nwake, int nmove, bool check,
	      uint32_t cmpval)
{
	struct waitq *a, *b;
	unsigned long flags;
	uint32_t now;
	int ret;

	if ((from & 3) || (to & 3) || nwake < 0 || nmove < 0)
		return -EINVAL;
	a = bucket_of(from);
	b = bucket_of(to);
	flags = buckets_lock_pair(a, b);
	ret = check ? copy_from_user(&now, (const void __user *)from,
				     sizeof(now)) : 0;
	if (!ret && check && now != cmpval)
		ret = -EAGAIN;
	if (!ret)
		ret = bucket_wake(a, from, nwake, FUTEX_BITSET_ANY) +
		      bucket_move(a, b, from, to, nmove);
	buckets_unlock_pair(a, b, flags);
	return ret;
}

static uint32_t
futex_op_apply(const struct futex_op *op, uint32_t old)
{
	switch (op->kind) {
	case FUTEX_OP_KIND_SET:  return op->arg;
	case FUTEX_OP_KIND_ADD:  return old + op->arg;
	case FUTEX_OP_KIND_OR:   return old | op->arg;
	case FUTEX_OP_KIND_ANDN: return old & ~op->arg;
	case FUTEX_OP_KIND_XOR:  return old ^ op->arg;
	}
	return old;
}

static bool
futex_op_compare(const struct futex_op *op, int32_t old)
{
	switch (op->cmp) {
	case FUTEX_OP_CMP_KIND_EQ: return old == op->cmparg;
	case FUTEX_OP_CMP_KIND_NE: return old != op->cmparg;
	case FUTEX_OP_CMP_KIND_LT: return old < op->cmparg;
	case FUTEX_OP_CMP_KIND_LE: return old <= op->cmparg;
	case FUTEX_OP_CMP_KIND_GT: return old > op->cmparg;
	case FUTEX_OP_CMP_KIND_GE: return old >= op->cmparg;
	}
	return false;
}

/* *uaddr = op(*uaddr) as one atomic step, retried while another CPU (or
 * the application) changes the word between our read and our swap.
 * Returns 0 with the old value in *@old, or -EFAULT/-EINVAL. */
static int
futex_op_update(uint64_t uaddr, const struct futex_op *op, uint32_t *old)
{
	uint32_t __user *word = (uint32_t __user *)uaddr;
	uint32_t seen;
	int err;

	if (copy_from_user(&seen, word, sizeof(seen)))
		return -EFAULT;
	do {
		*old = seen;
		err = user_cmpxchg_u32(word, &seen, futex_op_apply(op, seen));
	} while (err == -EAGAIN);
	return err;
}

int
futex_wake_op(uint64_t uaddr1, uint64_t uaddr2, int nwake, int nwake2,
	      const struct futex_op *op)
{
	struct waitq *a, *b;
	unsigned long flags;
	uint32_t old;
	int ret;

	if ((uaddr1 & 3) || (uaddr2 & 3))
		return -EINVAL;
	a = bucket_of(uaddr1);
	b = bucket_of(uaddr2);
	flags = buckets_lock_pair(a, b);
	ret = futex_op_update(uaddr2, op, &old);
	if (!ret) {
		ret = bucket_wake(a, uaddr1, MAX(nwake, 0), FUTEX_BITSET_ANY);
		if (futex_op_compare(op, (int32_t)old))
			ret += bucket_wake(b, uaddr2, MAX(nwake2, 0),
					   FUTEX_BITSET_ANY);
	}
	buckets_unlock_pair(a, b, flags);
	return ret;
}
