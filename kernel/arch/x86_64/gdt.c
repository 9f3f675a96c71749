/* The GDT (one 64-bit code and data segment, the TSS) and the TSS whose
 * interrupt stack table gives every exception and interrupt its own stack:
 * everything runs in ring 0, so without IST an interrupt would push onto the
 * application's stack and destroy its red zone. */
#include <keel/arch_context.h>
#include <keel/paging.h>
#include <keel/string.h>
#include "cpu.h"

#define GDT_CODE64	0x00af9a000000ffffULL	/* P, DPL0, code, L */
#define GDT_DATA	0x00cf92000000ffffULL	/* P, DPL0, data, RW */
#define TSS_TYPE_AVAIL	0x89ULL		/* P, 64-bit TSS available */

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iopb_offset;
} __packed;
_Static_assert(sizeof(struct tss) == 104, "TSS layout");

struct descriptor_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

static uint64_t gdt[5] __aligned(16);
static struct tss tss __aligned(16);

/* Each IST stack has an unmapped guard page below it (see paging.c). */
struct ist_stack {
	uint8_t guard[4096];
	uint8_t stack[IST_STACK_SIZE];
} __aligned(4096);
struct ist_stack ist_stacks[IST_COUNT];

static void
gdt_set_tss(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (TSS_TYPE_AVAIL << 40) | (((limit >> 16) & 0xf) << 48) |
		 (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
}

void
gdt_init(void)
{
	struct descriptor_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };

	gdt[0] = 0;
	gdt[1] = GDT_CODE64;
	gdt[2] = GDT_DATA;
	for (int i = 0; i < IST_COUNT; i++)
		tss.ist[i] = (uint64_t)ist_stacks[i].stack + IST_STACK_SIZE;
	tss.iopb_offset = sizeof(tss);	/* no I/O bitmap */
	gdt_set_tss();

	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl %2, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"ltr %w3"
		:: "m"(p), "i"(SEL_KERNEL_CODE), "i"(SEL_KERNEL_DATA),
		   "r"((uint16_t)SEL_TSS)
		: "rax", "memory");
}

/* Called once the final page tables are in: unmaps each IST stack's guard. */
void
gdt_guard_ist_stacks(void)
{
	for (int i = 0; i < IST_COUNT; i++)
		paging_make_guard(ist_stacks[i].guard);
}

extern char boot_stack_guard[];

void
arch_trap_init(void)
{
	gdt_init();
	idt_init();
}

void
arch_guard_stacks(void)
{
	paging_make_guard(boot_stack_guard);
	gdt_guard_ist_stacks();
}

/* All code runs in ring 0, so there is no SWAPGS: GS simply holds the
 * per-CPU pointer (see keel/percpu.h). */
void
arch_set_gs_base(uint64_t base)
{
	wrmsr(MSR_GS_BASE, base);
}
