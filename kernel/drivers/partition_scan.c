/* Registers a disk's partitions as block devices "<disk><n>" (vda1, ...)
 * from what partition.c parses; a corrupt table is reported and yields
 * none. */
#include <keel/blkdev.h>
#include <keel/heap.h>
#include <keel/partition.h>
#include <keel/printk.h>

static int
partition_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	return blkdev_read(ctx, lba, buf, count);
}

static void
partition_add(struct blkdev *disk, const struct partition *p)
{
	struct blkdev *bd = kzalloc(sizeof(*bd));

	if (!bd)
		return;
	snprintf(bd->name, sizeof(bd->name), "%s%d", disk->name, p->number);
	bd->sectors = p->sectors;
	bd->read_only = disk->read_only;
	bd->ops = disk->ops;
	bd->whole = disk;
	bd->start = p->start;
	if (blkdev_register(bd)) {
		kfree(bd);
		return;
	}
	printk("keel: %s: sectors %lu-%lu\n", bd->name, p->start,
	       p->start + p->sectors - 1);
}

void
partition_scan(struct blkdev *disk)
{
	struct partition parts[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];
	int n = partition_parse(partition_read, disk, disk->sectors, parts,
				PARTITION_MAX, why);

	if (n < 0) {
		printk("keel: %s: partition table ignored: %s\n", disk->name,
		       why);
		return;
	}
	for (int i = 0; i < n; i++)
		partition_add(disk, &parts[i]);
}
