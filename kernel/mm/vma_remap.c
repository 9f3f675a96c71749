/* mremap (see keel/vm.h): shrinking an area, growing it in place, or
 * moving its pages by their page-table entries to a new range; file
 * mappings move with their pager. */
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/pmm.h>
#include <keel/vm.h>
#include "vma_internal.h"

/* The protection of the area holding [addr, addr+len), if one area holds
 * all of it (mremap moves single mappings only, as Linux does). */
static int
vm_single_area_prot(uint64_t addr, uint64_t len, unsigned *prot, bool *paged)
{
	unsigned long flags = spin_lock_irqsave(&vm.lock);
	struct vma *v = vma_find(addr);
	int err = v && addr + len <= v->end && !v->special ? 0 : -EFAULT;

	if (!err) {
		*prot = v->prot;
		*paged = v->pager != NULL;
	}
	spin_unlock_irqrestore(&vm.lock, flags);
	return err;
}

/* Moves the present pages of [from, from+len) to [to, to+len) by their
 * page-table entries, flags and all: no copy, untouched pages stay
 * untouched. Caller holds vm.lock and has made [to, to+len) an area like
 * @v, the area the pages come from. */
static int
pages_move(uint64_t from, uint64_t to, uint64_t len, const struct vma *v)
{
	int err = 0;

	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t pa, flags;

		if (!paging_lookup(from + off, &pa, &flags))
			continue;
		paging_unmap_page(from + off);
		if (paging_map_page(to + off, pa & PAGE_MASK, flags)) {
			if (vma_owns_frame(v, flags))
				pmm_free_pages(pa & PAGE_MASK, 0);
			err = -ENOMEM;	/* no page table: that page is lost */
		}
	}
	return err;
}

/* True if [a, a+alen) and [b, b+blen) share a byte. */
static bool
ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Moves the area part [addr, addr+old_len) to @to (0: a free range of
 * our choosing), @new_len long, replacing what was at @to. Pages past
 * new_len are freed; with @keep_old the old range stays mapped, empty
 * (MREMAP_DONTUNMAP). Caller holds vm.lock. */
static long
vma_move(uint64_t addr, uint64_t old_len, uint64_t new_len, uint64_t to,
	 bool keep_old)
{
	struct vma *v = vma_find(addr), from;
	int err;

	if (!v || addr + old_len > v->end || v->special)
		return -EFAULT;		/* not one ordinary area, as Linux says */
	from = *v;			/* v may be split by the cut below */
	from.pgoff += (addr - v->start) / PAGE_SIZE;
	if (to && (!range_valid(to, new_len) ||
		   ranges_overlap(addr, old_len, to, new_len)))
		return -EINVAL;
	if (!to && !(to = vma_find_gap(new_len)))
		return -ENOMEM;
	err = vma_cut(to, to + new_len) ?:
	      vma_insert(to, to + new_len, from.prot);
	if (!err && from.pager) {
		vma_set_pager(vma_find(to), from.pager, from.obj, from.pgoff);
		vma_find(to)->maywrite = from.maywrite;
		vma_find(to)->cow = from.cow;
	}
	if (!err)
		err = pages_move(addr, to, MIN(old_len, new_len), &from);
	if (!err && !keep_old)
		err = vma_cut(addr, addr + old_len);
	return err ? err : (long)to;
}

static long
vm_remap_move(uint64_t addr, uint64_t old_len, uint64_t new_len, uint64_t to,
	      bool keep_old)
{
	unsigned long flags = spin_lock_irqsave(&vm.lock);
	long ret;

	vm_pick_mmap_base();
	ret = vma_move(addr, old_len, new_len, to, keep_old);
	spin_unlock_irqrestore(&vm.lock, flags);
	return ret;
}

long
vm_remap(uint64_t addr, uint64_t old_len, uint64_t new_len, unsigned how,
	 uint64_t new_addr)
{
	unsigned prot;
	bool paged;
	int err;

	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = ALIGN_UP(new_len, PAGE_SIZE);
	/* old_len 0 asks Linux for a second view of shared pages, which
	 * areas here cannot express. */
	if (!range_valid(addr, old_len) || !new_len)
		return -EINVAL;
	if (how & (VM_REMAP_FIXED | VM_REMAP_DONTUNMAP))
		return vm_remap_move(addr, old_len, new_len,
				     how & VM_REMAP_FIXED ? new_addr : 0,
				     how & VM_REMAP_DONTUNMAP);
	err = vm_single_area_prot(addr, old_len, &prot, &paged);
	if (err)
		return err;
	if (new_len <= old_len) {
		if (new_len < old_len)
			vm_unmap(addr + new_len, old_len - new_len);
		return (long)addr;
	}
	/* A file mapping grows only by moving: areas grown in place here
	 * would be anonymous. */
	if (!paged &&
	    vm_map_anon(addr + old_len, new_len - old_len, prot, false,
			true) > 0)
		return (long)addr;		/* grown in place */
	if (!(how & VM_REMAP_MAYMOVE))
		return -ENOMEM;
	return vm_remap_move(addr, old_len, new_len, 0, false);
}
