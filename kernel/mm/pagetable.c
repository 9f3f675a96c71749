/* Builds and edits the kernel's 4-level page tables. Table pages are
 * reached through the direct map (the boot code's early tables already map
 * the first 4 GiB there) and come from a bump range until pmm is running. */
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/pmm.h>
#include <keel/string.h>
#include "../arch/x86_64/cpu.h"

#define CPUID_EXT_PDPE1GB	(1u << 26)
#define CR4_PGE			(1ULL << 7)
#define LOW_MEMORY_END		MiB(1)

extern char _text[], _etext[], _rodata[], _data[], _ksyms[], _end[];

static struct {
	uint64_t *pml4;
	uint64_t bump_next, bump_limit;	/* early table pages */
	bool use_pmm;
	bool has_1g_pages;
	uint64_t direct_map_end;
} pt;

static uint64_t
pt_alloc_table(void)
{
	uint64_t pa = 0;

	if (pt.use_pmm) {
		pa = pmm_alloc_pages(0);
	} else if (pt.bump_next + PAGE_SIZE <= pt.bump_limit) {
		pa = pt.bump_next;
		pt.bump_next += PAGE_SIZE;
	}
	if (pa)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

/* Returns the table that entry @idx of @table points to, creating it. */
static uint64_t *
pt_next_level(uint64_t *table, unsigned idx)
{
	if (!(table[idx] & PTE_P)) {
		uint64_t pa = pt_alloc_table();

		if (!pa)
			return NULL;
		table[idx] = pa | PTE_P | PTE_W;
	}
	return phys_to_virt(table[idx] & PTE_ADDR_MASK);
}

/* Maps [va, va+size) -> pa with leaves of @leaf_size (4K, 2M or 1G). */
static int
pt_map_leaf(uint64_t va, uint64_t pa, uint64_t leaf_size, uint64_t flags)
{
	int leaf_level = leaf_size == PAGE_SIZE_1G ? 3 :
			 leaf_size == PAGE_SIZE_2M ? 2 : 1;
	uint64_t *table = pt.pml4;

	for (int level = PT_LEVELS; level > leaf_level; level--) {
		table = pt_next_level(table, PT_INDEX(va, level));
		if (!table)
			return -ENOMEM;
	}
	if (table[PT_INDEX(va, leaf_level)] & PTE_P)
		return -EEXIST;
	if (leaf_level > 1)
		flags |= PTE_PS;
	table[PT_INDEX(va, leaf_level)] = pa | flags | PTE_P;
	return 0;
}

/* Direct-maps [base, end) with the largest pages alignment allows. */
static int
pt_map_direct_range(uint64_t base, uint64_t end)
{
	uint64_t flags = PTE_W | PTE_NX | PTE_G;

	base = ALIGN_DOWN(base, PAGE_SIZE_2M);
	end = ALIGN_UP(end, PAGE_SIZE_2M);
	while (base < end) {
		uint64_t step = PAGE_SIZE_2M;
		uint64_t va = (uint64_t)phys_to_virt(base);
		int err;

		if (pt.has_1g_pages && IS_ALIGNED(base, PAGE_SIZE_1G) &&
		    end - base >= PAGE_SIZE_1G)
			step = PAGE_SIZE_1G;
		err = pt_map_leaf(va, base, step, flags);
		if (err && err != -EEXIST)	/* ranges may share 2M pages */
			return err;
		base += step;
	}
	pt.direct_map_end = MAX(pt.direct_map_end, end);
	return 0;
}

static uint64_t
pt_image_flags(uint64_t va)
{
	if (va >= (uint64_t)_text && va < (uint64_t)_etext)
		return PTE_G;				/* read-only, executable */
	if (va >= (uint64_t)_data && va < (uint64_t)_ksyms)
		return PTE_W | PTE_NX | PTE_G;		/* data, bss, stacks */
	return PTE_NX | PTE_G;				/* rodata, ksyms */
}

static int
pt_map_image(void)
{
	for (uint64_t va = (uint64_t)_text; va < (uint64_t)_end; va += PAGE_SIZE) {
		int err = pt_map_leaf(va, va - KERNEL_VIRT_BASE, PAGE_SIZE,
				      pt_image_flags(va));
		if (err)
			return err;
	}
	return 0;
}

int
paging_init(const struct boot_info *bi, uint64_t *next, uint64_t limit)
{
	uint32_t a, b, c, d;
	uint64_t pml4_pa;
	int err;

	cpuid(0x80000001, 0, &a, &b, &c, &d);
	pt.has_1g_pages = d & CPUID_EXT_PDPE1GB;
	pt.bump_next = *next;
	pt.bump_limit = limit;
	pml4_pa = pt_alloc_table();
	if (!pml4_pa)
		return -ENOMEM;
	pt.pml4 = phys_to_virt(pml4_pa);

	err = pt_map_direct_range(0, LOW_MEMORY_END);
	for (int i = 0; !err && i < bi->nregions; i++)
		err = pt_map_direct_range(bi->regions[i].base,
					  bi->regions[i].base + bi->regions[i].len);
	if (!err)
		err = pt_map_image();
	*next = pt.bump_next;
	if (err)
		return err;
	write_cr4(read_cr4() | CR4_PGE);
	write_cr3(pml4_pa);
	return 0;
}

void
paging_use_pmm(void)
{
	pt.use_pmm = true;
}

static uint64_t *
pt_find_pte(uint64_t va, int *level_out)
{
	uint64_t *table = pt.pml4;

	for (int level = PT_LEVELS; level >= 1; level--) {
		uint64_t *e = &table[PT_INDEX(va, level)];

		if (!(*e & PTE_P))
			return NULL;
		if (level == 1 || (*e & PTE_PS)) {
			*level_out = level;
			return e;
		}
		table = phys_to_virt(*e & PTE_ADDR_MASK);
	}
	return NULL;
}

bool
paging_lookup(uint64_t va, uint64_t *pa, uint64_t *flags)
{
	int level;
	uint64_t *e = pt_find_pte(va, &level);
	uint64_t leaf_mask;

	if (!e)
		return false;
	leaf_mask = (1ULL << PT_SHIFT(level)) - 1;
	*pa = ((*e & PTE_ADDR_MASK) & ~leaf_mask) | (va & leaf_mask);
	*flags = *e & ~PTE_ADDR_MASK;
	return true;
}

bool
paging_is_mapped(uint64_t va)
{
	uint64_t pa, flags;

	return pt.pml4 && paging_lookup(va, &pa, &flags);
}

int
paging_map_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	return pt_map_leaf(va, pa, PAGE_SIZE, flags);
}

int
paging_unmap_page(uint64_t va)
{
	int level;
	uint64_t *e = pt_find_pte(va, &level);

	if (!e || level != 1)
		return -ENOENT;
	*e = 0;
	__asm__ __volatile__("invlpg (%0)" :: "r"(va) : "memory");
	return 0;
}

void
paging_make_guard(void *va)
{
	paging_unmap_page((uint64_t)va);
}

uint64_t
paging_direct_map_end(void)
{
	return pt.direct_map_end;
}
