/* Exception and interrupt dispatch. A fault with an exception-table fixup
 * (a probe or user copy) resumes at the fixup; any other exception is fatal:
 * it prints the vector, error code, registers and a symbolized backtrace,
 * then powers off with the panic status. */
#include <keel/apic.h>
#include <keel/errno.h>
#include <keel/irq.h>
#include <keel/ksyms.h>
#include <keel/panic.h>
#include <keel/page.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/thread.h>
#include <keel/uaccess.h>
#include <keel/vm.h>
#include "cpu.h"

#define VEC_DIVIDE		0
#define VEC_INVALID_OPCODE	6
#define VEC_NMI		2
#define VEC_DOUBLE_FAULT	8
#define VEC_PAGE_FAULT	14
#define VEC_MACHINE_CHECK	18
#define PF_PRESENT	(1 << 0)
#define PF_WRITE	(1 << 1)
#define PF_USER		(1 << 2)
#define PF_RSVD		(1 << 3)
#define PF_FETCH	(1 << 4)
#define NR_VECTORS	256
#define SIGILL_NR	4
#define SIGFPE_NR	8
#define SIGSEGV_NR	11
#define SIGNAL_EXIT_BASE	128

static const char *const exception_names[IRQ_VECTOR_BASE] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection fault",
	"page fault", "reserved", "x87 floating-point error",
	"alignment check", "machine check", "SIMD floating-point error",
	"virtualization exception", "control protection", "reserved",
	"reserved", "reserved", "reserved", "reserved", "reserved",
	"hypervisor injection", "VMM communication", "security exception",
	"reserved",
};

static struct {
	irq_handler_fn fn;
	void *arg;
} irq_table[NR_VECTORS];

int
irq_register(unsigned vector, irq_handler_fn fn, void *arg)
{
	if (vector < IRQ_VECTOR_BASE || vector >= NR_VECTORS)
		return -EINVAL;
	if (irq_table[vector].fn)
		return -EBUSY;
	irq_table[vector].arg = arg;
	irq_table[vector].fn = fn;
	return 0;
}

int
irq_alloc_vector(irq_handler_fn fn, void *arg)
{
	static struct spinlock lock = SPINLOCK_INIT_NAMED("irq_vectors");
	unsigned long flags = spin_lock_irqsave(&lock);
	int vector = -ENOSPC;

	for (unsigned v = IRQ_VECTOR_DEVICE_FIRST; v <= IRQ_VECTOR_DEVICE_LAST;
	     v++) {
		if (!irq_table[v].fn && irq_register(v, fn, arg) == 0) {
			vector = (int)v;
			break;
		}
	}
	spin_unlock_irqrestore(&lock, flags);
	return vector;
}

static void
trap_print_registers(const struct trap_frame *tf)
{
	printk("  rip %016lx  rsp %016lx  rflags %016lx\n",
	       tf->rip, tf->rsp, tf->rflags);
	printk("  rax %016lx  rbx %016lx  rcx %016lx\n", tf->rax, tf->rbx, tf->rcx);
	printk("  rdx %016lx  rsi %016lx  rdi %016lx\n", tf->rdx, tf->rsi, tf->rdi);
	printk("  rbp %016lx  r8  %016lx  r9  %016lx\n", tf->rbp, tf->r8, tf->r9);
	printk("  r10 %016lx  r11 %016lx  r12 %016lx\n", tf->r10, tf->r11, tf->r12);
	printk("  r13 %016lx  r14 %016lx  r15 %016lx\n", tf->r13, tf->r14, tf->r15);
	printk("  cs %04lx  ss %04lx  cr0 %016lx  cr3 %016lx  cr4 %016lx\n",
	       tf->cs, tf->ss, read_cr0(), read_cr3(), read_cr4());
}

static void
trap_print_page_fault(const struct trap_frame *tf)
{
	uint64_t e = tf->error_code;

	printk("  cr2 %016lx (%s, %s%s%s)\n", read_cr2(),
	       e & PF_FETCH ? "instruction fetch" : e & PF_WRITE ? "write" : "read",
	       e & PF_PRESENT ? "protection violation" : "not present",
	       e & PF_RSVD ? ", reserved bit set" : "",
	       e & PF_USER ? ", user mode" : "");
}

/*
 * Called on the IST stack with the frame just saved there; returns where
 * the frame should live while it is handled. Normally that is the current
 * thread's kernel stack -- below the interrupted rsp if the thread was
 * already on it (kernel code has no red zone), else at its top -- so that
 * a handler can switch threads and the IST stack is free for the next
 * trap. NMI, double fault and machine check stay on their own stacks, as
 * does a trap whose rsp lies in the thread's guard page (an overflow: the
 * stack is full) or nowhere the thread owns.
 */
