/* flock(2) locks: whole-file, shared or exclusive, owned by the open file
 * (so two open()s of one file conflict even in one process, and dup()s
 * share). One wait queue serves every vnode: contention is rare and a
 * release wakes all waiters to re-check their own file. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/waitq.h>

static struct waitq flock_wq;	/* its lock guards the flock_* fields */

/* Boot, from vfs_init(): before any file exists. */
void
flock_init(void)
{
	waitq_init(&flock_wq, "flock");
}

/* Drops what @f holds; caller has flock_wq's lock. */
static void
flock_drop_locked(struct file *f)
{
	struct vnode *v = f->vnode;

	if (f->flock_held == FLOCK_SHARED)
		v->flock_shared--;
	else if (f->flock_held == FLOCK_EXCLUSIVE)
		v->flock_excl = false;
	else
		return;
	f->flock_held = FLOCK_NONE;
	waitq_wake_all_locked(&flock_wq);
}

static bool
flock_conflicts(const struct vnode *v, int want)
{
	return v->flock_excl || (want == FLOCK_EXCLUSIVE && v->flock_shared);
}

/* Converting a lock drops the old one first, as Linux does: a waiter may
 * slip in between, and the conversion then waits like a new request. */
int
flock_apply(struct file *f, int want, bool nonblock)
{
	unsigned long irq;
	int err = 0;

	irq = waitq_lock(&flock_wq);
	if (f->flock_held != want)
		flock_drop_locked(f);
	if (want != FLOCK_NONE && f->flock_held != want) {
		while (!err && flock_conflicts(f->vnode, want))
			err = nonblock ? -EAGAIN
				       : waitq_wait_locked(&flock_wq, WAIT_FOREVER);
		if (!err) {
			f->flock_held = (uint8_t)want;
			if (want == FLOCK_SHARED)
				f->vnode->flock_shared++;
			else
				f->vnode->flock_excl = true;
		}
	}
	waitq_unlock(&flock_wq, irq);
	return err;
}

void
flock_release(struct file *f)
{
	unsigned long irq;

	if (f->flock_held == FLOCK_NONE)
		return;
	irq = waitq_lock(&flock_wq);
	flock_drop_locked(f);
	waitq_unlock(&flock_wq, irq);
}
