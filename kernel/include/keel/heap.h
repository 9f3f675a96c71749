/* The kernel heap: size classes for small objects, whole page blocks for
 * large ones. Memory comes from pmm and is reached through the direct map. */
#ifndef KEEL_HEAP_H
#define KEEL_HEAP_H

#include <keel/compiler.h>

#define HEAP_MIN_ALIGN	16

/* Returns 16-byte aligned memory or NULL. Any context, never sleeps. */
void *
kmalloc(size_t size);
void *
kzalloc(size_t size);
/* Accepts NULL. Freeing a pointer kmalloc did not return panics. */
void
kfree(void *ptr);

struct heap_stats {
	uint64_t bytes_in_use;		/* requested sizes, live objects */
	uint64_t pages_held;		/* pages the heap holds from pmm */
	uint64_t nr_allocs;
	uint64_t nr_frees;
};
void
heap_get_stats(struct heap_stats *out);

#endif
