/* The tree at boot: a ramfs as "/" when the initrd is the root; devfs on
 * /dev with the standard links, proc on /proc, sysfs on /sys and a tmpfs
 * on /tmp over whatever root; and the working directory. */
#include <keel/cpio.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"


static struct vnode *cwd;

struct vnode *
vfs_root(void)
{
	return vfs_mount_root();
}

struct vnode *
vfs_cwd(void)
{
	return cwd;
}

/* The working directory is held: removing it leaves a directory that
 * still answers (getcwd: -ENOENT) until the program moves away. */
void
vfs_set_cwd(struct vnode *dir)
{
	struct vnode *old;

	vfs_tree_lock();
	__atomic_fetch_add(&dir->refs, 1, __ATOMIC_RELAXED);
	old = cwd;
	cwd = dir;
	if (old) {
		__atomic_fetch_sub(&old->refs, 1, __ATOMIC_RELAXED);
		vfs_vnode_unused(old);
	}
	vfs_tree_unlock();
}

int
vfs_init_ramfs_root(void)
{
	struct mount *root = ramfs_new("rootfs", "rootfs", RAMFS_MAGIC);
	int err;

	if (!root)
		return -ENOMEM;
	vfs_tree_lock();
	err = vfs_mount(root, NULL);
	vfs_tree_unlock();
	if (!err)
		vfs_set_cwd(root->root);
	return err;
}

/* @name in the root, made a directory if missing, with @m mounted on it.
 * A root that cannot have the directory (read-only, full) goes without
 * this mount: said on the console, not fatal. */
static void
mount_on(const char *name, struct mount *m)
{
	struct vnode *dir = vfs_dir_find(vfs_root(), name);
	int err = 0;

	if (!dir)
		dir = vfs_create(vfs_root(), name, S_IFDIR | 0755, &err);
	if (dir)
		err = vfs_mount(m, dir);
	if (err)
		printk("keel: /%s not mounted: error %d\n", name, err);
}

int
vfs_mount_pseudo(void)
{
	struct mount *dev = devfs_mount(), *proc = NULL, *sys = NULL, *tmp;
	int err = dev ? procfs_init(&proc, &sys) : -ENOMEM;

	tmp = err ? NULL : ramfs_new("tmpfs", "tmpfs", TMPFS_MAGIC);
	if (!tmp)
		return err ? err : -ENOMEM;
	tmp->root->mode = S_IFDIR | 01777;
	vfs_tree_lock();
	mount_on("dev", dev);
	mount_on("proc", proc);
	mount_on("sys", sys);
	mount_on("tmp", tmp);
	vfs_tree_unlock();
	return 0;
}
