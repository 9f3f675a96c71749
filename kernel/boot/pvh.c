/* Reads the PVH hvm_start_info (Xen's public arch-x86/hvm/start_info.h
 * layout, which QEMU, Firecracker and cloud-hypervisor fill in) into
 * boot_info. Runs on the early page tables: only the first 4 GiB is mapped. */
#include <keel/boot.h>
#include <keel/page.h>
#include <keel/string.h>
#include "boot_common.h"

#define HVM_START_MAGIC		0x336ec578
#define HVM_MEMMAP_VERSION	1

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info");

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry");

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};
_Static_assert(sizeof(struct hvm_memmap_entry) == 24, "hvm_memmap_entry");

static int
pvh_read_memmap(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *e;

	if (si->version < HVM_MEMMAP_VERSION || si->memmap_entries == 0)
		return boot_error("PVH start info has no memory map");
	e = boot_early_ptr(si->memmap_paddr,
			   si->memmap_entries * sizeof(*e));
	if (!e)
		return boot_error("PVH memory map out of reach");
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		boot_add_region(e[i].addr, e[i].size, e[i].type);
	return 0;
}

static void
pvh_read_modules(const struct hvm_start_info *si)
{
	const struct hvm_modlist_entry *m;

	if (si->nr_modules == 0)
		return;
	m = boot_early_ptr(si->modlist_paddr, si->nr_modules * sizeof(*m));
	for (uint32_t i = 0; m && i < si->nr_modules; i++)
		boot_add_module(m[i].paddr, m[i].size);
}

int
boot_parse_pvh(uint64_t start_info_phys)
{
	const struct hvm_start_info *si =
		boot_early_ptr(start_info_phys, sizeof(*si));
	int err;

	boot_info.protocol = BOOT_PVH;
	if (!si || si->magic != HVM_START_MAGIC)
		return boot_error("bad PVH start info magic");
	if (si->cmdline_paddr)
		boot_copy_cmdline(si->cmdline_paddr);
	err = pvh_read_memmap(si);
	if (err)
		return err;
	pvh_read_modules(si);
	boot_info.rsdp_phys = si->rsdp_paddr;
	return 0;
}
