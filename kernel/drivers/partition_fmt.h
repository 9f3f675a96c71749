/* On-disk partition table formats: the MBR (with its primary entries)
 * and GPT (UEFI 2.x, chapter 5) header and entries. Fixed-width types, no
 * kernel includes: host tests use it unchanged. */
#ifndef KEEL_PARTITION_FMT_H
#define KEEL_PARTITION_FMT_H

#include <stddef.h>
#include <stdint.h>

#define MBR_ENTRIES_OFFSET	446
#define MBR_NUM_ENTRIES		4
#define MBR_SIGNATURE_OFFSET	510
#define MBR_SIGNATURE		0xaa55
#define MBR_STATUS_ACTIVE	0x80
#define MBR_STATUS_INACTIVE	0x00
#define MBR_TYPE_EMPTY		0x00
#define MBR_TYPE_EXTENDED_CHS	0x05
#define MBR_TYPE_EXTENDED_LBA	0x0f
#define MBR_TYPE_EXTENDED_LINUX	0x85
#define MBR_TYPE_GPT_PROTECTIVE	0xee

struct mbr_entry {
	uint8_t status;
	uint8_t chs_first[3];
	uint8_t type;
	uint8_t chs_last[3];
	uint32_t lba_first;
	uint32_t sectors;
} __attribute__((packed));

#define GPT_HEADER_LBA		1
#define GPT_SIGNATURE		"EFI PART"
#define GPT_HEADER_MIN_SIZE	92
#define GPT_ENTRY_MIN_SIZE	128
#define GPT_MAX_ENTRIES		1024	/* sanity bound; tools make 128 */

struct gpt_header {
	char signature[8];
	uint32_t revision;
	uint32_t header_size;
	uint32_t header_crc32;
	uint32_t reserved;
	uint64_t my_lba;
	uint64_t alternate_lba;
	uint64_t first_usable_lba;
	uint64_t last_usable_lba;
	uint8_t disk_guid[16];
	uint64_t entries_lba;
	uint32_t num_entries;
	uint32_t entry_size;
	uint32_t entries_crc32;
} __attribute__((packed));

struct gpt_entry {
	uint8_t type_guid[16];		/* all zero: unused */
	uint8_t unique_guid[16];
	uint64_t first_lba;
	uint64_t last_lba;		/* inclusive */
	uint64_t attributes;
	uint16_t name[36];		/* UTF-16LE */
} __attribute__((packed));

_Static_assert(sizeof(struct mbr_entry) == 16, "MBR entry");
_Static_assert(sizeof(struct gpt_header) == GPT_HEADER_MIN_SIZE, "GPT header");
_Static_assert(offsetof(struct gpt_header, entries_lba) == 72, "entries_lba");
_Static_assert(sizeof(struct gpt_entry) == GPT_ENTRY_MIN_SIZE, "GPT entry");

#endif
