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

#define MMAP_BASE_TOP	0x00007f0000000000ULL
#define MMAP_SPREAD	(1ULL << 36)	/* 64 GiB of placement */
#define MMAP_LOWEST	0x0000000010000000ULL

struct vma {
	struct list_node node;
	uint64_t start, end;
	unsigned prot;
	bool special;	/* kernel pages shared in (vDSO): never freed */
	const struct vm_pager_ops *pager;	/* shared file pages, or NULL */
	void *obj;		/* the pager's object (a page cache) */
	uint64_t pgoff;		/* page of obj at start */
};

static struct {
	struct spinlock lock;
	struct list_node areas;
	uint64_t mmap_base;
	uint64_t brk_start;	/* first byte of the heap */
	uint64_t brk_end;	/* end of its mapped pages */
	uint64_t brk;		/* the break as the program set it */
} vm = {
	.lock = SPINLOCK_INIT_NAMED("vm"),
	.areas = LIST_INIT(vm.areas),
};

static struct vma *vma_find(uint64_t addr);

static struct vma *
vma_of(struct list_node *n)
{
	return list_entry(n, struct vma, node);
}

static uint64_t
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

		if (paging_lookup(va, &pa, &flags) && paging_unmap_page(va) == 0 &&
		    !v->pager)
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
static int
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
static int
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
	list_for_each(n, &vm.areas)
		if (vma_of(n)->start > start)
			break;
	list_insert_between(&v->node, n->prev, n);
	return 0;
}

/* Makes the new area @v map @obj from page @pgoff on. */
static void
vma_set_pager(struct vma *v, const struct vm_pager_ops *pager, void *obj,
	      uint64_t pgoff)
{
	v->pager = pager;
	v->obj = obj;
	v->pgoff = pgoff;
	pager->ref(obj);
}

/* Highest free gap of @len below the mmap base, or 0. */
static uint64_t
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

static void
vm_pick_mmap_base(void)
{
	if (!vm.mmap_base)
		vm.mmap_base = MMAP_BASE_TOP - ALIGN_DOWN(
			random_early_u64() % MMAP_SPREAD, PAGE_SIZE);
}

static bool
range_valid(uint64_t addr, uint64_t len)
{
	return IS_ALIGNED(addr, PAGE_SIZE) && len > 0 &&
	       user_range_ok(addr, len) && addr >= PAGE_SIZE;
}

/* Maps a new area, anonymous or (@pager) of a pager's object. */
static long
vm_map(uint64_t addr, uint64_t len, unsigned prot, bool fixed, bool noreplace,
       const struct vm_pager_ops *pager, void *obj, uint64_t pgoff)
{
	unsigned long flags;
	long ret;

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
	if (ret > 0 && pager)
		vma_set_pager(vma_find(addr), pager, obj, pgoff);
	spin_unlock_irqrestore(&vm.lock, flags);
	return ret;
}

long
vm_map_anon(uint64_t addr, uint64_t len, unsigned prot, bool fixed,
	    bool noreplace)
{
	return vm_map(addr, len, prot, fixed, noreplace, NULL, NULL, 0);
}

long
vm_map_pager(uint64_t addr, uint64_t len, unsigned prot, bool fixed,
	     bool noreplace, const struct vm_pager_ops *pager, void *obj,
	     uint64_t pgoff)
{
	return vm_map(addr, len, prot, fixed, noreplace, pager, obj, pgoff);
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
static bool
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
		 * whether it may now be stored to. */
		if (!vma_find(va)->pager)
			paging_map_page(va, pa & PAGE_MASK, prot_pte(prot));
	}
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
		struct vma *v = vma_of(n);

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

static struct vma *
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

/* First touch of a shared file page: the page cache's frame itself. */
static bool
fault_pager(const struct vma *v, uint64_t page)
{
	uint64_t pa = v->pager->get_page(v->obj, v->pgoff +
					 (page - v->start) / PAGE_SIZE,
					 v->prot & VM_PROT_WRITE);

	return pa && paging_map_page(page, pa, prot_pte(v->prot)) == 0;
}

bool
vm_handle_fault(uint64_t addr, bool write, bool exec)
{
	unsigned long flags;
	struct vma *v;
	uint64_t pa, page = ALIGN_DOWN(addr, PAGE_SIZE), f;
	bool served = false;

	if (!user_range_ok(addr, 1))
		return false;
	flags = spin_lock_irqsave(&vm.lock);
	v = vma_find(addr);
	if (v && !paging_lookup(page, &pa, &f) && (v->prot & VM_PROT_READ) &&
	    (!write || (v->prot & VM_PROT_WRITE)) &&
	    (!exec || (v->prot & VM_PROT_EXEC)))
		served = v->pager ? fault_pager(v, page) : fault_anon(v, page);
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
			     v->pager ? 's' : 'p', v->special ? "[vdso]" : "");
		len = MIN(len + (size_t)w, size - 1);
	}
	spin_unlock_irqrestore(&vm.lock, flags);
	return len;
}

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
 * page-table entries: no copy, untouched pages stay untouched. Caller
 * holds vm.lock and has made [to, to+len) an area with @prot. */
static int
pages_move(uint64_t from, uint64_t to, uint64_t len, unsigned prot,
	   bool paged)
{
	int err = 0;

	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t pa, flags;

		if (!paging_lookup(from + off, &pa, &flags))
			continue;
		paging_unmap_page(from + off);
		if (paging_map_page(to + off, pa & PAGE_MASK, prot_pte(prot))) {
			if (!paged)
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
	err = vma_cut(to, to + new_len) ?: vma_insert(to, to + new_len, from.prot);
	if (!err && from.pager)
		vma_set_pager(vma_find(to), from.pager, from.obj, from.pgoff);
	if (!err)
		err = pages_move(addr, to, MIN(old_len, new_len), from.prot,
				 from.pager != NULL);
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
	    vm_map_anon(addr + old_len, new_len - old_len, prot, false, true) > 0)
		return (long)addr;		/* grown in place */
	if (!(how & VM_REMAP_MAYMOVE))
		return -ENOMEM;
	return vm_remap_move(addr, old_len, new_len, 0, false);
}
