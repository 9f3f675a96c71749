/* VM areas of the application (see keel/vm.h): a list sorted by address,
 * split and merged as ranges are mapped, unmapped and reprotected. Pages
 * are allocated on first touch, so even huge PROT_NONE reservations cost
 * nothing until used. A spinlock guards the list: the page-fault handler,
 * which runs with interrupts off, takes it too. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/list.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/printk.h>
#include <keel/pmm.h>
#include <keel/random.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/uaccess.h>
#include <keel/vm.h>
#include "vma_internal.h"

#define MMAP_BASE_TOP	0x00007f0000000000ULL
#define MMAP_SPREAD	(1ULL << 36)	/* 64 GiB of placement */
#define MMAP_LOWEST	0x0000000010000000ULL

struct vm_space vm = {
	.lock = SPINLOCK_INIT_NAMED("vm"),
	.areas = LIST_INIT(vm.areas),
};

static struct vma *
vma_of(struct list_node *n)
{
	return list_entry(n, struct vma, node);
}

uint64_t
prot_pte(unsigned prot)
{
	return (prot & VM_PROT_WRITE ? PTE_W : 0) |
	       (prot & VM_PROT_EXEC ? 0 : PTE_NX);
}

/* Unmaps the present pages of [start, end) of @v and frees their frames,
 * unless they are the pager's (those stay in the page cache). */
static void
pages_free(const struct vma *v, uint64_t start, uint64_t end)
{
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t pa, flags;

		if (paging_lookup(va, &pa, &flags) &&
		    paging_unmap_page(va) == 0 && vma_owns_frame(v, flags))
			pmm_free_pages(pa & PAGE_MASK, 0);
	}
}

/* Splits the area holding @addr so that an area starts exactly there. */
static int
vma_split_at(uint64_t addr)
{
	struct list_node *n;

	list_for_each(n, &vm.areas) {
		struct vma *v = vma_of(n), *tail;

		if (addr <= v->start || addr >= v->end)
			continue;
		tail = kmalloc(sizeof(*tail));
		if (!tail)
			return -ENOMEM;
		*tail = *v;
		tail->start = addr;
		v->end = addr;
		if (tail->pager) {	/* two areas now map the object */
			tail->pgoff += (addr - v->start) / PAGE_SIZE;
			tail->pager->ref(tail->obj);
		}
		list_insert_between(&tail->node, &v->node, v->node.next);
		return 0;
	}
	return 0;
}

/* Removes [start, end) from the list (after splitting at both ends),
 * freeing the pages of ordinary areas and only unmapping special ones. */
int
vma_cut(uint64_t start, uint64_t end)
{
	struct list_node *n, *next;
	int err = vma_split_at(start);

	if (!err)
		err = vma_split_at(end);
	if (err)
		return err;
	for (n = vm.areas.next; n != &vm.areas; n = next) {
		struct vma *v = vma_of(n);

		next = n->next;
		if (v->start < start || v->end > end)
			continue;
		if (v->special) {
			for (uint64_t va = v->start; va < v->end; va += PAGE_SIZE)
				paging_unmap_page(va);
		} else {
			pages_free(v, v->start, v->end);
		}
		if (v->pager)
			v->pager->unref(v->obj);
		list_remove(n);
		kfree(v);
	}
	return 0;
}

static bool
range_overlaps(uint64_t start, uint64_t end)
{
	struct list_node *n;

	list_for_each(n, &vm.areas)
		if (vma_of(n)->start < end && start < vma_of(n)->end)
			return true;
	return false;
}

/* Inserts a new area at its sorted place. Caller checked for overlap. */
int
vma_insert(uint64_t start, uint64_t end, unsigned prot)
{
	struct vma *v = kmalloc(sizeof(*v));
	struct list_node *n;

	if (!v)
		return -ENOMEM;
	v->start = start;
	v->end = end;
	v->prot = prot;
	v->special = false;
	v->pager = NULL;
	v->maywrite = true;
	v->cow = false;
	list_for_each(n, &vm.areas)
		if (vma_of(n)->start > start)
			break;
	list_insert_between(&v->node, n->prev, n);
	return 0;
}

