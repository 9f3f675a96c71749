/* Host tests for drivers/partition.c: MBR and GPT tables written by the
 * real sfdisk on disk image files, parsed back; corrupted, truncated and
 * out-of-range copies fail with a negative errno and a reason, never a
 * crash (ASan and UBSan watch the parser's every access). */
#include "unit.h"
#include <stdlib.h>
#include <unistd.h>
#include <keel/crc32.h>
#include <keel/errno.h>
#include <keel/partition.h>
#include "../../kernel/drivers/partition_fmt.h"

#define SECTOR		512
#define DISK_SECTORS	16384		/* 8 MiB */
#define GPT_ENTRIES_LBA	2

struct disk {
	uint8_t *data;
	uint64_t sectors;
	int fail_lba;		/* reads of this sector fail; -1: none */
};

static int
disk_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	struct disk *d = ctx;

	if (lba + count > d->sectors)
		return -EIO;
	if (d->fail_lba >= 0 && (uint64_t)d->fail_lba >= lba &&
	    (uint64_t)d->fail_lba < lba + count)
		return -EIO;
	memcpy(buf, d->data + lba * SECTOR, (size_t)count * SECTOR);
	return 0;
}

/* An image of DISK_SECTORS zero sectors partitioned by `sfdisk` reading
 * @script; NULL (and a failed check) if sfdisk is missing or fails. */
static struct disk
make_disk(const char *script)
{
	struct disk d = { NULL, DISK_SECTORS, -1 };
	char path[] = "/tmp/keel_part_XXXXXX", cmd[256];
	int fd = mkstemp(path);
	FILE *p;

	CHECK(fd >= 0);
	if (fd < 0)
		return d;
	CHECK(ftruncate(fd, (off_t)DISK_SECTORS * SECTOR) == 0);
	snprintf(cmd, sizeof(cmd), "sfdisk -q '%s' >/dev/null 2>&1", path);
	p = popen(cmd, "w");
	CHECK(p != NULL);
	if (p) {
		fputs(script, p);
		CHECK(pclose(p) == 0);
	}
	d.data = calloc(DISK_SECTORS, SECTOR);
	CHECK(pread(fd, d.data, (size_t)DISK_SECTORS * SECTOR, 0) ==
	      (ssize_t)DISK_SECTORS * SECTOR);
	close(fd);
	unlink(path);
	return d;
}

static int
parse(struct disk *d, struct partition *parts, char *why)
{
	return partition_parse(disk_read, d, d->sectors, parts, PARTITION_MAX,
			       why);
}

static void expect_failure(struct disk *d, int err, const char *needle);
static void expect_count(struct disk *d, int n);

#define MBR_SCRIPT "label: dos\nstart=2048, size=2048, type=83\n" \
		   "start=4096, size=4096, type=83\n"
#define GPT_SCRIPT "label: gpt\nstart=2048, size=2048\nstart=4096, " \
		   "size=4096\nstart=8192, size=4096\n"

TEST(mbr_primary_partitions)
{
	struct disk d = make_disk(MBR_SCRIPT);
	struct partition p[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];

	CHECK_EQ(parse(&d, p, why), 2);
	CHECK_EQ(p[0].number, 1);
	CHECK_EQ(p[0].start, 2048);
	CHECK_EQ(p[0].sectors, 2048);
	CHECK_EQ(p[1].number, 2);
	CHECK_EQ(p[1].start, 4096);
	CHECK_EQ(p[1].sectors, 4096);
	free(d.data);
}

#define EXT_SCRIPT "label: dos\nstart=2048, size=2048\n" \
		   "start=4096, size=8192, type=5\n" \
		   "start=6144, size=2048\nstart=10240, size=1024\n"
#define EXT_START	4096

