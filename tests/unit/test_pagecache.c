/* Host tests of the page cache (kernel/mm/pagecache.c and its radix tree)
 * on the real pmm and heap over a 16 MiB arena, with a byte array as the
 * backing store: fills and write-back, holes and resizing, the pager side
 * (pages mapped writable stay dirty, orphans go at the last unmap), the
 * dirty limit, reclaim under memory pressure, and a sparse tree. */
#include <stdlib.h>
#include "unit.h"
#include "arena.h"
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/pagecache.h>
#include <keel/pmm.h>
#include "../../kernel/mm/pagecache_internal.h"

#undef snprintf
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ARENA_END	MiB(17)
#define STORE_MAX	MiB(24)

/* A file: its backing store, its size and what the cache did to it. */
struct file {
	uint8_t *store;
	uint64_t size;
	unsigned fills, writebacks;
};

__attribute__((constructor)) static void
arena_setup(void)
{
	static const struct pmm_range usable[] = { { MiB(1), MiB(16) } };

	unit_arena_init(ARENA_END, usable, 1, NULL, 0);
}

static int
file_fill(void *owner, uint64_t index, void *page)
{
	struct file *f = owner;
	uint64_t off = index * PAGE_SIZE;

	f->fills++;
	if (off < f->size)
		memcpy(page, f->store + off, MIN(PAGE_SIZE, f->size - off));
	return 0;
}

static int
file_writeback(void *owner, uint64_t index, const void *page)
{
	struct file *f = owner;
	uint64_t off = index * PAGE_SIZE;

	f->writebacks++;
	if (off < f->size)
		memcpy(f->store + off, page, MIN(PAGE_SIZE, f->size - off));
	return 0;
}

static const struct pcache_ops file_ops = {
	.fill = file_fill, .writeback = file_writeback,
};

static struct file *
file_new(uint64_t size)
{
	struct file *f = calloc(1, sizeof(*f));

	f->store = calloc(1, STORE_MAX);
	f->size = size;
	for (uint64_t i = 0; i < size; i++)
		f->store[i] = (uint8_t)(i * 7 + 1);
	return f;
}

static void
file_free(struct file *f)
{
	free(f->store);
	free(f);
}

TEST(read_fills_once_and_write_back_reaches_the_store)
{
	struct file *f = file_new(10000);
	struct pcache *pc = pcache_new(&file_ops, f);
	uint8_t buf[10000];

	CHECK_EQ(pcache_read(pc, buf, sizeof(buf), 0, f->size), 10000);
	CHECK(memcmp(buf, f->store, 10000) == 0);
	CHECK_EQ(pcache_read(pc, buf, 100, 9950, f->size), 50);
	CHECK_EQ(f->fills, 3);
	CHECK_EQ(pcache_write(pc, "new", 3, 5000, &f->size), 3);
	CHECK(f->store[5000] != 'n');
	CHECK_EQ(pcache_read(pc, buf, 3, 5000, f->size), 3);
	CHECK(memcmp(buf, "new", 3) == 0);
	CHECK_EQ(pcache_writeback(pc), 0);
	CHECK(memcmp(f->store + 5000, "new", 3) == 0);
	CHECK_EQ(f->writebacks, 1);
	CHECK_EQ(pcache_writeback(pc), 0);
	CHECK_EQ(f->writebacks, 1);	/* clean now */
	pcache_free(pc);
	file_free(f);
}

TEST(write_past_the_end_grows_the_size_over_a_zero_hole)
{
	struct file *f = file_new(100);
	struct pcache *pc = pcache_new(&file_ops, f);
	uint8_t buf[9000];

	CHECK_EQ(pcache_write(pc, "x", 1, 9000, &f->size), 1);
	CHECK_EQ(f->size, 9001);
	CHECK_EQ(pcache_read(pc, buf, sizeof(buf), 0, f->size), 9000);
	CHECK_EQ(buf[99], (uint8_t)(99 * 7 + 1));
	for (int i = 100; i < 9000; i++)
		if (buf[i] != 0)
			CHECK_EQ(buf[i], 0);
	CHECK_EQ(pcache_writeback(pc), 0);
	CHECK_EQ(f->store[9000], 'x');
	pcache_free(pc);
	file_free(f);
}

