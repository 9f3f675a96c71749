/* Condition variables over a mutex. The waiter queues itself (under the
 * condvar's lock) before releasing the mutex, so a signal sent after the
 * caller saw its condition false cannot be lost. */
#include <keel/sync.h>
#include <keel/thread.h>
#include "sched_internal.h"

void
condvar_init(struct condvar *cv)
{
	waitq_init(&cv->wq, "condvar");
}

int
condvar_wait_until(struct condvar *cv, struct mutex *m, uint64_t deadline_ns)
{
	unsigned long flags;
	int err;

	sched_assert_may_sleep(0);
	flags = waitq_lock(&cv->wq);
	mutex_unlock(m);
	err = waitq_wait_locked(&cv->wq, deadline_ns);
	waitq_unlock(&cv->wq, flags);
	mutex_lock(m);
	return err;
}

void
condvar_signal(struct condvar *cv)
{
	waitq_wake_one(&cv->wq);
}

void
condvar_broadcast(struct condvar *cv)
{
	waitq_wake_all(&cv->wq);
}
