/* /proc/self/fd: one symbolic link per open descriptor, named by its
 * number and pointing at the open file's path (pipes and other unnamed
 * files as "pipe:[ino]" and "anon_inode:[ino]", as Linux shows them).
 * The links are made on first lookup and read the table when followed. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

#define FD_NAME_MAX	8		/* digits of FD_MAX - 1, and a NUL */
#define DOT_ENTRIES	2		/* readdir positions of "." and ".." */

static struct vnode *fd_links[FD_MAX];
static const struct vnode_ops fd_link_ops;

/* The descriptor named @name: decimal digits without leading zeros. */
static int
parse_fd(const char *name)
{
	int fd = 0;

	if (!name[0] || (name[0] == '0' && name[1]))
		return -ENOENT;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return -ENOENT;
		fd = fd * 10 + (*p - '0');
		if (fd >= FD_MAX)
			return -ENOENT;
	}
	return fd;
}

static struct vnode *
fd_link(struct vnode *dir, int fd, int *err)
{
	struct vnode *v = fd_links[fd];

	if (v)
		return v;
	v = vnode_new(S_IFLNK | 0700);
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	v->ops = &fd_link_ops;
	v->mnt = dir->mnt;
	v->parent = dir;
	v->rdev = (uint32_t)fd;
	fd_links[fd] = v;
	return v;
}

static struct vnode *
fd_dir_lookup(struct vnode *dir, const char *name, int *err)
{
	int fd;

	if (strcmp(name, ".") == 0)
		return dir;
	if (strcmp(name, "..") == 0)
		return dir->parent;
	fd = parse_fd(name);
	if (fd < 0 || !fd_get(fd)) {
		*err = -ENOENT;
		return NULL;
	}
	return fd_link(dir, fd, err);
}

/* Positions: "." and "..", then descriptor n at DOT_ENTRIES + n. */
static int
fd_dir_readdir(struct vnode *dir, uint64_t *pos, struct vfs_dirent_info *out)
{
	if (*pos < DOT_ENTRIES) {
		struct vnode *v = *pos ? dir->parent : dir;

		strlcpy(out->name, *pos ? ".." : ".", sizeof(out->name));
		out->ino = v->ino;
		out->type = S_IFDIR;
		(*pos)++;
		return 1;
	}
	for (uint64_t fd = *pos - DOT_ENTRIES; fd < FD_MAX; fd++) {
		int err;
		struct vnode *link;

		if (!fd_get((int)fd))
			continue;
		link = fd_link(dir, (int)fd, &err);
		if (!link)
			return err;
		snprintf(out->name, FD_NAME_MAX, "%lu", fd);
		out->ino = link->ino;
		out->type = S_IFLNK;
		*pos = fd + DOT_ENTRIES + 1;
		return 1;
	}
	return 0;
}

/* The text Linux shows for an open file: its path, or a pseudo name. */
static long
fd_target(const struct file *f, char *buf, size_t size)
{
	struct vnode *v = f->vnode;
	long pos;

	if (S_ISFIFO(v->mode) && !v->parent)
		return snprintf(buf, size, "pipe:[%lu]", v->ino);
	if (!v->parent && !(v->mnt && v == v->mnt->root))
		return snprintf(buf, size, "anon_inode:[%lu]", v->ino);
	pos = vfs_path_of(v, buf, size);
	if (pos == -ENOENT)
		return snprintf(buf, size, "(deleted)");
	if (pos < 0)
		return pos;
	memmove(buf, buf + pos, size - (size_t)pos);
	return (long)(size - (size_t)pos - 1);
}

static long
fd_link_readlink(struct vnode *v, char *buf, size_t len)
{
	struct file *f = fd_get((int)v->rdev);
	char *text;
	long n;

	if (!f)
		return -ENOENT;
	text = kmalloc(VFS_PATH_MAX);
	if (!text)
		return -ENOMEM;
	n = fd_target(f, text, VFS_PATH_MAX);
	if (n > 0) {
		n = (long)MIN((size_t)n, len);
		memcpy(buf, text, (size_t)n);
	}
	kfree(text);
	return n;
}

static const struct vnode_ops fd_link_ops = { .readlink = fd_link_readlink };

static const struct vnode_ops fd_dir_ops = {
	.lookup = fd_dir_lookup, .readdir = fd_dir_readdir,
};

int
procfs_fd_init(struct vnode *self)
{
	int err;
	struct vnode *dir = vfs_create(self, "fd", S_IFDIR | 0500, &err);

	if (!dir)
		return err;
	dir->ops = &fd_dir_ops;
	return 0;
}
