/* Pipes: a 64 KiB ring between a read end and a write end (two open files
 * on one vnode). Reads wait while it is empty and a writer remains, writes
 * while it is full and a reader remains; O_NONBLOCK answers -EAGAIN
 * instead. Writing with no reader left is -EPIPE (SIGPIPE is not
 * delivered yet). */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/string.h>
#include <keel/waitq.h>
#include "fs_internal.h"

#define PIPE_SIZE	(64 * 1024)

struct pipe {
	struct waitq wq;	/* its lock guards everything below */
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
	return n ? (long)n : err;
}

static long
pipe_write(struct vnode *v, const char *kbuf, size_t len, uint64_t flags)
{
	struct pipe *p = pipe_of(v);
	unsigned long irq = waitq_lock(&p->wq);
	size_t n = 0;
	long err = 0;

	while (n < len && !err) {
		size_t tail = (p->head + p->len) % PIPE_SIZE;
		size_t chunk = MIN(MIN(len - n, PIPE_SIZE - p->len),
				   PIPE_SIZE - tail);

		if (p->readers == 0) {
			err = -EPIPE;
		} else if (chunk == 0) {
			err = (flags & O_NONBLOCK) ? -EAGAIN
						   : waitq_wait_locked(&p->wq, WAIT_FOREVER);
		} else {
			memcpy(p->buf + tail, kbuf + n, chunk);
			p->len += chunk;
			n += chunk;
			waitq_wake_all_locked(&p->wq);
		}
	}
	waitq_unlock(&p->wq, irq);
	return n ? (long)n : err;
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
};

int
pipe_create(struct file **rd, struct file **wr)
{
	struct vnode *v = vnode_new(S_IFIFO | 0600);
	struct pipe *p = kzalloc(sizeof(*p));

	if (!v || !p || !(p->buf = kmalloc(PIPE_SIZE)))
		goto nomem;
	waitq_init(&p->wq, "pipe");
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
