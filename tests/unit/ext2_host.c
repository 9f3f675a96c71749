/* Host stand-ins for ext2 and the block cache (see ext2_host.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/clock.h>
#include <keel/pmm.h>
#include "ext2_host.h"

void *
kmalloc(size_t size)
{
	return malloc(size ? size : 1);
}

void *
kzalloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

void
kfree(void *ptr)
{
	free(ptr);
}

uint64_t
clock_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* No RAM to speak of: ext2 sizes its cache at the minimum, as the tests
 * expect (they fill it on purpose). */
uint64_t
pmm_total_page_count(void)
{
	return 0;
}

static void
log_req(struct host_disk *d, char op, uint64_t lba, uint32_t count)
{
	if (d->nreq < HOST_REQ_MAX)
		d->req[d->nreq++] = (struct host_req){ op, lba, count };
}

static bool
touches(const struct host_disk *d, uint64_t lba, uint32_t count)
{
	return d->fail_lba >= lba && d->fail_lba < lba + count;
}

static int
disk_read(struct blkdev *bd, uint64_t lba, void *buf, uint32_t count)
{
	struct host_disk *d = bd->priv;

	if (d->fail_reads && touches(d, lba, count))
		return -EIO;
	memcpy(buf, d->mem + lba * BLKDEV_SECTOR_SIZE,
	       (size_t)count * BLKDEV_SECTOR_SIZE);
	d->nreads++;
	log_req(d, 'R', lba, count);
	return 0;
}

static int
disk_write(struct blkdev *bd, uint64_t lba, const void *buf, uint32_t count)
{
	struct host_disk *d = bd->priv;
	uint64_t n = d->nwrites;

	if (d->fail_writes && touches(d, lba, count))
		return -EIO;
	d->nwrites++;
	if (n > d->cut_after || (n == d->cut_after && !d->tear_align))
		return 0;
	if (n == d->cut_after)
		count = count / 2 / d->tear_align * d->tear_align;
	if (count == 0)
		return 0;
	memcpy(d->mem + lba * BLKDEV_SECTOR_SIZE, buf,
	       (size_t)count * BLKDEV_SECTOR_SIZE);
	if (d->nlog < HOST_DISK_LOG_MAX)
		d->log[d->nlog++] = lba;
	log_req(d, 'W', lba, count);
	return 0;
}

static int
disk_flush(struct blkdev *bd)
{
	struct host_disk *d = bd->priv;

	if (d->nlog < HOST_DISK_LOG_MAX)
		d->log[d->nlog++] = HOST_LOG_FLUSH;
	log_req(d, 'F', 0, 0);
	return 0;
}

static const struct blkdev_ops disk_ops = {
	.read = disk_read, .write = disk_write, .flush = disk_flush,
};

/* The block layer's bounds checks, as drivers/blkdev.c will make them. */
int
blkdev_read(struct blkdev *bd, uint64_t lba, void *buf, uint32_t count)
{
	if (lba > bd->sectors || count > bd->sectors - lba)
		return -EIO;
	return bd->ops->read(bd, lba, buf, count);
}

int
blkdev_write(struct blkdev *bd, uint64_t lba, const void *buf, uint32_t count)
{
	if (bd->read_only)
		return -EROFS;
	if (lba > bd->sectors || count > bd->sectors - lba)
		return -EIO;
	return bd->ops->write(bd, lba, buf, count);
}

int
blkdev_flush(struct blkdev *bd)
{
	return bd->ops->flush ? bd->ops->flush(bd) : 0;
}

struct host_disk *
host_disk_new(const void *data, size_t len)
{
	struct host_disk *d = calloc(1, sizeof(*d));

	len -= len % BLKDEV_SECTOR_SIZE;
	d->mem = malloc(len ? len : 1);
	memcpy(d->mem, data, len);
	d->len = len;
	d->fail_lba = UINT64_MAX;
	d->cut_after = UINT64_MAX;
	strcpy(d->bd.name, "hostdisk");
	d->bd.sectors = len / BLKDEV_SECTOR_SIZE;
	d->bd.ops = &disk_ops;
	d->bd.priv = d;
	return d;
}

struct host_disk *
host_disk_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct host_disk *d;
	uint8_t *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(len ? len : 1);
	if (fread(buf, 1, len, f) != (size_t)len) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	d = host_disk_new(buf, len);
	free(buf);
	return d;
}

int
host_disk_save(const struct host_disk *d, const char *path)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(d->mem, 1, d->len, f) == d->len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

void
host_disk_free(struct host_disk *d)
{
	if (!d)
		return;
	free(d->mem);
	free(d);
}
