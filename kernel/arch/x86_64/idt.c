/* The IDT: every one of the 256 vectors points at its entry in isr.S and runs
 * on an IST stack (exceptions, NMI, double fault and machine check each on
 * their own), so nothing is ever pushed onto the application's stack. */
#include <keel/irq.h>
#include "cpu.h"

#define IDT_VECTORS		256
#define ISR_ENTRY_SIZE		16
#define GATE_INTERRUPT		0x8e	/* P, DPL0, 64-bit interrupt gate */
#define VEC_NMI			2
#define VEC_DOUBLE_FAULT	8
#define VEC_MACHINE_CHECK	18

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

extern char isr_entries[];
static struct idt_gate idt[IDT_VECTORS] __aligned(16);

static int
idt_ist_for(int vec)
{
	if (vec == VEC_NMI)
		return IST_NMI;
	if (vec == VEC_DOUBLE_FAULT)
		return IST_DOUBLE_FAULT;
	if (vec == VEC_MACHINE_CHECK)
		return IST_MACHINE_CHECK;
	return vec < IRQ_VECTOR_BASE ? IST_EXCEPTION : IST_IRQ;
}

void
idt_init(void)
{
	struct idt_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	for (int v = 0; v < IDT_VECTORS; v++) {
		uint64_t addr = (uint64_t)isr_entries + (uint64_t)v * ISR_ENTRY_SIZE;

		idt[v].offset_lo = addr & 0xffff;
		idt[v].selector = SEL_KERNEL_CODE;
		idt[v].ist = idt_ist_for(v);
		idt[v].type = GATE_INTERRUPT;
		idt[v].offset_mid = (addr >> 16) & 0xffff;
		idt[v].offset_hi = addr >> 32;
		idt[v].reserved = 0;
	}
	__asm__ __volatile__("lidt %0" :: "m"(p));
}
