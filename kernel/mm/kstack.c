/* Thread stacks in fixed-size slots of the kernel virtual area: the first
 * page of a slot is never mapped (the guard), the stack takes the rest.
 * A bitmap finds free slots; pages come from pmm one at a time, so a stack
 * needs no physically contiguous memory. */
#include <keel/errno.h>
#include <keel/kstack.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/pmm.h>
#include <keel/spinlock.h>

#define KSTACK_AREA_BASE	(KVA_BASE + GiB(4))
#define KSTACK_SLOT_SIZE	(KSTACK_MAX_SIZE + PAGE_SIZE)
#define KSTACK_SLOTS		65536
#define BITS_PER_WORD		64

static struct spinlock kstack_lock = SPINLOCK_INIT_NAMED("kstack");
static uint64_t slot_used[KSTACK_SLOTS / BITS_PER_WORD];
static unsigned slot_hint;

static int
slot_take(void)
{
	int found = -ENOMEM;

	spin_lock(&kstack_lock);
	for (unsigned n = 0; n < KSTACK_SLOTS; n++) {
		unsigned i = (slot_hint + n) % KSTACK_SLOTS;
		uint64_t bit = 1ULL << (i % BITS_PER_WORD);

		if (!(slot_used[i / BITS_PER_WORD] & bit)) {
			slot_used[i / BITS_PER_WORD] |= bit;
			slot_hint = i + 1;
			found = (int)i;
			break;
		}
	}
	spin_unlock(&kstack_lock);
	return found;
}

static void
slot_give_back(unsigned i)
{
	spin_lock(&kstack_lock);
	slot_used[i / BITS_PER_WORD] &= ~(1ULL << (i % BITS_PER_WORD));
	spin_unlock(&kstack_lock);
}

/* Unmaps [lo, hi) and frees the pages behind it. */
static void
kstack_unmap(uint64_t lo, uint64_t hi)
{
	for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
		uint64_t pa, flags;

		if (!paging_lookup(va, &pa, &flags))
			continue;
		paging_unmap_page(va);
		pmm_free_pages(pa, 0);
	}
}

int
kstack_alloc(size_t size, uint64_t *lo, uint64_t *hi)
{
	int slot;
	uint64_t base;

	if (size == 0 || size > KSTACK_MAX_SIZE || !IS_ALIGNED(size, PAGE_SIZE))
		return -EINVAL;
	slot = slot_take();
	if (slot < 0)
		return slot;
	/* The stack ends at the slot's end; the guard is the page below it. */
	base = KSTACK_AREA_BASE + (uint64_t)slot * KSTACK_SLOT_SIZE +
	       KSTACK_SLOT_SIZE - size;
	for (uint64_t va = base; va < base + size; va += PAGE_SIZE) {
		uint64_t pa = pmm_alloc_pages(0);

		if (!pa || paging_map_page(va, pa, PTE_W | PTE_NX | PTE_G)) {
			if (pa)
				pmm_free_pages(pa, 0);
			kstack_unmap(base, va);
			slot_give_back(slot);
			return -ENOMEM;
		}
	}
	*lo = base;
	*hi = base + size;
	return 0;
}

void
kstack_free(uint64_t lo, uint64_t hi)
{
	kstack_unmap(lo, hi);
	slot_give_back((lo - KSTACK_AREA_BASE) / KSTACK_SLOT_SIZE);
}
