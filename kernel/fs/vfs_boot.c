/* Which file systems boot mounts: "/" is the initrd (unpacked into a
 * ramfs) when one was loaded, else the first ext2 file system on the disks
 * in the order the drivers found them (so the first partition of the first
 * disk for an imgbuild image); --rootfs=DEV or --rootfs=initrd chooses.
 * Data disks go where --mount=DEV:DIR says. */
#include <keel/blkdev.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/heap.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

#define EXT2_MAGIC_SECTOR	2	/* the superblock is at byte 1024 */
#define EXT2_MAGIC_OFFSET	56
#define EXT2_MAGIC		0xEF53

/* True if @bd starts with an ext2 superblock (one sector read): cheaper
 * and quieter than a mount attempt on every partition. */
static bool
looks_like_ext2(struct blkdev *bd)
{
	uint8_t *sector = kmalloc(BLKDEV_SECTOR_SIZE);
	bool yes = false;

	if (!sector)
		return false;
	if (bd->sectors > EXT2_MAGIC_SECTOR &&
	    blkdev_read(bd, EXT2_MAGIC_SECTOR, sector, 1) == 0)
		yes = (sector[EXT2_MAGIC_OFFSET] |
		       sector[EXT2_MAGIC_OFFSET + 1] << 8) == EXT2_MAGIC;
	kfree(sector);
	return yes;
}

struct first_ext2 {
	struct blkdev *found;
};

static void
pick_first_ext2(struct blkdev *bd, void *arg)
{
	struct first_ext2 *pick = arg;

	if (!pick->found && looks_like_ext2(bd))
		pick->found = bd;
}

/* ext2 on @name (NULL: the first found) as "/". */
static int
mount_disk_root(const char *name)
{
	struct first_ext2 pick = { NULL };
	struct mount *m;
	int err;

	if (name)
		pick.found = blkdev_find(name);
	else
		blkdev_for_each(pick_first_ext2, &pick);
	if (!pick.found && !name) {
		printk("keel: no initrd and no ext2 disk: the root is empty\n");
		return vfs_init_ramfs_root();
	}
	if (!pick.found) {
		printk("keel: error: root: %s: no such block device\n", name);
		return -ENODEV;
	}
	m = ext2_vfs_mount(pick.found, false, &err);
	if (!m) {
		printk("keel: error: root: cannot mount ext2 on %s: error %d\n",
		       pick.found->name, err);
		return err;
	}
	vfs_tree_lock();
	err = vfs_mount(m, NULL);
	vfs_tree_unlock();
	if (!err)
		vfs_set_cwd(m->root);
	return err;
}

int
vfs_mount_boot_root(const char *rootfs, const void *initrd, size_t initrd_len)
{
	bool want_initrd = rootfs ? strcmp(rootfs, "initrd") == 0 : initrd != NULL;
	int err;

	flock_init();
	if (!want_initrd)
		return mount_disk_root(rootfs);
	if (!initrd) {
		printk("keel: error: root: --rootfs=initrd, but no initrd was loaded\n");
		return -ENOENT;
	}
	err = vfs_init_ramfs_root();
	if (!err)
		vfs_unpack_cpio(initrd, initrd_len);	/* reports its own errors */
	return err;
}

int
vfs_mount_data(const char *dev, const char *dir)
{
	struct blkdev *bd = blkdev_find(dev);
	struct vnode *on;
	struct mount *m;
	int err;

	if (!bd) {
		printk("keel: error: --mount=%s:%s: no such block device\n", dev, dir);
		return -ENODEV;
	}
	m = ext2_vfs_mount(bd, false, &err);
	if (!m) {
		printk("keel: error: --mount=%s:%s: cannot mount ext2: error %d\n",
		       dev, dir, err);
		return err;
	}
	vfs_tree_lock();
	on = vfs_lookup(vfs_root(), dir, 0, NULL, &err);
	if (on)
		err = vfs_mount(m, on);
	vfs_tree_unlock();
	if (err) {
		printk("keel: error: --mount=%s:%s: %s\n", dev, dir,
		       err == -ENOENT ? "no such directory" :
		       err == -ENOTDIR ? "not a directory" :
		       err == -EBUSY ? "something is mounted there already" :
		       "cannot mount there");
		m->ops->unmount(m);
	}
	return err;
}