struct trap_frame *
trap_entry_stack(struct trap_frame *tf)
{
	struct thread *t = this_cpu()->current;
	uint64_t top, v = tf->vector;
	struct trap_frame *moved;

	if (!t || v == VEC_NMI || v == VEC_DOUBLE_FAULT || v == VEC_MACHINE_CHECK)
		return tf;
	if (tf->rsp >= t->kstack_lo && tf->rsp <= t->kstack_hi)
		top = tf->rsp;
	else if (tf->rsp >= t->kstack_lo - PAGE_SIZE && tf->rsp < t->kstack_lo)
		return tf;
	else if ((uint64_t)tf >= t->kstack_lo && (uint64_t)tf < t->kstack_hi)
		return tf;	/* already there */
	else
		top = t->kstack_hi;
	moved = (struct trap_frame *)ALIGN_DOWN(top - sizeof(*tf), 16);
	if ((uint64_t)moved < t->kstack_lo)
		return tf;	/* no room: report on the IST stack */
	memcpy(moved, tf, sizeof(*tf));
	return moved;
}

static void
trap_report_stack_overflow(const struct trap_frame *tf)
{
	struct thread *t = this_cpu()->current;
	uint64_t addr = read_cr2();

	if (tf->vector == VEC_PAGE_FAULT && t && thread_addr_in_guard(t, addr))
		printk("keel: panic: kernel stack overflow in thread '%s' "
		       "(tid %d): fault at %#lx, in the guard page under its "
		       "stack [%#lx, %#lx)\n", t->name, t->tid, addr,
		       t->kstack_lo, t->kstack_hi);
}

static __noreturn void
trap_fatal(struct trap_frame *tf)
{
	char sym[KSYM_NAME_BUF];

	panic_begin();
	trap_report_stack_overflow(tf);
	ksym_format(tf->rip, sym, sizeof(sym));
	printk("keel: panic: %s (vector %lu, error code %#lx) at %s\n",
	       exception_names[tf->vector], tf->vector, tf->error_code, sym);
	if (tf->vector == VEC_PAGE_FAULT)
		trap_print_page_fault(tf);
	trap_print_registers(tf);
	panic_end(tf->rip, tf->rbp);
}

static void
trap_irq(struct trap_frame *tf)
{
	unsigned v = tf->vector;

	if (v >= IRQ_VECTOR_PIC_BASE && v < IRQ_VECTOR_PIC_BASE + 16)
		return;		/* spurious from the masked PIC: no EOI */
	if (v == IRQ_VECTOR_SPURIOUS)
		return;		/* LAPIC spurious: no EOI either */
	this_cpu()->irq_depth++;
	if (irq_table[v].fn)
		irq_table[v].fn(v, irq_table[v].arg);
	apic_eoi();
	this_cpu()->irq_depth--;
	sched_irq_exit();
}

/* A fault in application code: no signals are delivered yet, so the
 * program ends as an unhandled signal would end it, with 128 + signo. */
static __noreturn void
trap_app_fault(struct trap_frame *tf)
{
	int sig = tf->vector == VEC_DIVIDE ? SIGFPE_NR :
		  tf->vector == VEC_INVALID_OPCODE ? SIGILL_NR : SIGSEGV_NR;

	printk("keel: program killed by signal %d: %s at rip %#lx", sig,
	       exception_names[tf->vector], tf->rip);
	if (tf->vector == VEC_PAGE_FAULT)
		printk(", address %#lx", read_cr2());
	printk("\n");
	arch_power_off(SIGNAL_EXIT_BASE + sig);
}

static bool
trap_page_fault_served(struct trap_frame *tf)
{
	uint64_t e = tf->error_code;

	return tf->vector == VEC_PAGE_FAULT &&
	       (!(e & PF_PRESENT) || (e & PF_WRITE)) &&
	       vm_handle_fault(read_cr2(), e & PF_WRITE, e & PF_FETCH,
			       e & PF_PRESENT);
}

void
trap_dispatch(struct trap_frame *tf)
{
	if (tf->vector >= IRQ_VECTOR_BASE) {
		trap_irq(tf);
		return;
	}
	if (trap_page_fault_served(tf) || extable_fixup(tf))
		return;
	if (tf->rip < USER_ADDR_END)
		trap_app_fault(tf);
	trap_fatal(tf);
}
