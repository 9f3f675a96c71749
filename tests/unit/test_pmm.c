/* Host tests of the buddy page allocator (kernel/mm/pmm.c) against a page
 * model of the memory map. Physical memory is a sparse MAP_NORESERVE arena:
 * pmm writes only its metadata, so a 64 GiB span costs only that. */
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include <keel/page.h>
#include <keel/pmm.h>
#include <keel/errno.h>
#include "../../kernel/mm/pmm_internal.h"

/* The build renames snprintf to ksnprintf everywhere, <stdio.h> included;
 * unit.h's CHECK_EQ needs one and this binary links no kernel vsnprintf,
 * so undo that and declare the C library's. */
#undef snprintf
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ARENA_SPAN	(GiB(64) + MiB(64))
#define NORDERS		(PMM_MAX_ORDER + 1)

static void *arena;

/* Gives each test fresh, zeroed "physical memory" starting at phys 0. */
static void
arena_reset(void)
{
	if (arena)
		munmap(arena, ARENA_SPAN);
	arena = mmap(NULL, ARENA_SPAN, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		perror("mmap arena");
		abort();
	}
	host_direct_map_base = (uintptr_t)arena;
}

static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* What a memory map should yield, page by page: the independent answer the
 * allocator is checked against. */
struct model {
	uint64_t npages;	/* pages below the highest usable end */
	uint8_t *usable;	/* usable and not reserved, page 0 excluded */
	uint8_t *seen;		/* handed out by pmm in this pass */
	uint64_t nusable;
};

static bool
page_in(uint64_t page, const struct pmm_range *r, bool whole)
{
	uint64_t a = page * PAGE_SIZE, b = a + PAGE_SIZE;

	if (whole)
		return a >= r->base && b <= r->base + r->len;
	return a < r->base + r->len && b > r->base;
}

static void
model_build(struct model *m, const struct pmm_range *u, int nu,
	    const struct pmm_range *r, int nr)
{
	uint64_t end = 0;

	for (int i = 0; i < nu; i++)
		if (u[i].base + u[i].len > end)
			end = u[i].base + u[i].len;
	m->npages = end / PAGE_SIZE;
	m->usable = calloc(m->npages, 1);
	m->seen = calloc(m->npages, 1);
	m->nusable = 0;
	for (uint64_t p = 1; p < m->npages; p++) {
		bool ok = false;

		for (int i = 0; i < nu && !ok; i++)
			ok = page_in(p, &u[i], true);
		for (int i = 0; i < nr && ok; i++)
			ok = !page_in(p, &r[i], false);
		m->usable[p] = ok;
		m->nusable += ok;
	}
}

static void
model_free(struct model *m)
{
	free(m->usable);
	free(m->seen);
}

/* A PC-like map: low memory, RAM from 1 MiB with the kernel in it, an
 * unaligned module, a reservation across a range end, and RAM above 4 GiB
 * holding one whole 1 GiB block plus an unaligned tail with a hole. */
static const struct pmm_range std_usable[] = {
	{ 0x0, 0x9fc00 },
	{ 0x100000, 0x7fe0000 - 0x100000 },
	{ 0x100000000, GiB(1) + MiB(64) + 0x800 },
};
static const struct pmm_range std_reserved[] = {
	{ 0x100000, 0x300000 },
	{ 0x5000123, 0x10000 },
	{ 0x7f00000, 0x200000 },
	{ 0xfee00000, 0x1000 },
	{ 0x140003000, 0x1000 },
};

static void
std_init(struct model *m)
{
	arena_reset();
	CHECK_EQ(pmm_init(std_usable, 3, std_reserved, 5), 0);
	model_build(m, std_usable, 3, std_reserved, 5);
}

/* Takes every page with order-0 allocations, checking each against the
 * model; marks them in m->seen and returns them in *out. */
static uint64_t
exhaust_pages(struct model *m, uint64_t **out)
{
	uint64_t n = 0, cap = 1024, p;
	uint64_t *pages = malloc(cap * sizeof(*pages));

	memset(m->seen, 0, m->npages);
	while ((p = pmm_alloc_pages(0)) != 0) {
		uint64_t pg = p / PAGE_SIZE;

		CHECK(p % PAGE_SIZE == 0);
		if (pg >= m->npages || !m->usable[pg] || m->seen[pg]) {
			CHECK(!"page outside the model or handed out twice");
			break;
		}
		m->seen[pg] = 1;
		if (n == cap)
			pages = realloc(pages, (cap *= 2) * sizeof(*pages));
		pages[n++] = p;
	}
	*out = pages;
	return n;
}

