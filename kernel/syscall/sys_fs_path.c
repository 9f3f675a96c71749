/* The calls that name files by path: open(at), the stat family,
 * getdents64, readlink(at), access/faccessat(2), getcwd, chdir,
 * mkdir(at), unlink(at). Paths are copied in first; the tree's lock is
 * held only around the lookups and changes. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/string.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>
#include "../fs/fs_internal.h"
#include "sys_fs.h"

#define DT_CHR		2
#define DT_DIR		4
#define DT_REG		8
#define DT_LNK		10
#define STAT_BLKSIZE	4096
#define F_OK		0
#define ACCESS_MODES	7
#define UMASK_DEFAULT	022

static uint32_t file_umask = UMASK_DEFAULT;	/* one process, one mask */

struct stat_user {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	int64_t unused[3];
};
_Static_assert(sizeof(struct stat_user) == 144, "struct stat, x86_64");

struct dirent64_head {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
} __packed;

static int
get_path(uint64_t upath, char *path)
{
	long n = strncpy_from_user(path, (const char __user *)upath, VFS_PATH_MAX);

	return n < 0 ? (int)n : 0;
}

/* The directory a *at() call starts from; NULL with *err for a bad fd.
 * *held is the descriptor's file, held until the caller lets it go. */
static struct vnode *
start_dir(int dirfd, const char *path, struct file **held, int *err)
{
	struct file *f;

	*held = NULL;
	if (path[0] == '/' || dirfd == AT_FDCWD)
		return vfs_cwd();
	f = *held = fd_get_ref(dirfd);
	*err = f ? -ENOTDIR : -EBADF;
	return f && S_ISDIR(f->vnode->mode) ? f->vnode : NULL;
}

struct vnode *
fs_lookup_at(int dirfd, uint64_t upath, int flags, char *last, int *err)
{
	char *path = kmalloc(VFS_PATH_MAX);
	struct vnode *dir, *v = NULL;

	if (!path) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = get_path(upath, path);
	if (!*err) {
		struct file *held;

		vfs_tree_lock();
		dir = start_dir(dirfd, path, &held, err);
		v = dir ? vfs_lookup(dir, path, flags, last, err) : NULL;
		if (v)
			vfs_hold_for_call(v);
		vfs_tree_unlock();
		if (held)
			file_unref(held);	/* may take the tree lock */
	}
	kfree(path);
	return v;
}

/* The vnode of open file @fd (read under a reference), or NULL with
 * -EBADF. */
static struct vnode *
fs_fd_vnode(int fd, int *err)
{
	struct file *f = fd_get_ref(fd);
	struct vnode *v = f ? f->vnode : NULL;

	*err = -EBADF;
	if (v) {
		vfs_tree_lock();
		vfs_hold_for_call(v);
		vfs_tree_unlock();
	}
	if (f)
		file_unref(f);
	return v;
}

struct vnode *
fs_vnode_at(int dirfd, uint64_t upath, int flags, int *err)
{
	char first;

	if ((flags & AT_EMPTY_PATH) &&
	    copy_from_user(&first, (const void __user *)upath, 1) == 0 &&
	    first == '\0') {
		if (dirfd == AT_FDCWD)
			return vfs_cwd();
		return fs_fd_vnode(dirfd, err);
	}
	return fs_lookup_at(dirfd, upath,
			    flags & AT_SYMLINK_NOFOLLOW ? LOOKUP_NOFOLLOW : 0, NULL, err);
}

static long
open_create(struct vnode *dir, const char *name, int flags, uint32_t mode,
	    struct vnode **out)
{
	struct vnode *v = vfs_dir_find(dir, name);
	int err = 0;

	if (v && (flags & O_EXCL))
		return -EEXIST;
	if (!v) {
		v = vfs_create(dir, name, S_IFREG | (mode & 07777 & ~file_umask),
			       &err);
		if (!v)
			return err;
	}
	*out = v;
	return 0;
}