/* Makes the new area @v map @obj from page @pgoff on. */
void
vma_set_pager(struct vma *v, const struct vm_pager_ops *pager, void *obj,
	      uint64_t pgoff)
{
	v->pager = pager;
	v->obj = obj;
	v->pgoff = pgoff;
	pager->ref(obj);
}

/* Highest free gap of @len below the mmap base, or 0. */
uint64_t
vma_find_gap(uint64_t len)
{
	uint64_t top = vm.mmap_base;
	struct list_node *n;

	for (n = vm.areas.prev; n != &vm.areas; n = n->prev) {
		struct vma *v = vma_of(n);

		if (v->start >= top)
			continue;
		if (v->end <= top - len && top - len >= MMAP_LOWEST)
			return top - len;
		top = v->start;
	}
	return top >= MMAP_LOWEST + len ? top - len : 0;
}

void
vm_pick_mmap_base(void)
{
	if (!vm.mmap_base)
		vm.mmap_base = MMAP_BASE_TOP - ALIGN_DOWN(
			random_early_u64() % MMAP_SPREAD, PAGE_SIZE);
}

bool
range_valid(uint64_t addr, uint64_t len)
{
	return IS_ALIGNED(addr, PAGE_SIZE) && len > 0 &&
	       user_range_ok(addr, len) && addr >= PAGE_SIZE;
}

/* Maps a new area, anonymous or (@pager) of a pager's object. */
static long
vm_map(uint64_t addr, uint64_t len, unsigned prot, unsigned how,
       const struct vm_pager_ops *pager, void *obj, uint64_t pgoff)
{
	unsigned long flags;
	long ret;

	bool fixed = how & VM_MAP_FIXED, noreplace = how & VM_MAP_NOREPLACE;

	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len || (prot & ~VM_PROT_MASK))
		return -EINVAL;
	flags = spin_lock_irqsave(&vm.lock);
	vm_pick_mmap_base();
	if ((fixed || noreplace) && !range_valid(addr, len))
		ret = -EINVAL;
	else if (noreplace && range_overlaps(addr, addr + len))
		ret = -EEXIST;
	else if (fixed && (ret = vma_cut(addr, addr + len)) != 0)
		;
	else if (!fixed && !noreplace && !(addr = vma_find_gap(len)))
		ret = -ENOMEM;
	else
		ret = vma_insert(addr, addr + len, prot) ?: (long)addr;
	if (ret > 0 && pager) {
		vma_set_pager(vma_find(addr), pager, obj, pgoff);
		vma_find(addr)->maywrite = how & VM_MAP_MAYWRITE;
		vma_find(addr)->cow = how & VM_MAP_PRIVATE;
	}
	spin_unlock_irqrestore(&vm.lock, flags);
	return ret;
}

long
vm_map_anon(uint64_t addr, uint64_t len, unsigned prot, bool fixed,
	    bool noreplace)
{
	return vm_map(addr, len, prot, (fixed ? VM_MAP_FIXED : 0) |
		      (noreplace ? VM_MAP_NOREPLACE : 0), NULL, NULL, 0);
}

long
vm_map_pager(uint64_t addr, uint64_t len, unsigned prot, unsigned how,
	     const struct vm_pager_ops *pager, void *obj, uint64_t pgoff)
{
	return vm_map(addr, len, prot, how, pager, obj, pgoff);
}

long
vm_map_special(uint64_t len)
{
	unsigned long flags = spin_lock_irqsave(&vm.lock);
	uint64_t addr;
	long ret;

	vm_pick_mmap_base();
	addr = vma_find_gap(ALIGN_UP(len, PAGE_SIZE));
	ret = addr ? vma_insert(addr, addr + ALIGN_UP(len, PAGE_SIZE),
				VM_PROT_READ | VM_PROT_EXEC) : -ENOMEM;
	if (ret == 0) {
		vma_find(addr)->special = true;
		ret = (long)addr;
	}
	spin_unlock_irqrestore(&vm.lock, flags);
	return ret;
}

int
vm_add_populated(uint64_t start, uint64_t end, unsigned prot)
{
	unsigned long flags = spin_lock_irqsave(&vm.lock);
	int err = range_overlaps(start, end) ? -EEXIST :
		  vma_insert(start, end, prot);

	spin_unlock_irqrestore(&vm.lock, flags);
	return err;
}

