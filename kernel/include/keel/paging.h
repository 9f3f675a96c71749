/* The kernel's page tables: a direct map of all memory the boot loader
 * described, the image mapped with per-section permissions (text read-only,
 * everything else no-execute), and 4 KiB mappings in the kernel virtual area. */
#ifndef KEEL_PAGING_H
#define KEEL_PAGING_H

#include <keel/boot.h>
#include <keel/pte.h>

/* Page-table pages come from [*next, limit) until pmm is up; advances *next.
 * Switches CR3 to the new tables. Returns 0 or -ENOMEM. */
int
paging_init(const struct boot_info *bi, uint64_t *next, uint64_t limit);

/* Hands page-table allocation over to pmm (after pmm_init). */
void
paging_use_pmm(void);

/* Maps one 4 KiB page; @flags from pte.h (PTE_P is implied). Returns 0,
 * -ENOMEM, or -EEXIST if @va is already mapped. */
int
paging_map_page(uint64_t va, uint64_t pa, uint64_t flags);
/* Unmaps one 4 KiB page and flushes it from the TLB. Returns 0 or -ENOENT. */
int
paging_unmap_page(uint64_t va);

/* Leaves the 4 KiB page at @va (in the image) unmapped: a stack guard. */
void
paging_make_guard(void *va);

/* Walks the tables: returns true and the leaf's physical address and flags
 * if @va is mapped. Safe inside a panic. */
bool
paging_lookup(uint64_t va, uint64_t *pa, uint64_t *flags);
bool
paging_is_mapped(uint64_t va);

/* Highest physical address the direct map covers. */
uint64_t
paging_direct_map_end(void);

#endif
