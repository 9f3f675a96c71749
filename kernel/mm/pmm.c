/* Physical page frames: a binary buddy allocator over the boot memory map.
 * The bottom of kernel/mm; it calls nothing above it. Per-frame metadata sits
 * in an array carved out of usable RAM, so free pages are never written. */
#include <keel/pmm.h>
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/panic.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include "pmm_internal.h"

/* Ends a free list. Also bounds the span: frame indices must stay below it. */
#define IDX_NONE	UINT32_MAX

/* Only the head frame of a block carries flags. Interior frames, holes and
 * reserved frames have none, so a buddy that is not FREE with the right
 * order can never be merged, whatever it is. */
#define FRAME_FREE	0x1	/* head of a free block, on its free list */
#define FRAME_ALLOC	0x2	/* head of an allocated block */

/* Metadata placed below 1 MiB only if nothing above fits: low memory is
 * scarce and firmware-shaped (real-mode trampolines want it). */
#define META_PREFERRED_MIN	MiB(1)

/*
 * One per page frame from the lowest to the highest usable frame. 16 bytes,
 * i.e. 0.4% of the span: indices instead of pointers keep it small, and the
 * array is indexed by pfn - base_pfn so a frame's entry is found in O(1).
 */
struct pmm_frame {
	uint32_t next;		/* free-list links, on FRAME_FREE heads */
	uint32_t prev;
	uint32_t tag;		/* owner's word, on FRAME_ALLOC heads */
	uint8_t order;		/* block order, on heads */
	uint8_t flags;		/* FRAME_* */
	uint16_t unused;
};
_Static_assert(sizeof(struct pmm_frame) == 16, "pmm_frame is 16 bytes");

static struct {
	struct spinlock lock;
	struct pmm_frame *frames;	/* direct-map address of the array */
	uint64_t base_pfn;		/* pfn of frames[0] */
	uint64_t nframes;
	uint32_t free_list[PMM_MAX_ORDER + 1];	/* head, or IDX_NONE */
	uint64_t free_pages;
	uint64_t total_pages;
} pmm = { .lock = SPINLOCK_INIT_NAMED("pmm") };

/* The boot memory map, as pmm_init() sees it while it lays out frames. */
struct pmm_layout {
	const struct pmm_range *usable;
	int nusable;
	const struct pmm_range *reserved;
	int nreserved;
	uint64_t meta, meta_end;	/* the metadata array, once placed */
};

static void
list_push(unsigned order, uint32_t idx)
{
	struct pmm_frame *f = &pmm.frames[idx];
	uint32_t head = pmm.free_list[order];

	f->prev = IDX_NONE;
	f->next = head;
	if (head != IDX_NONE)
		pmm.frames[head].prev = idx;
	pmm.free_list[order] = idx;
}

static void
list_remove(unsigned order, uint32_t idx)
{
	struct pmm_frame *f = &pmm.frames[idx];

	if (f->prev != IDX_NONE)
		pmm.frames[f->prev].next = f->next;
	else
		pmm.free_list[order] = f->next;
	if (f->next != IDX_NONE)
		pmm.frames[f->next].prev = f->prev;
}

/* Returns the frame entry of the page at @phys, or NULL if pmm does not
 * cover it. Safe on any value, including wild pointers turned physical. */
static struct pmm_frame *
frame_of(uint64_t phys)
{
	uint64_t pfn = phys >> PAGE_SHIFT;

	if (!pmm.frames || (phys & ~PAGE_MASK) || pfn < pmm.base_pfn ||
	    pfn - pmm.base_pfn >= pmm.nframes)
		return NULL;
	return &pmm.frames[pfn - pmm.base_pfn];
}

/*
 * Puts the block of 2^@order pages at @pfn on a free list, merging it with
 * its buddy as long as the buddy is a whole free block of the same order.
 * The caller has cleared the block's head flags. Caller holds the lock.
 */
static void
free_block(uint64_t pfn, unsigned order)
{
	struct pmm_frame *f;

	pmm.free_pages += 1UL << order;
	while (order < PMM_MAX_ORDER) {
		uint64_t buddy = pfn ^ (1UL << order);
		struct pmm_frame *b;

		if (buddy < pmm.base_pfn || buddy - pmm.base_pfn >= pmm.nframes)
			break;
		b = &pmm.frames[buddy - pmm.base_pfn];
		if (!(b->flags & FRAME_FREE) || b->order != order)
			break;
		list_remove(order, buddy - pmm.base_pfn);
		b->flags = 0;
		pfn &= ~(1UL << order);
		order++;
	}
	f = &pmm.frames[pfn - pmm.base_pfn];
	f->flags = FRAME_FREE;
	f->order = order;
	f->tag = 0;
	list_push(order, pfn - pmm.base_pfn);
}

