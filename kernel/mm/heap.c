/* The kernel heap: power-of-two size classes from 16 to 2048 bytes carved
 * out of 16 KiB slabs, and whole 2^k-page blocks for anything larger. Sits
 * on pmm (pages, block tags) and reaches memory through the direct map. */
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/panic.h>
#include <keel/pmm.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include "pmm_internal.h"

#define CLASS_MIN_SHIFT	4			/* 16 bytes */
#define CLASS_MAX_SHIFT	11			/* 2048 bytes */
#define NR_CLASSES	(CLASS_MAX_SHIFT - CLASS_MIN_SHIFT + 1)
#define CLASS_MAX_SIZE	(1UL << CLASS_MAX_SHIFT)

/*
 * Every slab is one naturally aligned pmm block of this order, whatever its
 * class, so the slab holding any object is ALIGN_DOWN(object, SLAB_BYTES):
 * that is what makes kfree O(1) without a per-object header. 16 KiB keeps
 * the 2048 class at 7 objects per slab (12% slack) and the idle heap small.
 */
#define SLAB_ORDER	2
#define SLAB_BYTES	(PAGE_SIZE << SLAB_ORDER)
#define SLAB_MAX_OBJS	(SLAB_BYTES >> CLASS_MIN_SHIFT)
#define SLAB_WORDS	(SLAB_MAX_OBJS / 64)

/*
 * pmm block tags say what a heap block is. A pointer's own page is looked
 * up first: a LARGE tag there means a large block; otherwise the pointer
 * must lie in a slab, whose head page carries SLAB | class. Tags of pages
 * the heap does not own are 0, so foreign pointers fail both tests.
 */
#define TAG_LARGE	0x80000000u		/* | requested size */
#define TAG_SLAB	0x51ab0000u		/* | class index */
#define TAG_SLAB_MASK	0xffffff00u
#define LARGE_MAX	(PAGE_SIZE << PMM_MAX_ORDER)
_Static_assert(LARGE_MAX < TAG_LARGE, "large sizes fit beside TAG_LARGE");

/*
 * Header at the start of each slab. Allocation state is a bitmap, not a list
 * threaded through free objects: the heap never writes into freed memory,
 * and a double free is one bit test. size[] keeps each object's requested
 * size for bytes_in_use; objects follow at obj_off of the class.
 */
struct slab {
	struct slab *next, *prev;	/* on the class's partial list */
	uint16_t nfree;
	uint8_t class;
	uint8_t hint;			/* used[0 .. hint) are all set */
	uint64_t used[SLAB_WORDS];	/* bit set: object allocated */
	uint16_t size[];		/* requested size per object */
};

/* Slabs of one class. Full slabs sit on no list: kfree finds them by
 * address. */
struct heap_class {
	struct slab *partial;	/* slabs with at least one free object */
	struct slab *empty;	/* one idle slab, against alloc/free churn */
	uint16_t nobj;		/* objects per slab, 0 until first use */
	uint16_t obj_off;	/* offset of object 0 from the slab start */
};

static struct {
	struct spinlock lock;	/* taken before pmm's lock, never after */
	struct heap_class classes[NR_CLASSES];
	struct heap_stats stats;
} heap = { .lock = SPINLOCK_INIT_NAMED("heap") };

static unsigned
class_of(size_t size)
{
	if (size <= (1UL << CLASS_MIN_SHIFT))
		return 0;
	return 64 - __builtin_clzl(size - 1) - CLASS_MIN_SHIFT;
}

/* Fits as many objects as the header, its size[] array and 16-byte
 * alignment allow. Done once per class, under the lock. */
static void
class_layout(struct heap_class *hc, unsigned c)
{
	size_t osize = 1UL << (c + CLASS_MIN_SHIFT);
	size_t n = (SLAB_BYTES - sizeof(struct slab)) / (osize + 2);
	size_t off;

	for (;; n--) {
		off = ALIGN_UP(sizeof(struct slab) + 2 * n, HEAP_MIN_ALIGN);
		if (off + n * osize <= SLAB_BYTES)
			break;
	}
	hc->nobj = MIN(n, SLAB_MAX_OBJS);
	hc->obj_off = off;
}

static void
partial_push(struct heap_class *hc, struct slab *s)
{
	s->prev = NULL;
	s->next = hc->partial;
	if (hc->partial)
		hc->partial->prev = s;
	hc->partial = s;
}

