/* Host tests of the kernel heap (kernel/mm/heap.c) on the real pmm over a
 * 64 MiB arena: every size, random stress with pattern checks, statistics,
 * pages going back to pmm, and the panics of bad frees. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "arena.h"
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/pmm.h>

/* The build renames snprintf to ksnprintf everywhere, <stdio.h> included;
 * unit.h's CHECK_EQ needs one and this binary links no kernel vsnprintf,
 * so undo that and declare the C library's. */
#undef snprintf
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ARENA_END	(MiB(1) + MiB(96))

static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The heap keeps state across tests, so pmm is set up once, before any. */
__attribute__((constructor)) static void
arena_setup(void)
{
	static const struct pmm_range usable[] = {
		{ 0x1000, 0x9e000 }, { MiB(1), MiB(96) },
	};
	static const struct pmm_range reserved[] = {
		{ MiB(1), MiB(2) }, { MiB(40) + 0x123, 0x5000 },
	};

	unit_arena_init(ARENA_END, usable, 2, reserved, 2);
}

/* Every page is the heap's or pmm's: nothing leaks, nothing counts twice. */
static void
check_pages_accounted(void)
{
	struct heap_stats st;

	heap_get_stats(&st);
	CHECK_EQ(pmm_free_page_count() + st.pages_held, pmm_total_page_count());
}

static uint8_t
pattern(uint64_t id)
{
	return (uint8_t)(id * 0x9d + 0x35);
}

static void
fill(void *p, size_t n, uint64_t id)
{
	memset(p, pattern(id), n);
}

/* True if all @n bytes at @p still hold @id's pattern. */
static bool
intact(const void *p, size_t n, uint64_t id)
{
	static uint8_t ref[1 << 20];
	size_t chunk;

	for (const uint8_t *q = p; n; q += chunk, n -= chunk) {
		chunk = MIN(n, sizeof(ref));
		memset(ref, pattern(id), chunk);
		if (memcmp(q, ref, chunk) != 0)
			return false;
	}
	return true;
}

static bool
overlaps(const void *a, size_t an, const void *b, size_t bn)
{
	const char *x = a, *y = b;

	return x < y + MAX(bn, 1) && y < x + MAX(an, 1);
}

TEST(every_size_1_to_70000)
{
	enum { RING = 32, LAST = 70000 };
	void *live[RING] = { 0 };
	size_t sz[RING] = { 0 };
	struct heap_stats a, b;

	heap_get_stats(&a);
	for (size_t n = 1; n <= LAST; n++) {
		unsigned r = n % RING;
		void *p;

		if (live[r]) {
			CHECK(intact(live[r], sz[r], sz[r]));
			kfree(live[r]);
		}
		p = live[r] = kmalloc(n);
		sz[r] = n;
		CHECK(p != NULL);
		if (!p)
			break;
		CHECK((uintptr_t)p % HEAP_MIN_ALIGN == 0);
		for (unsigned i = 0; i < RING; i++)
			if (i != r && live[i])
				CHECK(!overlaps(p, n, live[i], sz[i]));
		fill(p, n, n);
	}
	for (unsigned r = 0; r < RING; r++) {
		CHECK(live[r] && intact(live[r], sz[r], sz[r]));
		kfree(live[r]);
	}
	heap_get_stats(&b);
	CHECK_EQ(b.bytes_in_use, a.bytes_in_use);
	CHECK_EQ(b.nr_allocs - a.nr_allocs, LAST);
	CHECK_EQ(b.nr_frees - a.nr_frees, LAST);
	check_pages_accounted();
}

/* Mostly small objects, some pages, a few large blocks. */
static size_t
random_size(void)
{
	unsigned r = rng() % 100;

	if (r < 70)
		return rng() % 2049;
	if (r < 95)
		return 2049 + rng() % 14000;
	return 16384 + rng() % 200000;
}

TEST(random_stress_100k_ops)
{
	enum { SLOTS = 1024, OPS = 100000 };
	static void *ptr[SLOTS];
	static size_t sz[SLOTS];
	static uint64_t id[SLOTS];
	struct heap_stats a, b;
	uint64_t bytes = 0;

	heap_get_stats(&a);
	rng_state = 0x2545f4914f6cdd1d;
	for (uint64_t op = 1; op <= OPS; op++) {
		unsigned s = rng() % SLOTS;

		if (ptr[s]) {
			CHECK(intact(ptr[s], sz[s], id[s]));
			kfree(ptr[s]);
			bytes -= sz[s];
			ptr[s] = NULL;
			continue;
		}
		sz[s] = random_size();
		id[s] = op;
		ptr[s] = kmalloc(sz[s]);
		CHECK(ptr[s] && (uintptr_t)ptr[s] % HEAP_MIN_ALIGN == 0);
		if (!ptr[s])
			break;
		fill(ptr[s], sz[s], op);
		bytes += sz[s];
		heap_get_stats(&b);
		CHECK_EQ(b.bytes_in_use - a.bytes_in_use, bytes);
	}
	for (unsigned s = 0; s < SLOTS; s++) {
		if (ptr[s]) {
			CHECK(intact(ptr[s], sz[s], id[s]));
			kfree(ptr[s]);
			ptr[s] = NULL;
		}
	}
	heap_get_stats(&b);
	CHECK_EQ(b.bytes_in_use, a.bytes_in_use);
	CHECK_EQ(b.nr_allocs - a.nr_allocs, b.nr_frees - a.nr_frees);
	check_pages_accounted();
}

