/* The partition table parser: an MBR's four primary entries and the
 * logical partitions of its extended one (numbered from 5, as Linux
 * does), or -- when the MBR is GPT's protective one -- the GPT header
 * (CRC-checked) and its entry array (CRC-checked as it is read). Pure:
 * reads sectors through a callback, never trusts a field before bounding
 * it, and follows the extended chain a bounded number of links. */
#include <keel/crc32.h>
#include <keel/errno.h>
#include <keel/partition.h>
#include <keel/string.h>
#include "partition_fmt.h"

#define SECTOR_SIZE	512
#define MBR_FIRST_LOGICAL	5	/* number of the first logical partition */
#define MBR_MAX_LOGICAL		60	/* links followed in an extended chain */

static int
why_set(char *why, const char *msg, int err)
{
	size_t n = strlen(msg);

	if (n >= PARTITION_WHY_LEN)
		n = PARTITION_WHY_LEN - 1;
	memcpy(why, msg, n);
	why[n] = '\0';
	return err;
}

static uint16_t
le16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static bool
mbr_is_extended(uint8_t type)
{
	return type == MBR_TYPE_EXTENDED_CHS || type == MBR_TYPE_EXTENDED_LBA ||
	       type == MBR_TYPE_EXTENDED_LINUX;
}

static void
mbr_entry_at(const uint8_t *sector, int i, struct mbr_entry *e)
{
	memcpy(e, sector + MBR_ENTRIES_OFFSET + i * sizeof(*e), sizeof(*e));
}

static bool
mbr_is_protective(const uint8_t *sector)
{
	struct mbr_entry e;

	for (int i = 0; i < MBR_NUM_ENTRIES; i++) {
		mbr_entry_at(sector, i, &e);
		if (e.type == MBR_TYPE_GPT_PROTECTIVE)
			return true;
	}
	return false;
}

struct mbr_parse {
	partition_read_fn read;
	void *ctx;
	uint64_t disk_sectors;
	struct partition *out;
	int max, n;
	char *why;
};

/* Checks an entry of a (primary or extended boot record) table. */
static int
mbr_check_entry(const struct mbr_entry *e, char *why)
{
	if (e->status != MBR_STATUS_ACTIVE && e->status != MBR_STATUS_INACTIVE)
		return why_set(why, "MBR entry with a bad status byte", -EINVAL);
	return 0;
}

static void
mbr_add(struct mbr_parse *mp, int number, uint64_t start, uint32_t sectors)
{
	if (mp->n < mp->max)
		mp->out[mp->n++] = (struct partition){ number, start, sectors };
}

/* The logical partitions: a chain of extended boot records inside the
 * extended partition [@ext_start, @ext_end), each holding one partition
 * (relative to itself) and a link to the next (relative to @ext_start). */
static int
mbr_parse_extended(struct mbr_parse *mp, uint64_t ext_start, uint64_t ext_end)
{
	uint8_t sector[SECTOR_SIZE];
	uint64_t ebr = ext_start;
	struct mbr_entry part, link;

	for (int i = 0; i < MBR_MAX_LOGICAL; i++) {
		if (mp->read(mp->ctx, ebr, sector, 1))
			return why_set(mp->why, "cannot read an extended "
				       "boot record", -EIO);
		if (le16_at(sector + MBR_SIGNATURE_OFFSET) != MBR_SIGNATURE)
			return why_set(mp->why, "extended boot record without "
				       "its signature", -EINVAL);
		mbr_entry_at(sector, 0, &part);
		mbr_entry_at(sector, 1, &link);
		if (mbr_check_entry(&part, mp->why) ||
		    mbr_check_entry(&link, mp->why))
			return -EINVAL;
		if (part.type != MBR_TYPE_EMPTY && part.sectors != 0) {
			if (part.lba_first == 0 ||
			    ebr + part.lba_first + part.sectors > ext_end)
				return why_set(mp->why, "logical partition "
					       "outside its extended one",
					       -EINVAL);
			mbr_add(mp, MBR_FIRST_LOGICAL + i, ebr + part.lba_first,
				part.sectors);
		}
		if (!mbr_is_extended(link.type) || link.lba_first == 0)
			return 0;
		/* Links only go forward, so the chain cannot loop. */
		if (ext_start + link.lba_first <= ebr ||
		    ext_start + link.lba_first >= ext_end)
			return why_set(mp->why, "extended boot record link "
				       "out of order", -EINVAL);
		ebr = ext_start + link.lba_first;
	}
	return why_set(mp->why, "too many logical partitions", -EINVAL);
}

/* Primary partitions numbered by slot, then the logical ones of the
 * first extended partition. */
static int
mbr_parse(struct mbr_parse *mp, const uint8_t *sector)
{
	struct mbr_entry e, ext = { 0 };
	int err;

	for (int i = 0; i < MBR_NUM_ENTRIES; i++) {
		mbr_entry_at(sector, i, &e);
		if (mbr_check_entry(&e, mp->why))
			return -EINVAL;
		if (e.type == MBR_TYPE_EMPTY || e.sectors == 0)
			continue;
		if (e.lba_first == 0 ||
		    (uint64_t)e.lba_first + e.sectors > mp->disk_sectors)
			return why_set(mp->why, "MBR partition outside the disk",
				       -EINVAL);
		if (!mbr_is_extended(e.type))
			mbr_add(mp, i + 1, e.lba_first, e.sectors);
		else if (ext.sectors == 0)
			ext = e;
	}
	if (ext.sectors) {
		err = mbr_parse_extended(mp, ext.lba_first,
					 (uint64_t)ext.lba_first + ext.sectors);
		if (err)
			return err;
	}
	return mp->n;
}