TEST(shrinking_drops_pages_and_zeroes_the_tail)
{
	struct file *f = file_new(3 * PAGE_SIZE);
	struct pcache *pc = pcache_new(&file_ops, f);
	struct pcache_stats before, after;
	uint8_t buf[PAGE_SIZE];

	CHECK_EQ(pcache_read(pc, buf, 1, 2 * PAGE_SIZE, f->size), 1);
	CHECK_EQ(pcache_read(pc, buf, 1, 0, f->size), 1);
	pcache_get_stats(&before);
	pcache_resize(pc, f->size, 10);
	f->size = 10;
	pcache_get_stats(&after);
	CHECK_EQ(before.pages - after.pages, 1);
	pcache_resize(pc, f->size, 2 * PAGE_SIZE);	/* grow again: zeros */
	f->size = 2 * PAGE_SIZE;
	CHECK_EQ(pcache_read(pc, buf, PAGE_SIZE, 0, f->size), PAGE_SIZE);
	CHECK_EQ(buf[9], (uint8_t)(9 * 7 + 1));
	CHECK_EQ(buf[10], 0);
	CHECK_EQ(buf[PAGE_SIZE - 1], 0);
	pcache_free(pc);
	file_free(f);
}

TEST(pages_mapped_writable_stay_dirty_until_unmapped)
{
	struct file *f = file_new(2 * PAGE_SIZE);
	struct pcache *pc = pcache_new(&file_ops, f);
	uint64_t pa;

	pcache_pager_ops.ref(pc);
	CHECK_EQ(pcache_populate(pc, 0, 2, f->size), 0);
	pa = pcache_pager_ops.get_page(pc, 1, true);
	CHECK(pa != 0);
	((uint8_t *)phys_to_virt(pa))[7] = 0xee;	/* a store through it */
	CHECK_EQ(pcache_writeback(pc), 0);
	CHECK_EQ(f->store[PAGE_SIZE + 7], 0xee);
	CHECK_EQ(pcache_writeback(pc), 0);
	CHECK_EQ(f->writebacks, 2);	/* no dirty bit: written each time */
	pcache_pager_ops.unref(pc);
	CHECK_EQ(pcache_writeback(pc), 0);
	CHECK_EQ(f->writebacks, 3);	/* once more, then clean */
	CHECK_EQ(pcache_writeback(pc), 0);
	CHECK_EQ(f->writebacks, 3);
	pcache_free(pc);
	file_free(f);
}

TEST(a_mapping_outlives_its_owner)
{
	uint64_t free_before = pmm_free_page_count();
	struct file *f = file_new(PAGE_SIZE);
	struct pcache *pc = pcache_new(&file_ops, f);
	uint64_t pa, past_end;

	pcache_pager_ops.ref(pc);
	CHECK_EQ(pcache_populate(pc, 0, 4, f->size), 0);
	CHECK_EQ(f->fills, 1);		/* only the page inside the file */
	past_end = pcache_pager_ops.get_page(pc, 3, true);
	CHECK(past_end != 0);
	CHECK_EQ(((uint8_t *)phys_to_virt(past_end))[0], 0);
	pcache_free(pc);		/* the file goes; the mapping stays */
	file_free(f);
	pa = pcache_pager_ops.get_page(pc, 0, true);
	CHECK(pa != 0);
	CHECK_EQ(((uint8_t *)phys_to_virt(pa))[1], 8);
	pcache_pager_ops.unref(pc);	/* last unmap: all of it goes */
	CHECK(pmm_free_page_count() + 8 >= free_before);	/* heap slabs */
}