/* sfdisk puts each logical partition's boot record just before it. */
TEST(mbr_logical_partitions)
{
	struct disk d = make_disk(EXT_SCRIPT);
	struct partition p[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];

	CHECK_EQ(parse(&d, p, why), 3);
	CHECK_EQ(p[0].number, 1);
	CHECK_EQ(p[1].number, 5);
	CHECK_EQ(p[1].start, 6144);
	CHECK_EQ(p[1].sectors, 2048);
	CHECK_EQ(p[2].number, 6);
	CHECK_EQ(p[2].start, 10240);
	CHECK_EQ(p[2].sectors, 1024);
	free(d.data);
}

TEST(mbr_extended_chain_pointing_back_is_refused)
{
	struct disk d = make_disk(EXT_SCRIPT);
	struct mbr_entry link;
	uint8_t *second = NULL;

	/* Find the second boot record (the first one's link) and point its
	 * link back at the first: a loop. */
	memcpy(&link, d.data + EXT_START * SECTOR + MBR_ENTRIES_OFFSET +
	       sizeof(link), sizeof(link));
	CHECK(link.lba_first != 0);
	second = d.data + (EXT_START + link.lba_first) * SECTOR;
	link.lba_first = 0;
	link.type = MBR_TYPE_EXTENDED_CHS;
	link.sectors = 100;
	memcpy(second + MBR_ENTRIES_OFFSET + sizeof(link), &link,
	       sizeof(link));
	/* lba_first 0 ends the chain: the second partition still counts. */
	expect_count(&d, 3);
	link.lba_first = 1;	/* behind the second record: refused */
	memcpy(second + MBR_ENTRIES_OFFSET + sizeof(link), &link,
	       sizeof(link));
	expect_failure(&d, -EINVAL, "out of order");
	free(d.data);
}

TEST(mbr_extended_record_without_signature)
{
	struct disk d = make_disk(EXT_SCRIPT);

	d.data[EXT_START * SECTOR + MBR_SIGNATURE_OFFSET] = 0;
	expect_failure(&d, -EINVAL, "signature");
	free(d.data);
}

TEST(gpt_partitions)
{
	struct disk d = make_disk(GPT_SCRIPT);
	struct partition p[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];

	CHECK_EQ(parse(&d, p, why), 3);
	CHECK_EQ(p[0].number, 1);
	CHECK_EQ(p[0].start, 2048);
	CHECK_EQ(p[1].start, 4096);
	CHECK_EQ(p[1].sectors, 4096);
	CHECK_EQ(p[2].number, 3);
	CHECK_EQ(p[2].start, 8192);
	free(d.data);
}

TEST(no_table_is_zero_partitions)
{
	struct disk d = { calloc(DISK_SECTORS, SECTOR), DISK_SECTORS, -1 };
	struct partition p[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];

	CHECK_EQ(parse(&d, p, why), 0);
	free(d.data);
}

/* Expects the parse of @d to fail with @err and a reason containing
 * @needle. */
static void
expect_failure(struct disk *d, int err, const char *needle)
{
	struct partition p[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];

	CHECK_EQ(parse(d, p, why), err);
	CHECK(strstr(why, needle) != NULL);
	if (!strstr(why, needle))
		fprintf(stderr, "    # reason was: %s\n", why);
}

/* Expects the parse of @d to succeed with @n partitions. */
static void
expect_count(struct disk *d, int n)
{
	struct partition p[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];

	CHECK_EQ(parse(d, p, why), n);
}

TEST(gpt_header_crc_mismatch)
{
	struct disk d = make_disk(GPT_SCRIPT);

	d.data[SECTOR + offsetof(struct gpt_header, first_usable_lba)] ^= 1;
	expect_failure(&d, -EINVAL, "GPT header CRC");
	free(d.data);
}

TEST(gpt_entries_crc_mismatch)
{
	struct disk d = make_disk(GPT_SCRIPT);

	d.data[GPT_ENTRIES_LBA * SECTOR + offsetof(struct gpt_entry, first_lba)]
		^= 1;
	expect_failure(&d, -EINVAL, "entry array CRC");
	free(d.data);
}

