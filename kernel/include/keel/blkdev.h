/* Block devices: disks and their partitions, addressed in 512-byte sectors.
 * Drivers (virtio-blk) register whole disks; partition tables add one
 * device per partition on top. File systems and the block cache reach the
 * hardware only through blkdev_read/write/flush, which may sleep. */
#ifndef KEEL_BLKDEV_H
#define KEEL_BLKDEV_H

#include <keel/compiler.h>
#include <keel/list.h>

#define BLKDEV_SECTOR_SIZE	512
#define BLKDEV_NAME_MAX		16

struct blkdev;

/* A driver's requests. Each call sleeps until its request completes (many
 * callers may have requests in flight at once) and returns 0, or -EIO when
 * the device reports an error. flush is NULL for a device without a
 * volatile write cache. */
struct blkdev_ops {
	int (*read)(struct blkdev *bd, uint64_t lba, void *buf, uint32_t count);
	int (*write)(struct blkdev *bd, uint64_t lba, const void *buf,
		     uint32_t count);
	int (*flush)(struct blkdev *bd);
};

struct blkdev {
	char name[BLKDEV_NAME_MAX];	/* "vda", "vda1" */
	uint64_t sectors;
	bool read_only;
	const struct blkdev_ops *ops;	/* whole disks */
	void *priv;			/* the driver's */
	struct blkdev *whole;		/* partitions: the disk they are on */
	uint64_t start;			/* partitions: first sector on @whole */
	struct list_node node;
};

/* Adds @bd under its name; -EEXIST if taken. */
int
blkdev_register(struct blkdev *bd);
/* The device called @name ("vda", "vda1", or "/dev/vda1"), or NULL. */
struct blkdev *
blkdev_find(const char *name);
/* Calls @fn for every registered device, in registration order. */
void
blkdev_for_each(void (*fn)(struct blkdev *bd, void *arg), void *arg);

/* Bounds-checked requests (-EIO past the end, -EROFS writing a read-only
 * device); partitions forward to their disk. @buf may be any mapped
 * kernel memory -- heap, stack, any alignment -- and @count any size: the
 * driver splits it. Each call sleeps until done and returns 0 or a
 * negative errno (-EIO for a device error, -EFAULT for an unmapped
 * buffer). Any number of threads at once; never from interrupt context.
 * A flush returns once every write completed before it is durable (0 at
 * once for a device without a write cache). */
int
blkdev_read(struct blkdev *bd, uint64_t lba, void *buf, uint32_t count);
int
blkdev_write(struct blkdev *bd, uint64_t lba, const void *buf, uint32_t count);
int
blkdev_flush(struct blkdev *bd);

#endif
