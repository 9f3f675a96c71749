/* The mount table: file systems attached on directories of others, newest
 * last. A directory with a mount on it leads to that mount's root; the
 * root of a mount leads back out through "..". Power-off syncs and
 * unmounts them all, newest first. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/pagecache.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

static struct list_node mounts = LIST_INIT(mounts);
static uint32_t next_dev = 1;

int
vfs_mount(struct mount *m, struct vnode *dir)
{
	if (dir && !S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir && dir->mounted)
		return -EBUSY;
	if (!dir && !list_empty(&mounts))
		return -EBUSY;		/* "/" is mounted once */
	m->covered = dir;
	m->dev = next_dev++;
	if (dir)
		dir->mounted = m;
	list_push_back(&mounts, &m->node);
	return 0;
}

struct mount *
vfs_mount_of(struct vnode *v)
{
	return v->mnt;
}

struct vnode *
vfs_mount_root(void)
{
	if (list_empty(&mounts))
		return NULL;
	return list_entry(mounts.next, struct mount, node)->root;
}

int
vfs_statfs(struct vnode *v, struct vfs_statfs *out)
{
	memset(out, 0, sizeof(*out));
	if (!v->mnt || !v->mnt->ops || !v->mnt->ops->statfs)
		return -ENOSYS;
	return v->mnt->ops->statfs(v->mnt, out);
}

int
vfs_sync_all(void)
{
	struct list_node *n;
	int first = 0;

	list_for_each(n, &mounts) {
		struct mount *m = list_entry(n, struct mount, node);
		int err = m->ops && m->ops->sync ? m->ops->sync(m) : 0;

		if (err && !first)
			first = err;
	}
	return first;
}

/* The tree stays locked: nothing is written after the last sync. */
void
vfs_unmount_all(void)
{
	vfs_tree_lock();
	while (!list_empty(&mounts)) {
		struct mount *m = list_entry(mounts.prev, struct mount, node);
		int err = m->ops && m->ops->unmount ? m->ops->unmount(m) : 0;

		if (err)
			printk("keel: unmounting %s from %s: error %d\n",
			       m->type, m->source, err);
		list_remove(&m->node);
	}
}

void
vfs_drop_caches(int what)
{
	struct list_node *n;

	if (what & VFS_DROP_PAGES)
		pcache_drop_unmapped();
	if (!(what & VFS_DROP_BLOCKS))
		return;
	list_for_each(n, &mounts) {
		struct mount *m = list_entry(n, struct mount, node);

		if (m->ops && m->ops->drop_caches)
			m->ops->drop_caches(m);
	}
}

/* The mount point of @m as a path, into @buf's end; the start offset. */
static size_t
mount_point_path(const struct mount *m, char *buf, size_t size)
{
	long pos = m->covered ? vfs_path_of(m->covered, buf, size) : -1;

	if (pos < 0) {
		strlcpy(buf, "/", size);
		return 0;
	}
	return (size_t)pos;
}

int
vfs_format_mounts(char *buf, size_t size)
{
	char *point = kmalloc(VFS_PATH_MAX);
	struct list_node *n;
	size_t len = 0;

	if (!point)
		return -ENOMEM;
	list_for_each(n, &mounts) {
		struct mount *m = list_entry(n, struct mount, node);
		size_t at = mount_point_path(m, point, VFS_PATH_MAX);
		int w = snprintf(buf + len, size - len, "%s %s %s %s 0 0\n",
				 m->source, point + at, m->type,
				 m->flags & MOUNT_READ_ONLY ? "ro" : "rw");

		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
	kfree(point);
	return (int)len;
}
