/* timerfd: expirations of a one-shot or periodic timer, read as a count.
 * Expirations are computed from the clock when asked (so none is lost or
 * invented), and a kernel timer at the next expiry wakes readers and
 * poll/epoll watchers. The realtime clock is the monotonic one plus a
 * fixed offset (it is never set), so every deadline is kept monotonic. */
#include <keel/clock.h>
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/poll.h>
#include <keel/string.h>
#include <keel/timer.h>
#include <keel/waitq.h>
#include "fs_internal.h"

#define CLOCK_REALTIME		0
#define TIMERFD_READABLE	(EPOLLIN | EPOLLRDNORM)
#define DISARMED		0	/* next_ns of a timer that is off */

struct timerfd {
	struct waitq wq;	/* readers; the lock guards all below */
	struct pollq pq;
	struct timer timer;	/* due at next_ns, to wake and notify */
	int clock;
	uint64_t next_ns;	/* monotonic time of the next expiry */
	uint64_t interval_ns;	/* 0: one-shot */
	uint64_t ticks;		/* expirations not read yet */
	/* The open file, a pending timer and a running timer function
	 * each hold one: the function may outlive close on another CPU. */
	int refs;
	bool closed;
};

static const struct vnode_dev_ops timerfd_ops;

static struct timerfd *
timerfd_of(struct vnode *v)
{
	return (struct timerfd *)v->data;
}

bool
file_is_timerfd(const struct file *f)
{
	return f->vnode->dev == &timerfd_ops;
}

/* Counts the expirations up to @now and moves next_ns past it. */
static void
timerfd_advance_locked(struct timerfd *t, uint64_t now)
{
	uint64_t n;

	if (t->next_ns == DISARMED || now < t->next_ns)
		return;
	if (!t->interval_ns) {
		t->ticks++;
		t->next_ns = DISARMED;
		return;
	}
	n = (now - t->next_ns) / t->interval_ns + 1;
	t->ticks += n;
	t->next_ns += n * t->interval_ns;
}

/* Points the kernel timer at next_ns (or stops it), keeping refs. */
static int
timerfd_arm_locked(struct timerfd *t)
{
	if (timer_cancel(&t->timer))
		t->refs--;
	if (t->next_ns == DISARMED || t->closed)
		return 0;
	if (timer_arm(&t->timer, t->next_ns))
		return -ENOMEM;
	t->refs++;
	return 0;
}

/* Drops a reference; the last one frees. */
static void
timerfd_put(struct timerfd *t)
{
	unsigned long irq = waitq_lock(&t->wq);
	bool last = --t->refs == 0;

	waitq_unlock(&t->wq, irq);
	if (last)
		kfree(t);
}

/* The kernel timer, in interrupt context: count, wake, re-arm for the
 * next period, notify; then drop the reference its arming took. */
static void
timerfd_fire(struct timer *tm, void *arg)
{
	struct timerfd *t = arg;
	unsigned long irq = waitq_lock(&t->wq);
	bool closed = t->closed, expired;

	(void)tm;
	timerfd_advance_locked(t, clock_monotonic_ns());
	expired = t->ticks > 0;
	if (expired)
		waitq_wake_all_locked(&t->wq);
	if (!closed)
		(void)timerfd_arm_locked(t);	/* no memory: readers still
						 * see expiries when they ask */
	waitq_unlock(&t->wq, irq);
	if (expired && !closed)
		pollq_notify(&t->pq, TIMERFD_READABLE);
	timerfd_put(t);
}

static long
timerfd_read(struct vnode *v, char *kbuf, size_t len, uint64_t flags)
{
	struct timerfd *t = timerfd_of(v);
	unsigned long irq;
	uint64_t val;
	int err = 0;

	if (len < sizeof(val))
		return -EINVAL;
	irq = waitq_lock(&t->wq);
	/* Each pass finds expirations or sleeps to the next one (or until
	 * settime, which wakes readers). */
	for (;;) {
		timerfd_advance_locked(t, clock_monotonic_ns());
		if (t->ticks || (err && err != -ETIMEDOUT))
			break;
		if (flags & O_NONBLOCK) {
			err = -EAGAIN;
			break;
		}
		err = waitq_wait_locked(&t->wq, t->next_ns == DISARMED ?
					WAIT_FOREVER : t->next_ns);
	}
	val = t->ticks;
	t->ticks = 0;
	waitq_unlock(&t->wq, irq);
	if (!val)
		return err;
	memcpy(kbuf, &val, sizeof(val));
	return sizeof(val);
}

