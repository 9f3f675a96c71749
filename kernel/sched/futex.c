/* Futexes (see keel/futex.h). The value check and the queueing happen
 * under the bucket's lock, and wakers take the same lock, so a wake-up
 * between a thread's check and its sleep cannot be lost. */
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

int
futex_requeue(uint64_t from, uint64_t to, int nwake, int nmove, bool check,
	      uint32_t cmpval)
{
	struct waitq *a, *b, *first, *second;
	unsigned long flags;
	uint32_t now;
	int ret;

	if ((from & 3) || (to & 3) || nwake < 0 || nmove < 0)
		return -EINVAL;
	a = bucket_of(from);
	b = bucket_of(to);
	first = a < b ? a : b;		/* fixed order: no deadlock */
	second = a < b ? b : a;
	flags = waitq_lock(first);
	if (second != first)
		spin_lock(&second->lock);
	ret = check ? copy_from_user(&now, (const void __user *)from,
				     sizeof(now)) : 0;
	if (!ret && check && now != cmpval)
		ret = -EAGAIN;
	if (!ret)
		ret = bucket_wake(a, from, nwake, FUTEX_BITSET_ANY) +
		      bucket_move(a, b, from, to, nmove);
	if (second != first)
		spin_unlock(&second->lock);
	waitq_unlock(first, flags);
	return ret;
}
