/* Counting semaphores: down sleeps while the count is zero; up wakes one
 * sleeper, which takes the unit it was given. */
#include <keel/sync.h>
#include "sched_internal.h"

void
semaphore_init(struct semaphore *s, long count)
{
	s->count = count;
	waitq_init(&s->wq, "semaphore");
}

int
semaphore_down_until(struct semaphore *s, uint64_t deadline_ns)
{
	unsigned long flags;
	int err = 0;

	sched_assert_may_sleep(0);
	flags = waitq_lock(&s->wq);
	while (s->count == 0 && !err)
		err = waitq_wait_locked(&s->wq, deadline_ns);
	if (!err)
		s->count--;
	waitq_unlock(&s->wq, flags);
	return err;
}

bool
semaphore_trydown(struct semaphore *s)
{
	unsigned long flags = waitq_lock(&s->wq);
	bool got = s->count > 0;

	if (got)
		s->count--;
	waitq_unlock(&s->wq, flags);
	return got;
}

void
semaphore_up(struct semaphore *s)
{
	unsigned long flags = waitq_lock(&s->wq);

	s->count++;
	waitq_wake_one_locked(&s->wq);
	waitq_unlock(&s->wq, flags);
}
