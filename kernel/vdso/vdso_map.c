/* Gives the application its vDSO: the embedded image mapped read-execute
 * and, one page below it, the vvar page the kernel fills with the clock's
 * parameters (read-only to the application). Both are the kernel's own
 * pages, shared, never freed. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/vdso.h>
#include <keel/vm.h>
#include "vdso_data.h"

extern const char vdso_image_start[], vdso_image_end[];

static union {
	struct vdso_data data;
	uint8_t page[PAGE_SIZE];
} vvar __aligned(PAGE_SIZE);

/* Fills the vvar page; the TSC fast path only when the kernel's own
 * monotonic clock is the TSC, so both paths tell the same time. */
void
vdso_init(void)
{
	uint64_t base, fp, offset;

	vvar.data.seq++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (clock_tsc_params(&base, &fp, &offset)) {
		vvar.data.mode = VDSO_MODE_TSC;
		vvar.data.tsc_base = base;
		vvar.data.ns_per_tsc_fp = fp;
		vvar.data.realtime_offset_ns = offset;
	} else {
		vvar.data.mode = VDSO_MODE_SYSCALL;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vvar.data.seq++;
}

static uint64_t
image_phys(const void *p)
{
	return (uint64_t)p - KERNEL_VIRT_BASE;
}

long
vdso_map(void)
{
	uint64_t size = ALIGN_UP((uint64_t)(vdso_image_end - vdso_image_start),
				 PAGE_SIZE);
	long base = vm_map_special(PAGE_SIZE + size);

	if (base < 0)
		return base;
	if (paging_map_page(base, image_phys(&vvar), PTE_NX))
		return -EEXIST;
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		if (paging_map_page(base + PAGE_SIZE + off,
				    image_phys(vdso_image_start + off), 0))
			return -EEXIST;
	return base + PAGE_SIZE;	/* AT_SYSINFO_EHDR: the ELF header */
}
