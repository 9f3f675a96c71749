/* Kernel stacks for threads: mapped in the kernel virtual area, each with
 * an unmapped guard page right below it, so an overflow faults at once
 * instead of corrupting whatever lies beneath. */
#ifndef KEEL_KSTACK_H
#define KEEL_KSTACK_H

#include <keel/compiler.h>

/* Maps a stack of @size bytes (a multiple of the page size, at most
 * KSTACK_MAX_SIZE). Returns 0 with [*lo, *hi), or -ENOMEM. May sleep. */
int
kstack_alloc(size_t size, uint64_t *lo, uint64_t *hi);
void
kstack_free(uint64_t lo, uint64_t hi);

#define KSTACK_MAX_SIZE	(60 * 1024)

#endif
