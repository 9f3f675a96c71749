/* Self-tests of the kernel page tables: permissions of each image section,
 * guard pages, the direct map, and mapping/unmapping in the virtual area.
 * Faults are provoked through probes, which turn them into -EFAULT. */
#include <keel/boot.h>
#include <keel/errno.h>
#include <keel/ktest.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/pmm.h>
#include <keel/probe.h>

extern char _text[], _rodata[], _data[], boot_stack_guard[];
static const uint8_t ktest_rodata_byte = 0x5a;
static uint8_t ktest_data_byte = 0xa5;

static uint64_t
pte_flags_of(const void *va)
{
	uint64_t pa, flags = 0;

	KT_EXPECT(paging_lookup((uint64_t)va, &pa, &flags));
	return flags;
}

static void
text_is_read_only_and_executable(void)
{
	uint8_t b;
	uint64_t flags = pte_flags_of(_text);

	KT_EXPECT_EQ(probe_read_u8(_text, &b), 0);
	KT_EXPECT_EQ(probe_write_u8(_text, b), -EFAULT);
	KT_EXPECT(!(flags & PTE_W));
	KT_EXPECT(!(flags & PTE_NX));
}

static void
rodata_is_read_only_and_no_execute(void)
{
	uint8_t b;
	uint64_t flags = pte_flags_of(&ktest_rodata_byte);

	KT_EXPECT_EQ(probe_read_u8(&ktest_rodata_byte, &b), 0);
	KT_EXPECT_EQ(b, 0x5a);
	KT_EXPECT_EQ(probe_write_u8((void *)&ktest_rodata_byte, 1), -EFAULT);
	KT_EXPECT(flags & PTE_NX);
}

static void
data_is_writable_and_no_execute(void)
{
	uint64_t flags = pte_flags_of(&ktest_data_byte);

	KT_EXPECT_EQ(probe_write_u8(&ktest_data_byte, 0x3c), 0);
	KT_EXPECT_EQ(ktest_data_byte, 0x3c);
	KT_EXPECT(flags & PTE_W);
	KT_EXPECT(flags & PTE_NX);
}

static void
stack_guard_and_null_are_unmapped(void)
{
	uint8_t b;

	KT_EXPECT_EQ(probe_read_u8(boot_stack_guard, &b), -EFAULT);
	KT_EXPECT_EQ(probe_read_u8(boot_stack_guard + PAGE_SIZE - 1, &b), -EFAULT);
	KT_EXPECT_EQ(probe_read_u8((void *)0, &b), -EFAULT);
	KT_EXPECT_EQ(probe_read_u8((void *)(PAGE_SIZE * 16), &b), -EFAULT);
}

static void
direct_map_covers_all_usable_memory(void)
{
	for (int i = 0; i < boot_info.nregions; i++) {
		const struct mem_region *r = &boot_info.regions[i];
		uint64_t last = ALIGN_DOWN(r->base + r->len - 1, PAGE_SIZE);
		uint64_t pa, flags;

		if (r->type != MEM_USABLE)
			continue;
		KT_EXPECT(paging_lookup((uint64_t)phys_to_virt(last), &pa, &flags));
		KT_EXPECT_EQ(pa, last);
		KT_EXPECT(flags & PTE_NX);
	}
}

static void
map_and_unmap_in_kernel_virtual_area(void)
{
	uint64_t va = KVA_BASE + GiB(2), pa = pmm_alloc_pages(0), got, flags;
	uint8_t b;

	KT_EXPECT(pa != 0);
	KT_EXPECT_EQ(paging_map_page(va, pa, PTE_W | PTE_NX), 0);
	KT_EXPECT_EQ(paging_map_page(va, pa, PTE_W | PTE_NX), -EEXIST);
	KT_EXPECT(paging_lookup(va + 123, &got, &flags));
	KT_EXPECT_EQ(got, pa + 123);
	*(volatile uint8_t *)va = 0x77;
	KT_EXPECT_EQ(*(volatile uint8_t *)phys_to_virt(pa), 0x77);
	KT_EXPECT_EQ(paging_unmap_page(va), 0);
	KT_EXPECT_EQ(probe_read_u8((void *)va, &b), -EFAULT);
	KT_EXPECT_EQ(paging_unmap_page(va), -ENOENT);
	pmm_free_pages(pa, 0);
}

KTEST_SUITE(paging,
	KTEST_CASE(text_is_read_only_and_executable),
	KTEST_CASE(rodata_is_read_only_and_no_execute),
	KTEST_CASE(data_is_writable_and_no_execute),
	KTEST_CASE(stack_guard_and_null_are_unmapped),
	KTEST_CASE(direct_map_covers_all_usable_memory),
	KTEST_CASE(map_and_unmap_in_kernel_virtual_area));
