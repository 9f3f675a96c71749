/* x86_64 4-level page-table entry format, for mm/pagetable.c. */
#ifndef KEEL_PTE_H
#define KEEL_PTE_H

#include <keel/compiler.h>

#define PTE_P		(1ULL << 0)	/* present */
#define PTE_W		(1ULL << 1)	/* writable */
#define PTE_U		(1ULL << 2)	/* user (unused: all ring 0) */
#define PTE_PWT		(1ULL << 3)	/* write-through */
#define PTE_PCD		(1ULL << 4)	/* cache disable */
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)	/* 2 MiB / 1 GiB leaf */
#define PTE_G		(1ULL << 8)	/* global */
#define PTE_NX		(1ULL << 63)
#define PTE_ADDR_MASK	0x000ffffffffff000ULL

#define PT_ENTRIES	512
#define PT_LEVELS	4
#define PT_SHIFT(level)	(12 + 9 * ((level) - 1))	/* level 1 = PTE */
#define PT_INDEX(va, level) (((va) >> PT_SHIFT(level)) & (PT_ENTRIES - 1))

#define PAGE_SIZE_2M	(1ULL << 21)
#define PAGE_SIZE_1G	(1ULL << 30)

#endif
