/* In-kernel self-tests of the kernel heap (heap.c) on real memory: sizes
 * across every class and large blocks, pattern checks, kzalloc, and pages
 * going back to pmm. Run with --test=heap. */
#include <keel/heap.h>
#include <keel/ktest.h>
#include <keel/page.h>
#include <keel/pmm.h>
#include <keel/string.h>

#define MANY	600	/* 32-byte objects: a few slabs' worth */

static const size_t sizes[] = {
	0, 1, 15, 16, 17, 31, 33, 64, 100, 128, 255, 256, 500, 512, 1000,
	1024, 2000, 2047, 2048, 2049, 4095, 4096, 4097, 8192, 20000, 65536,
	300000,
};
static uint8_t *objs[MANY];

static uint8_t
pattern(unsigned i)
{
	return (uint8_t)(i * 37 + 11);
}

static bool
holds(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Every size held at once, each filled with its own byte: an overlap or a
 * short block shows as a changed pattern. */
static void
heap_sizes_across_classes(void)
{
	struct heap_stats a, b;

	heap_get_stats(&a);
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		objs[i] = kmalloc(sizes[i]);
		KT_EXPECT(objs[i] != NULL);
		KT_EXPECT((uintptr_t)objs[i] % HEAP_MIN_ALIGN == 0);
		if (objs[i])
			memset(objs[i], pattern(i), sizes[i]);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		KT_EXPECT(!objs[i] || holds(objs[i], sizes[i], pattern(i)));
		kfree(objs[i]);
	}
	heap_get_stats(&b);
	KT_EXPECT_EQ(b.bytes_in_use, a.bytes_in_use);
	KT_EXPECT_EQ(b.nr_allocs - a.nr_allocs, ARRAY_SIZE(sizes));
	KT_EXPECT_EQ(b.nr_frees - a.nr_frees, ARRAY_SIZE(sizes));
}

static void
heap_kzalloc_zeroes(void)
{
	for (unsigned i = 1; i < ARRAY_SIZE(sizes); i++) {
		uint8_t *p = kmalloc(sizes[i]), *q;

		if (p)
			memset(p, 0xa5, sizes[i]);
		kfree(p);
		q = kzalloc(sizes[i]);
		KT_EXPECT(q != NULL);
		KT_EXPECT(!q || holds(q, sizes[i], 0));
		kfree(q);
	}
}

/* Several slabs filled, freed in an interleaved order: all but one idle
 * slab per class go back to pmm. */
static void
heap_pages_return(void)
{
	struct heap_stats a, b;
	uint64_t free0 = pmm_free_page_count();

	heap_get_stats(&a);
	for (unsigned i = 0; i < MANY; i++) {
		objs[i] = kmalloc(32);
		KT_EXPECT(objs[i] != NULL);
		if (objs[i])
			memset(objs[i], pattern(i), 32);
	}
	heap_get_stats(&b);
	KT_EXPECT(b.pages_held > a.pages_held);
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = pass; i < MANY; i += 2) {
			KT_EXPECT(!objs[i] || holds(objs[i], 32, pattern(i)));
			kfree(objs[i]);
		}
	}
	heap_get_stats(&b);
	KT_EXPECT_EQ(b.bytes_in_use, a.bytes_in_use);
	KT_EXPECT(b.pages_held <= a.pages_held + 4);
	KT_EXPECT_EQ(pmm_free_page_count() + b.pages_held,
		     free0 + a.pages_held);
}

static void
heap_edge_cases(void)
{
	kfree(NULL);
	KT_EXPECT(kmalloc(SIZE_MAX) == NULL);
	KT_EXPECT(kmalloc((PAGE_SIZE << PMM_MAX_ORDER) + 1) == NULL);
}

KTEST_SUITE(heap,
	KTEST_CASE(heap_sizes_across_classes),
	KTEST_CASE(heap_kzalloc_zeroes),
	KTEST_CASE(heap_pages_return),
	KTEST_CASE(heap_edge_cases));