static void
shuffle(uint64_t *a, uint64_t n)
{
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = rng() % i, t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* Counts the blocks per order a fully coalesced buddy system must hold for
 * the free set m->seen: aligned runs of free pages whose parent is not. */
static void
expected_profile(const struct model *m, uint64_t counts[NORDERS])
{
	uint64_t n = m->npages;
	uint8_t *lvl = malloc(n), *up;

	memcpy(lvl, m->seen, n);
	for (int k = 0; k < NORDERS; k++) {
		uint64_t nup = (n + 1) / 2;

		up = calloc(nup, 1);
		for (uint64_t b = 0; b + 1 < n; b += 2)
			up[b / 2] = lvl[b] && lvl[b + 1];
		counts[k] = 0;
		for (uint64_t b = 0; b < n; b++)
			counts[k] += lvl[b] &&
				     (k == PMM_MAX_ORDER || !up[b / 2]);
		free(lvl);
		lvl = up;
		n = nup;
	}
	free(lvl);
}

/* Allocates from the highest order down until nothing is left, counting
 * blocks per order, then frees them all. With the lists fully coalesced no
 * split happens, so the counts are exactly the free lists. */
static uint64_t
greedy_profile(uint64_t counts[NORDERS])
{
	uint64_t cap = pmm_free_page_count() + 1, n = 0, pages = 0, p;
	uint64_t *blk = malloc(cap * sizeof(*blk));
	uint8_t *ord = malloc(cap);

	for (int k = PMM_MAX_ORDER; k >= 0; k--) {
		counts[k] = 0;
		while ((p = pmm_alloc_pages(k)) != 0) {
			CHECK(p % (PAGE_SIZE << k) == 0);
			counts[k]++;
			pages += 1UL << k;
			blk[n] = p;
			ord[n++] = k;
		}
	}
	CHECK_EQ(pmm_free_page_count(), 0);
	for (uint64_t i = 0; i < n; i++)
		pmm_free_pages(blk[i], ord[i]);
	free(blk);
	free(ord);
	return pages;
}

static void
check_profile_eq(const uint64_t a[NORDERS], const uint64_t b[NORDERS])
{
	for (int k = 0; k < NORDERS; k++)
		CHECK_EQ(a[k], b[k]);
}

TEST(init_counts_match_model)
{
	struct model m;
	uint64_t span, meta_max;

	std_init(&m);
	span = m.npages - 1;	/* lowest usable page is 1 */
	meta_max = (span * 16 + PAGE_SIZE - 1) / PAGE_SIZE;
	CHECK_EQ(pmm_free_page_count(), pmm_total_page_count());
	CHECK(pmm_total_page_count() < m.nusable);
	/* Only the metadata, sized to the span, is missing. */
	CHECK_EQ(m.nusable - pmm_total_page_count(), meta_max);
	model_free(&m);
}

TEST(every_page_allocated_exactly_once_then_coalesces)
{
	struct model m;
	uint64_t *pages, n, want[NORDERS], got[NORDERS];
	uint64_t total;

	std_init(&m);
	total = pmm_total_page_count();
	n = exhaust_pages(&m, &pages);
	CHECK_EQ(n, total);
	CHECK_EQ(pmm_free_page_count(), 0);
	for (int k = 0; k < NORDERS; k++)
		CHECK_EQ(pmm_alloc_pages(k), 0);
	rng_state = 0x9e3779b97f4a7c15;
	shuffle(pages, n);
	for (uint64_t i = 0; i < n; i++)
		pmm_free_pages(pages[i], 0);
	CHECK_EQ(pmm_free_page_count(), total);
	expected_profile(&m, want);
	CHECK(want[PMM_MAX_ORDER] == 1);	/* the 1 GiB at 4 GiB */
	CHECK_EQ(greedy_profile(got), total);
	check_profile_eq(want, got);
	free(pages);
	model_free(&m);
}

TEST(every_order_naturally_aligned)
{
	struct model m;
	uint64_t total;

	std_init(&m);
	total = pmm_free_page_count();
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		uint64_t p = pmm_alloc_pages(k), last;

		CHECK(p != 0);
		CHECK(p % (PAGE_SIZE << k) == 0);
		last = p / PAGE_SIZE + (1UL << k) - 1;
		CHECK(m.usable[p / PAGE_SIZE] && m.usable[last]);
		CHECK_EQ(pmm_free_page_count(), total - (1UL << k));
		pmm_free_pages(p, k);
		CHECK_EQ(pmm_free_page_count(), total);
	}
	CHECK_EQ(pmm_alloc_pages(PMM_MAX_ORDER + 1), 0);
	model_free(&m);
}