static long
do_openat(int dirfd, uint64_t upath, int flags, uint32_t mode)
{
	char last[VFS_NAME_MAX + 1];
	struct vnode *v = NULL, *dir;
	struct file *f;
	long err = 0;
	int lerr;

	if (flags & O_CREAT) {
		dir = fs_lookup_at(dirfd, upath, LOOKUP_PARENT, last, &lerr);
		if (!dir)
			return lerr;
		vfs_tree_lock();
		err = open_create(dir, last, flags, mode, &v);
		vfs_tree_unlock();
	} else {
		v = fs_lookup_at(dirfd, upath, flags & O_NOFOLLOW ? LOOKUP_NOFOLLOW : 0,
			      NULL, &lerr);
		err = v ? 0 : lerr;
	}
	if (err)
		return err;
	if (S_ISLNK(v->mode))
		return -ELOOP;		/* O_NOFOLLOW on a link */
	if ((flags & O_DIRECTORY) && !S_ISDIR(v->mode))
		return -ENOTDIR;
	if (S_ISDIR(v->mode) && (flags & O_ACCMODE) != O_RDONLY)
		return -EISDIR;
	if ((flags & O_TRUNC) && S_ISREG(v->mode) && (flags & O_ACCMODE)) {
		vfs_tree_lock();
		err = vfs_truncate(v, 0);
		vfs_tree_unlock();
		if (err)
			return err;
	}
	f = file_new(v, flags);
	if (!f)
		return -ENOMEM;
	err = fd_install(f, 0, flags & O_CLOEXEC);
	if (err < 0)
		kfree(f);
	return err;
}

long
sys_openat(const struct syscall_args *args)
{
	return do_openat((int)args->a[0], args->a[1], (int)args->a[2],
			 (uint32_t)args->a[3]);
}

long
sys_open(const struct syscall_args *args)
{
	return do_openat(AT_FDCWD, args->a[0], (int)args->a[1],
			 (uint32_t)args->a[2]);
}

static int
fill_stat(const struct vnode *v, struct stat_user __user *ust)
{
	struct stat_user st;

	memset(&st, 0, sizeof(st));
	st.dev = v->mnt ? v->mnt->dev : 0;
	st.ino = v->ino;
	st.nlink = v->nlink;
	st.mode = v->mode;
	st.uid = v->uid;
	st.gid = v->gid;
	st.rdev = v->rdev;
	st.size = (int64_t)v->size;
	st.blksize = STAT_BLKSIZE;
	st.blocks = (int64_t)((v->size + 511) / 512);
	st.atime = (int64_t)(v->atime_ns / 1000000000ULL);
	st.atime_ns = (int64_t)(v->atime_ns % 1000000000ULL);
	st.mtime = (int64_t)(v->mtime_ns / 1000000000ULL);
	st.mtime_ns = (int64_t)(v->mtime_ns % 1000000000ULL);
	st.ctime = (int64_t)(v->ctime_ns / 1000000000ULL);
	st.ctime_ns = (int64_t)(v->ctime_ns % 1000000000ULL);
	return copy_to_user(ust, &st, sizeof(st));
}

static long
file_fstat(struct file *f, const struct syscall_args *args)
{
	return fill_stat(f->vnode, (void __user *)args->a[1]);
}

long
sys_fstat(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_fstat, args);
}

long
sys_newfstatat(const struct syscall_args *args)
{
	int err;
	struct vnode *v = fs_vnode_at((int)args->a[0], args->a[1], (int)args->a[3],
				      &err);

	return v ? fill_stat(v, (void __user *)args->a[2]) : err;
}

long
sys_stat(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], args->a[1], 0, 0, 0 } };

	return sys_newfstatat(&a);
}

long
sys_lstat(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], args->a[1],
				    AT_SYMLINK_NOFOLLOW, 0, 0 } };

	return sys_newfstatat(&a);
}

static uint8_t
dirent_type(uint32_t mode)
{
	return S_ISDIR(mode) ? DT_DIR : S_ISLNK(mode) ? DT_LNK :
	       S_ISCHR(mode) ? DT_CHR : DT_REG;
}

/* Emits one record if it fits; returns its length, 0 if full, or -EFAULT. */
static long
put_dirent(char __user *buf, size_t room, uint64_t ino, int64_t next,
	   uint8_t type, const char *name)
{
	size_t namelen = strlen(name);
	size_t reclen = ALIGN_UP(sizeof(struct dirent64_head) + namelen + 1, 8);
	struct dirent64_head h = { ino, next, (uint16_t)reclen, type };
	static const char zeros[8];

	if (reclen > room)
		return 0;
	if (copy_to_user(buf, &h, sizeof(h)) ||
	    copy_to_user(buf + sizeof(h), name, namelen + 1) ||
	    copy_to_user(buf + sizeof(h) + namelen + 1, zeros,
			 reclen - sizeof(h) - namelen - 1))
		return -EFAULT;
	return (long)reclen;
}