static void
partial_remove(struct heap_class *hc, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		hc->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

static struct slab *
slab_create(struct heap_class *hc, unsigned c)
{
	uint64_t phys = pmm_alloc_pages(SLAB_ORDER);
	struct slab *s;

	if (!phys)
		return NULL;
	pmm_block_set_tag(phys, TAG_SLAB | c);
	s = phys_to_virt(phys);
	memset(s, 0, sizeof(*s));
	/* Bits past the last object stay set so a search never picks them. */
	for (unsigned i = hc->nobj; i < SLAB_MAX_OBJS; i++)
		s->used[i / 64] |= 1UL << (i % 64);
	s->nfree = hc->nobj;
	s->class = c;
	heap.stats.pages_held += 1UL << SLAB_ORDER;
	return s;
}

static void
slab_destroy(struct slab *s)
{
	heap.stats.pages_held -= 1UL << SLAB_ORDER;
	pmm_free_pages(virt_to_phys(s), SLAB_ORDER);
}

/* Takes the lowest free object of @s, which has one; returns its index. */
static unsigned
slab_take(struct slab *s)
{
	unsigned w = s->hint, bit;

	while (s->used[w] == UINT64_MAX)
		w++;
	bit = __builtin_ctzl(~s->used[w]);
	s->used[w] |= 1UL << bit;
	s->hint = w;
	s->nfree--;
	return w * 64 + bit;
}

static void *
alloc_small(size_t size)
{
	unsigned c = class_of(size), i;
	struct heap_class *hc = &heap.classes[c];
	struct slab *s = hc->partial;

	if (!hc->nobj)
		class_layout(hc, c);
	if (!s) {
		s = hc->empty ? hc->empty : slab_create(hc, c);
		if (!s)
			return NULL;
		hc->empty = NULL;
		partial_push(hc, s);
	}
	i = slab_take(s);
	if (!s->nfree)
		partial_remove(hc, s);
	s->size[i] = size;
	heap.stats.bytes_in_use += size;
	return (char *)s + hc->obj_off + ((size_t)i << (c + CLASS_MIN_SHIFT));
}

/* Whole pages, rounded up to a power of two; the tag keeps the requested
 * size and pmm keeps the order. */
static void *
alloc_large(size_t size)
{
	size_t pages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned order = pages == 1 ? 0 : 64 - __builtin_clzl(pages - 1);
	uint64_t phys = pmm_alloc_pages(order);

	if (!phys)
		return NULL;
	pmm_block_set_tag(phys, TAG_LARGE | (uint32_t)size);
	heap.stats.pages_held += 1UL << order;
	heap.stats.bytes_in_use += size;
	return phys_to_virt(phys);
}

void *
kmalloc(size_t size)
{
	unsigned long irq;
	void *p;

	if (size > LARGE_MAX)
		return NULL;
	irq = spin_lock_irqsave(&heap.lock);
	p = size <= CLASS_MAX_SIZE ? alloc_small(size) : alloc_large(size);
	if (p)
		heap.stats.nr_allocs++;
	spin_unlock_irqrestore(&heap.lock, irq);
	return p;
}

void *
kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

/* Returns an object to its slab; an empty slab becomes the class's idle
 * one or goes back to pmm. Returns why @phys is no object, or NULL. */
static const char *
free_small(uint64_t phys)
{
	uint64_t base = ALIGN_DOWN(phys, SLAB_BYTES), off;
	unsigned order = 0, c, i;
	uint32_t tag = pmm_block_tag(base, &order);
	struct heap_class *hc;
	struct slab *s;

	if (tag & TAG_LARGE)
		return "inside a large allocation, not at its start";
	if ((tag & TAG_SLAB_MASK) != TAG_SLAB || order != SLAB_ORDER)
		return "not allocated by kmalloc (foreign pointer or already "
		       "freed)";
	c = tag & ~TAG_SLAB_MASK;
	if (c >= NR_CLASSES)
		return "slab tag names no class (heap metadata corrupt)";
	hc = &heap.classes[c];
	s = phys_to_virt(base);
	off = phys - base - hc->obj_off;
	if (phys - base < hc->obj_off ||
	    (off & ((1UL << (c + CLASS_MIN_SHIFT)) - 1)))
		return "not the start of an object (misaligned or header)";
	i = off >> (c + CLASS_MIN_SHIFT);
	if (i >= hc->nobj || !(s->used[i / 64] & (1UL << (i % 64))))
		return "double free (object is not allocated)";
	s->used[i / 64] &= ~(1UL << (i % 64));
	s->hint = MIN(s->hint, i / 64);
	heap.stats.bytes_in_use -= s->size[i];
	if (s->nfree++ == 0)
		partial_push(hc, s);
	if (s->nfree == hc->nobj) {
		partial_remove(hc, s);
		if (hc->empty)
			slab_destroy(s);
		else
			hc->empty = s;
	}
	return NULL;
}

static const char *
free_large(uint64_t phys, uint32_t tag, unsigned order)
{
	if (phys & ~PAGE_MASK)
		return "inside a large allocation, not at its start";
	heap.stats.bytes_in_use -= tag & ~TAG_LARGE;
	heap.stats.pages_held -= 1UL << order;
	pmm_free_pages(phys, order);
	return NULL;
}

void
kfree(void *ptr)
{
	uint64_t phys = virt_to_phys(ptr);
	unsigned long irq;
	unsigned order = 0;
	uint32_t tag;
	const char *why;

	if (!ptr)
		return;
	irq = spin_lock_irqsave(&heap.lock);
	tag = pmm_block_tag(phys & PAGE_MASK, &order);
	if (tag & TAG_LARGE)
		why = free_large(phys, tag, order);
	else
		why = free_small(phys);
	if (!why)
		heap.stats.nr_frees++;
	spin_unlock_irqrestore(&heap.lock, irq);
	if (why)
		panic("kfree(%p): %s", ptr, why);
}

void
heap_get_stats(struct heap_stats *out)
{
	unsigned long irq = spin_lock_irqsave(&heap.lock);

	*out = heap.stats;
	spin_unlock_irqrestore(&heap.lock, irq);
}
