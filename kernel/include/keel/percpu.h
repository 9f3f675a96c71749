/* Per-CPU state, reached through the GS base: every CPU's struct cpu
 * starts with a pointer to itself, so this_cpu() is one load. Bringing up
 * more CPUs later means allocating more of these; no structure changes. */
#ifndef KEEL_PERCPU_H
#define KEEL_PERCPU_H

#include <keel/percpu_offsets.h>
#include <keel/runq.h>
#include <keel/spinlock_raw.h>
#include <keel/timerq.h>

struct thread;

struct cpu {
	struct cpu *self;		/* gs:0, see this_cpu() */
	struct thread *current;		/* running thread */
	uint64_t kernel_stack_top;	/* current's, for syscall entry */
	uint64_t syscall_user_rsp;	/* scratch for syscall entry */
	int preempt_count;		/* spinlocks held; no preemption if > 0 */
	int irq_depth;			/* > 0 inside an interrupt handler */
	bool need_resched;		/* switch at the next safe point */
	unsigned id;
	struct raw_spinlock lock;	/* run queue, timers, need_resched */
	struct runq runq;		/* ready threads, not current */
	struct timerq timers;
	struct thread *idle;
	uint64_t slice_end_ns;		/* current's slice ends here */
	uint64_t nr_switches;
	uint64_t armed_ns;		/* LAPIC deadline programmed, 0: none */
	uint64_t nr_timer_irqs;		/* LAPIC timer interrupts taken */
	struct thread *fpu_owner;	/* whose state the FPU registers hold */
	uint64_t fs_base_loaded;	/* FS base the CPU holds */
};

#ifdef KEEL_HOST_TEST
extern struct cpu host_test_cpu;
static inline struct cpu *this_cpu(void) { return &host_test_cpu; }
#else
static inline struct cpu *
this_cpu(void)
{
	struct cpu *c;

	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(c));
	return c;
}
#endif

/* Boot: points GS at the boot CPU's struct cpu. Before any trap can occur. */
void
percpu_init_boot(void);

#endif