static long
file_getdents64(struct file *f, const struct syscall_args *args)
{
	char __user *buf = (char __user *)args->a[1];
	size_t room = args->a[2], used = 0;
	struct vfs_dirent_info *e;
	long r = 0;

	if (!S_ISDIR(f->vnode->mode))
		return -ENOTDIR;
	e = kmalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	vfs_tree_lock();
	for (;;) {
		uint64_t next = f->offset;

		r = vfs_readdir(f->vnode, &next, e);
		if (r <= 0)
			break;
		r = put_dirent(buf + used, room - used, e->ino, (int64_t)next,
			       dirent_type(e->type), e->name);
		if (r <= 0) {
			r = r ? r : used ? 0 : -EINVAL;		/* too small */
			break;
		}
		used += (size_t)r;
		f->offset = next;
	}
	vfs_tree_unlock();
	kfree(e);
	return used ? (long)used : r;
}

long
sys_getdents64(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_getdents64, args);
}

long
sys_readlinkat(const struct syscall_args *args)
{
	int err;
	struct vnode *v = fs_lookup_at((int)args->a[0], args->a[1],
				    LOOKUP_NOFOLLOW, NULL, &err);
	char *text;
	long n;

	if (!v)
		return err;
	if (!S_ISLNK(v->mode) || (int)args->a[3] <= 0)
		return -EINVAL;
	text = kmalloc(VFS_PATH_MAX);
	if (!text)
		return -ENOMEM;
	vfs_tree_lock();
	n = vfs_readlink(v, text, MIN((size_t)(int)args->a[3], VFS_PATH_MAX));
	vfs_tree_unlock();
	if (n > 0 && copy_to_user((void __user *)args->a[2], text, (size_t)n))
		n = -EFAULT;
	kfree(text);
	return n;
}

long
sys_readlink(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], args->a[1],
				    args->a[2], 0, 0 } };

	return sys_readlinkat(&a);
}

/* Everything runs as root: a file that exists may be read and written;
 * execution needs an execute bit somewhere, as root's does on Linux. */
long
sys_faccessat2(const struct syscall_args *args)
{
	int err, mode = (int)args->a[2];
	struct vnode *v;

	if (mode & ~ACCESS_MODES)
		return -EINVAL;
	v = fs_lookup_at((int)args->a[0], args->a[1],
		      args->a[3] & AT_SYMLINK_NOFOLLOW ? LOOKUP_NOFOLLOW : 0,
		      NULL, &err);
	if (!v)
		return err;
	if ((mode & 1) && !S_ISDIR(v->mode) && !(v->mode & 0111))
		return -EACCES;
	return 0;
}

long
sys_faccessat(const struct syscall_args *args)
{
	struct syscall_args a = { { args->a[0], args->a[1], args->a[2], 0, 0, 0 } };

	return sys_faccessat2(&a);
}

long
sys_access(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], args->a[1],
				    0, 0, 0 } };

	return sys_faccessat2(&a);
}

long
sys_getcwd(const struct syscall_args *args)
{
	char *buf = kmalloc(VFS_PATH_MAX);
	long pos, len;

	if (!buf)
		return -ENOMEM;
	vfs_tree_lock();
	pos = vfs_path_of(vfs_cwd(), buf, VFS_PATH_MAX);
	vfs_tree_unlock();
	len = pos < 0 ? pos : VFS_PATH_MAX - pos;
	if (len > 0 && (uint64_t)len > args->a[1])
		len = -ERANGE;
	if (len > 0 && copy_to_user((void __user *)args->a[0], buf + pos, (size_t)len))
		len = -EFAULT;
	kfree(buf);
	return len;
}

long
sys_chdir(const struct syscall_args *args)
{
	int err;
	struct vnode *v = fs_lookup_at(AT_FDCWD, args->a[0], 0, NULL, &err);

	if (!v)
		return err;
	if (!S_ISDIR(v->mode))
		return -ENOTDIR;
	vfs_set_cwd(v);
	return 0;
}

long
sys_mkdirat(const struct syscall_args *args)
{
	char last[VFS_NAME_MAX + 1];
	int err;
	struct vnode *dir = fs_lookup_at((int)args->a[0], args->a[1],
				      LOOKUP_PARENT, last, &err);

	if (!dir)
		return err;
	vfs_tree_lock();
	if (!vfs_create(dir, last,
			S_IFDIR | ((uint32_t)args->a[2] & 07777 & ~file_umask),
			&err))
		;
	else
		err = 0;
	vfs_tree_unlock();
	return err;
}

long
sys_mkdir(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], args->a[1],
				    0, 0, 0 } };

	return sys_mkdirat(&a);
}

