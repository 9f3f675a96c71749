/* Constants shared by the assembly entry code and C: protocol ids, magics,
 * early stack size. Plain #defines so boot.S can include it. */
#ifndef KEEL_BOOT_DEFS_H
#define KEEL_BOOT_DEFS_H

#define BOOT_PROTO_PVH		1
#define BOOT_PROTO_MULTIBOOT2	2

#define MB2_HEADER_MAGIC	0xe85250d6
#define MB2_BOOTLOADER_MAGIC	0x36d76289

#define KERNEL_VIRT_BASE_ASM	0xffffffff80000000
#define EARLY_PT_PAGES		7	/* PML4, 2 PDPTs, 4 PDs */
#define BOOT_STACK_SIZE		(16 * 1024)

/* Exit status for a boot that cannot go on: bad command line, too little
 * memory, unsupported CPU. */
#define BOOT_ERROR_STATUS	2

#endif
