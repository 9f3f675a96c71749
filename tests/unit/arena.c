/* The page-frame arena shared by the unit tests that allocate pages. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "arena.h"

extern uintptr_t host_direct_map_base;

void
unit_arena_init(size_t bytes, const struct pmm_range *usable, int nusable,
		const struct pmm_range *reserved, int nreserved)
{
	void *arena = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (arena == MAP_FAILED)
		abort();
	host_direct_map_base = (uintptr_t)arena;
	if (pmm_init(usable, nusable, reserved, nreserved) != 0)
		abort();
}
