/* The tree at boot: "/", /dev with its device nodes and standard links,
 * /tmp, then the initrd unpacked on top; and the working directory. */
#include <keel/cpio.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

static struct vnode *root, *cwd;

struct vnode *
vfs_root(void)
{
	return root;
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
vfs_mknod(const char *name, uint32_t rdev, const struct vnode_dev_ops *ops)
{
	struct vnode *dev = vfs_dir_find(root, "dev"), *v;
	int err;

	v = dev ? vfs_create(dev, name, S_IFCHR | 0666, &err) : NULL;
	if (!v)
		return dev ? err : -ENOENT;
	v->dev = ops;
	v->rdev = rdev;
	return 0;
}

static int
make_link(struct vnode *dir, const char *name, const char *target)
{
	int err;
	struct vnode *v = vfs_create(dir, name, S_IFLNK | 0777, &err);

	return v ? vfs_symlink_set(v, target, strlen(target)) : err;
}

int
vfs_init(void)
{
	struct vnode *dev;
	int err;

	flock_init();
	root = vnode_new(S_IFDIR | 0755);
	if (!root)
		return -ENOMEM;
	cwd = root;
	dev = vfs_create(root, "dev", S_IFDIR | 0755, &err);
	if (!dev || !vfs_create(root, "tmp", S_IFDIR | 01777, &err))
		return err;
	err = devfs_init();
	if (!err)
		err = make_link(dev, "stdin", "console");
	if (!err)
		err = make_link(dev, "stdout", "console");
	if (!err)
		err = make_link(dev, "stderr", "console");
	if (!err)
		err = procfs_init();
	return err;
}
