/* epoll: an interest set of (file, descriptor) items, each with a watch
 * on its file's pollq that queues it on the set's ready list; epoll_wait
 * re-asks each queued file (level-triggered items go back on the list
 * while still ready, EPOLLET ones wait for the next change, EPOLLONESHOT
 * ones are disabled until EPOLL_CTL_MOD). Sits on poll.c and file.c. */
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/poll.h>
#include <keel/sync.h>
#include "fs_internal.h"

#define EPOLL_BUCKETS	64	/* interest-list hash, by descriptor */
#define EPOLL_MAX_NESTS	4	/* epoll-in-epoll depth, as Linux's */
#define EPOLL_CONTROL	(EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET)
#define EPOLL_READABLE	(EPOLLIN | EPOLLRDNORM)

struct eventpoll {
	struct mutex mtx;	/* ctl, a wait's scan, release: items stay */
	struct waitq wq;	/* epoll_wait sleepers; the lock guards
				 * ready and every item's on_ready */
	struct pollq pq;	/* watchers of this epoll (poll, nesting) */
	struct list_node buckets[EPOLL_BUCKETS];	/* struct epitem */
	struct list_node ready;	/* struct epitem.ready_node */
};

struct epitem {
	struct list_node hash_node;	/* in ep->buckets */
	struct list_node ready_node;	/* on ep->ready or a scan's list */
	struct list_node file_node;	/* on file->epoll_items */
	struct eventpoll *ep;
	struct file *file;		/* not referenced: closing it removes
					 * the item (epoll_file_release) */
	int fd;
	uint32_t events;	/* asked for, with POLL_ALWAYS_MASK and
				 * control bits; a fired ONESHOT keeps
				 * only the control bits */
	uint64_t data;		/* returned verbatim */
	bool on_ready;
	struct poll_watch watch;
};

/* Guards every file's epoll_items list and the shape of nested sets;
 * taken before any set's mtx. Static, so no boot step is needed. */
static struct mutex epoll_mtx = {
	.owner = NULL,
	.wq = { SPINLOCK_INIT_NAMED("epoll"), LIST_INIT(epoll_mtx.wq.waiters) },
	.name = "epoll",
};

static const struct vnode_dev_ops epoll_ops;

static struct eventpoll *
epoll_of(const struct file *f)
{
	return f->vnode->dev == &epoll_ops ? (struct eventpoll *)f->vnode->data
					   : NULL;
}

bool
file_is_epoll(const struct file *f)
{
	return epoll_of(f) != NULL;
}

/* Queues @it as ready (if not already) and wakes the set's waiters.
 * Returns with no lock held. */
static void
epitem_queue(struct epitem *it)
{
	struct eventpoll *ep = it->ep;
	unsigned long irq = waitq_lock(&ep->wq);

	if (!it->on_ready) {
		list_push_back(&ep->ready, &it->ready_node);
		it->on_ready = true;
	}
	waitq_wake_all_locked(&ep->wq);
	waitq_unlock(&ep->wq, irq);
}

/* The item's file changed: queue it unless disabled or not interested. */
static void
epitem_wake(struct poll_watch *w, uint32_t hint)
{
	struct epitem *it = container_of(w, struct epitem, watch);
	uint32_t ev = READ_ONCE(it->events);

	if (!(ev & ~EPOLL_CONTROL) || (hint && !(hint & ev)))
		return;
	epitem_queue(it);
	pollq_notify_locked(&it->ep->pq, EPOLL_READABLE);
}

/* After ADD or MOD: queue the item now if its file is already ready. */
static void
epitem_check(struct epitem *it, uint32_t mask)
{
	if (!(mask & it->events & ~EPOLL_CONTROL))
		return;
	epitem_queue(it);
	pollq_notify(&it->ep->pq, EPOLL_READABLE);
}

static struct list_node *
epoll_bucket(struct eventpoll *ep, int fd)
{
	return &ep->buckets[(unsigned)fd % EPOLL_BUCKETS];
}

static struct epitem *
epoll_find(struct eventpoll *ep, struct file *f, int fd)
{
	struct list_node *head = epoll_bucket(ep, fd), *n;

	list_for_each(n, head) {
		struct epitem *it = list_entry(n, struct epitem, hash_node);

		if (it->file == f && it->fd == fd)
			return it;
	}
	return NULL;
}

/* Unhooks and frees @it. Caller holds epoll_mtx and ep->mtx. */
static void
epitem_free(struct epitem *it)
{
	struct eventpoll *ep = it->ep;
	unsigned long irq;

	poll_watch_remove(&it->watch);
	list_remove(&it->hash_node);
	list_remove(&it->file_node);
	irq = waitq_lock(&ep->wq);
	if (it->on_ready)
		list_remove(&it->ready_node);
	waitq_unlock(&ep->wq, irq);
	kfree(it);
}