long
sys_unlinkat(const struct syscall_args *args)
{
	char last[VFS_NAME_MAX + 1];
	int err;
	struct vnode *dir;

	if (args->a[2] & ~(uint64_t)AT_REMOVEDIR)
		return -EINVAL;
	dir = fs_lookup_at((int)args->a[0], args->a[1], LOOKUP_PARENT, last, &err);
	if (!dir)
		return err;
	if (strcmp(last, ".") == 0 || strcmp(last, "..") == 0)
		return -EINVAL;
	vfs_tree_lock();
	err = vfs_unlink(dir, last, args->a[2] & AT_REMOVEDIR);
	vfs_tree_unlock();
	return err;
}

long
sys_unlink(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], 0, 0, 0, 0 } };

	return sys_unlinkat(&a);
}

long
sys_rmdir(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], AT_REMOVEDIR,
				    0, 0, 0 } };

	return sys_unlinkat(&a);
}

#define RENAME_NOREPLACE	1

long
sys_renameat2(const struct syscall_args *args)
{
	char oname[VFS_NAME_MAX + 1], nname[VFS_NAME_MAX + 1];
	struct vnode *odir, *ndir;
	int err;

	if (args->a[4] & ~(uint64_t)RENAME_NOREPLACE)
		return -EINVAL;
	odir = fs_lookup_at((int)args->a[0], args->a[1], LOOKUP_PARENT, oname, &err);
	if (!odir)
		return err;
	ndir = fs_lookup_at((int)args->a[2], args->a[3], LOOKUP_PARENT, nname, &err);
	if (!ndir)
		return err;
	if (!strcmp(oname, ".") || !strcmp(oname, "..") || !strcmp(nname, ".") ||
	    !strcmp(nname, ".."))
		return -EBUSY;
	vfs_tree_lock();
	if ((args->a[4] & RENAME_NOREPLACE) && vfs_dir_find(ndir, nname))
		err = -EEXIST;
	else
		err = vfs_rename(odir, oname, ndir, nname);
	vfs_tree_unlock();
	return err;
}

long
sys_renameat(const struct syscall_args *args)
{
	struct syscall_args a = { { args->a[0], args->a[1], args->a[2],
				    args->a[3], 0, 0 } };

	return sys_renameat2(&a);
}

long
sys_rename(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0],
				    (uint64_t)AT_FDCWD, args->a[1], 0, 0 } };

	return sys_renameat2(&a);
}

long
sys_umask(const struct syscall_args *args)
{
	uint32_t old = file_umask;

	file_umask = (uint32_t)args->a[0] & 0777;
	return old;
}

struct statx_time_user {
	int64_t sec;
	uint32_t nsec;
	int32_t pad;
};

struct statx_user {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad1;
	uint64_t ino, size, blocks, attributes_mask;
	struct statx_time_user atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};
_Static_assert(sizeof(struct statx_user) == 256, "struct statx");

#define STATX_BASIC_STATS	0x7ffU

static struct statx_time_user
statx_time(uint64_t ns)
{
	return (struct statx_time_user){ (int64_t)(ns / 1000000000ULL),
					 (uint32_t)(ns % 1000000000ULL), 0 };
}

long
sys_statx(const struct syscall_args *args)
{
	int err = 0;
	struct statx_user sx;
	struct vnode *v = fs_vnode_at((int)args->a[0], args->a[1], (int)args->a[2],
				      &err);

	if (!v)
		return err;
	memset(&sx, 0, sizeof(sx));
	sx.mask = STATX_BASIC_STATS;
	sx.blksize = STAT_BLKSIZE;
	sx.nlink = v->nlink;
	sx.mode = (uint16_t)v->mode;
	sx.uid = v->uid;
	sx.gid = v->gid;
	sx.ino = v->ino;
	sx.size = v->size;
	sx.blocks = (v->size + 511) / 512;
	sx.atime = statx_time(v->atime_ns);
	sx.mtime = statx_time(v->mtime_ns);
	sx.ctime = statx_time(v->ctime_ns);
	sx.rdev_major = v->rdev >> 8;
	sx.rdev_minor = v->rdev & 0xff;
	sx.dev_minor = v->mnt ? v->mnt->dev : 0;
	return copy_to_user((void __user *)args->a[4], &sx, sizeof(sx));
}

