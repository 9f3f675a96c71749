/* fcntl's record-lock commands: F_GETLK/F_SETLK/F_SETLKW (POSIX, owned by
 * the process) and F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW (owned by the
 * open file). Decodes struct flock -- whence, negative lengths, 0 for "to
 * the end" -- and leaves the semantics to kernel/fs/record_lock.c. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/uaccess.h>
#include <keel/vfs.h>
#include "sys_fs.h"

#define F_GETLK		5
#define F_SETLK		6
#define F_SETLKW	7
#define F_OFD_GETLK	36
#define F_OFD_SETLK	37
#define F_OFD_SETLKW	38
#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2
#define OFD_LOCK_PID	(-1)	/* F_OFD_GETLK reports no process */
#define POSIX_LOCK_PID	1	/* the one process */

struct flock_user {
	int16_t type, whence;
	int64_t start, len;
	int32_t pid;
};
_Static_assert(sizeof(struct flock_user) == 32, "struct flock, x86_64");

/* The inclusive range a struct flock names, or -EINVAL. */
static int
flock_range(const struct flock_user *fl, const struct file *f, uint64_t *start,
	    uint64_t *end)
{
	int64_t base, lo, hi;

	switch (fl->whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->offset; break;
	case SEEK_END: base = (int64_t)f->vnode->size; break;
	default: return -EINVAL;
	}
	lo = base + fl->start;
	if (fl->len < 0) {	/* [start + len, start - 1] */
		hi = lo - 1;
		lo += fl->len;
	} else {
		hi = fl->len ? lo + fl->len - 1 : -1;
	}
	if (lo < 0 || (fl->len && hi < lo))
		return -EINVAL;
	*start = (uint64_t)lo;
	*end = fl->len ? (uint64_t)hi : RECORD_LOCK_EOF;
	return 0;
}

static long
lock_get(struct file *f, bool ofd, struct flock_user *fl, void __user *uarg)
{
	struct record_lock_info info = { .type = fl->type };
	int err = flock_range(fl, f, &info.start, &info.end);

	if (err)
		return err;
	if (fl->type != RECORD_READ && fl->type != RECORD_WRITE)
		return -EINVAL;
	record_lock_get(f, ofd, &info);
	fl->type = (int16_t)info.type;
	if (info.type != RECORD_UNLOCK) {
		fl->whence = SEEK_SET;
		fl->start = (int64_t)info.start;
		fl->len = info.end == RECORD_LOCK_EOF ? 0 :
			  (int64_t)(info.end - info.start + 1);
		fl->pid = info.ofd ? OFD_LOCK_PID : POSIX_LOCK_PID;
	}
	return copy_to_user(uarg, fl, sizeof(*fl));
}

long
fcntl_lock(struct file *f, int cmd, uint64_t arg)
{
	bool ofd = cmd >= F_OFD_GETLK;
	struct flock_user fl;
	uint64_t start, end;
	int err, acc = f->flags & O_ACCMODE;

	if (copy_from_user(&fl, (const void __user *)arg, sizeof(fl)))
		return -EFAULT;
	if (ofd && fl.pid != 0)
		return -EINVAL;		/* Linux insists on it */
	if (cmd == F_GETLK || cmd == F_OFD_GETLK)
		return lock_get(f, ofd, &fl, (void __user *)arg);
	err = flock_range(&fl, f, &start, &end);
	if (err)
		return err;
	if ((fl.type == RECORD_READ && acc == O_WRONLY) ||
	    (fl.type == RECORD_WRITE && acc == O_RDONLY))
		return -EBADF;
	if (fl.type != RECORD_READ && fl.type != RECORD_WRITE &&
	    fl.type != RECORD_UNLOCK)
		return -EINVAL;
	return record_lock_set(f, ofd, fl.type, start, end,
			       cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}
