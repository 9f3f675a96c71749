/* libFuzzer target for drivers/partition.c: any input is a disk of
 * size / 512 sectors (a partial last sector is dropped). The parse either
 * fails with a negative errno and a reason, or every partition it returns
 * lies inside the disk. ASan and UBSan catch overreads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include <keel/partition.h>

#define SECTOR	512

struct disk {
	const uint8_t *data;
	uint64_t sectors;
};

static int
disk_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	const struct disk *d = ctx;

	if (lba > d->sectors || count > d->sectors - lba)
		return -EIO;
	memcpy(buf, d->data + lba * SECTOR, (size_t)count * SECTOR);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disk d = { data, size / SECTOR };
	struct partition parts[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];
	int n = partition_parse(disk_read, &d, d.sectors, parts,
				PARTITION_MAX, why);

	if (n < 0 && (why[0] == '\0' || strlen(why) >= sizeof(why)))
		abort();
	for (int i = 0; i < n; i++) {
		if (parts[i].number < 1 || parts[i].sectors == 0 ||
		    parts[i].start + parts[i].sectors > d.sectors)
			abort();
	}
	return 0;
}