TEST(max_order_exhausts)
{
	struct model m;
	uint64_t p;

	std_init(&m);
	p = pmm_alloc_pages(PMM_MAX_ORDER);
	CHECK_EQ(p, GiB(4));
	CHECK_EQ(pmm_alloc_pages(PMM_MAX_ORDER), 0);
	pmm_free_pages(p, PMM_MAX_ORDER);
	CHECK_EQ(pmm_alloc_pages(PMM_MAX_ORDER), GiB(4));
	model_free(&m);
}

/* Random orders 0..7 and frees; an owner map catches any overlap. */
TEST(random_mixed_orders_then_coalesces)
{
	enum { SLOTS = 512 };
	struct model m;
	uint64_t before[NORDERS], after[NORDERS], blk[SLOTS] = { 0 }, total;
	unsigned ord[SLOTS];

	std_init(&m);
	total = pmm_free_page_count();
	greedy_profile(before);
	rng_state = 12345;
	for (int op = 0; op < 40000; op++) {
		unsigned s = rng() % SLOTS;
		uint64_t pg;

		if (blk[s]) {
			pg = blk[s] / PAGE_SIZE;
			for (uint64_t i = 0; i < (1UL << ord[s]); i++)
				m.seen[pg + i] = 0;
			pmm_free_pages(blk[s], ord[s]);
			blk[s] = 0;
			continue;
		}
		ord[s] = rng() % 8;
		blk[s] = pmm_alloc_pages(ord[s]);
		CHECK(blk[s] && blk[s] % (PAGE_SIZE << ord[s]) == 0);
		pg = blk[s] / PAGE_SIZE;
		for (uint64_t i = 0; i < (1UL << ord[s]); i++) {
			CHECK(m.usable[pg + i] && !m.seen[pg + i]);
			m.seen[pg + i] = 1;
		}
	}
	for (int s = 0; s < SLOTS; s++)
		if (blk[s])
			pmm_free_pages(blk[s], ord[s]);
	CHECK_EQ(pmm_free_page_count(), total);
	greedy_profile(after);
	check_profile_eq(before, after);
	model_free(&m);
}

TEST(overlapping_usable_ranges_count_once)
{
	static const struct pmm_range u[] = {
		{ MiB(1), MiB(8) }, { MiB(5), MiB(8) }, { MiB(1), MiB(2) },
	};
	struct model m;
	uint64_t *pages;

	arena_reset();
	CHECK_EQ(pmm_init(u, 3, NULL, 0), 0);
	model_build(&m, u, 3, NULL, 0);
	CHECK_EQ(m.nusable, 3072);
	CHECK_EQ(exhaust_pages(&m, &pages), pmm_total_page_count());
	CHECK_EQ(pmm_total_page_count(), 3072 - 12);	/* 3072 frames */
	free(pages);
	model_free(&m);
}

TEST(small_machine_8mib)
{
	static const struct pmm_range u[] = {
		{ 0x1000, 0x9e000 }, { MiB(1), MiB(7) },
	};
	static const struct pmm_range r[] = { { MiB(1), MiB(2) } };
	struct model m;
	uint64_t *pages;

	arena_reset();
	CHECK_EQ(pmm_init(u, 2, r, 1), 0);
	model_build(&m, u, 2, r, 1);
	/* 2047 frames of metadata, 16 bytes each */
	CHECK_EQ(m.nusable - pmm_total_page_count(), 8);
	CHECK_EQ(exhaust_pages(&m, &pages), pmm_total_page_count());
	free(pages);
	model_free(&m);
}

