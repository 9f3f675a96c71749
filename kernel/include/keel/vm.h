/* The application's address space: a sorted list of VM areas (start, end,
 * protection) in the lower half, with pages allocated on first touch by
 * the page-fault handler. One application, so one address space. */
#ifndef KEEL_VM_H
#define KEEL_VM_H

#include <keel/compiler.h>

#define VM_PROT_READ	0x1
#define VM_PROT_WRITE	0x2
#define VM_PROT_EXEC	0x4
#define VM_PROT_MASK	0x7

/* Where the pages of a shared file mapping come from: the page cache
 * (keel/pagecache.h) implements it, so mm needs no file system. */
struct vm_pager_ops {
	/* The physical page at @index of @obj for a mapping (@writable: the
	 * mapping may store to it), or 0. Runs with the VM lock held and
	 * interrupts off: never sleeps (the mapper made the pages ready). */
	uint64_t (*get_page)(void *obj, uint64_t index, bool writable);
	/* One more area maps @obj; one fewer. Any context, never sleep. */
	void (*ref)(void *obj);
	void (*unref)(void *obj);
};

/* Maps [addr, addr+len) as anonymous zero-fill memory. @addr 0 picks a
 * free range (top-down below the randomized mmap base); @fixed replaces
 * whatever was there; @noreplace fails with -EEXIST instead. Returns the
 * address or a negative errno. */
long
vm_map_anon(uint64_t addr, uint64_t len, unsigned prot, bool fixed,
	    bool noreplace);
/* How vm_map_pager places and shares a mapping. */
#define VM_MAP_FIXED		0x1	/* as vm_map_anon's @fixed */
#define VM_MAP_NOREPLACE	0x2	/* as vm_map_anon's @noreplace */
#define VM_MAP_PRIVATE		0x4	/* copy on write: stores stay here */
#define VM_MAP_MAYWRITE		0x8	/* mprotect may add write (else
					   -EACCES, as on Linux) */
/* Maps [addr, addr+len) to the pages of @obj from page @pgoff on, faulted
 * in through @pager: shared with every other mapping of it, or with
 * VM_MAP_PRIVATE read from it until first stored to, when the page is
 * copied. Returns the address or a negative errno. */
long
vm_map_pager(uint64_t addr, uint64_t len, unsigned prot, unsigned how,
	     const struct vm_pager_ops *pager, void *obj, uint64_t pgoff);
/* The pager object mapped at @addr, with a reference the caller drops by
 * (*pager)->unref, and in *pgoff the page of it there; NULL if @addr is
 * not in a file mapping. */
void *
vm_pager_at(uint64_t addr, const struct vm_pager_ops **pager,
	    uint64_t *pgoff);
/* msync: calls @fn on each pager object mapped in [addr, addr+len), with
 * no lock held (it may sleep), @stored telling whether the range was
 * written through since the last call; the first error. -ENOMEM if part
 * of the range is not mapped, as Linux answers. */
int
vm_sync_range(uint64_t addr, uint64_t len,
	      int (*fn)(void *obj, bool stored, void *arg), void *arg);
/* Records [start, end) as mapped with @prot, for pages the loader has
 * already put in place. Returns 0 or -ENOMEM/-EEXIST. */
int
vm_add_populated(uint64_t start, uint64_t end, unsigned prot);
/* Reserves @len bytes for kernel pages the caller maps itself (the vDSO);
 * they are unmapped but never freed by vm_unmap. Returns the address or a
 * negative errno. */
long
vm_map_special(uint64_t len);
/* Unmaps and frees [addr, addr+len); pages outside any area are ignored. */
int
vm_unmap(uint64_t addr, uint64_t len);
/* Changes the protection of [addr, addr+len); -ENOMEM if part of the range
 * is not mapped (as Linux answers). */
int
vm_protect(uint64_t addr, uint64_t len, unsigned prot);
/* Drops the pages of [addr, addr+len): the next touch reads zeros. */
int
vm_discard(uint64_t addr, uint64_t len);

/* The program break (brk): set up by the loader, moved by brk(). */
void
vm_brk_init(uint64_t start);
uint64_t
vm_brk(uint64_t want);

/* mremap: shrinks, grows in place, or moves one area's range to a new
 * range of @new_len, contents kept (pages move, nothing is copied).
 * VM_REMAP_MAYMOVE lets it move when it cannot grow in place;
 * VM_REMAP_FIXED moves it to exactly @new_addr, replacing what was there
 * (-EINVAL if the ranges overlap); VM_REMAP_DONTUNMAP moves it but leaves
 * the old range mapped and empty. Returns the address or a negative
 * errno (-EFAULT if the old range is not within one area). */
#define VM_REMAP_MAYMOVE	0x1
#define VM_REMAP_FIXED		0x2
#define VM_REMAP_DONTUNMAP	0x4
long
vm_remap(uint64_t addr, uint64_t old_len, uint64_t new_len, unsigned how,
	 uint64_t new_addr);

/* Writes the areas as /proc/self/maps lines into @buf; returns the
 * length (truncated to @size - 1). */
size_t
vm_format_maps(char *buf, size_t size);

/* Page-fault hook: true if the fault at @addr (write if @write, fetch if
 * @exec, on a @present page) was a first touch of a mapped page, or a
 * store to a private file page not yet copied, and has been served. */
bool
vm_handle_fault(uint64_t addr, bool write, bool exec, bool present);

#endif