TEST(dirty_pages_stay_under_the_limit)
{
	uint64_t limit = MIN(4096, pmm_total_page_count() / 8);
	struct file *f = file_new(0);
	struct pcache *pc = pcache_new(&file_ops, f);
	static uint8_t page[PAGE_SIZE];
	struct pcache_stats st;

	for (uint64_t i = 0; i < 2 * limit; i++) {
		memset(page, (int)i, sizeof(page));
		CHECK_EQ(pcache_write(pc, page, PAGE_SIZE, i * PAGE_SIZE, &f->size),
			 PAGE_SIZE);
		pcache_get_stats(&st);
		if (st.dirty > limit)
			CHECK(st.dirty <= limit);
	}
	CHECK_EQ(pcache_writeback(pc), 0);
	for (uint64_t i = 0; i < 2 * limit; i++)
		if (f->store[i * PAGE_SIZE + 5] != (uint8_t)i)
			CHECK_EQ(f->store[i * PAGE_SIZE + 5], (uint8_t)i);
	pcache_free(pc);
	file_free(f);
}

/* Twice the arena's memory goes through two files: clean and dirty pages
 * are given back as needed, and every byte arrives. */
TEST(reclaim_keeps_the_cache_within_memory)
{
	uint64_t total = pmm_total_page_count(), n = 2 * total;
	struct file *a = file_new(0), *b = file_new(0);
	struct pcache *pa = pcache_new(&file_ops, a), *pb = pcache_new(&file_ops, b);
	static uint8_t page[PAGE_SIZE];
	struct pcache_stats st;

	CHECK((n / 2) * PAGE_SIZE <= STORE_MAX);
	for (uint64_t i = 0; i < n; i++) {
		struct file *f = i % 2 ? b : a;

		memset(page, (int)(i * 3), sizeof(page));
		CHECK_EQ(pcache_write(i % 2 ? pb : pa, page, PAGE_SIZE,
				      (i / 2) * PAGE_SIZE, &f->size), PAGE_SIZE);
	}
	pcache_get_stats(&st);
	CHECK(st.pages <= total / 4 + 1);
	CHECK_EQ(pcache_writeback(pa), 0);
	CHECK_EQ(pcache_writeback(pb), 0);
	for (uint64_t i = 0; i < n; i++) {
		struct file *f = i % 2 ? b : a;
		uint8_t got;

		CHECK_EQ(pcache_read(i % 2 ? pb : pa, &got, 1,
				     (i / 2) * PAGE_SIZE + 9, f->size), 1);
		if (got != (uint8_t)(i * 3))
			CHECK_EQ(got, (uint8_t)(i * 3));
	}
	pcache_free(pa);
	pcache_free(pb);
	file_free(a);
	file_free(b);
}

TEST(sparse_tree_walks_in_order_and_frees_its_nodes)
{
	static const uint64_t at[] = { 0, 63, 64, 4095, 1ULL << 30, 1ULL << 51 };
	struct heap_stats before, after;
	struct pct t = { 0 };
	uint64_t *slot, i, k = 0;

	heap_get_stats(&before);
	for (unsigned j = 0; j < sizeof(at) / sizeof(at[0]); j++) {
		slot = pct_slot(&t, at[j], true);
		CHECK(slot != NULL);
		*slot = (at[j] + 1) << PAGE_SHIFT;
	}
	CHECK(pct_slot(&t, 65, false) == NULL || *pct_slot(&t, 65, false) == 0);
	for (i = 0; (slot = pct_next(&t, i, &i)); i++, k++) {
		CHECK_EQ(i, at[k]);
		CHECK_EQ(*slot, (at[k] + 1) << PAGE_SHIFT);
	}
	CHECK_EQ(k, sizeof(at) / sizeof(at[0]));
	pct_destroy(&t);
	heap_get_stats(&after);
	CHECK_EQ(after.bytes_in_use, before.bytes_in_use);
}