TEST(kzalloc_zeroes_reused_memory)
{
	static const size_t sizes[] = { 1, 16, 24, 100, 512, 2048, 2049,
					4096, 5000, 70000 };

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint8_t *p = kmalloc(sizes[i]), *q;
		bool zero = true;

		memset(p, 0xa5, sizes[i]);
		kfree(p);
		q = kzalloc(sizes[i]);
		CHECK(q == p);	/* the same memory, so zeroing shows */
		for (size_t j = 0; j < sizes[i]; j++)
			zero &= q[j] == 0;
		CHECK(zero);
		kfree(q);
	}
}

/* Fills several slabs of every class and many large blocks, then frees it
 * all: only one idle slab per class may stay behind. */
TEST(pages_return_to_pmm)
{
	enum { N = 3000 };
	static void *p[N];
	uint64_t free0 = pmm_free_page_count();
	struct heap_stats a, b;

	heap_get_stats(&a);
	for (int i = 0; i < N; i++) {
		p[i] = kmalloc(i % 10 == 9 ? 9000 : 16U << (i % 8));
		CHECK(p[i] != NULL);
	}
	heap_get_stats(&b);
	CHECK(b.pages_held > a.pages_held + 300 * 4);
	CHECK(pmm_free_page_count() < free0);
	check_pages_accounted();
	for (int i = 0; i < N; i += 2)
		kfree(p[i]);
	for (int i = 1; i < N; i += 2)
		kfree(p[i]);
	heap_get_stats(&b);
	CHECK_EQ(b.bytes_in_use, a.bytes_in_use);
	CHECK(b.pages_held <= 8 * 4);	/* one idle slab per class */
	CHECK(pmm_free_page_count() + b.pages_held >= free0);
	check_pages_accounted();
}

TEST(edge_sizes)
{
	struct heap_stats a, b;
	void *z0, *z1;

	heap_get_stats(&a);
	z0 = kmalloc(0);
	z1 = kmalloc(0);
	CHECK(z0 && z1 && z0 != z1);
	kfree(z0);
	kfree(z1);
	kfree(NULL);
	CHECK(kmalloc(SIZE_MAX) == NULL);
	CHECK(kmalloc(GiB(1) + 1) == NULL);
	CHECK(kmalloc(MiB(200)) == NULL);	/* more than the arena */
	CHECK(kzalloc(MiB(200)) == NULL);
	heap_get_stats(&b);
	CHECK_EQ(b.bytes_in_use, a.bytes_in_use);
	CHECK_EQ(b.nr_allocs - a.nr_allocs, 2);
	check_pages_accounted();
}

/* ---- bad frees panic, each in a child so the abort is observable ----- */

static void
double_free_small(void)
{
	void *keep = kmalloc(100), *p = kmalloc(100);

	kfree(p);
	kfree(p);
	kfree(keep);
}

static void
double_free_last_in_slab(void)
{
	void *p = kmalloc(700);

	kfree(p);	/* its slab may now be idle or gone: still caught */
	kfree(p);
}

static void
misaligned_small(void)
{
	kfree((char *)kmalloc(64) + 16);
}

static void
double_free_large(void)
{
	void *p = kmalloc(50000);

	kfree(p);
	kfree(p);
}

static void
inside_large(void)
{
	kfree((char *)kmalloc(50000) + PAGE_SIZE);
}

static void
foreign_pointer(void)
{
	static int not_heap;

	kfree(&not_heap);
}

static void
slab_header(void)
{
	uintptr_t p = (uintptr_t)kmalloc(32);

	kfree((void *)ALIGN_DOWN(p, 4 * PAGE_SIZE));
}

TEST(bad_frees_panic)
{
	unit_expect_panic(double_free_small, "double free");
	unit_expect_panic(double_free_last_in_slab, "kfree(");
	unit_expect_panic(misaligned_small, "not the start of an object");
	unit_expect_panic(double_free_large, "not allocated by kmalloc");
	unit_expect_panic(inside_large, "inside a large allocation");
	unit_expect_panic(foreign_pointer, "not allocated by kmalloc");
	unit_expect_panic(slab_header, "not the start of an object");
}
