/* The boot_info both boot paths fill, and the bounded helpers they use to
 * copy what the loader left in memory we are about to reuse. */
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/string.h>
#include "boot_common.h"

#define EARLY_MAP_END	GiB(4)	/* what boot.S's early tables map */
#define E820_MAX_TYPE	MEM_BAD

struct boot_info boot_info;
/* RSDP copied out of the multiboot2 tag, which lives in reusable memory. */
static uint8_t boot_rsdp_copy[64] __aligned(16);
const char *boot_error_msg;

const void *
boot_early_ptr(uint64_t phys, uint64_t len)
{
	if (phys == 0 || phys >= EARLY_MAP_END || len > EARLY_MAP_END - phys)
		return NULL;
	return phys_to_virt(phys);
}

void
boot_copy_cmdline(uint64_t phys)
{
	const char *src = boot_early_ptr(phys, 1);
	size_t max = sizeof(boot_info.cmdline) - 1, n = 0;

	if (!src)
		return;
	if (EARLY_MAP_END - phys < max)
		max = EARLY_MAP_END - phys;
	while (n < max && src[n])
		n++;
	memcpy(boot_info.cmdline, src, n);
	boot_info.cmdline[n] = '\0';
	boot_info.cmdline_truncated = src[n] != '\0';
}

void
boot_add_region(uint64_t base, uint64_t len, uint32_t e820_type)
{
	struct mem_region *r;

	if (len == 0 || base + len < base ||
	    boot_info.nregions == BOOT_MAX_REGIONS)
		return;
	r = &boot_info.regions[boot_info.nregions++];
	r->base = base;
	r->len = len;
	r->type = (e820_type >= MEM_USABLE && e820_type <= E820_MAX_TYPE) ?
		  (enum mem_type)e820_type : MEM_RESERVED;
}

void
boot_add_module(uint64_t base, uint64_t len)
{
	struct boot_module *m;

	if (len == 0 || boot_info.nmodules == BOOT_MAX_MODULES)
		return;
	m = &boot_info.modules[boot_info.nmodules++];
	m->base = base;
	m->len = len;
	m->name = "";
}

void
boot_save_rsdp(const void *rsdp, size_t len)
{
	if (len > sizeof(boot_rsdp_copy))
		len = sizeof(boot_rsdp_copy);
	memcpy(boot_rsdp_copy, rsdp, len);
	/* The image is direct-mapped like all RAM, so a physical address of
	 * the copy serves acpi_init() as well as the original would. */
	boot_info.rsdp_phys = (uint64_t)boot_rsdp_copy - KERNEL_VIRT_BASE;
}

int
boot_error(const char *msg)
{
	boot_error_msg = msg;
	return -EINVAL;
}
