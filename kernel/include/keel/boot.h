/* What the boot loader told us, in one form for both boot paths: PVH's
 * hvm_start_info and multiboot2's information structure both become this. */
#ifndef KEEL_BOOT_H
#define KEEL_BOOT_H

#include <keel/compiler.h>

#define BOOT_MAX_REGIONS	64
#define BOOT_MAX_MODULES	8
#define BOOT_CMDLINE_MAX	4096

enum boot_protocol {
	BOOT_PVH = 1,
	BOOT_MULTIBOOT2 = 2,
};

enum mem_type {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI = 3,
	MEM_NVS = 4,
	MEM_BAD = 5,
};

struct mem_region {
	uint64_t base;
	uint64_t len;
	enum mem_type type;
};

struct boot_module {
	uint64_t base;		/* physical */
	uint64_t len;
	const char *name;	/* may be "" */
};

struct boot_info {
	enum boot_protocol protocol;
	char cmdline[BOOT_CMDLINE_MAX];	/* copied out of loader memory */
	bool cmdline_truncated;
	struct mem_region regions[BOOT_MAX_REGIONS];
	int nregions;
	struct boot_module modules[BOOT_MAX_MODULES];
	int nmodules;
	uint64_t rsdp_phys;	/* 0 if the loader gave none */
};

/* Filled once by the boot path before kmain(); read-only afterwards. */
extern struct boot_info boot_info;

/* Fill boot_info from the loader's structures. Return 0, or -EINVAL with
 * the reason in boot_error_msg. */
int
boot_parse_pvh(uint64_t start_info_phys);
int
boot_parse_multiboot2(uint64_t mbi_phys);
extern const char *boot_error_msg;

#endif