/* True if @to is reachable from @from through nested sets, or the
 * nesting is deeper than Linux allows: adding would make a loop. */
static bool
epoll_reaches(struct eventpoll *from, struct eventpoll *to, int depth)
{
	if (from == to || depth >= EPOLL_MAX_NESTS)
		return true;
	for (int b = 0; b < EPOLL_BUCKETS; b++) {
		struct list_node *n;

		list_for_each(n, &from->buckets[b]) {
			struct epitem *it = list_entry(n, struct epitem,
						       hash_node);
			struct eventpoll *sub = epoll_of(it->file);

			if (sub && epoll_reaches(sub, to, depth + 1))
				return true;
		}
	}
	return false;
}

static int
epoll_insert(struct eventpoll *ep, int fd, struct file *target,
	     const struct epoll_event_k *ev)
{
	struct eventpoll *sub = epoll_of(target);
	struct epitem *it;

	if (sub && epoll_reaches(sub, ep, 1))
		return -ELOOP;
	it = kzalloc(sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->ep = ep;
	it->file = target;
	it->fd = fd;
	it->events = ev->events | POLL_ALWAYS_MASK;
	it->data = ev->data;
	list_init(&it->ready_node);
	poll_watch_init(&it->watch, epitem_wake);
	list_push_back(epoll_bucket(ep, fd), &it->hash_node);
	list_push_back(&target->epoll_items, &it->file_node);
	epitem_check(it, file_poll(target, &it->watch));
	return 0;
}

static int
epoll_modify(struct epitem *it, const struct epoll_event_k *ev)
{
	WRITE_ONCE(it->events, ev->events | POLL_ALWAYS_MASK);
	it->data = ev->data;
	epitem_check(it, file_poll(it->file, NULL));
	return 0;
}

static int
epoll_ctl_locked(struct eventpoll *ep, int op, int fd, struct file *target,
		 const struct epoll_event_k *ev)
{
	struct epitem *it = epoll_find(ep, target, fd);

	switch (op) {
	case EPOLL_CTL_ADD:
		return it ? -EEXIST : epoll_insert(ep, fd, target, ev);
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		/* Linux: exclusive wake-ups are fixed at ADD. */
		if ((ev->events | it->events) & EPOLLEXCLUSIVE)
			return -EINVAL;
		return epoll_modify(it, ev);
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		epitem_free(it);
		return 0;
	}
	return -EINVAL;
}

int
epoll_ctl_file(struct file *epf, int op, int fd, struct file *target,
	       const struct epoll_event_k *ev)
{
	struct eventpoll *ep = epoll_of(epf);
	int err;

	/* Linux's order of checks: pollable target, then the set. */
	if (!file_pollable(target))
		return -EPERM;
	if (!ep || target == epf)
		return -EINVAL;
	if (op == EPOLL_CTL_ADD && (ev->events & EPOLLEXCLUSIVE) &&
	    ((ev->events & EPOLLONESHOT) || epoll_of(target)))
		return -EINVAL;
	mutex_lock(&epoll_mtx);
	mutex_lock(&ep->mtx);
	err = epoll_ctl_locked(ep, op, fd, target, ev);
	mutex_unlock(&ep->mtx);
	mutex_unlock(&epoll_mtx);
	return err;
}

/* Moves every node of @from to the back of @to. Caller holds ep->wq.lock. */
static void
epoll_move_all(struct list_node *to, struct list_node *from)
{
	struct list_node *n;

	while ((n = list_pop_front(from)) != NULL)
		list_push_back(to, n);
}

/* Takes the next item of a scan off @tx; NULL when none is left. */
static struct epitem *
epoll_scan_next(struct eventpoll *ep, struct list_node *tx)
{
	unsigned long irq = waitq_lock(&ep->wq);
	struct list_node *n = list_pop_front(tx);
	struct epitem *it = n ? list_entry(n, struct epitem, ready_node) : NULL;

	if (it)
		it->on_ready = false;	/* its watch may queue it again */
	waitq_unlock(&ep->wq, irq);
	return it;
}

/* Reports @it if its file is ready now; re-queues a level-triggered
 * item, disables a one-shot one. Returns whether it was reported. */
static bool
epoll_report(struct epitem *it, struct epoll_event_k *out)
{
	uint32_t ev = it->events;
	uint32_t mask = file_poll(it->file, NULL) & ev & ~EPOLL_CONTROL;

	if (!mask)
		return false;
	out->events = mask;
	out->data = it->data;
	if (ev & EPOLLONESHOT)
		WRITE_ONCE(it->events, ev & EPOLL_CONTROL);
	else if (!(ev & EPOLLET))
		epitem_queue(it);
	return true;
}

/* One pass over the ready list. Items reported and re-queued go behind
 * those not reached, so every ready file gets its turn. Caller holds
 * ep->mtx: no item can go away meanwhile. */
static long
epoll_scan(struct eventpoll *ep, struct epoll_event_k *out, int max)
{
	struct list_node tx;
	struct epitem *it;
	unsigned long irq;
	long n = 0;

	list_init(&tx);
	irq = waitq_lock(&ep->wq);
	/* Still on_ready while on tx: their watches leave them alone. */
	epoll_move_all(&tx, &ep->ready);
	waitq_unlock(&ep->wq, irq);
	while (n < max && (it = epoll_scan_next(ep, &tx)) != NULL)
		n += epoll_report(it, &out[n]);
	irq = waitq_lock(&ep->wq);
	epoll_move_all(&tx, &ep->ready);	/* after the unreached ones */
	epoll_move_all(&ep->ready, &tx);
	waitq_unlock(&ep->wq, irq);
	return n;
}

long
epoll_wait_file(struct file *epf, struct epoll_event_k *out, int max,
		uint64_t deadline_ns, bool nowait)
{
	struct eventpoll *ep = epoll_of(epf);
	unsigned long irq;
	long n;
	int err = 0;

	/* Each pass reports something, or sleeps until an item is queued
	 * or the deadline passes. */
	for (;;) {
		mutex_lock(&ep->mtx);
		n = epoll_scan(ep, out, max);
		mutex_unlock(&ep->mtx);
		if (n || nowait || err == -ETIMEDOUT)
			return n;
		if (err)
			return err;	/* no timer for the deadline */
		irq = waitq_lock(&ep->wq);
		while (list_empty(&ep->ready) && !err)
			err = waitq_wait_locked(&ep->wq, deadline_ns);
		waitq_unlock(&ep->wq, irq);
	}
}

/* An epoll file is readable while something is queued on it. (Queued
 * level-triggered items are re-asked only by a wait, so this can be
 * early; a nested wait then finds nothing and sleeps again.) */
static uint32_t
epoll_poll(struct vnode *v, int flags, struct pollq **pq)
{
	struct eventpoll *ep = (struct eventpoll *)v->data;
	unsigned long irq = waitq_lock(&ep->wq);
	uint32_t mask = list_empty(&ep->ready) ? 0 : EPOLL_READABLE;

	(void)flags;
	waitq_unlock(&ep->wq, irq);
	*pq = &ep->pq;
	return mask;
}

static void
epoll_release(struct vnode *v, int flags)
{
	struct eventpoll *ep = (struct eventpoll *)v->data;

	(void)flags;
	mutex_lock(&epoll_mtx);
	mutex_lock(&ep->mtx);
	for (int b = 0; b < EPOLL_BUCKETS; b++) {
		struct list_node *n;

		while ((n = ep->buckets[b].next) != &ep->buckets[b])
			epitem_free(list_entry(n, struct epitem, hash_node));
	}
	mutex_unlock(&ep->mtx);
	mutex_unlock(&epoll_mtx);
	kfree(ep);
	kfree(v);
}

void
epoll_file_release(struct file *f)
{
	struct list_node *n;

	mutex_lock(&epoll_mtx);
	while ((n = f->epoll_items.next) != &f->epoll_items) {
		struct epitem *it = list_entry(n, struct epitem, file_node);
		struct eventpoll *ep = it->ep;

		mutex_lock(&ep->mtx);
		epitem_free(it);
		mutex_unlock(&ep->mtx);
	}
	mutex_unlock(&epoll_mtx);
}

static const struct vnode_dev_ops epoll_ops = {
	.release = epoll_release,
	.poll = epoll_poll,
};

struct file *
epoll_create_file(int oflags)
{
	struct vnode *v = vnode_new(EVENT_FILE_MODE);
	struct eventpoll *ep = kzalloc(sizeof(*ep));
	struct file *f;

	if (!v || !ep)
		goto nomem;
	mutex_init(&ep->mtx, "epoll set");
	waitq_init(&ep->wq, "epoll wait");
	pollq_init(&ep->pq);
	list_init(&ep->ready);
	for (int b = 0; b < EPOLL_BUCKETS; b++)
		list_init(&ep->buckets[b]);
	v->data = (uint8_t *)ep;
	v->dev = &epoll_ops;
	f = file_new(v, O_RDWR | oflags);
	if (f)
		return f;
nomem:
	kfree(ep);
	kfree(v);
	return ERR_PTR(-ENOMEM);
}
