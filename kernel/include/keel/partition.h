/* Partition tables (MBR primary partitions, GPT): a parser that reads
 * sectors through a callback (so host tests feed it image files), and the
 * scan that registers "vda1", "vda2", ... for a disk. */
#ifndef KEEL_PARTITION_H
#define KEEL_PARTITION_H

#include <keel/compiler.h>

#define PARTITION_MAX		16	/* partitions registered per disk */
#define PARTITION_WHY_LEN	96

struct blkdev;

struct partition {
	int number;		/* 1-based: MBR slot or GPT entry index + 1 */
	uint64_t start;		/* first sector */
	uint64_t sectors;
};

/* Reads @count 512-byte sectors at @lba into @buf; 0 or a negative errno. */
typedef int (*partition_read_fn)(void *ctx, uint64_t lba, void *buf,
				 uint32_t count);

/* Parses the table of a disk of @disk_sectors sectors into @out (at most
 * @max entries). Returns how many partitions it holds -- 0 when the disk
 * has no table -- or a negative errno for a corrupt or unreadable one,
 * with the reason in @why. Any thread; reads through @read. */
int
partition_parse(partition_read_fn read, void *ctx, uint64_t disk_sectors,
		struct partition *out, int max, char why[PARTITION_WHY_LEN]);

/* Registers @disk's partitions as "<disk><n>"; a corrupt table is
 * reported on the console and yields none. May sleep. */
void
partition_scan(struct blkdev *disk);

#endif
