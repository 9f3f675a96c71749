/* eventfd: a 64-bit counter as a file. A write adds to it (waiting, or
 * -EAGAIN, while the sum would pass UINT64_MAX - 1); a read takes it all,
 * or one with EFD_SEMAPHORE (waiting, or -EAGAIN, while it is 0). Both
 * move exactly 8 bytes. Readiness goes out through a pollq. */
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/poll.h>
#include <keel/string.h>
#include <keel/waitq.h>
#include "fs_internal.h"

#define EVENTFD_MAX	(UINT64_MAX - 1)	/* the largest count held */

struct eventfd {
	struct waitq wq;	/* readers and writers; guards count */
	struct pollq pq;
	uint64_t count;
	bool semaphore;
};

static struct eventfd *
eventfd_of(struct vnode *v)
{
	return (struct eventfd *)v->data;
}

/* Sleeps (or answers -EAGAIN) until @ready() holds. Caller holds the
 * lock, which is held again on return. */
typedef bool (*eventfd_cond)(struct eventfd *e, uint64_t arg);

static int
eventfd_wait_locked(struct eventfd *e, eventfd_cond ready, uint64_t arg,
		    uint64_t flags)
{
	int err = 0;

	while (!ready(e, arg) && !err) {
		if (flags & O_NONBLOCK)
			err = -EAGAIN;
		else
			err = waitq_wait_locked(&e->wq, WAIT_FOREVER);
	}
	return err;
}

static bool
eventfd_has_count(struct eventfd *e, uint64_t unused)
{
	(void)unused;
	return e->count > 0;
}

static bool
eventfd_has_room(struct eventfd *e, uint64_t add)
{
	return EVENTFD_MAX - e->count >= add;
}

static long
eventfd_read(struct vnode *v, char *kbuf, size_t len, uint64_t flags)
{
	struct eventfd *e = eventfd_of(v);
	unsigned long irq;
	uint64_t val = 0;
	int err;

	if (len < sizeof(val))
		return -EINVAL;
	irq = waitq_lock(&e->wq);
	err = eventfd_wait_locked(e, eventfd_has_count, 0, flags);
	if (!err) {
		val = e->semaphore ? 1 : e->count;
		e->count -= val;
		waitq_wake_all_locked(&e->wq);
	}
	waitq_unlock(&e->wq, irq);
	if (err)
		return err;
	pollq_notify(&e->pq, EPOLLOUT | EPOLLWRNORM);
	memcpy(kbuf, &val, sizeof(val));
	return sizeof(val);
}

static long
eventfd_write(struct vnode *v, const char *kbuf, size_t len, uint64_t flags)
{
	struct eventfd *e = eventfd_of(v);
	unsigned long irq;
	uint64_t val;
	int err;

	if (len < sizeof(val))
		return -EINVAL;
	memcpy(&val, kbuf, sizeof(val));
	if (val == UINT64_MAX)
		return -EINVAL;
	irq = waitq_lock(&e->wq);
	err = eventfd_wait_locked(e, eventfd_has_room, val, flags);
	if (!err) {
		e->count += val;
		waitq_wake_all_locked(&e->wq);
	}
	waitq_unlock(&e->wq, irq);
	if (err)
		return err;
	if (val)
		pollq_notify(&e->pq, EPOLLIN | EPOLLRDNORM);
	return sizeof(val);
}

/* Readable with a count, writable while 1 more fits (as Linux). */
static uint32_t
eventfd_poll(struct vnode *v, int flags, struct pollq **pq)
{
	struct eventfd *e = eventfd_of(v);
	unsigned long irq = waitq_lock(&e->wq);
	uint32_t mask = 0;

	(void)flags;
	if (e->count > 0)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (e->count < EVENTFD_MAX)
		mask |= EPOLLOUT | EPOLLWRNORM;
	waitq_unlock(&e->wq, irq);
	*pq = &e->pq;
	return mask;
}

static void
eventfd_release(struct vnode *v, int flags)
{
	(void)flags;
	kfree(eventfd_of(v));
	kfree(v);
}

static const struct vnode_dev_ops eventfd_ops = {
	.read = eventfd_read,
	.write = eventfd_write,
	.release = eventfd_release,
	.poll = eventfd_poll,
};

struct file *
eventfd_create_file(uint64_t initval, bool semaphore, int oflags)
{
	struct vnode *v = vnode_new(EVENT_FILE_MODE);
	struct eventfd *e = kzalloc(sizeof(*e));
	struct file *f;

	if (!v || !e)
		goto nomem;
	waitq_init(&e->wq, "eventfd");
	pollq_init(&e->pq);
	e->count = initval;
	e->semaphore = semaphore;
	v->data = (uint8_t *)e;
	v->dev = &eventfd_ops;
	f = file_new(v, O_RDWR | oflags);
	if (f)
		return f;
nomem:
	kfree(e);
	kfree(v);
	return ERR_PTR(-ENOMEM);
}