long
sys_symlinkat(const struct syscall_args *args)
{
	char last[VFS_NAME_MAX + 1], *target = kmalloc(VFS_PATH_MAX);
	struct vnode *dir;
	int err;

	if (!target)
		return -ENOMEM;
	err = get_path(args->a[0], target);
	dir = err ? NULL : fs_lookup_at((int)args->a[1], args->a[2], LOOKUP_PARENT,
				     last, &err);
	if (dir) {
		vfs_tree_lock();
		err = vfs_symlink(dir, last, target);
		vfs_tree_unlock();
	}
	kfree(target);
	return err;
}

long
sys_symlink(const struct syscall_args *args)
{
	struct syscall_args a = { { args->a[0], (uint64_t)AT_FDCWD, args->a[1],
				    0, 0, 0 } };

	return sys_symlinkat(&a);
}

#define AT_SYMLINK_FOLLOW	0x400

long
sys_linkat(const struct syscall_args *args)
{
	char last[VFS_NAME_MAX + 1];
	struct vnode *v, *dir;
	int err;

	v = fs_lookup_at((int)args->a[0], args->a[1],
		      args->a[4] & AT_SYMLINK_FOLLOW ? 0 : LOOKUP_NOFOLLOW, NULL, &err);
	if (!v)
		return err;
	if (S_ISDIR(v->mode))
		return -EPERM;		/* no hard links to directories */
	dir = fs_lookup_at((int)args->a[2], args->a[3], LOOKUP_PARENT, last, &err);
	if (!dir)
		return err;
	vfs_tree_lock();
	err = vfs_dir_find(dir, last) ? -EEXIST : vfs_link(dir, last, v);
	vfs_tree_unlock();
	return err;
}

long
sys_link(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0],
				    (uint64_t)AT_FDCWD, args->a[1], 0, 0 } };

	return sys_linkat(&a);
}

/* Permission bits are kept and reported (everything runs as root, so
 * they decide nothing but the execute check). */
static long
mode_set(struct vnode *v, uint64_t mode)
{
	struct vfs_attr a = { .mask = VFS_ATTR_MODE, .mode = (uint32_t)mode };
	long err;

	vfs_tree_lock();
	err = vfs_setattr(v, &a);
	vfs_tree_unlock();
	return err;
}

long
sys_fchmodat(const struct syscall_args *args)
{
	int err;
	struct vnode *v = fs_lookup_at((int)args->a[0], args->a[1], 0, NULL, &err);

	return v ? mode_set(v, args->a[2]) : err;
}

long
sys_chmod(const struct syscall_args *args)
{
	struct syscall_args a = { { (uint64_t)AT_FDCWD, args->a[0], args->a[1],
				    0, 0, 0 } };

	return sys_fchmodat(&a);
}

static long
file_fchmod(struct file *f, const struct syscall_args *args)
{
	return mode_set(f->vnode, args->a[1]);
}

long
sys_fchmod(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_fchmod, args);
}

#define UTIME_NOW	((1L << 30) - 1)
#define UTIME_OMIT	((1L << 30) - 2)

struct timespec_u {
	int64_t sec;
	int64_t nsec;
};

/* One timestamp of a utimensat() call into @a. */
static void
time_change(struct vfs_attr *a, unsigned bit, const struct timespec_u *ts,
	    uint64_t now)
{
	uint64_t ns = ts->nsec == UTIME_NOW ? now :
		      (uint64_t)ts->sec * NSEC_PER_SEC + (uint64_t)ts->nsec;

	if (ts->nsec == UTIME_OMIT)
		return;
	a->mask |= bit;
	if (bit == VFS_ATTR_ATIME)
		a->atime_ns = ns;
	else
		a->mtime_ns = ns;
}

long
sys_utimensat(const struct syscall_args *args)
{
	struct timespec_u ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	uint64_t now = clock_realtime_ns();
	struct vfs_attr attr = { 0 };
	struct vnode *v;
	int err;

	if (args->a[2] && copy_from_user(ts, (const void __user *)args->a[2],
					 sizeof(ts)))
		return -EFAULT;
	if (args->a[1])
		v = fs_lookup_at((int)args->a[0], args->a[1],
			      args->a[3] & AT_SYMLINK_NOFOLLOW ? LOOKUP_NOFOLLOW : 0,
			      NULL, &err);
	else {
		v = fs_fd_vnode((int)args->a[0], &err);
	}
	if (!v)
		return err;
	time_change(&attr, VFS_ATTR_ATIME, &ts[0], now);
	time_change(&attr, VFS_ATTR_MTIME, &ts[1], now);
	vfs_tree_lock();
	err = vfs_setattr(v, &attr);
	vfs_tree_unlock();
	return err;
}