int
vm_unmap(uint64_t addr, uint64_t len)
{
	unsigned long flags;
	int err;

	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_valid(addr, len))
		return -EINVAL;
	flags = spin_lock_irqsave(&vm.lock);
	err = vma_cut(addr, addr + len);
	spin_unlock_irqrestore(&vm.lock, flags);
	return err;
}

/* True if every byte of [start, end) lies in some area. */
bool
range_fully_mapped(uint64_t start, uint64_t end)
{
	struct list_node *n;

	list_for_each(n, &vm.areas) {
		struct vma *v = vma_of(n);

		if (v->start <= start && start < v->end)
			start = v->end;
	}
	return start >= end;
}

static void
vma_set_prot(uint64_t start, uint64_t end, unsigned prot)
{
	struct list_node *n;

	list_for_each(n, &vm.areas)
		if (vma_of(n)->start >= start && vma_of(n)->end <= end)
			vma_of(n)->prot = prot;
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t pa, flags;

		if (!paging_lookup(va, &pa, &flags))
			continue;
		paging_unmap_page(va);
		/* A pager page is faulted in again, so the pager learns
		 * whether it may now be stored to (or a copy is made). */
		if (vma_owns_frame(vma_find(va), flags))
			paging_map_page(va, pa & PAGE_MASK, prot_pte(prot) |
					(flags & PTE_VM_COPY));
	}
}

/* False if part of [start, end) is a file mapping that may not become
 * writable. */
static bool
range_may_write(uint64_t start, uint64_t end)
{
	struct list_node *n;

	list_for_each(n, &vm.areas)
		if (vma_of(n)->start < end && start < vma_of(n)->end &&
		    !vma_of(n)->maywrite)
			return false;
	return true;
}

int
vm_protect(uint64_t addr, uint64_t len, unsigned prot)
{
	unsigned long flags;
	int err = 0;

	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_valid(addr, len) || (prot & ~VM_PROT_MASK))
		return -EINVAL;
	flags = spin_lock_irqsave(&vm.lock);
	if (!range_fully_mapped(addr, addr + len))
		err = -ENOMEM;
	else if ((prot & VM_PROT_WRITE) && !range_may_write(addr, addr + len))
		err = -EACCES;
	if (!err)
		err = vma_split_at(addr) ?: vma_split_at(addr + len);
	if (!err)
		vma_set_prot(addr, addr + len, prot);
	spin_unlock_irqrestore(&vm.lock, flags);
	return err;
}

int
vm_discard(uint64_t addr, uint64_t len)
{
	unsigned long flags;

	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_valid(addr, len))
		return -EINVAL;
	flags = spin_lock_irqsave(&vm.lock);
	for (uint64_t va = addr; va < addr + len; va += PAGE_SIZE) {
		struct vma *v = vma_find(va);

		if (v && !v->special)
			pages_free(v, va, va + PAGE_SIZE);
	}
	spin_unlock_irqrestore(&vm.lock, flags);
	return 0;
}

struct vma *
vma_find(uint64_t addr)
{
	struct list_node *n;

	list_for_each(n, &vm.areas)
		if (vma_of(n)->start <= addr && addr < vma_of(n)->end)
			return vma_of(n);
	return NULL;
}

/* First touch of an anonymous page: a zeroed frame. */
static bool
fault_anon(const struct vma *v, uint64_t page)
{
	uint64_t pa = pmm_alloc_pages(0);

	if (!pa)
		return false;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	if (paging_map_page(page, pa, prot_pte(v->prot)) == 0)
		return true;
	pmm_free_pages(pa, 0);
	return false;
}

/* A private copy of file page @pa, mapped at @page writable. */
static bool
fault_copy(const struct vma *v, uint64_t page, uint64_t pa)
{
	uint64_t copy = pmm_alloc_pages(0);

	if (!copy)
		return false;
	memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
	if (paging_map_page(page, copy, prot_pte(v->prot) | PTE_VM_COPY) == 0)
		return true;
	pmm_free_pages(copy, 0);
	return false;
}

/* First touch of a file page: the page cache's frame itself -- read-only
 * in a private mapping, whose first store gets a copy instead. */