uint64_t
pmm_alloc_pages(unsigned order)
{
	unsigned long irq;
	unsigned k = order;
	uint32_t idx;
	struct pmm_frame *f;

	if (order > PMM_MAX_ORDER || !pmm.frames)
		return 0;
	irq = spin_lock_irqsave(&pmm.lock);
	while (k <= PMM_MAX_ORDER && pmm.free_list[k] == IDX_NONE)
		k++;
	if (k > PMM_MAX_ORDER) {
		spin_unlock_irqrestore(&pmm.lock, irq);
		return 0;
	}
	idx = pmm.free_list[k];
	list_remove(k, idx);
	/* Natural alignment makes the upper half of a split its buddy. */
	while (k > order) {
		k--;
		pmm.frames[idx + (1U << k)].flags = FRAME_FREE;
		pmm.frames[idx + (1U << k)].order = k;
		list_push(k, idx + (1U << k));
	}
	f = &pmm.frames[idx];
	f->flags = FRAME_ALLOC;
	f->order = order;
	f->tag = 0;
	pmm.free_pages -= 1UL << order;
	spin_unlock_irqrestore(&pmm.lock, irq);
	return (pmm.base_pfn + idx) << PAGE_SHIFT;
}

/* Says why freeing a block of @order at @f would be wrong, or NULL if it
 * is fine. Caller holds the lock. */
static const char *
free_error(unsigned order, const struct pmm_frame *f)
{
	if (order > PMM_MAX_ORDER)
		return "order above PMM_MAX_ORDER";
	if (!f)
		return "not a page pmm manages (unaligned or outside RAM)";
	if (f->flags & FRAME_FREE)
		return "double free (block is already free)";
	if (!(f->flags & FRAME_ALLOC))
		return "not an allocated block (double free of a merged block, "
		       "interior page, or reserved page)";
	if (f->order != order)
		return "order mismatch with the allocation";
	return NULL;
}

void
pmm_free_pages(uint64_t phys, unsigned order)
{
	unsigned long irq = spin_lock_irqsave(&pmm.lock);
	struct pmm_frame *f = frame_of(phys);
	const char *why = free_error(order, f);
	int had = f && (f->flags & FRAME_ALLOC) ? f->order : -1;

	if (!why) {
		f->flags = 0;
		free_block(phys >> PAGE_SHIFT, order);
	}
	spin_unlock_irqrestore(&pmm.lock, irq);
	if (why && had >= 0)
		panic("pmm_free_pages(%#lx, order %u): %s (allocated as order "
		      "%d)", (unsigned long)phys, order, why, had);
	if (why)
		panic("pmm_free_pages(%#lx, order %u): %s",
		      (unsigned long)phys, order, why);
}

uint64_t
pmm_free_page_count(void)
{
	return READ_ONCE(pmm.free_pages);
}

uint64_t
pmm_total_page_count(void)
{
	return READ_ONCE(pmm.total_pages);
}

void
pmm_block_set_tag(uint64_t phys, uint32_t tag)
{
	unsigned long irq = spin_lock_irqsave(&pmm.lock);
	struct pmm_frame *f = frame_of(phys);
	bool ok = f && (f->flags & FRAME_ALLOC);

	if (ok)
		f->tag = tag;
	spin_unlock_irqrestore(&pmm.lock, irq);
	if (!ok)
		panic("pmm_block_set_tag(%#lx): not an allocated block",
		      (unsigned long)phys);
}

uint32_t
pmm_block_tag(uint64_t phys, unsigned *order)
{
	unsigned long irq = spin_lock_irqsave(&pmm.lock);
	struct pmm_frame *f = frame_of(phys);
	uint32_t tag = 0;

	if (f && (f->flags & FRAME_ALLOC)) {
		tag = f->tag;
		*order = f->order;
	}
	spin_unlock_irqrestore(&pmm.lock, irq);
	return tag;
}

/* ---- initialization ------------------------------------------------- */

/* Page-aligns a usable range inward and drops page 0, which is never
 * handed out since 0 means failure. Returns false if nothing is left. */
static bool
usable_bounds(const struct pmm_range *r, uint64_t *s, uint64_t *e)
{
	uint64_t end = r->len > UINT64_MAX - r->base ? UINT64_MAX
						      : r->base + r->len;

	if (r->base > UINT64_MAX - PAGE_SIZE)
		return false;
	*s = MAX(ALIGN_UP(r->base, PAGE_SIZE), PAGE_SIZE);
	*e = ALIGN_DOWN(end, PAGE_SIZE);
	return *s < *e;
}

/* Page-aligns a reserved range outward. */
static void
reserved_bounds(const struct pmm_range *r, uint64_t *s, uint64_t *e)
{
	uint64_t end = r->len > UINT64_MAX - r->base ? UINT64_MAX
						      : r->base + r->len;

	*s = ALIGN_DOWN(r->base, PAGE_SIZE);
	*e = end > (UINT64_MAX & PAGE_MASK) ? (UINT64_MAX & PAGE_MASK)
					    : ALIGN_UP(end, PAGE_SIZE);
}

