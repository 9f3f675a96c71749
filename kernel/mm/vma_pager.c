/* The file mappings' side of the VM areas: which pager object a range
 * maps, for mremap and msync, with a reference so that the object stays
 * while the caller sleeps in it without the VM lock. */
#include <keel/errno.h>
#include <keel/page.h>
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

/* Up to SYNC_BATCH pager objects of the areas in [*start, end), each with
 * a reference; *start moves past the areas taken. */
static int
sync_collect(uint64_t *start, uint64_t end, struct vma *out)
{
	unsigned long flags = spin_lock_irqsave(&vm.lock);
	struct list_node *n;
	int count = 0;

	list_for_each(n, &vm.areas) {
		struct vma *v = list_entry(n, struct vma, node);

		if (v->end <= *start || v->start >= end || !v->pager)
			continue;
		if (count == SYNC_BATCH)
			break;
		out[count++] = *v;
		v->pager->ref(v->obj);
		*start = v->end;
	}
	if (count < SYNC_BATCH)
		*start = end;
	spin_unlock_irqrestore(&vm.lock, flags);
	return count;
}

int
vm_sync_range(uint64_t addr, uint64_t len, int (*fn)(void *obj, void *arg),
	      void *arg)
{
	uint64_t end = addr + ALIGN_UP(len, PAGE_SIZE), at = addr;
	struct vma batch[SYNC_BATCH];
	unsigned long flags;
	int first = 0;

	flags = spin_lock_irqsave(&vm.lock);
	first = range_fully_mapped(addr, end) ? 0 : -ENOMEM;
	spin_unlock_irqrestore(&vm.lock, flags);
	while (!first && at < end) {
		int count = sync_collect(&at, end, batch);

		for (int i = 0; i < count; i++) {
			int err = fn(batch[i].obj, arg);

			if (err && !first)
				first = err;
			batch[i].pager->unref(batch[i].obj);
		}
	}
	return first;
}