static bool
fault_pager(const struct vma *v, uint64_t page, bool write)
{
	unsigned prot;
	uint64_t pa = v->pager->get_page(v->obj, v->pgoff +
					 (page - v->start) / PAGE_SIZE,
					 !v->cow && (v->prot & VM_PROT_WRITE));

	if (!pa)
		return false;
	if (v->cow && write)
		return fault_copy(v, page, pa);
	/* A private mapping's stores must fault: they get the copy. */
	prot = v->cow ? v->prot & ~(unsigned)VM_PROT_WRITE : v->prot;
	return paging_map_page(page, pa, prot_pte(prot)) == 0;
}

/* A store to a private file page still shared with the cache: the copy
 * replaces it. */
static bool
fault_cow(const struct vma *v, uint64_t page)
{
	uint64_t pa, flags;

	if (!v->cow || !(v->prot & VM_PROT_WRITE) ||
	    !paging_lookup(page, &pa, &flags) || (flags & PTE_VM_COPY))
		return false;
	paging_unmap_page(page);
	if (fault_copy(v, page, pa & PAGE_MASK))
		return true;
	paging_map_page(page, pa & PAGE_MASK, flags);	/* as it was */
	return false;
}

/* Another CPU mapped the page (or made it writable) between the fault
 * and here: the access may simply be retried (the fault dropped the stale
 * TLB entry). */
static bool
fault_already_served(uint64_t page, bool write, bool exec)
{
	uint64_t pa, flags;

	return paging_lookup(page, &pa, &flags) &&
	       (!write || (flags & PTE_W)) && (!exec || !(flags & PTE_NX));
}

bool
vm_handle_fault(uint64_t addr, bool write, bool exec, bool present)
{
	unsigned long flags;
	struct vma *v;
	uint64_t pa, page = ALIGN_DOWN(addr, PAGE_SIZE), f;
	bool served = false;

	if (!user_range_ok(addr, 1))
		return false;
	flags = spin_lock_irqsave(&vm.lock);
	v = vma_find(addr);
	if (v && fault_already_served(page, write, exec))
		served = true;
	else if (v && present)
		served = write && fault_cow(v, page);
	else if (v && !paging_lookup(page, &pa, &f) &&
		 (v->prot & VM_PROT_READ) &&
		 (!write || (v->prot & VM_PROT_WRITE)) &&
		 (!exec || (v->prot & VM_PROT_EXEC)))
		served = v->pager ? fault_pager(v, page, write) :
				    fault_anon(v, page);
	spin_unlock_irqrestore(&vm.lock, flags);
	return served;
}

void
vm_brk_init(uint64_t start)
{
	vm.brk_start = vm.brk_end = vm.brk = ALIGN_UP(start, PAGE_SIZE);
}

uint64_t
vm_brk(uint64_t want)
{
	uint64_t end = ALIGN_UP(want, PAGE_SIZE);

	if (want < vm.brk_start || !user_range_ok(want, 0))
		return vm.brk;	/* Linux answers a refusal with the old break */
	if (end > vm.brk_end &&
	    vm_map_anon(vm.brk_end, end - vm.brk_end,
			VM_PROT_READ | VM_PROT_WRITE, false, true) < 0)
		return vm.brk;
	if (end < vm.brk_end)
		vm_unmap(end, vm.brk_end - end);
	vm.brk_end = end;
	vm.brk = want;
	return want;
}

size_t
vm_format_maps(char *buf, size_t size)
{
	unsigned long flags = spin_lock_irqsave(&vm.lock);
	struct list_node *n;
	size_t len = 0;

	list_for_each(n, &vm.areas) {
		struct vma *v = vma_of(n);
		int w;

		if (len + 1 >= size)
			break;
		w = snprintf(buf + len, size - len, "%012lx-%012lx %c%c%c%c 00000000 "
			     "00:00 0 %s\n", v->start, v->end,
			     v->prot & VM_PROT_READ ? 'r' : '-',
			     v->prot & VM_PROT_WRITE ? 'w' : '-',
			     v->prot & VM_PROT_EXEC ? 'x' : '-',
			     v->pager && !v->cow ? 's' : 'p',
			     v->special ? "[vdso]" : "");
		len = MIN(len + (size_t)w, size - 1);
	}
	spin_unlock_irqrestore(&vm.lock, flags);
	return len;
}
