/* Stand-ins for the block-device layer until drivers/blkdev.c lands from
 * the virtio-blk work: weak, so the real definitions replace them at link
 * time; they only let the block cache link today. Delete at integration. */
#include <keel/blkdev.h>
#include <keel/errno.h>

__attribute__((weak)) int
blkdev_read(struct blkdev *bd, uint64_t lba, void *buf, uint32_t count)
{
	(void)bd, (void)lba, (void)buf, (void)count;
	return -ENODEV;
}

__attribute__((weak)) int
blkdev_write(struct blkdev *bd, uint64_t lba, const void *buf, uint32_t count)
{
	(void)bd, (void)lba, (void)buf, (void)count;
	return -ENODEV;
}

__attribute__((weak)) int
blkdev_flush(struct blkdev *bd)
{
	(void)bd;
	return -ENODEV;
}
