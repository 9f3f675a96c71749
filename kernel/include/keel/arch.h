/* The architecture interface: what code outside arch/x86_64 may ask of the
 * CPU. Host unit tests get inert versions of the interrupt controls. */
#ifndef KEEL_ARCH_H
#define KEEL_ARCH_H

#include <keel/compiler.h>

#ifdef KEEL_HOST_TEST
static inline unsigned long arch_irq_save(void) { return 0; }
static inline void arch_irq_restore(unsigned long flags) { (void)flags; }
static inline void arch_cpu_relax(void) { }
#else

#define X86_RFLAGS_IF	(1UL << 9)

static inline unsigned long
arch_irq_save(void)
{
	unsigned long flags;

	__asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags) :: "memory");
	return flags;
}

static inline void
arch_irq_restore(unsigned long flags)
{
	if (flags & X86_RFLAGS_IF)
		__asm__ __volatile__("sti" ::: "memory");
}

static inline void arch_irq_enable(void)  { __asm__ __volatile__("sti" ::: "memory"); }
static inline void arch_irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
static inline void arch_cpu_relax(void)   { __asm__ __volatile__("pause"); }
static inline void arch_halt(void)        { __asm__ __volatile__("hlt" ::: "memory"); }

/* Enables interrupts and halts in one step, so a wake-up that arrives
 * between the two cannot be lost. */
static inline void arch_irq_enable_and_halt(void)
{
	__asm__ __volatile__("sti; hlt" ::: "memory");
}

static inline uint64_t
arch_read_tsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t v)
{ __asm__ __volatile__("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v)
{ __asm__ __volatile__("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v)
{ __asm__ __volatile__("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{ uint8_t v; __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port)
{ uint16_t v; __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port)
{ uint32_t v; __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* Loads the GDT, TSS and IDT: from here on every exception is reported. */
void
arch_trap_init(void);
/* Once the final page tables are in: unmaps the guard page under the boot
 * stack and under each interrupt stack. */
void
arch_guard_stacks(void);

/* Power off with @status (0..255): QEMU's isa-debug-exit when present,
 * else ACPI S5; halts forever if neither works. */
void
arch_power_off(int status) __noreturn;

/* Frame-pointer backtrace from @rbp, symbolized, at most @max frames. */
void
arch_print_backtrace(uint64_t rbp, int max);

#endif /* KEEL_HOST_TEST */
#endif
