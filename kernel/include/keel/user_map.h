/* Mapping application memory for the loader (kernel/exec/user_map.c). */
#ifndef KEEL_USER_MAP_H
#define KEEL_USER_MAP_H

#include <keel/vm.h>	/* VM_PROT_*, the same values as ELF_PROT_* */

/* Maps [va, va + len), page-aligned, zero-filled, then passed through
 * @fill (may be NULL) page by page. Returns 0, -ENOMEM or -EEXIST. */
int
user_map(uint64_t va, uint64_t len, unsigned prot,
	 void (*fill)(void *page, uint64_t page_va, void *arg), void *arg);

#endif
