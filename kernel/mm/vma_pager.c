/* The file mappings' side of the VM areas: which pager object a range
 * maps, for mremap and msync, with a reference so that the object stays
 * while the caller sleeps in it without the VM lock. */
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/vm.h>
#include "vma_internal.h"

void *
vm_pager_at(uint64_t addr, const struct vm_pager_ops **pager,
	    uint64_t *pgoff)
{
	unsigned long flags = spin_lock_irqsave(&vm.lock);
	struct vma *v = vma_find(addr);
	void *obj = NULL;

	if (v && v->pager) {
		obj = v->obj;
		*pager = v->pager;
		*pgoff = v->pgoff + (ALIGN_DOWN(addr, PAGE_SIZE) - v->start) /
			 PAGE_SIZE;
		v->pager->ref(obj);
	}
	spin_unlock_irqrestore(&vm.lock, flags);
	return obj;
}

#define SYNC_BATCH	8

/* One mapped object msync visits. */
struct sync_item {
	const struct vm_pager_ops *pager;
	void *obj;
	bool stored;		/* stored to through the mapping lately */
};

/* True if a page of [start, end) was stored to since the last look: the
 * PTE dirty bits say so, and are cleared for the next msync. */
static bool
pages_stored(uint64_t start, uint64_t end)
{
	bool stored = false;

	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t pa, flags;

		if (!paging_lookup(va, &pa, &flags) || !(flags & PTE_D))
			continue;
		stored = true;
		paging_unmap_page(va);	/* flushes the TLB entry too */
		paging_map_page(va, pa & PAGE_MASK, flags & ~(PTE_D | PTE_P));
	}
	return stored;
}

/* Up to SYNC_BATCH pager objects of the areas in [*start, end), each with
 * a reference; *start moves past the areas taken. */
static int
sync_collect(uint64_t *start, uint64_t end, struct sync_item *out)
{
	unsigned long flags = spin_lock_irqsave(&vm.lock);
	struct list_node *n;
	int count = 0;

	list_for_each(n, &vm.areas) {
		struct vma *v = list_entry(n, struct vma, node);

		if (v->end <= *start || v->start >= end || !v->pager || v->cow)
			continue;	/* private: nothing to sync */
		if (count == SYNC_BATCH)
			break;
		out[count].pager = v->pager;
		out[count].obj = v->obj;
		out[count++].stored = pages_stored(MAX(v->start, *start),
						   MIN(v->end, end));
		v->pager->ref(v->obj);
		*start = v->end;
	}
	if (count < SYNC_BATCH)
		*start = end;
	spin_unlock_irqrestore(&vm.lock, flags);
	return count;
}

int
vm_sync_range(uint64_t addr, uint64_t len,
	      int (*fn)(void *obj, bool stored, void *arg), void *arg)
{
	uint64_t end = addr + ALIGN_UP(len, PAGE_SIZE), at = addr;
	struct sync_item batch[SYNC_BATCH];
	unsigned long flags;
	int first = 0;

	flags = spin_lock_irqsave(&vm.lock);
	first = range_fully_mapped(addr, end) ? 0 : -ENOMEM;
	spin_unlock_irqrestore(&vm.lock, flags);
	while (!first && at < end) {
		int count = sync_collect(&at, end, batch);

		for (int i = 0; i < count; i++) {
			int err = fn(batch[i].obj, batch[i].stored, arg);

			if (err && !first)
				first = err;
			batch[i].pager->unref(batch[i].obj);
		}
	}
	return first;
}
