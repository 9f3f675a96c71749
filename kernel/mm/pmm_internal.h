/* Block tags: what pmm offers the layers just above it in kernel/mm (the
 * heap) but nothing else. A tag is one word kept in the head frame's metadata
 * of an allocated block, so its owner can recognize the block in O(1). */
#ifndef KEEL_MM_PMM_INTERNAL_H
#define KEEL_MM_PMM_INTERNAL_H

#include <keel/compiler.h>

/* Sets the tag of the allocated block whose head frame is @phys. pmm zeroes
 * the tag when the block is allocated and when it is freed. Panics if @phys
 * is not the head of an allocated block. Takes the pmm lock. */
void
pmm_block_set_tag(uint64_t phys, uint32_t tag);

/* Returns the tag of the allocated block whose head frame is @phys and puts
 * its order in *@order; returns 0 (and leaves *@order alone) for any other
 * address, managed or not, so callers may probe arbitrary pointers. Takes
 * the pmm lock. */
uint32_t
pmm_block_tag(uint64_t phys, unsigned *order);

#endif
