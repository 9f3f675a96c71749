/* Brings memory up at boot: the final page tables (their pages taken from
 * just past the kernel image), then the page-frame allocator over every
 * usable range except what the image, those tables and the boot modules
 * occupy. Fails cleanly when the machine has too little memory. */
#include <keel/boot.h>
#include <keel/errno.h>
#include <keel/mm.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/pmm.h>

#define MM_MAX_RESERVED		(BOOT_MAX_MODULES + 4)
/* Below this much free memory after boot nothing useful can run. */
#define MM_MIN_FREE_BYTES	MiB(4)

extern char _boot_start[], _boot_end[], _text[], _end[];

static uint64_t
mm_image_start_phys(void)
{
	return (uint64_t)_text - KERNEL_VIRT_BASE;
}

static uint64_t
mm_image_end_phys(void)
{
	return ALIGN_UP((uint64_t)_end - KERNEL_VIRT_BASE, PAGE_SIZE);
}

/* The usable region holding the image: page tables go right after it. */
static int
mm_bump_limit(const struct boot_info *bi, uint64_t start, uint64_t *limit)
{
	for (int i = 0; i < bi->nregions; i++) {
		const struct mem_region *r = &bi->regions[i];

		if (r->type == MEM_USABLE && r->base <= mm_image_start_phys() &&
		    start <= r->base + r->len) {
			*limit = r->base + r->len;
			return 0;
		}
	}
	return -ENOMEM;
}

static int
mm_start_pmm(const struct boot_info *bi, uint64_t tables_end)
{
	struct pmm_range usable[BOOT_MAX_REGIONS], reserved[MM_MAX_RESERVED];
	int nusable = 0, nreserved = 0;

	for (int i = 0; i < bi->nregions; i++)
		if (bi->regions[i].type == MEM_USABLE)
			usable[nusable++] = (struct pmm_range){
				bi->regions[i].base, bi->regions[i].len };
	reserved[nreserved++] = (struct pmm_range){ 0, PAGE_SIZE };
	reserved[nreserved++] = (struct pmm_range){
		(uint64_t)_boot_start, (uint64_t)(_boot_end - _boot_start) };
	reserved[nreserved++] = (struct pmm_range){
		mm_image_start_phys(), tables_end - mm_image_start_phys() };
	for (int i = 0; i < bi->nmodules; i++)
		reserved[nreserved++] = (struct pmm_range){
			bi->modules[i].base, bi->modules[i].len };
	return pmm_init(usable, nusable, reserved, nreserved);
}

int
mm_init(const struct boot_info *bi, char *why, size_t why_len)
{
	uint64_t next = mm_image_end_phys(), limit;
	int err;

	if (mm_bump_limit(bi, next, &limit)) {
		snprintf(why, why_len, "no usable memory holds the kernel image");
		return -ENOMEM;
	}
	err = paging_init(bi, &next, limit);
	if (err) {
		snprintf(why, why_len, "no memory left for page tables");
		return err;
	}
	err = mm_start_pmm(bi, next);
	if (err == 0 && pmm_free_page_count() * PAGE_SIZE < MM_MIN_FREE_BYTES)
		err = -ENOMEM;
	if (err) {
		snprintf(why, why_len, "not enough memory: %lu KiB free after "
			 "boot, Keel needs at least %lu KiB",
			 pmm_free_page_count() * PAGE_SIZE / 1024,
			 MM_MIN_FREE_BYTES / 1024);
		return err;
	}
	paging_use_pmm();
	return 0;
}
