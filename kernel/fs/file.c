/* The descriptor table: slots pointing at shared open files, each with a
 * close-on-exec bit. A lock guards the table; a file goes away with the
 * last descriptor naming it. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/spinlock.h>
#include "fs_internal.h"

static struct spinlock fd_lock = SPINLOCK_INIT_NAMED("fd table");
static struct file *table[FD_MAX];
static bool cloexec_bit[FD_MAX];

struct file *
file_new(struct vnode *v, int flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->vnode = v;
	f->flags = flags & ~O_CLOEXEC;
	list_init(&f->epoll_items);
	__atomic_fetch_add(&v->refs, 1, __ATOMIC_RELAXED);
	return f;
}

/* Drops a reference; returns the file if it was the last, for the caller
 * to finish outside the table lock (a release may wake or free). */
static struct file *
file_put(struct file *f)
{
	if (--f->refs > 0)
		return NULL;
	return f;
}

static void
file_finish(struct file *f)
{
	if (!f)
		return;
	epoll_file_release(f);
	flock_release(f);
	record_lock_release(f);
	if (f->vnode->dev && f->vnode->dev->release)
		f->vnode->dev->release(f->vnode, f->flags);
	if (f->vnode->ops) {	/* a file system's: it may go now */
		vfs_tree_lock();
		__atomic_fetch_sub(&f->vnode->refs, 1, __ATOMIC_RELAXED);
		vfs_vnode_unused(f->vnode);
		vfs_tree_unlock();
	} else {
		__atomic_fetch_sub(&f->vnode->refs, 1, __ATOMIC_RELAXED);
	}
	kfree(f);
}

void
file_discard(struct file *f)
{
	file_finish(f);
}

int
fd_install(struct file *f, int min, bool cloexec)
{
	int fd = -EMFILE;

	if (min < 0 || min >= FD_MAX)
		return -EINVAL;
	spin_lock(&fd_lock);
	for (int i = min; i < FD_MAX; i++) {
		if (!table[i]) {
			table[i] = f;
			cloexec_bit[i] = cloexec;
			f->refs++;
			fd = i;
			break;
		}
	}
	spin_unlock(&fd_lock);
	return fd;
}

struct file *
fd_get(int fd)
{
	return fd >= 0 && fd < FD_MAX ? READ_ONCE(table[fd]) : NULL;
}

int
fd_close(int fd)
{
	struct file *f;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	struct file *last = NULL;

	spin_lock(&fd_lock);
	f = table[fd];
	table[fd] = NULL;
	if (f)
		last = file_put(f);
	spin_unlock(&fd_lock);
	if (f)
		record_lock_close(f);
	file_finish(last);
	return f ? 0 : -EBADF;
}

struct file *
fd_get_ref(int fd)
{
	struct file *f;

	if (fd < 0 || fd >= FD_MAX)
		return NULL;
	spin_lock(&fd_lock);
	f = table[fd];
	if (f)
		f->refs++;
	spin_unlock(&fd_lock);
	return f;
}

struct file *
fd_get_ref_io(int fd)
{
	struct file *f = fd_get_ref(fd);

	if (f && (f->flags & O_PATH)) {
		file_unref(f);
		return NULL;
	}
	return f;
}

void
file_unref(struct file *f)
{
	struct file *last;

	spin_lock(&fd_lock);
	last = file_put(f);
	spin_unlock(&fd_lock);
	file_finish(last);
}

int
fd_dup_to(int oldfd, int newfd, bool cloexec)
{
	struct file *f, *old, *last = NULL;

	if (newfd < 0 || newfd >= FD_MAX)
		return -EBADF;
	spin_lock(&fd_lock);
	f = fd_get(oldfd);
	if (!f) {
		spin_unlock(&fd_lock);
		return -EBADF;
	}
	old = table[newfd];
	table[newfd] = f;
	cloexec_bit[newfd] = cloexec;
	f->refs++;
	if (old)
		last = file_put(old);
	spin_unlock(&fd_lock);
	if (old && old != f)
		record_lock_close(old);
	file_finish(last);
	return newfd;
}

int
fd_get_cloexec(int fd)
{
	return fd_get(fd) ? cloexec_bit[fd] : -EBADF;
}

int
fd_set_cloexec(int fd, bool on)
{
	if (!fd_get(fd))
		return -EBADF;
	cloexec_bit[fd] = on;
	return 0;
}

int
fd_init_console(void)
{
	struct vnode *console = devfs_console();

	for (int fd = 0; fd <= 2; fd++) {
		struct file *f = console ? file_new(console, O_RDWR) : NULL;

		if (!f || fd_install(f, fd, false) != fd)
			return -ENOMEM;
	}
	return 0;
}
