/* Wait queues: threads sleep on one until woken or until a deadline. The
 * queue's own spinlock protects the condition slept on, so checking it and
 * going to sleep cannot miss a wake-up:
 *
 *	flags = waitq_lock(wq);
 *	while (!condition && !err)
 *		err = waitq_wait_locked(wq, deadline);
 *	waitq_unlock(wq, flags);
 */
#ifndef KEEL_WAITQ_H
#define KEEL_WAITQ_H

#include <keel/list.h>
#include <keel/spinlock.h>

#define WAIT_FOREVER	0	/* a deadline of 0 never expires */

struct waitq {
	struct spinlock lock;
	struct list_node waiters;	/* struct thread.wait_node, FIFO */
};

void
waitq_init(struct waitq *wq, const char *name);

static inline unsigned long
waitq_lock(struct waitq *wq)
{
	return spin_lock_irqsave(&wq->lock);
}

static inline void
waitq_unlock(struct waitq *wq, unsigned long flags)
{
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* Sleeps until woken or monotonic time @deadline_ns (WAIT_FOREVER: none).
 * Caller holds wq->lock and no other spinlock; it is dropped while asleep
 * and held again on return. Returns 0 if woken, -ETIMEDOUT. */
int
waitq_wait_locked(struct waitq *wq, uint64_t deadline_ns);

/* Wake the first waiter / every waiter; return how many. Caller holds
 * wq->lock. Any context. */
int
waitq_wake_one_locked(struct waitq *wq);
int
waitq_wake_all_locked(struct waitq *wq);

/* The same, taking the lock. */
int
waitq_wake_one(struct waitq *wq);
int
waitq_wake_all(struct waitq *wq);

#endif
