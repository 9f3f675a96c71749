/* The device nodes in /dev: null, zero, full, random, urandom, and the
 * console (also tty, and stdin/stdout/stderr as links to it). */
#include <keel/errno.h>
#include <keel/poll.h>
#include <keel/printk.h>
#include <keel/random.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

#define DEV(major, minor)	((major) << 8 | (minor))
#define TCGETS			0x5401
#define TIOCGWINSZ		0x5413

static long
null_read(struct vnode *v, char *buf, size_t len, uint64_t off)
{
	(void)v; (void)buf; (void)len; (void)off;
	return 0;
}

static long
sink_write(struct vnode *v, const char *buf, size_t len, uint64_t off)
{
	(void)v; (void)buf; (void)off;
	return (long)len;
}

static long
zero_read(struct vnode *v, char *buf, size_t len, uint64_t off)
{
	(void)v; (void)off;
	memset(buf, 0, len);
	return (long)len;
}

static long
full_write(struct vnode *v, const char *buf, size_t len, uint64_t off)
{
	(void)v; (void)buf; (void)len; (void)off;
	return -ENOSPC;
}

static long
random_read(struct vnode *v, char *buf, size_t len, uint64_t off)
{
	(void)v; (void)off;
	for (size_t i = 0; i < len; i += sizeof(uint64_t)) {
		uint64_t r = random_early_u64();

		memcpy(buf + i, &r, MIN(sizeof(r), len - i));
	}
	return (long)len;
}

static long
console_read(struct vnode *v, char *buf, size_t len, uint64_t off)
{
	(void)v; (void)buf; (void)len; (void)off;
	return 0;	/* no console input: end of file */
}

static long
console_dev_write(struct vnode *v, const char *buf, size_t len, uint64_t off)
{
	(void)v; (void)off;
	console_write(buf, len);
	return (long)len;
}

static long
console_ioctl(struct vnode *v, unsigned long req, uint64_t arg)
{
	(void)v;
	return console_tty_ioctl(req, arg);
}

/* The console takes no input: a read never blocks (it is end of file)
 * and neither does a write, so it is always ready and never notifies.
 * A console with input would report EPOLLIN only with input queued. */
static uint32_t
console_poll(struct vnode *v, int flags, struct pollq **pq)
{
	(void)v; (void)flags;
	*pq = NULL;
	return POLL_DEFAULT_MASK;
}

static const struct vnode_dev_ops null_ops = {
	.read = null_read, .write = sink_write,
};
static const struct vnode_dev_ops zero_ops = {
	.read = zero_read, .write = sink_write,
};
static const struct vnode_dev_ops full_ops = {
	.read = zero_read, .write = full_write,
};
static const struct vnode_dev_ops random_ops = {
	.read = random_read, .write = sink_write,
};
static const struct vnode_dev_ops console_ops = {
	.read = console_read, .write = console_dev_write, .ioctl = console_ioctl,
	.poll = console_poll,
};

static struct mount *devfs;
static struct vnode *console;

int
vfs_mknod(const char *name, uint32_t rdev, const struct vnode_dev_ops *ops)
{
	int err;
	struct vnode *v = devfs ? vfs_create(devfs->root, name, S_IFCHR | 0666,
					     &err) : NULL;

	if (!v)
		return devfs ? err : -ENOENT;
	v->dev = ops;
	v->rdev = rdev;
	return 0;
}

static int
devfs_populate(void)
{
	static const struct {
		const char *name;
		uint32_t rdev;
		const struct vnode_dev_ops *ops;
	} nodes[] = {
		{ "null", DEV(1, 3), &null_ops }, { "zero", DEV(1, 5), &zero_ops },
		{ "full", DEV(1, 7), &full_ops }, { "random", DEV(1, 8), &random_ops },
		{ "urandom", DEV(1, 9), &random_ops },
		{ "console", DEV(5, 1), &console_ops }, { "tty", DEV(5, 0), &console_ops },
	};
	static const char *const links[] = { "stdin", "stdout", "stderr" };
	int err = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(nodes) && !err; i++)
		err = vfs_mknod(nodes[i].name, nodes[i].rdev, nodes[i].ops);
	for (unsigned i = 0; i < ARRAY_SIZE(links) && !err; i++)
		err = vfs_symlink(devfs->root, links[i], "console");
	return err;
}

struct mount *
devfs_mount(void)
{
	devfs = ramfs_new("devtmpfs", "devtmpfs", TMPFS_MAGIC);
	if (!devfs || devfs_populate())
		return NULL;
	console = vfs_dir_find(devfs->root, "console");
	return devfs;
}

struct vnode *
devfs_console(void)
{
	return console;
}
