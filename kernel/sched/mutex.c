/* Sleeping mutexes with an owner. Unlock hands the mutex straight to the
 * longest waiter, so no thread can barge in and starve the queue. */
#include <keel/errno.h>
#include <keel/panic.h>
#include <keel/sync.h>
#include <keel/thread.h>
#include "sched_internal.h"

void
mutex_init(struct mutex *m, const char *name)
{
	m->owner = NULL;
	m->name = name;
	waitq_init(&m->wq, name);
}

bool
mutex_held_by_me(const struct mutex *m)
{
	return READ_ONCE(m->owner) == thread_current();
}

int
mutex_lock_until(struct mutex *m, uint64_t deadline_ns)
{
	struct thread *me = thread_current();
	unsigned long flags;
	int err = 0;

	sched_assert_may_sleep(0);
	if (m->owner == me)
		panic("mutex %s: thread '%s' locks it twice",
		      m->name ? m->name : "?", me->name);
	lockdep_acquire(m, m->name);
	flags = waitq_lock(&m->wq);
	if (!m->owner)
		m->owner = me;
	/* On hand-off the unlocker makes us the owner before waking us. */
	while (m->owner != me && !err)
		err = waitq_wait_locked(&m->wq, deadline_ns);
	waitq_unlock(&m->wq, flags);
	if (err)
		lockdep_release(m);
	return err;
}

bool
mutex_trylock(struct mutex *m)
{
	unsigned long flags = waitq_lock(&m->wq);
	bool got = m->owner == NULL;

	if (got)
		m->owner = thread_current();
	waitq_unlock(&m->wq, flags);
	if (got)
		lockdep_acquire(m, m->name);
	return got;
}

void
mutex_unlock(struct mutex *m)
{
	unsigned long flags = waitq_lock(&m->wq);
	struct list_node *n;

	if (m->owner != thread_current())
		panic("mutex %s: unlocked by thread '%s', which does not own it",
		      m->name ? m->name : "?", thread_current()->name);
	n = m->wq.waiters.next;
	m->owner = n == &m->wq.waiters ? NULL :
		   list_entry(n, struct thread, wait_node);
	if (m->owner)
		waitq_wake_one_locked(&m->wq);
	waitq_unlock(&m->wq, flags);
	lockdep_release(m);
}