static uint32_t
timerfd_poll(struct vnode *v, int flags, struct pollq **pq)
{
	struct timerfd *t = timerfd_of(v);
	unsigned long irq = waitq_lock(&t->wq);
	uint32_t mask;

	(void)flags;
	timerfd_advance_locked(t, clock_monotonic_ns());
	mask = t->ticks ? TIMERFD_READABLE : 0;
	waitq_unlock(&t->wq, irq);
	*pq = &t->pq;
	return mask;
}

static void
timerfd_release(struct vnode *v, int flags)
{
	struct timerfd *t = timerfd_of(v);
	unsigned long irq = waitq_lock(&t->wq);

	(void)flags;
	t->closed = true;
	t->next_ns = DISARMED;
	(void)timerfd_arm_locked(t);	/* cancels */
	waitq_unlock(&t->wq, irq);
	kfree(v);
	timerfd_put(t);		/* the file's reference */
}

static const struct vnode_dev_ops timerfd_ops = {
	.read = timerfd_read,
	.release = timerfd_release,
	.poll = timerfd_poll,
};

/* The setting as the calls report it: time left, and the period. */
static void
timerfd_get_locked(struct timerfd *t, uint64_t now, struct timerfd_spec *cur)
{
	cur->value_ns = t->next_ns == DISARMED ? 0 : t->next_ns - now;
	cur->interval_ns = t->interval_ns;
}

/* A first expiry as a monotonic deadline (never DISARMED: a time already
 * past is due at once). */
static uint64_t
timerfd_deadline(const struct timerfd *t, int flags, uint64_t value,
		 uint64_t now)
{
	uint64_t offset = 0;

	if (!(flags & TIMERFD_ABSTIME))
		return now + value;
	if (t->clock == CLOCK_REALTIME)
		offset = clock_realtime_ns() - clock_monotonic_ns();
	return value > offset ? value - offset : 1;
}

int
timerfd_settime_file(struct file *f, int flags,
		     const struct timerfd_spec *spec, struct timerfd_spec *old)
{
	struct timerfd *t = timerfd_of(f->vnode);
	uint64_t now = clock_monotonic_ns();
	unsigned long irq = waitq_lock(&t->wq);
	int err;

	timerfd_advance_locked(t, now);
	if (old)
		timerfd_get_locked(t, now, old);
	t->ticks = 0;
	t->interval_ns = spec->interval_ns;
	t->next_ns = spec->value_ns ? timerfd_deadline(t, flags, spec->value_ns,
						       now)
				    : DISARMED;
	err = timerfd_arm_locked(t);
	waitq_wake_all_locked(&t->wq);	/* readers take the new deadline */
	waitq_unlock(&t->wq, irq);
	return err;
}

void
timerfd_gettime_file(struct file *f, struct timerfd_spec *cur)
{
	struct timerfd *t = timerfd_of(f->vnode);
	uint64_t now = clock_monotonic_ns();
	unsigned long irq = waitq_lock(&t->wq);

	timerfd_advance_locked(t, now);
	timerfd_get_locked(t, now, cur);
	waitq_unlock(&t->wq, irq);
}

struct file *
timerfd_create_file(int clock, int oflags)
{
	struct vnode *v = vnode_new(EVENT_FILE_MODE);
	struct timerfd *t = kzalloc(sizeof(*t));
	struct file *f;

	if (!v || !t)
		goto nomem;
	waitq_init(&t->wq, "timerfd");
	pollq_init(&t->pq);
	timer_init(&t->timer, timerfd_fire, t);
	t->clock = clock;
	t->refs = 1;
	v->data = (uint8_t *)t;
	v->dev = &timerfd_ops;
	f = file_new(v, O_RDWR | oflags);
	if (f)
		return f;
nomem:
	kfree(t);
	kfree(v);
	return ERR_PTR(-ENOMEM);
}
