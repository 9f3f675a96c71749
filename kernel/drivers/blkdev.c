/* The block-device registry: whole disks registered by their drivers and
 * partitions on top, found by name. Requests are bounds-checked here, and
 * a partition's are shifted onto its disk, before the driver sees them. */
#include <keel/blkdev.h>
#include <keel/errno.h>
#include <keel/spinlock.h>
#include <keel/string.h>

#define BLKDEV_DEV_PREFIX	"/dev/"

static struct {
	struct spinlock lock;
	struct list_node devices;
} blkdevs = {
	.lock = SPINLOCK_INIT_NAMED("blkdevs"),
	.devices = LIST_INIT(blkdevs.devices),
};

static struct blkdev *
blkdev_find_locked(const char *name)
{
	struct list_node *n;

	list_for_each(n, &blkdevs.devices) {
		struct blkdev *bd = list_entry(n, struct blkdev, node);

		if (strcmp(bd->name, name) == 0)
			return bd;
	}
	return NULL;
}

int
blkdev_register(struct blkdev *bd)
{
	unsigned long flags = spin_lock_irqsave(&blkdevs.lock);
	int err = 0;

	if (blkdev_find_locked(bd->name))
		err = -EEXIST;
	else
		list_push_back(&blkdevs.devices, &bd->node);
	spin_unlock_irqrestore(&blkdevs.lock, flags);
	return err;
}

struct blkdev *
blkdev_find(const char *name)
{
	unsigned long flags;
	struct blkdev *bd;

	if (strncmp(name, BLKDEV_DEV_PREFIX, strlen(BLKDEV_DEV_PREFIX)) == 0)
		name += strlen(BLKDEV_DEV_PREFIX);
	flags = spin_lock_irqsave(&blkdevs.lock);
	bd = blkdev_find_locked(name);
	spin_unlock_irqrestore(&blkdevs.lock, flags);
	return bd;
}

/* Devices are never unregistered, so the walk needs the lock only to
 * read each link; @fn runs without it and may sleep. */
void
blkdev_for_each(void (*fn)(struct blkdev *bd, void *arg), void *arg)
{
	struct list_node *n = &blkdevs.devices;

	for (;;) {
		unsigned long flags = spin_lock_irqsave(&blkdevs.lock);

		n = n->next;
		spin_unlock_irqrestore(&blkdevs.lock, flags);
		if (n == &blkdevs.devices)
			return;
		fn(list_entry(n, struct blkdev, node), arg);
	}
}

/* Checks [@lba, @lba + @count) against @bd and moves it onto the disk. */
static int
blkdev_resolve(struct blkdev **bd, uint64_t *lba, uint32_t count)
{
	struct blkdev *b = *bd;

	if (*lba > b->sectors || count > b->sectors - *lba)
		return -EIO;
	if (b->whole) {
		*lba += b->start;
		*bd = b->whole;
	}
	return 0;
}

int
blkdev_read(struct blkdev *bd, uint64_t lba, void *buf, uint32_t count)
{
	int err = blkdev_resolve(&bd, &lba, count);

	if (err || count == 0)
		return err;
	return bd->ops->read(bd, lba, buf, count);
}

int
blkdev_write(struct blkdev *bd, uint64_t lba, const void *buf, uint32_t count)
{
	int err;

	if (bd->read_only)
		return -EROFS;
	err = blkdev_resolve(&bd, &lba, count);
	if (err || count == 0)
		return err;
	if (bd->read_only)
		return -EROFS;
	return bd->ops->write(bd, lba, buf, count);
}

int
blkdev_flush(struct blkdev *bd)
{
	if (bd->whole)
		bd = bd->whole;
	return bd->ops->flush ? bd->ops->flush(bd) : 0;
}