/* A file whose owner fills runs of pages: counts runs and pages per run,
 * and can be told to fail. */
struct run_file {
	struct file f;
	unsigned runs, run_pages, fail;
};

static int
run_fill(void *owner, uint64_t index, size_t count, void *const *pages)
{
	struct run_file *r = owner;

	if (r->fail)
		return -EIO;
	r->runs++;
	r->run_pages += (unsigned)count;
	for (size_t i = 0; i < count; i++)
		file_fill(&r->f, index + i, pages[i]);
	return 0;
}

static int
run_fill_one(void *owner, uint64_t index, void *page)
{
	struct run_file *r = owner;

	return r->fail ? -EIO : file_fill(&r->f, index, page);
}

static const struct pcache_ops run_ops = {
	.fill = run_fill_one, .fill_run = run_fill,
	.writeback = file_writeback,
};

static struct run_file *
run_file_new(uint64_t size)
{
	struct file *f = file_new(size);
	struct run_file *r = calloc(1, sizeof(*r));

	r->f = *f;
	free(f);
	return r;
}

/* A cold read fills the pages it needs as runs of at most 64, skipping
 * pages already cached (a run stops at one); a sequential read (from 0 or
 * where the last ended) fills ahead to the end of the file, a random one
 * only what it asks for; the data is the file's; a failed run caches
 * nothing and the read reports the error. */
TEST(a_cold_read_fills_runs_of_pages)
{
	struct run_file *r = run_file_new(40 * PAGE_SIZE + 100);
	struct pcache *pc = pcache_new(&run_ops, r);
	size_t len = 40 * PAGE_SIZE + 100;
	uint8_t *buf = malloc(len);

	CHECK_EQ(pcache_read(pc, buf, 1, 5 * PAGE_SIZE, r->f.size), 1);
	CHECK_EQ(r->f.fills, 1);	/* one page: the plain fill */
	CHECK_EQ(r->runs, 0);
	CHECK_EQ(pcache_read(pc, buf, 3 * PAGE_SIZE, 0, r->f.size),
		 (long)(3 * PAGE_SIZE));
	CHECK_EQ(r->runs, 1);
	CHECK_EQ(r->run_pages, 5);	/* ahead to page 5, cached */
	CHECK_EQ(pcache_read(pc, buf, len, 0, r->f.size), (long)len);
	CHECK(memcmp(buf, r->f.store, len) == 0);
	CHECK_EQ(r->runs, 2);		/* 6..40 */
	CHECK_EQ(r->run_pages, 5 + 35);
	CHECK_EQ(pc->npages, 41);
	r->fail = 1;
	CHECK_EQ(pcache_read(pc, buf, 1, 0, r->f.size), 1);	/* cached */
	pcache_resize(pc, r->f.size, 10 * PAGE_SIZE);
	r->f.size = 20 * PAGE_SIZE;
	CHECK_EQ(pcache_read(pc, buf, 4 * PAGE_SIZE, 10 * PAGE_SIZE,
			     r->f.size), -EIO);
	CHECK_EQ(pc->npages, 10);
	r->fail = 0;
	CHECK_EQ(pcache_read(pc, buf, PAGE_SIZE, 15 * PAGE_SIZE, r->f.size),
		 (long)PAGE_SIZE);
	CHECK_EQ(r->runs, 2);		/* random: one page, plainly */
	CHECK_EQ(pc->npages, 11);
	CHECK_EQ(pcache_read(pc, buf, PAGE_SIZE, 16 * PAGE_SIZE, r->f.size),
		 (long)PAGE_SIZE);
	CHECK_EQ(r->runs, 3);		/* sequential: 16..19 */
	CHECK_EQ(r->run_pages, 44);
	CHECK_EQ(pc->npages, 15);
	CHECK(memcmp(buf, r->f.store + 16 * PAGE_SIZE, PAGE_SIZE) == 0);
	pcache_free(pc);
	free(r->f.store);
	free(r);
	free(buf);
}
