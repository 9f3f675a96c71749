/* Readiness: the pollq/poll_watch registry every pollable object uses,
 * file_poll() that asks a file's object, and poll_files(), the wait that
 * poll, ppoll, select and pselect6 share. One global spinlock guards all
 * watch lists, so wake functions and watch removal never overlap. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/poll.h>
#include <keel/spinlock.h>
#include <keel/waitq.h>

/* Taken with no other spinlock held (interrupt handlers aside), so
 * the locks that wake functions take always nest inside it. */
static struct spinlock poll_lock = SPINLOCK_INIT_NAMED("poll watches");

/* A thread in poll_files(): its watches set @triggered and wake it. */
struct poll_waiter {
	struct waitq wq;	/* its lock guards @triggered */
	bool triggered;
};

void
pollq_init(struct pollq *pq)
{
	list_init(&pq->watches);
}

void
pollq_notify_locked(struct pollq *pq, uint32_t events)
{
	struct list_node *n, *next;

	/* A wake function may not touch other watches of @pq, but take
	 * the next one first in case it removes its own. */
	for (n = pq->watches.next; n != &pq->watches; n = next) {
		next = n->next;
		struct poll_watch *w = list_entry(n, struct poll_watch, node);

		w->fn(w, events);
	}
}

void
pollq_notify(struct pollq *pq, uint32_t events)
{
	unsigned long irq;

	/* Most objects have no watcher: skip the global lock. A watcher
	 * added just after this look asks the object's state under the
	 * object's lock, which the caller released after changing it, so
	 * it cannot miss the change. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (READ_ONCE(pq->watches.next) == &pq->watches)
		return;
	irq = spin_lock_irqsave(&poll_lock);

	pollq_notify_locked(pq, events);
	spin_unlock_irqrestore(&poll_lock, irq);
}

void
poll_watch_init(struct poll_watch *w, poll_wake_fn fn)
{
	list_init(&w->node);
	w->pq = NULL;
	w->fn = fn;
}

static void
poll_watch_add(struct poll_watch *w, struct pollq *pq)
{
	unsigned long irq = spin_lock_irqsave(&poll_lock);

	if (!w->pq) {
		w->pq = pq;
		list_push_back(&pq->watches, &w->node);
	}
	spin_unlock_irqrestore(&poll_lock, irq);
}

void
poll_watch_remove(struct poll_watch *w)
{
	unsigned long irq = spin_lock_irqsave(&poll_lock);

	list_remove(&w->node);
	w->pq = NULL;
	spin_unlock_irqrestore(&poll_lock, irq);
}

bool
file_pollable(const struct file *f)
{
	return f->vnode->dev && f->vnode->dev->poll;
}

uint32_t
file_poll(struct file *f, struct poll_watch *w)
{
	const struct vnode_dev_ops *ops = f->vnode->dev;
	struct pollq *pq = NULL;
	uint32_t mask;

	if (!ops || !ops->poll)
		return POLL_DEFAULT_MASK;
	mask = ops->poll(f->vnode, f->flags, &pq);
	if (!w || !pq)
		return mask;
	/* Registered first, asked again: a change between the two answers
	 * has already called the watch. */
	poll_watch_add(w, pq);
	return ops->poll(f->vnode, f->flags, &pq);
}

static void
poll_waiter_wake(struct poll_watch *w, uint32_t events)
{
	struct poll_entry *e = container_of(w, struct poll_entry, watch);
	struct poll_waiter *pw = e->waiter;
	unsigned long irq;

	if (events && !(events & e->events))
		return;		/* not what this entry waits for */
	irq = waitq_lock(&pw->wq);
	pw->triggered = true;
	waitq_wake_all_locked(&pw->wq);
	waitq_unlock(&pw->wq, irq);
}

/* Asks every entry (registering its watch when @pw is given); returns
 * how many have events. */
static long
poll_scan(struct poll_entry *e, size_t n, struct poll_waiter *pw)
{
	long ready = 0;

	for (size_t i = 0; i < n; i++) {
		if (!e[i].file)
			continue;
		if (pw)
			e[i].waiter = pw;
		e[i].revents = file_poll(e[i].file, pw ? &e[i].watch : NULL) &
			       e[i].events;
		ready += e[i].revents != 0;
	}
	return ready;
}

/* Sleeps until a watch fires (0) or the deadline passes (-ETIMEDOUT);
 * -ENOMEM if no timer could be armed for the deadline. */
static int
poll_sleep(struct poll_waiter *pw, uint64_t deadline_ns)
{
	unsigned long irq = waitq_lock(&pw->wq);
	int err = 0;

	while (!pw->triggered && !err)
		err = waitq_wait_locked(&pw->wq, deadline_ns);
	pw->triggered = false;
	waitq_unlock(&pw->wq, irq);
	return err;
}

long
poll_files(struct poll_entry *e, size_t n, uint64_t deadline_ns, bool nowait)
{
	struct poll_waiter pw = { .triggered = false };
	long ready;

	if (nowait)
		return poll_scan(e, n, NULL);
	waitq_init(&pw.wq, "poll waiter");
	for (size_t i = 0; i < n; i++)
		poll_watch_init(&e[i].watch, poll_waiter_wake);
	ready = poll_scan(e, n, &pw);
	/* Each pass either finds an entry ready or sleeps until a watch
	 * fires; the deadline ends it. */
	while (!ready) {
		int err = poll_sleep(&pw, deadline_ns);

		ready = poll_scan(e, n, NULL);
		if (err && !ready)
			ready = err == -ETIMEDOUT ? 0 : err;
		if (err)
			break;
	}
	for (size_t i = 0; i < n; i++)
		if (e[i].file)
			poll_watch_remove(&e[i].watch);
	return ready;
}
