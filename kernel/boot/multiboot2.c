/* Reads the multiboot2 boot information (GRUB2) into boot_info: command
 * line, memory map, modules and a copy of the ACPI RSDP. Runs on the early
 * page tables: only the first 4 GiB is mapped. */
#include <keel/boot.h>
#include <keel/page.h>
#include <keel/string.h>
#include "boot_common.h"

#define MB2_TAG_END		0
#define MB2_TAG_CMDLINE		1
#define MB2_TAG_MODULE		3
#define MB2_TAG_MMAP		6
#define MB2_TAG_ACPI_OLD	14
#define MB2_TAG_ACPI_NEW	15
#define MB2_TAG_ALIGN		8
#define MB2_INFO_MAX		(1u << 20)	/* sanity bound on total_size */

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t reserved;
};

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
};

struct mb2_tag_module {
	struct mb2_tag tag;
	uint32_t mod_start;
	uint32_t mod_end;
};

static void
mb2_read_mmap(const struct mb2_tag *tag)
{
	const struct mb2_tag_mmap *m = (const void *)tag;
	const uint8_t *p = (const uint8_t *)(m + 1);
	const uint8_t *end = (const uint8_t *)tag + tag->size;

	if (m->entry_size < sizeof(struct mb2_mmap_entry))
		return;
	for (; p + m->entry_size <= end; p += m->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;

		boot_add_region(e->base, e->len, e->type);
	}
}

static void
mb2_read_tag(const struct mb2_tag *tag, uint64_t tag_phys)
{
	const struct mb2_tag_module *mod = (const void *)tag;

	switch (tag->type) {
	case MB2_TAG_CMDLINE:
		boot_copy_cmdline(tag_phys + sizeof(*tag));
		break;
	case MB2_TAG_MMAP:
		mb2_read_mmap(tag);
		break;
	case MB2_TAG_MODULE:
		if (mod->mod_end > mod->mod_start)
			boot_add_module(mod->mod_start,
					mod->mod_end - mod->mod_start);
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		boot_save_rsdp(tag + 1, tag->size - sizeof(*tag));
		break;
	}
}

int
boot_parse_multiboot2(uint64_t mbi_phys)
{
	const uint32_t *hdr = boot_early_ptr(mbi_phys, 8);
	uint32_t total, off = 8;

	boot_info.protocol = BOOT_MULTIBOOT2;
	if (!hdr || hdr[0] < 16 || hdr[0] > MB2_INFO_MAX ||
	    !boot_early_ptr(mbi_phys, hdr[0]))
		return boot_error("bad multiboot2 information");
	total = hdr[0];
	while (off + sizeof(struct mb2_tag) <= total) {
		const struct mb2_tag *tag = phys_to_virt(mbi_phys + off);

		if (tag->type == MB2_TAG_END || tag->size < sizeof(*tag) ||
		    tag->size > total - off)
			break;
		mb2_read_tag(tag, mbi_phys + off);
		off += ALIGN_UP(tag->size, MB2_TAG_ALIGN);
	}
	if (boot_info.nregions == 0)
		return boot_error("multiboot2 information has no memory map");
	return 0;
}
