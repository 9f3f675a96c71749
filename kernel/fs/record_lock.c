/* fcntl() byte-range locks. POSIX record locks (F_SETLK) belong to the
 * process: there is one, so they never conflict with each other, and
 * closing any descriptor of a file drops them all, as on Linux. Open-file
 * -description locks (F_OFD_SETLK) belong to the open file: two open()s
 * conflict, dup()s share, and they go with the file's last descriptor.
 * The two kinds conflict with each other. All locks sit on one list and
 * one wait queue: contention is rare, and a release wakes every waiter to
 * re-check its own range. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/list.h>
#include <keel/waitq.h>

/* The owner of every POSIX lock: the one process. */
#define PROCESS_OWNER	((const void *)1)

struct record_lock {
	struct list_node node;
	const struct vnode *vnode;
	const void *owner;		/* PROCESS_OWNER or the struct file */
	uint64_t start, end;		/* inclusive; end RECORD_LOCK_EOF: all */
	int type;			/* RECORD_READ or RECORD_WRITE */
};

static struct list_node locks = LIST_INIT(locks);
static struct waitq record_wq;		/* its lock guards @locks */
static bool record_wq_ready;

static const void *
owner_of(const struct file *f, bool ofd)
{
	return ofd ? (const void *)f : PROCESS_OWNER;
}

static bool
overlaps(const struct record_lock *l, uint64_t start, uint64_t end)
{
	return l->start <= end && start <= l->end;
}

/* A lock of another owner that @type over [start, end] must wait for. */
static struct record_lock *
find_conflict(const struct vnode *v, const void *owner, int type,
	      uint64_t start, uint64_t end)
{
	struct list_node *n;

	list_for_each(n, &locks) {
		struct record_lock *l = list_entry(n, struct record_lock, node);

		if (l->vnode == v && l->owner != owner && overlaps(l, start, end) &&
		    (type == RECORD_WRITE || l->type == RECORD_WRITE))
			return l;
	}
	return NULL;
}

static struct record_lock *
lock_new(const struct record_lock *like, uint64_t start, uint64_t end)
{
	struct record_lock *l = kmalloc(sizeof(*l));

	if (l) {
		*l = *like;
		l->start = start;
		l->end = end;
	}
	return l;
}

/* Takes [start, end] out of @owner's locks on @v, splitting a lock that
 * covers it on both sides; -ENOMEM (and nothing changed) if that needs a
 * piece that cannot be allocated. */
static int
carve_out(const struct vnode *v, const void *owner, uint64_t start,
	  uint64_t end)
{
	struct list_node *n, *next;

	for (n = locks.next; n != &locks; n = next) {
		struct record_lock *l = list_entry(n, struct record_lock, node);

		next = n->next;
		if (l->vnode != v || l->owner != owner || !overlaps(l, start, end))
			continue;
		if (l->start < start && l->end > end) {
			struct record_lock *tail = lock_new(l, end + 1, l->end);

			if (!tail)
				return -ENOMEM;
			list_push_back(&locks, &tail->node);
			l->end = start - 1;
		} else if (l->start < start) {
			l->end = start - 1;
		} else if (l->end > end) {
			l->start = end + 1;
		} else {
			list_remove(n);
			kfree(l);
		}
	}
	return 0;
}

static unsigned long
record_lock_begin(void)
{
	if (!__atomic_load_n(&record_wq_ready, __ATOMIC_ACQUIRE)) {
		waitq_init(&record_wq, "record locks");	/* first use: boot */
		__atomic_store_n(&record_wq_ready, true, __ATOMIC_RELEASE);
	}
	return waitq_lock(&record_wq);
}

int
record_lock_set(struct file *f, bool ofd, int type, uint64_t start,
		uint64_t end, bool wait)
{
	const void *owner = owner_of(f, ofd);
	struct record_lock like = { .vnode = f->vnode, .owner = owner, .type = type };
	struct record_lock *l = NULL;
	unsigned long irq;
	int err = 0;

	if (type != RECORD_UNLOCK && !(l = lock_new(&like, start, end)))
		return -ENOMEM;
	irq = record_lock_begin();
	while (l && find_conflict(f->vnode, owner, type, start, end)) {
		err = wait ? waitq_wait_locked(&record_wq, WAIT_FOREVER) : -EAGAIN;
		if (err)
			break;
	}
	if (!err)
		err = carve_out(f->vnode, owner, start, end);
	if (!err && l) {
		list_push_back(&locks, &l->node);
		l = NULL;
	}
	if (!err)
		waitq_wake_all_locked(&record_wq);	/* a range may be free */
	waitq_unlock(&record_wq, irq);
	kfree(l);
	return err;
}

int
record_lock_get(struct file *f, bool ofd, struct record_lock_info *info)
{
	struct record_lock *l;
	unsigned long irq = record_lock_begin();

	l = find_conflict(f->vnode, owner_of(f, ofd), info->type, info->start,
			  info->end);
	if (l) {
		info->type = l->type;
		info->start = l->start;
		info->end = l->end;
		info->ofd = l->owner != PROCESS_OWNER;
	} else {
		info->type = RECORD_UNLOCK;
	}
	waitq_unlock(&record_wq, irq);
	return 0;
}

/* Drops every lock of @owner on @v (any vnode when @v is NULL). */
static void
drop_owner(const struct vnode *v, const void *owner)
{
	struct list_node *n, *next;
	unsigned long irq;
	bool dropped = false;

	if (!__atomic_load_n(&record_wq_ready, __ATOMIC_ACQUIRE))
		return;
	irq = waitq_lock(&record_wq);
	for (n = locks.next; n != &locks; n = next) {
		struct record_lock *l = list_entry(n, struct record_lock, node);

		next = n->next;
		if (l->owner == owner && (!v || l->vnode == v)) {
			list_remove(n);
			kfree(l);
			dropped = true;
		}
	}
	if (dropped)
		waitq_wake_all_locked(&record_wq);
	waitq_unlock(&record_wq, irq);
}

void
record_lock_close(struct file *f)
{
	drop_owner(f->vnode, PROCESS_OWNER);
}

void
record_lock_release(struct file *f)
{
	drop_owner(NULL, f);
}
