/* Helpers the two boot-information parsers share (boot/common.c). */
#ifndef KEEL_BOOT_COMMON_H
#define KEEL_BOOT_COMMON_H

#include <keel/boot.h>

/* A pointer to [phys, phys+len) if the early page tables map all of it. */
const void *
boot_early_ptr(uint64_t phys, uint64_t len);
void
boot_copy_cmdline(uint64_t phys);
void
boot_add_region(uint64_t base, uint64_t len, uint32_t e820_type);
void
boot_add_module(uint64_t base, uint64_t len);
void
boot_save_rsdp(const void *rsdp, size_t len);
/* Records @msg as the reason boot cannot go on; returns -EINVAL. */
int
boot_error(const char *msg);

#endif
