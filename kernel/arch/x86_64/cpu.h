/* x86_64 control registers, MSRs and descriptor layouts used inside
 * arch/x86_64 only. */
#ifndef KEEL_X86_CPU_H
#define KEEL_X86_CPU_H

#include <keel/compiler.h>

#define MSR_APIC_BASE		0x1b
#define MSR_TSC_DEADLINE	0x6e0
#define MSR_EFER		0xc0000080
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KVM_WALL_CLOCK_NEW	0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01

#define SEL_KERNEL_CODE		0x08
#define SEL_KERNEL_DATA		0x10
#define SEL_TSS			0x18

/* Interrupt stack table slots (1-based, as the IDT gate encodes them). */
#define IST_EXCEPTION		1
#define IST_NMI			2
#define IST_DOUBLE_FAULT	3
#define IST_MACHINE_CHECK	4
#define IST_IRQ			5
#define IST_COUNT		5
#define IST_STACK_SIZE		(16 * 1024)

static inline uint64_t
rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void
wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" :: "c"(msr), "a"((uint32_t)v),
			     "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t read_cr0(void)
{ uint64_t v; __asm__ __volatile__("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void)
{ uint64_t v; __asm__ __volatile__("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void)
{ uint64_t v; __asm__ __volatile__("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void)
{ uint64_t v; __asm__ __volatile__("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint64_t v)
{ __asm__ __volatile__("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void write_cr3(uint64_t v)
{ __asm__ __volatile__("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_cr4(uint64_t v)
{ __asm__ __volatile__("mov %0, %%cr4" :: "r"(v) : "memory"); }

static inline void
cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
      uint32_t *d)
{
	__asm__ __volatile__("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(sub));
}

/* Saved by the interrupt entry code (isr.S), in push order reversed. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

void gdt_init(void);
void gdt_guard_ist_stacks(void);
void idt_init(void);
void trap_dispatch(struct trap_frame *tf);
struct trap_frame *trap_entry_stack(struct trap_frame *tf);
/* Returns true and redirects @tf if the faulting instruction has a fixup. */
bool extable_fixup(struct trap_frame *tf);

#endif