/* Checks the header's own fields; @hdr is the whole header sector. */
static int
gpt_check_header(uint8_t *sector, uint64_t disk_sectors, char *why)
{
	struct gpt_header h;
	uint32_t crc;

	memcpy(&h, sector, sizeof(h));
	if (memcmp(h.signature, GPT_SIGNATURE, sizeof(h.signature)) != 0)
		return why_set(why, "protective MBR but no GPT header", -EINVAL);
	if (h.header_size < GPT_HEADER_MIN_SIZE || h.header_size > SECTOR_SIZE)
		return why_set(why, "GPT header size out of range", -EINVAL);
	memset(sector + offsetof(struct gpt_header, header_crc32), 0,
	       sizeof(h.header_crc32));
	crc = crc32_update(0, sector, h.header_size);
	if (crc != h.header_crc32)
		return why_set(why, "GPT header CRC mismatch", -EINVAL);
	if (h.my_lba != GPT_HEADER_LBA)
		return why_set(why, "GPT header not at LBA 1", -EINVAL);
	if (h.entry_size < GPT_ENTRY_MIN_SIZE || h.entry_size > SECTOR_SIZE ||
	    SECTOR_SIZE % h.entry_size || h.num_entries > GPT_MAX_ENTRIES)
		return why_set(why, "GPT entry array size out of range", -EINVAL);
	if (h.first_usable_lba > h.last_usable_lba ||
	    h.last_usable_lba >= disk_sectors ||
	    h.entries_lba < 2 || h.entries_lba >= disk_sectors ||
	    (uint64_t)h.num_entries * h.entry_size / SECTOR_SIZE >
	    disk_sectors - h.entries_lba)
		return why_set(why, "GPT header points outside the disk", -EINVAL);
	return 0;
}

static int
gpt_take_entry(const struct gpt_header *h, const uint8_t *raw, int index,
	       struct partition *out, int *n, int max, char *why)
{
	static const uint8_t unused[16];
	struct gpt_entry e;

	memcpy(&e, raw, sizeof(e));
	if (memcmp(e.type_guid, unused, sizeof(unused)) == 0)
		return 0;
	if (e.first_lba > e.last_lba || e.first_lba < h->first_usable_lba ||
	    e.last_lba > h->last_usable_lba)
		return why_set(why, "GPT partition outside the usable area",
			       -EINVAL);
	if (*n < max)
		out[(*n)++] = (struct partition){ index + 1, e.first_lba,
						  e.last_lba - e.first_lba + 1 };
	return 0;
}

/* Reads the entry array a sector at a time, CRC over all of it, and
 * keeps the used entries. */
static int
gpt_parse(partition_read_fn read, void *ctx, const struct gpt_header *h,
	  struct partition *out, int max, char *why)
{
	uint32_t per_sector = SECTOR_SIZE / h->entry_size, crc = 0;
	uint32_t nsectors = (h->num_entries + per_sector - 1) / per_sector;
	uint8_t sector[SECTOR_SIZE];
	int n = 0, err = 0;

	for (uint32_t s = 0; s < nsectors; s++) {
		uint32_t first = s * per_sector;
		uint32_t count = MIN(per_sector, h->num_entries - first);

		if (read(ctx, h->entries_lba + s, sector, 1))
			return why_set(why, "cannot read the GPT entries", -EIO);
		crc = crc32_update(crc, sector, count * h->entry_size);
		for (uint32_t i = 0; i < count && !err; i++)
			err = gpt_take_entry(h, sector + i * h->entry_size,
					     (int)(first + i), out, &n, max, why);
	}
	if (crc != h->entries_crc32)
		return why_set(why, "GPT entry array CRC mismatch", -EINVAL);
	return err ? err : n;
}

int
partition_parse(partition_read_fn read, void *ctx, uint64_t disk_sectors,
		struct partition *out, int max, char why[PARTITION_WHY_LEN])
{
	uint8_t sector[SECTOR_SIZE];
	struct gpt_header h;
	int err;

	why[0] = '\0';
	if (disk_sectors < 1 || read(ctx, 0, sector, 1))
		return why_set(why, "cannot read sector 0", -EIO);
	if (le16_at(sector + MBR_SIGNATURE_OFFSET) != MBR_SIGNATURE)
		return 0;	/* no table: a bare file system, or empty */
	if (!mbr_is_protective(sector)) {
		struct mbr_parse mp = { read, ctx, disk_sectors, out, max, 0,
					why };

		return mbr_parse(&mp, sector);
	}
	if (disk_sectors <= GPT_HEADER_LBA ||
	    read(ctx, GPT_HEADER_LBA, sector, 1))
		return why_set(why, "cannot read the GPT header", -EIO);
	memcpy(&h, sector, sizeof(h));
	err = gpt_check_header(sector, disk_sectors, why);
	if (err)
		return err;
	return gpt_parse(read, ctx, &h, out, max, why);
}
