/* Pages and the direct map: every physical page is visible at
 * DIRECT_MAP_BASE + phys. Host unit tests point the direct map at an arena. */
#ifndef KEEL_PAGE_H
#define KEEL_PAGE_H

#include <keel/compiler.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#ifdef KEEL_HOST_TEST
extern uintptr_t host_direct_map_base;
#define DIRECT_MAP_BASE	host_direct_map_base
#else
#define DIRECT_MAP_BASE	0xffff800000000000UL
#endif

/* The kernel image is linked here and loaded at KERNEL_PHYS_BASE. */
#define KERNEL_VIRT_BASE	0xffffffff80000000UL
/* Kernel virtual area: stacks with guard pages, large mappings, MMIO. */
#define KVA_BASE		0xffffc00000000000UL
#define KVA_SIZE		(1UL << 40)

static inline void *
phys_to_virt(uint64_t phys)
{
	return (void *)(uintptr_t)(phys + DIRECT_MAP_BASE);
}

/* Only for direct-map addresses (heap, page frames), never the image. */
static inline uint64_t
virt_to_phys(const void *virt)
{
	return (uint64_t)(uintptr_t)virt - DIRECT_MAP_BASE;
}

#endif