/* Rewrites a header field and its CRC, as a buggy tool could. */
static void
gpt_set_num_entries(struct disk *d, uint32_t n)
{
	struct gpt_header h;

	memcpy(&h, d->data + SECTOR, sizeof(h));
	h.num_entries = n;
	h.header_crc32 = 0;
	memcpy(d->data + SECTOR, &h, sizeof(h));
	h.header_crc32 = crc32_update(0, d->data + SECTOR, h.header_size);
	memcpy(d->data + SECTOR, &h, sizeof(h));
}

TEST(gpt_huge_entry_count_rejected)
{
	struct disk d = make_disk(GPT_SCRIPT);

	gpt_set_num_entries(&d, 0x7fffffff);
	expect_failure(&d, -EINVAL, "entry array size");
	free(d.data);
}

TEST(gpt_on_truncated_disk)
{
	struct disk d = make_disk(GPT_SCRIPT);

	d.sectors = 1;
	expect_failure(&d, -EIO, "cannot read the GPT header");
	d.sectors = 40;		/* header fits, its usable area does not */
	expect_failure(&d, -EINVAL, "outside the disk");
	free(d.data);
}

TEST(gpt_unreadable_entries)
{
	struct disk d = make_disk(GPT_SCRIPT);

	d.fail_lba = GPT_ENTRIES_LBA + 1;
	expect_failure(&d, -EIO, "cannot read the GPT entries");
	free(d.data);
}

TEST(mbr_partition_past_the_end)
{
	struct disk d = make_disk(MBR_SCRIPT);

	d.sectors = 6000;	/* partition 2 ends at 8191 */
	expect_failure(&d, -EINVAL, "outside the disk");
	free(d.data);
}

TEST(mbr_bad_status_byte)
{
	struct disk d = make_disk(MBR_SCRIPT);

	d.data[MBR_ENTRIES_OFFSET] = 0x42;
	expect_failure(&d, -EINVAL, "status");
	free(d.data);
}

TEST(unreadable_sector_zero)
{
	struct disk d = make_disk(MBR_SCRIPT);

	d.fail_lba = 0;
	expect_failure(&d, -EIO, "sector 0");
	free(d.data);
}

/* Random corruption of the GPT area: any result but a crash is fine, and
 * a success must stay inside the disk. */
TEST(gpt_random_corruption_never_crashes)
{
	struct disk d = make_disk(GPT_SCRIPT);
	uint8_t *orig = malloc((size_t)DISK_SECTORS * SECTOR);
	struct partition p[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];

	memcpy(orig, d.data, (size_t)DISK_SECTORS * SECTOR);
	srand(1);
	for (int round = 0; round < 2000; round++) {
		int n;

		memcpy(d.data, orig, 34 * SECTOR);
		for (int k = 0; k < 4; k++)
			d.data[rand() % (34 * SECTOR)] = (uint8_t)rand();
		n = parse(&d, p, why);
		for (int i = 0; i < n; i++)
			CHECK(p[i].start + p[i].sectors <= d.sectors);
	}
	free(orig);
	free(d.data);
}

/* Random corruption of the MBR and the extended chain's records. */
TEST(mbr_random_corruption_never_crashes)
{
	struct disk d = make_disk(EXT_SCRIPT);
	uint8_t *orig = malloc((size_t)DISK_SECTORS * SECTOR);
	static const uint64_t records[] = { 0, EXT_START, 10238 };
	struct partition p[PARTITION_MAX];
	char why[PARTITION_WHY_LEN];

	memcpy(orig, d.data, (size_t)DISK_SECTORS * SECTOR);
	srand(2);
	for (int round = 0; round < 3000; round++) {
		uint64_t lba = records[rand() % 3];
		int n;

		memcpy(d.data, orig, (size_t)DISK_SECTORS * SECTOR);
		for (int k = 0; k < 3; k++)
			d.data[lba * SECTOR + MBR_ENTRIES_OFFSET +
			       rand() % (SECTOR - MBR_ENTRIES_OFFSET)] =
				(uint8_t)rand();
		n = parse(&d, p, why);
		for (int i = 0; i < n; i++)
			CHECK(p[i].start + p[i].sectors <= d.sectors);
	}
	free(orig);
	free(d.data);
}
