/* The page cache (see keel/pagecache.h): per file, a radix tree of 64-way
 * nodes from page index to a physical page from pmm plus state bits, so
 * the same page serves read()/write() and is mapped into the application
 * by the fault handler. Sits on pmm and the heap; knows no file system. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/list.h>
#include <keel/page.h>
#include <keel/pagecache.h>
#include <keel/pmm.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include "pagecache_internal.h"

#define DIRTY_LIMIT_MAX	4096	/* pages: 16 MiB of unwritten data at most */
#define FILL_RUN_MAX	64	/* pages per fill_run: 256 KiB, a large request */

static struct {
	struct spinlock lock;		/* every tree, entry, count, the list */
	struct list_node caches;	/* owned caches, coldest first */
	uint64_t pages;
	uint64_t backed_pages;		/* of caches with a backing store */
	uint64_t dirty;			/* dirty and not mapped writable */
} pc_state = {
	.lock = SPINLOCK_INIT_NAMED("pagecache"),
	.caches = LIST_INIT(pc_state.caches),
};

static unsigned long
pc_lock(void)
{
	return spin_lock_irqsave(&pc_state.lock);
}

static void
pc_unlock(unsigned long flags)
{
	spin_unlock_irqrestore(&pc_state.lock, flags);
}

static bool
backed(const struct pcache *pc)
{
	return pc->ops->writeback != NULL;
}

/* An entry's dirty state changes: keeps the global count, which leaves
 * out pages mapped writable (they stay dirty until unmapped). */
static void
entry_set(uint64_t *slot, uint64_t e)
{
	bool was = (*slot & PCE_DIRTY) && !(*slot & PCE_WMAPPED);
	bool is = (e & PCE_DIRTY) && !(e & PCE_WMAPPED);

	pc_state.dirty += (uint64_t)is - (uint64_t)was;
	*slot = e;
}

struct pcache *
pcache_new(const struct pcache_ops *ops, void *owner)
{
	struct pcache *pc = kzalloc(sizeof(*pc));
	unsigned long f;

	if (!pc)
		return NULL;
	pc->ops = ops;
	pc->owner = owner;
	f = pc_lock();
	list_push_back(&pc_state.caches, &pc->node);
	pc_unlock(f);
	return pc;
}

/* Frees page @index's frame and empties its slot. Lock held. */
static void
page_free(struct pcache *pc, uint64_t *slot)
{
	uint64_t pa = *slot & PAGE_MASK;

	entry_set(slot, 0);
	pmm_free_pages(pa, 0);
	pc->npages--;
	pc_state.pages--;
	if (backed(pc))
		pc_state.backed_pages--;
}

/* Frees every page from @from on and, from 0, the tree. Lock held. */
static void
pages_free_from(struct pcache *pc, uint64_t from)
{
	uint64_t *slot, i;

	for (i = from; (slot = pct_next(&pc->tree, i, &i)); i++)
		page_free(pc, slot);
	if (from == 0)
		pct_destroy(&pc->tree);
}

void
pcache_free(struct pcache *pc)
{
	unsigned long f = pc_lock();
	bool mapped = pc->mapcount > 0;

	list_remove(&pc->node);
	pc->owner = NULL;	/* an orphan: its last unmap frees it */
	if (!mapped)
		pages_free_from(pc, 0);
	pc_unlock(f);
	if (!mapped)
		kfree(pc);
}

/* Writes back and drops the pages of caches with a backing store that no
 * mapping uses, least recently used first, until they hold under @goal
 * pages. The caller's own cache may go too: it holds no frame across an
 * allocation. Tree lock held. */
static void
reclaim_to(uint64_t goal)
{
	struct list_node *n, *next;

	for (n = pc_state.caches.next; n != &pc_state.caches; n = next) {
		struct pcache *pc = list_entry(n, struct pcache, node);
		unsigned long f;

		next = n->next;	/* only the tree lock holder frees caches */
		if (!backed(pc) || pc->mapcount || !pc->npages)
			continue;
		if (pcache_writeback(pc))
			continue;	/* keep what could not be written */
		f = pc_lock();
		if (!pc->mapcount)
			pages_free_from(pc, 0);
		pc_unlock(f);
		if (pc_state.backed_pages < goal)
			break;
	}
}

