/* Wait queues (see keel/waitq.h for the locking pattern), and plain
 * sleeps, both with deadlines through the sleeping thread's own timer. */
#include <keel/arch.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/sched.h>
#include <keel/waitq.h>
#include "sched_internal.h"

void
waitq_init(struct waitq *wq, const char *name)
{
	spin_lock_init(&wq->lock, name);
	list_init(&wq->waiters);
}

int
waitq_wait_locked(struct waitq *wq, uint64_t deadline_ns)
{
	struct thread *t = thread_current();

	sched_assert_may_sleep(1);
	if (deadline_ns != WAIT_FOREVER && deadline_ns <= clock_monotonic_ns())
		return -ETIMEDOUT;
	t->wake_result = 0;
	t->waiting_on = wq;
	list_push_back(&wq->waiters, &t->wait_node);
	t->state = THREAD_BLOCKED;
	if (deadline_ns != WAIT_FOREVER && timer_arm(&t->wake_timer, deadline_ns)) {
		list_remove(&t->wait_node);
		t->state = THREAD_RUNNING;
		return -ENOMEM;
	}
	/* Interrupts stay off from here to the switch: the wake-up cannot
	 * slip in between unlocking and blocking unnoticed (see sched.c). */
	spin_unlock(&wq->lock);
	sched_block();
	spin_lock(&wq->lock);
	if (deadline_ns != WAIT_FOREVER)
		timer_cancel(&t->wake_timer);
	list_remove(&t->wait_node);
	t->waiting_on = NULL;
	return t->wake_result;
}

int
waitq_wake_one_locked(struct waitq *wq)
{
	struct list_node *n = list_pop_front(&wq->waiters);

	if (!n)
		return 0;
	sched_wakeup(list_entry(n, struct thread, wait_node));
	return 1;
}

int
waitq_wake_all_locked(struct waitq *wq)
{
	int woken = 0;

	while (waitq_wake_one_locked(wq))
		woken++;
	return woken;
}

int
waitq_wake_one(struct waitq *wq)
{
	unsigned long flags = waitq_lock(wq);
	int n = waitq_wake_one_locked(wq);

	waitq_unlock(wq, flags);
	return n;
}

int
waitq_wake_all(struct waitq *wq)
{
	unsigned long flags = waitq_lock(wq);
	int n = waitq_wake_all_locked(wq);

	waitq_unlock(wq, flags);
	return n;
}

void
sched_sleep_until(uint64_t deadline_ns)
{
	struct thread *t = thread_current();
	unsigned long flags;

	sched_assert_may_sleep(0);
	flags = arch_irq_save();
	if (deadline_ns > clock_monotonic_ns()) {
		t->waiting_on = NULL;
		t->state = THREAD_BLOCKED;
		if (timer_arm(&t->wake_timer, deadline_ns) == 0)
			sched_block();
		else
			t->state = THREAD_RUNNING;	/* no memory: don't sleep */
	}
	arch_irq_restore(flags);
}

void
sched_sleep_ns(uint64_t ns)
{
	sched_sleep_until(clock_monotonic_ns() + ns);
}
