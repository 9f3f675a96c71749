/* Private to the VM areas (vma.c: areas and faults; vma_remap.c: mremap;
 * vma_pager.c: file mappings' objects): the area list and the helpers
 * they share. Callers of the helpers hold vm.lock. */
#ifndef KEEL_MM_VMA_INTERNAL_H
#define KEEL_MM_VMA_INTERNAL_H

#include <keel/list.h>
#include <keel/spinlock.h>
#include <keel/vm.h>

struct vma {
	struct list_node node;
	uint64_t start, end;
	unsigned prot;
	bool special;	/* kernel pages shared in (vDSO): never freed */
	const struct vm_pager_ops *pager;	/* shared file pages, or NULL */
	void *obj;		/* the pager's object (a page cache) */
	uint64_t pgoff;		/* page of obj at start */
	bool maywrite;		/* pager areas: mprotect may add write */
	bool cow;		/* pager areas: private, copy on write */
};

struct vm_space {
	struct spinlock lock;
	struct list_node areas;
	uint64_t mmap_base;
	uint64_t brk_start;	/* first byte of the heap */
	uint64_t brk_end;	/* end of its mapped pages */
	uint64_t brk;		/* the break as the program set it */
};

extern struct vm_space vm;

/* A software PTE bit: the frame is a private copy of a file page, the
 * area's own (freed with it), not the page cache's. */
#define PTE_VM_COPY	(1ULL << 9)

/* True if the frame a PTE with @flags maps in @v belongs to the area. */
static inline bool
vma_owns_frame(const struct vma *v, uint64_t flags)
{
	return !v->pager || (flags & PTE_VM_COPY);
}

/* PTE flags for @prot. */
uint64_t
prot_pte(unsigned prot);
/* The area holding @addr, or NULL. */
struct vma *
vma_find(uint64_t addr);
/* Removes [start, end) from the list, freeing ordinary areas' pages. */
int
vma_cut(uint64_t start, uint64_t end);
/* Inserts a new anonymous area; the caller checked for overlap. */
int
vma_insert(uint64_t start, uint64_t end, unsigned prot);
/* Makes the new area @v map @obj from page @pgoff on. */
void
vma_set_pager(struct vma *v, const struct vm_pager_ops *pager, void *obj,
	      uint64_t pgoff);
/* Highest free gap of @len below the mmap base, or 0. */
uint64_t
vma_find_gap(uint64_t len);
void
vm_pick_mmap_base(void);
/* True if every byte of [start, end) lies in some area. */
bool
range_fully_mapped(uint64_t start, uint64_t end);
/* Page-aligned, non-empty, in the application's half, not page 0. */
bool
range_valid(uint64_t addr, uint64_t len);

#endif
