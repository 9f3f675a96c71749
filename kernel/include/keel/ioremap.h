/* Mappings of device memory (MMIO) that the direct map must not cover:
 * uncached kernel-virtual windows onto physical ranges. */
#ifndef KEEL_IOREMAP_H
#define KEEL_IOREMAP_H

#include <keel/compiler.h>

/* Maps @len bytes of device memory at @phys uncached; NULL on failure. */
void *ioremap(uint64_t phys, size_t len);
/* Undoes ioremap(); @virt and @len as returned and passed to it. */
void iounmap(void *virt, size_t len);

#endif
