/* Pipes: a 64 KiB ring between a read end and a write end (two open files
 * on one vnode). Reads wait while it is empty and a writer remains, writes
 * while it is full and a reader remains; O_NONBLOCK answers -EAGAIN
 * instead. A write of up to PIPE_BUF bytes goes in whole or waits. Writing
 * with no reader left is -EPIPE (the system-call layer turns that into
 * SIGPIPE's action). Readiness for poll/epoll goes out through a pollq. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/poll.h>
#include <keel/string.h>
#include <keel/waitq.h>
#include "fs_internal.h"

#define PIPE_SIZE	(64 * 1024)
#define PIPE_BUF	4096	/* POSIX: writes this small are atomic */
#define PIPE_READABLE	(EPOLLIN | EPOLLRDNORM)
#define PIPE_WRITABLE	(EPOLLOUT | EPOLLWRNORM)

struct pipe {
	struct waitq wq;	/* its lock guards everything below */
	struct pollq pq;	/* poll/epoll watchers of both ends */
	uint8_t *buf;
	size_t head, len;	/* ring: next byte to read, bytes held */
	int readers, writers;
};

static struct pipe *
pipe_of(struct vnode *v)
{
	return (struct pipe *)v->data;
}

static long
pipe_read(struct vnode *v, char *kbuf, size_t len, uint64_t flags)
{
	struct pipe *p = pipe_of(v);
	unsigned long irq = waitq_lock(&p->wq);
	size_t n = 0;
	long err = 0;

	while (p->len == 0 && p->writers > 0 && !err)
		err = (flags & O_NONBLOCK) ? -EAGAIN
					   : waitq_wait_locked(&p->wq, WAIT_FOREVER);
	while (!err && n < len && p->len > 0) {
		size_t chunk = MIN(MIN(len - n, p->len), PIPE_SIZE - p->head);

		memcpy(kbuf + n, p->buf + p->head, chunk);
		p->head = (p->head + chunk) % PIPE_SIZE;
		p->len -= chunk;
		n += chunk;
	}
	if (n)
		waitq_wake_all_locked(&p->wq);
	waitq_unlock(&p->wq, irq);
	if (n)
		pollq_notify(&p->pq, PIPE_WRITABLE);
	return n ? (long)n : err;
}

/* Room a write must find before it copies: all of a small write (so it
 * is never split), any of a large one. */
static size_t
pipe_room_needed(size_t len, size_t done)
{
	return len <= PIPE_BUF ? len - done : 1;
}

static long
pipe_write(struct vnode *v, const char *kbuf, size_t len, uint64_t flags)
{
	struct pipe *p = pipe_of(v);
	unsigned long irq = waitq_lock(&p->wq);
	size_t n = 0;
	long err = 0;
	bool unannounced = false;	/* data the watchers were not told of */

	while (n < len && !err) {
		size_t tail = (p->head + p->len) % PIPE_SIZE;
		size_t chunk = MIN(MIN(len - n, PIPE_SIZE - p->len),
				   PIPE_SIZE - tail);

		if (p->readers == 0) {
			err = -EPIPE;
		} else if (PIPE_SIZE - p->len < pipe_room_needed(len, n)) {
			if (unannounced) {
				/* Tell poll/epoll readers before sleeping: the
				 * poll lock is never taken under ours. */
				waitq_unlock(&p->wq, irq);
				pollq_notify(&p->pq, PIPE_READABLE);
				irq = waitq_lock(&p->wq);
				unannounced = false;
				continue;
			}
			err = (flags & O_NONBLOCK) ? -EAGAIN
				: waitq_wait_locked(&p->wq, WAIT_FOREVER);
		} else {
			memcpy(p->buf + tail, kbuf + n, chunk);
			p->len += chunk;
			n += chunk;
			unannounced = true;
			waitq_wake_all_locked(&p->wq);
		}
	}
	waitq_unlock(&p->wq, irq);
	if (unannounced)
		pollq_notify(&p->pq, PIPE_READABLE);
	return n ? (long)n : err;
}

/* The read end is readable with data or once no writer is left (EOF,
 * EPOLLHUP); the write end writable with PIPE_BUF bytes of room, and in
 * error once no reader is left. Pipes report no EPOLLRDHUP (Linux: that
 * is a socket's half-close). */
static uint32_t
pipe_poll(struct vnode *v, int flags, struct pollq **pq)
{
	struct pipe *p = pipe_of(v);
	unsigned long irq = waitq_lock(&p->wq);
	uint32_t mask = 0;

	if ((flags & O_ACCMODE) != O_WRONLY) {
		if (p->len)
			mask |= PIPE_READABLE;
		if (p->writers == 0)
			mask |= EPOLLHUP;
	}
	if ((flags & O_ACCMODE) != O_RDONLY) {
		if (PIPE_SIZE - p->len >= PIPE_BUF)
			mask |= PIPE_WRITABLE;
		if (p->readers == 0)
			mask |= EPOLLERR;
	}
	waitq_unlock(&p->wq, irq);
	*pq = &p->pq;
	return mask;
}

static void
pipe_release(struct vnode *v, int flags)
{
	struct pipe *p = pipe_of(v);
	unsigned long irq = waitq_lock(&p->wq);
	bool last;

	if ((flags & O_ACCMODE) == O_RDONLY)
		p->readers--;
	else
		p->writers--;
	last = p->readers == 0 && p->writers == 0;
	waitq_wake_all_locked(&p->wq);
	waitq_unlock(&p->wq, irq);
	/* The other end's watchers: a writer without readers is in error,
	 * a reader without writers sees the hang-up. */
	if (!last)
		pollq_notify(&p->pq, (flags & O_ACCMODE) == O_RDONLY ?
				     EPOLLERR : EPOLLHUP);
	if (last) {
		kfree(p->buf);
		kfree(p);
		kfree(v);
	}
}

static const struct vnode_dev_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.release = pipe_release,
	.poll = pipe_poll,
};

int
pipe_create(struct file **rd, struct file **wr)
{
	struct vnode *v = vnode_new(S_IFIFO | 0600);
	struct pipe *p = kzalloc(sizeof(*p));

	if (!v || !p || !(p->buf = kmalloc(PIPE_SIZE)))
		goto nomem;
	waitq_init(&p->wq, "pipe");
	pollq_init(&p->pq);
	p->readers = p->writers = 1;
	v->data = (uint8_t *)p;
	v->dev = &pipe_ops;
	*rd = file_new(v, O_RDONLY);
	*wr = file_new(v, O_WRONLY);
	if (*rd && *wr)
		return 0;
	kfree(*rd);
	kfree(*wr);
nomem:
	if (p)
		kfree(p->buf);
	kfree(p);
	kfree(v);
	return -ENOMEM;
}
