/* The tree at boot: a ramfs as "/" (the initrd is unpacked into it), then
 * devfs on /dev with the standard links, proc on /proc, sysfs on /sys and
 * a tmpfs on /tmp; and the working directory. */
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

void
vfs_set_cwd(struct vnode *dir)
{
	cwd = dir;
}

int
vfs_init(void)
{
	struct mount *root = ramfs_new("rootfs", "rootfs", RAMFS_MAGIC);
	int err;

	flock_init();
	if (!root)
		return -ENOMEM;
	vfs_tree_lock();
	err = vfs_mount(root, NULL);
	vfs_tree_unlock();
	cwd = root->root;
	return err;
}

/* @name in the root, made a directory if missing, with @m mounted on it. */
static int
mount_on(const char *name, struct mount *m)
{
	struct vnode *dir = vfs_dir_find(vfs_root(), name);
	int err = 0;

	if (!m)
		return -ENOMEM;
	if (!dir)
		dir = vfs_create(vfs_root(), name, S_IFDIR | 0755, &err);
	if (!dir)
		return err;
	return vfs_mount(m, dir);
}

int
vfs_mount_pseudo(void)
{
	struct mount *proc = NULL, *sys = NULL, *tmp;
	int err;

	vfs_tree_lock();
	err = mount_on("dev", devfs_mount());
	if (!err)
		err = procfs_init(&proc, &sys);
	if (!err)
		err = mount_on("proc", proc);
	if (!err)
		err = mount_on("sys", sys);
	tmp = err ? NULL : ramfs_new("tmpfs", "tmpfs", TMPFS_MAGIC);
	if (!err)
		err = mount_on("tmp", tmp);
	if (!err)
		tmp->root->mode = S_IFDIR | 01777;
	vfs_tree_unlock();
	return err;
}
