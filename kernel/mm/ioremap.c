/* Device memory (LAPIC, HPET, IOAPIC, ...) mapped uncached into the kernel
 * virtual area. Mappings are few and live forever, so a bump pointer over
 * the area is enough; iounmap only removes the pages. */
#include <keel/errno.h>
#include <keel/ioremap.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/spinlock.h>

/* The first GiB of the kernel virtual area holds device mappings. */
#define IOREMAP_BASE	KVA_BASE
#define IOREMAP_SIZE	GiB(1)

static struct spinlock ioremap_lock = SPINLOCK_INIT_NAMED("ioremap");
static uint64_t ioremap_next = IOREMAP_BASE;

void *
ioremap(uint64_t phys, size_t len)
{
	uint64_t first = ALIGN_DOWN(phys, PAGE_SIZE);
	uint64_t size = ALIGN_UP(phys + len, PAGE_SIZE) - first;
	unsigned long flags = spin_lock_irqsave(&ioremap_lock);
	uint64_t va = ioremap_next;

	if (len == 0 || va + size > IOREMAP_BASE + IOREMAP_SIZE) {
		spin_unlock_irqrestore(&ioremap_lock, flags);
		return NULL;
	}
	ioremap_next += size + PAGE_SIZE;	/* a hole between mappings */
	spin_unlock_irqrestore(&ioremap_lock, flags);

	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		if (paging_map_page(va + off, first + off,
				    PTE_W | PTE_NX | PTE_PCD | PTE_PWT | PTE_G)) {
			iounmap((void *)va, off);
			return NULL;
		}
	}
	return (void *)(va + (phys - first));
}

void
iounmap(void *virt, size_t len)
{
	uint64_t first = ALIGN_DOWN((uint64_t)virt, PAGE_SIZE);
	uint64_t end = ALIGN_UP((uint64_t)virt + len, PAGE_SIZE);

	for (uint64_t va = first; va < end; va += PAGE_SIZE)
		paging_unmap_page(va);
}
