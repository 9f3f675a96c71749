/* A host stand-in for physical memory: an anonymous mapping that the
 * kernel's direct map points at, handed to the real page-frame allocator,
 * for unit tests of code that allocates pages. */
#ifndef UNIT_ARENA_H
#define UNIT_ARENA_H

#include <stddef.h>
#include <keel/pmm.h>

/* Maps @bytes of "physical memory" and runs pmm_init() on it; aborts the
 * test program if either fails (nothing can run without it). */
void
unit_arena_init(size_t bytes, const struct pmm_range *usable, int nusable,
		const struct pmm_range *reserved, int nreserved);

#endif