/* Under memory pressure: down to an eighth of memory. */
static void
pcache_reclaim(void)
{
	reclaim_to(pmm_total_page_count() / 8);
}

void
pcache_drop_unmapped(void)
{
	reclaim_to(0);
}

/* True when clean caches should give memory back: past a quarter of
 * memory, or when free memory runs under a sixteenth. */
static bool
memory_tight(void)
{
	uint64_t total = pmm_total_page_count();

	return pc_state.backed_pages > total / 4 ||
	       pmm_free_page_count() < total / 16;
}

/* A zeroed frame, reclaiming cached pages when memory is tight. */
static uint64_t
page_alloc(void)
{
	uint64_t pa;

	if (memory_tight())
		pcache_reclaim();
	pa = pmm_alloc_pages(0);
	if (!pa) {
		pcache_reclaim();
		pa = pmm_alloc_pages(0);
	}
	if (pa)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

/* An empty @slot of @pc takes frame @pa. Lock held. */
static void
slot_take(struct pcache *pc, uint64_t *slot, uint64_t pa)
{
	*slot = pa;
	pc->npages++;
	pc_state.pages++;
	if (backed(pc))
		pc_state.backed_pages++;
}

/* Puts frame @pa at @index unless a page got there first (a fault's zero
 * page); the frame in place, or 0 if out of memory. Lock held. */
static uint64_t
page_insert(struct pcache *pc, uint64_t index, uint64_t pa)
{
	uint64_t *slot = pct_slot(&pc->tree, index, true);

	if (!slot || *slot) {
		pmm_free_pages(pa, 0);
		return slot ? *slot & PAGE_MASK : 0;
	}
	slot_take(pc, slot, pa);
	return pa;
}

/* The frame of page @index, read in (@fill) or zeroed if absent; 0 with
 * *err. The frame stays while the caller holds the tree lock. */
static uint64_t
page_get(struct pcache *pc, uint64_t index, bool fill, int *err)
{
	unsigned long f = pc_lock();
	uint64_t *slot = pct_slot(&pc->tree, index, false);
	uint64_t pa = slot ? *slot & PAGE_MASK : 0;

	pc_unlock(f);
	if (pa)
		return pa;
	pa = page_alloc();
	if (!pa) {
		*err = -ENOMEM;
		return 0;
	}
	if (fill && pc->ops->fill) {
		*err = pc->ops->fill(pc->owner, index, phys_to_virt(pa));
		if (*err) {
			pmm_free_pages(pa, 0);
			return 0;
		}
	}
	f = pc_lock();
	pa = page_insert(pc, index, pa);
	pc_unlock(f);
	if (!pa)
		*err = -ENOMEM;
	return pa;
}

/* How many pages from @index on, below @end, are absent (at most
 * FILL_RUN_MAX): 0 when @index is cached. */
static size_t
absent_run(struct pcache *pc, uint64_t index, uint64_t end)
{
	unsigned long f = pc_lock();
	size_t n = 0;

	while (n < FILL_RUN_MAX && index + n < end) {
		uint64_t *slot = pct_slot(&pc->tree, index + n, false);

		if (slot && *slot)
			break;
		n++;
	}
	pc_unlock(f);
	return n;
}

/* Reads the @count absent pages from @index on through ops->fill_run and
 * caches them. Frames are only inserted once the whole run read well, so
 * a failed fill caches nothing (page_get then retries one page and
 * reports the error). */
static void
fill_run(struct pcache *pc, uint64_t index, size_t count)
{
	uint64_t pa[FILL_RUN_MAX];
	void *va[FILL_RUN_MAX];
	size_t got, i;
	unsigned long f;
	int err;

	for (got = 0; got < count; got++) {
		pa[got] = page_alloc();
		if (!pa[got])
			break;
		va[got] = phys_to_virt(pa[got]);
	}
	err = got ? pc->ops->fill_run(pc->owner, index, got, va) : -ENOMEM;
	f = pc_lock();
	for (i = 0; i < got; i++) {
		if (err)
			pmm_free_pages(pa[i], 0);
		else
			(void)page_insert(pc, index + i, pa[i]);
	}
	pc_unlock(f);
}

/* Before page_get takes page @index: when it and the pages after it
 * (below @end) are absent, they are read as one run. */
static void
prefill(struct pcache *pc, uint64_t index, uint64_t end)
{
	size_t n;

	if (!pc->ops->fill_run || !pc->owner)
		return;
	n = absent_run(pc, index, end);
	if (n > 1)
		fill_run(pc, index, n);
}

/* Recently used caches go last, so reclaim takes the coldest first. */
static void
touch(struct pcache *pc)
{
	unsigned long f = pc_lock();

	list_remove(&pc->node);
	list_push_back(&pc_state.caches, &pc->node);
	pc_unlock(f);
}

long
pcache_read(struct pcache *pc, void *buf, size_t len, uint64_t off,
	    uint64_t size)
{
	size_t done = 0;
	uint64_t end;
	int err = 0;

	if (off >= size)
		return 0;
	len = (size_t)MIN((uint64_t)len, size - off);
	/* Reading on from where the last read ended (or from the top) is
	 * likely to read on: runs may then fill ahead up to the end of the
	 * file, not only the pages asked for. Random reads read no more. */
	if (off == 0 || off == pc->seq_next)
		end = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	else
		end = ALIGN_UP(off + len, PAGE_SIZE) / PAGE_SIZE;
	touch(pc);
	while (done < len) {
		uint64_t pos = off + done, pa;
		size_t in = pos % PAGE_SIZE;
		size_t n = MIN(len - done, PAGE_SIZE - in);

		prefill(pc, pos / PAGE_SIZE, end);
		pa = page_get(pc, pos / PAGE_SIZE, true, &err);
		if (!pa)
			break;
		memcpy((char *)buf + done, (char *)phys_to_virt(pa) + in, n);
		done += n;
	}
	if (done)
		pc->seq_next = off + done;
	return done ? (long)done : err;
}

static void
mark_dirty(struct pcache *pc, uint64_t index)
{
	unsigned long f = pc_lock();
	uint64_t *slot = pct_slot(&pc->tree, index, false);

	if (slot && *slot && backed(pc))
		entry_set(slot, *slot | PCE_DIRTY);
	pc_unlock(f);
}

/* Writes back every cache once dirty pages pass the limit, so a large
 * write does not hold all its data in memory. */
static void
dirty_limit(void)
{
	uint64_t limit = MIN((uint64_t)DIRTY_LIMIT_MAX,
			     pmm_total_page_count() / 8);
	struct list_node *n;

	if (pc_state.dirty <= limit)
		return;
	list_for_each(n, &pc_state.caches)
		pcache_writeback(list_entry(n, struct pcache, node));
}

long
pcache_write(struct pcache *pc, const void *buf, size_t len, uint64_t off,
	     uint64_t *size)
{
	size_t done = 0;
	int err = 0;

	if (off > *size)
		pcache_resize(pc, *size, off);	/* stale bytes of a hole go */
	touch(pc);
	while (done < len) {
		uint64_t pos = off + done, index = pos / PAGE_SIZE;
		size_t in = pos % PAGE_SIZE;
		size_t n = MIN(len - done, PAGE_SIZE - in);
		/* A page wholly overwritten or past the old end: no read. */
		bool fill = n < PAGE_SIZE && index * PAGE_SIZE < *size;
		uint64_t pa = page_get(pc, index, fill, &err);

		if (!pa)
			break;
		memcpy((char *)phys_to_virt(pa) + in, (const char *)buf + done,
		       n);
		/* The size first: a write-back under pressure stops there. */
		*size = MAX(*size, pos + n);
		mark_dirty(pc, index);
		done += n;
	}
	dirty_limit();
	return done ? (long)done : err;
}

/* Zeros bytes [from, to) of the page at @slot (offsets in the page). */
static void
page_zero(const uint64_t *slot, size_t from, size_t to)
{
	memset((char *)phys_to_virt(*slot & PAGE_MASK) + from, 0, to - from);
}

/* Bytes from @lo on are past the end, or newly inside it: zeros. Pages
 * wholly past @lo are freed -- except mapped ones, which the mappings
 * still point at, so they are zeroed in place. */
void
pcache_resize(struct pcache *pc, uint64_t old_size, uint64_t new_size)
{
	uint64_t lo = MIN(old_size, new_size);
	unsigned long f = pc_lock();
	uint64_t *slot, i;

	slot = pct_slot(&pc->tree, lo / PAGE_SIZE, false);
	if (lo % PAGE_SIZE && slot && *slot)
		page_zero(slot, lo % PAGE_SIZE, PAGE_SIZE);
	for (i = ALIGN_UP(lo, PAGE_SIZE) / PAGE_SIZE;
	     (slot = pct_next(&pc->tree, i, &i)); i++) {
		if (pc->mapcount)
			page_zero(slot, 0, PAGE_SIZE);
		else
			page_free(pc, slot);
	}
	pc_unlock(f);
}

/* The next entry at or after @index that needs writing; its index in
 * *at and its frame, or 0. */
static uint64_t
next_dirty(struct pcache *pc, uint64_t index, uint64_t *at)
{
	unsigned long f = pc_lock();
	uint64_t *slot, pa = 0;

	for (; (slot = pct_next(&pc->tree, index, at)); index = *at + 1) {
		if (*slot & PCE_DIRTY) {
			pa = *slot & PAGE_MASK;
			break;
		}
	}
	pc_unlock(f);
	return pa;
}

/* Page @index was written back: clean unless a mapping may store to it. */
static void
mark_clean(struct pcache *pc, uint64_t index)
{
	unsigned long f = pc_lock();
	uint64_t *slot = pct_slot(&pc->tree, index, false);

	if (slot && *slot && !(*slot & PCE_WMAPPED))
		entry_set(slot, *slot & ~(uint64_t)PCE_DIRTY);
	pc_unlock(f);
}

int
pcache_writeback(struct pcache *pc)
{
	uint64_t index = 0, pa;
	int first = 0;

	if (!backed(pc) || !pc->owner)
		return 0;
	while ((pa = next_dirty(pc, index, &index)) != 0) {
		int err = pc->ops->writeback(pc->owner, index,
					     phys_to_virt(pa));

		if (err && !first)
			first = err;
		if (!err)
			mark_clean(pc, index);
		index++;
	}
	return first;
}

int
pcache_populate(struct pcache *pc, uint64_t first, uint64_t count,
		uint64_t size)
{
	uint64_t end = MIN(first + count,
			   ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
	int err = 0;

	for (uint64_t i = first; i < end; i++) {
		prefill(pc, i, end);
		if (!page_get(pc, i, true, &err))
			return err;
	}
	return 0;
}

/* The fault path: an absent page of a populated mapping is one past the
 * file's data (or never written), so a zero page is right. */
static uint64_t
pager_get_page(void *obj, uint64_t index, bool writable)
{
	struct pcache *pc = obj;
	unsigned long f = pc_lock();
	uint64_t *slot = pct_slot(&pc->tree, index, true), pa;

	if (slot && !*slot && (pa = pmm_alloc_pages(0)) != 0) {
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		slot_take(pc, slot, pa);
	}
	pa = slot ? *slot & PAGE_MASK : 0;
	if (pa && writable && backed(pc))
		entry_set(slot, *slot | PCE_DIRTY | PCE_WMAPPED);
	pc_unlock(f);
	return pa;
}

static void
pager_ref(void *obj)
{
	unsigned long f = pc_lock();

	((struct pcache *)obj)->mapcount++;
	pc_unlock(f);
}

/* The last mapping went: pages mapped writable become plainly dirty (the
 * next write-back takes them), and an orphan goes altogether. */
static void
pager_unref(void *obj)
{
	struct pcache *pc = obj;
	unsigned long f = pc_lock();
	bool orphan = --pc->mapcount == 0 && !pc->owner;
	uint64_t *slot, i;

	if (orphan) {
		pages_free_from(pc, 0);
	} else if (pc->mapcount == 0) {
		for (i = 0; (slot = pct_next(&pc->tree, i, &i)); i++)
			entry_set(slot, *slot & ~(uint64_t)PCE_WMAPPED);
	}
	pc_unlock(f);
	if (orphan)
		kfree(pc);
}

const struct vm_pager_ops pcache_pager_ops = {
	.get_page = pager_get_page, .ref = pager_ref, .unref = pager_unref,
};

void *
pcache_owner(struct pcache *pc)
{
	return pc->owner;
}

void
pcache_get_stats(struct pcache_stats *out)
{
	unsigned long f = pc_lock();

	out->pages = pc_state.pages;
	out->dirty = pc_state.dirty;
	pc_unlock(f);
}
