/* Mapping application memory for the loader (kernel/exec/user_map.c). */
#ifndef KEEL_USER_MAP_H
#define KEEL_USER_MAP_H

#include <keel/compiler.h>

#define USER_PROT_READ	0x1
#define USER_PROT_WRITE	0x2
#define USER_PROT_EXEC	0x4

/* Maps [va, va + len), page-aligned, zero-filled, then passed through
 * @fill (may be NULL) page by page. Returns 0, -ENOMEM or -EEXIST. */
int
user_map(uint64_t va, uint64_t len, unsigned prot,
	 void (*fill)(void *page, uint64_t page_va, void *arg), void *arg);

#endif
