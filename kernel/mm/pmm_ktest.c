/* In-kernel self-tests of the page-frame allocator (pmm.c) on the machine's
 * real memory map: every order, alignment, distinct blocks, coalescing.
 * Run with --test=pmm. Touches a few words per block, never all of RAM. */
#include <keel/ktest.h>
#include <keel/page.h>
#include <keel/pmm.h>

#define COALESCE_PAGES	256
#define MUST_FIT_ORDER	10	/* 4 MiB: any machine Keel runs on has it */

static uint64_t pages[COALESCE_PAGES];

/* Writes a word at both ends of the block and reads them back: the block
 * is real, mapped memory. */
static bool
block_usable(uint64_t phys, unsigned order)
{
	volatile uint64_t *first = phys_to_virt(phys);
	volatile uint64_t *last = phys_to_virt(phys + (PAGE_SIZE << order) - 8);

	*first = phys ^ 0x5a5a5a5a5a5a5a5aUL;
	*last = ~phys;
	return *first == (phys ^ 0x5a5a5a5a5a5a5a5aUL) && *last == ~phys;
}

static void
pmm_each_order(void)
{
	uint64_t start = pmm_free_page_count();

	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		uint64_t p = pmm_alloc_pages(k);

		/* Big orders may not exist on a small machine. */
		if (k <= MUST_FIT_ORDER)
			KT_EXPECT(p != 0);
		if (!p)
			continue;
		KT_EXPECT(p % (PAGE_SIZE << k) == 0);
		KT_EXPECT(block_usable(p, k));
		KT_EXPECT_EQ(pmm_free_page_count(), start - (1UL << k));
		pmm_free_pages(p, k);
	}
	KT_EXPECT_EQ(pmm_free_page_count(), start);
	KT_EXPECT_EQ(pmm_alloc_pages(PMM_MAX_ORDER + 1), 0);
}

/* Mixed orders held at once must not overlap. */
static void
pmm_blocks_distinct(void)
{
	uint64_t start = pmm_free_page_count();
	unsigned order[32];

	for (unsigned i = 0; i < 32; i++) {
		order[i] = i % 4;
		pages[i] = pmm_alloc_pages(order[i]);
		KT_EXPECT(pages[i] != 0);
	}
	for (unsigned i = 0; i < 32; i++)
		for (unsigned j = 0; j < i; j++)
			KT_EXPECT(pages[i] + (PAGE_SIZE << order[i]) <=
				  pages[j] ||
				  pages[j] + (PAGE_SIZE << order[j]) <=
				  pages[i]);
	for (unsigned i = 0; i < 32; i++)
		if (pages[i])
			pmm_free_pages(pages[i], order[i]);
	KT_EXPECT_EQ(pmm_free_page_count(), start);
}

/* Single pages freed in a scrambled order go back, and the allocator can
 * still hand out a 2^8-page block afterwards. (The host tests check the
 * exact free lists; here only the public counters are visible.) */
static void
pmm_coalesce(void)
{
	uint64_t start = pmm_free_page_count(), big;

	for (unsigned i = 0; i < COALESCE_PAGES; i++) {
		pages[i] = pmm_alloc_pages(0);
		KT_EXPECT(pages[i] != 0);
	}
	for (unsigned i = 0; i < COALESCE_PAGES; i++) {
		/* 97 is odd, so this visits every index once. */
		unsigned j = (i * 97 + 13) % COALESCE_PAGES;


		if (pages[j])
			pmm_free_pages(pages[j], 0);
	}
	KT_EXPECT_EQ(pmm_free_page_count(), start);
	big = pmm_alloc_pages(8);
	KT_EXPECT(big != 0);
	if (big)
		pmm_free_pages(big, 8);
	KT_EXPECT_EQ(pmm_free_page_count(), start);
}

static void
pmm_counts_sane(void)
{
	KT_EXPECT(pmm_total_page_count() > 0);
	KT_EXPECT(pmm_free_page_count() <= pmm_total_page_count());
}

KTEST_SUITE(pmm,
	KTEST_CASE(pmm_counts_sane),
	KTEST_CASE(pmm_each_order),
	KTEST_CASE(pmm_blocks_distinct),
	KTEST_CASE(pmm_coalesce));