/* 64 GiB of span with little RAM in it: metadata follows the span. */
TEST(sparse_64gib_span)
{
	static const struct pmm_range u[] = {
		{ 0x1000, 0x9e000 }, { MiB(1), MiB(511) },
		{ GiB(64) - MiB(32), MiB(32) },
	};
	static const struct pmm_range r[] = { { MiB(1), MiB(4) } };
	uint64_t counts[NORDERS], total;

	arena_reset();
	CHECK_EQ(pmm_init(u, 3, r, 1), 0);
	total = 158 + (MiB(511) - MiB(4)) / PAGE_SIZE + MiB(32) / PAGE_SIZE;
	CHECK_EQ(pmm_total_page_count(),
		 total - GiB(64) / PAGE_SIZE * 16 / PAGE_SIZE);
	CHECK_EQ(greedy_profile(counts), pmm_total_page_count());
	CHECK(counts[13] >= 1);	/* the 32 MiB at the top is one block */
}

TEST(no_room_for_metadata_is_enomem)
{
	static const struct pmm_range u[] = {
		{ 0x1000, 0x2000 }, { GiB(16), 0x2000 },
	};
	static const struct pmm_range all[] = { { 0, GiB(32) } };

	arena_reset();
	CHECK_EQ(pmm_init(u, 2, NULL, 0), -ENOMEM);
	CHECK_EQ(pmm_alloc_pages(0), 0);
	CHECK_EQ(pmm_init(u, 0, NULL, 0), -ENOMEM);
	CHECK_EQ(pmm_init(std_usable, 3, all, 1), -ENOMEM);
	CHECK_EQ(pmm_free_page_count(), 0);
}

TEST(block_tags)
{
	struct model m;
	uint64_t p;
	unsigned order = 99;

	std_init(&m);
	p = pmm_alloc_pages(3);
	CHECK_EQ(pmm_block_tag(p, &order), 0);
	CHECK_EQ(order, 3);
	pmm_block_set_tag(p, 0xabcd);
	CHECK_EQ(pmm_block_tag(p, &order), 0xabcd);
	CHECK_EQ(pmm_block_tag(p + PAGE_SIZE, &order), 0);
	CHECK_EQ(pmm_block_tag(p + 8, &order), 0);
	CHECK_EQ(pmm_block_tag(GiB(1000), &order), 0);
	CHECK_EQ(pmm_block_tag(~0UL, &order), 0);
	pmm_free_pages(p, 3);
	CHECK_EQ(pmm_block_tag(p, &order), 0);
	/* Whatever block comes next, stale tags do not come with it. */
	p = pmm_alloc_pages(0);
	CHECK_EQ(pmm_block_tag(p, &order), 0);
	model_free(&m);
}

/* ---- misuse panics, each in a child so the abort is observable ------- */

static void
double_free(void)
{
	uint64_t a = pmm_alloc_pages(0), b = pmm_alloc_pages(0);

	pmm_free_pages(b, 0);	/* a's buddy: the double free is merged */
	pmm_free_pages(a, 0);
	pmm_free_pages(a, 0);
}

static void
double_free_unmerged(void)
{
	uint64_t a = pmm_alloc_pages(0);

	pmm_alloc_pages(0);
	pmm_free_pages(a, 0);
	pmm_free_pages(a, 0);
}

static void
wrong_order(void)
{
	pmm_free_pages(pmm_alloc_pages(2), 1);
}

static void
interior_page(void)
{
	pmm_free_pages(pmm_alloc_pages(2) + PAGE_SIZE, 0);
}

static void
reserved_page(void)
{
	pmm_free_pages(0xfee00000, 0);
}

static void
unmanaged_page(void)
{
	pmm_free_pages(GiB(6), 0);
}

static void
unaligned_address(void)
{
	pmm_free_pages(pmm_alloc_pages(0) + 16, 0);
}

TEST(misuse_panics)
{
	struct model m;

	std_init(&m);
	unit_expect_panic(double_free, "pmm_free_pages");
	unit_expect_panic(double_free_unmerged, "double free");
	unit_expect_panic(wrong_order, "order mismatch");
	unit_expect_panic(interior_page, "not an allocated block");
	unit_expect_panic(reserved_page, "not an allocated block");
	unit_expect_panic(unmanaged_page, "not a page pmm manages");
	unit_expect_panic(unaligned_address, "not a page pmm manages");
	model_free(&m);
}