static void
take_lowest(uint64_t bs, uint64_t be, uint64_t s, uint64_t e, bool *found,
	    uint64_t *os, uint64_t *oe)
{
	if (bs < e && be > s && (!*found || bs < *os)) {
		*found = true;
		*os = bs;
		*oe = be;
	}
}

/*
 * Finds, among the pages [@s, @e) must not take, the run that starts lowest
 * and overlaps [@s, @e): reserved ranges, the metadata, and usable ranges
 * before index @upto (so overlapping usable ranges count each page once).
 */
static bool
first_blocker(const struct pmm_layout *l, int upto, uint64_t s, uint64_t e,
	      uint64_t *bs, uint64_t *be)
{
	bool found = false;
	uint64_t rs, re;

	for (int i = 0; i < l->nreserved; i++) {
		reserved_bounds(&l->reserved[i], &rs, &re);
		take_lowest(rs, re, s, e, &found, bs, be);
	}
	for (int i = 0; i < upto; i++)
		if (usable_bounds(&l->usable[i], &rs, &re))
			take_lowest(rs, re, s, e, &found, bs, be);
	take_lowest(l->meta, l->meta_end, s, e, &found, bs, be);
	return found;
}

/* First fit for @bytes of metadata at or above @min, avoiding reserved
 * ranges. Returns its physical address, or 0. */
static uint64_t
place_meta(const struct pmm_layout *l, uint64_t bytes, uint64_t min)
{
	uint64_t s, e, bs, be;

	for (int i = 0; i < l->nusable; i++) {
		if (!usable_bounds(&l->usable[i], &s, &e))
			continue;
		s = MAX(s, min);
		while (s < e && bytes <= e - s) {
			if (!first_blocker(l, 0, s, s + bytes, &bs, &be))
				return s;
			s = be;
		}
	}
	return 0;
}

/* Frees [@s, @e) as the largest naturally aligned blocks that fit, clipped
 * to the span the metadata covers. */
static void
add_free_run(uint64_t s, uint64_t e)
{
	uint64_t pfn = MAX(s >> PAGE_SHIFT, pmm.base_pfn);
	uint64_t end = MIN(e >> PAGE_SHIFT, pmm.base_pfn + pmm.nframes);

	while (pfn < end) {
		unsigned order = MIN((unsigned)__builtin_ctzl(pfn),
				     PMM_MAX_ORDER);

		while (pfn + (1UL << order) > end)
			order--;
		pmm.total_pages += 1UL << order;
		free_block(pfn, order);
		pfn += 1UL << order;
	}
}

/* Frees the pages of usable range @i that nothing else claims. */
static void
add_usable(const struct pmm_layout *l, int i)
{
	uint64_t s, e, bs, be;

	if (!usable_bounds(&l->usable[i], &s, &e))
		return;
	while (s < e) {
		if (!first_blocker(l, i, s, e, &bs, &be)) {
			add_free_run(s, e);
			return;
		}
		if (bs > s)
			add_free_run(s, bs);
		s = be;
	}
}

/* Sets base_pfn and nframes to the span of the usable ranges, capped so
 * every index fits below IDX_NONE. Returns false if there is no usable page. */
static bool
find_span(const struct pmm_layout *l)
{
	uint64_t lo = UINT64_MAX, hi = 0, s, e;

	for (int i = 0; i < l->nusable; i++) {
		if (!usable_bounds(&l->usable[i], &s, &e))
			continue;
		lo = MIN(lo, s);
		hi = MAX(hi, e);
	}
	if (lo >= hi)
		return false;
	pmm.base_pfn = lo >> PAGE_SHIFT;
	pmm.nframes = MIN((hi - lo) >> PAGE_SHIFT, (uint64_t)IDX_NONE);
	return true;
}

/* Boot calls this once, before any other pmm function; host tests call it
 * again to start over on a new memory map (nothing may be allocated then). */
int
pmm_init(const struct pmm_range *usable, int nusable,
	 const struct pmm_range *reserved, int nreserved)
{
	struct pmm_layout l = { usable, nusable, reserved, nreserved, 0, 0 };
	uint64_t bytes;

	pmm.frames = NULL;
	pmm.free_pages = pmm.total_pages = 0;
	for (int k = 0; k <= PMM_MAX_ORDER; k++)
		pmm.free_list[k] = IDX_NONE;
	if (!find_span(&l))
		return -ENOMEM;
	bytes = ALIGN_UP(pmm.nframes * sizeof(struct pmm_frame), PAGE_SIZE);
	l.meta = place_meta(&l, bytes, META_PREFERRED_MIN);
	if (!l.meta)
		l.meta = place_meta(&l, bytes, 0);
	if (!l.meta)
		return -ENOMEM;
	l.meta_end = l.meta + bytes;
	pmm.frames = phys_to_virt(l.meta);
	/* All zero: no frame is a block head until add_usable() says so. */
	memset(pmm.frames, 0, pmm.nframes * sizeof(struct pmm_frame));
	for (int i = 0; i < nusable; i++)
		add_usable(&l, i);
	return 0;
}
