/* Physical page frames: a buddy allocator over the usable RAM regions.
 * Blocks of 2^order pages; allocation and freeing are O(PMM_MAX_ORDER). */
#ifndef KEEL_PMM_H
#define KEEL_PMM_H

#include <keel/compiler.h>

#define PMM_MAX_ORDER	18	/* largest block: 2^18 pages = 1 GiB */

/*
 * Takes the usable ranges [base, base+len) (page-aligned inward by the
 * allocator) minus the reserved ones (kernel image, boot modules, page 0).
 * Metadata (one struct per page frame) is carved out of the usable memory.
 * Returns 0 or -ENOMEM if no range can hold the metadata.
 */
struct pmm_range {
	uint64_t base;
	uint64_t len;
};
int
pmm_init(const struct pmm_range *usable, int nusable,
	 const struct pmm_range *reserved, int nreserved);

/* Returns the physical address of 2^order contiguous, naturally aligned
 * free pages, or 0 if none. Any context; takes the pmm lock. */
uint64_t
pmm_alloc_pages(unsigned order);

/* Frees a block returned by pmm_alloc_pages() with the same order. A double
 * free or an order mismatch panics. */
void
pmm_free_pages(uint64_t phys, unsigned order);

uint64_t
pmm_free_page_count(void);
uint64_t
pmm_total_page_count(void);

#endif
