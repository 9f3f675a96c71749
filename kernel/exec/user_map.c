/* Application memory the loader sets up before the program runs: zeroed
 * pages mapped with the ELF segment's protection, filled through the
 * direct map (the kernel may not write read-only pages it maps). The mmap
 * layer with VM areas and demand paging comes with the memory calls. */
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/pmm.h>
#include <keel/string.h>
#include <keel/user_map.h>

static uint64_t
prot_to_pte(unsigned prot)
{
	uint64_t flags = 0;

	if (prot & VM_PROT_WRITE)
		flags |= PTE_W;
	if (!(prot & VM_PROT_EXEC))
		flags |= PTE_NX;
	return flags;
}

/* Maps [va, va + len) (page-aligned) zeroed; @fill, if given, is called
 * with each page's direct-map alias before it is mapped. */
int
user_map(uint64_t va, uint64_t len, unsigned prot,
	 void (*fill)(void *page, uint64_t page_va, void *arg), void *arg)
{
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t pa = pmm_alloc_pages(0);
		void *page;

		if (!pa)
			return -ENOMEM;
		page = phys_to_virt(pa);
		memset(page, 0, PAGE_SIZE);
		if (fill)
			fill(page, va + off, arg);
		if (paging_map_page(va + off, pa, prot_to_pte(prot))) {
			pmm_free_pages(pa, 0);
			return -EEXIST;
		}
	}
	return 0;
}
