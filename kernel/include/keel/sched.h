/* The scheduler: per-CPU run queues (FIFO), preemptive round-robin time
 * slices ended by the one-shot LAPIC timer, tickless when idle or alone,
 * and an idle thread per CPU that halts. */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include <keel/compiler.h>

struct thread;

#define SCHED_SLICE_NS	(5 * 1000 * 1000ULL)

/* Boot: makes the boot context thread 0 ("main") and starts the idle
 * thread and the timer. Needs the heap, the clock and the APIC. */
void
sched_init(void);

/* Gives the CPU to the next ready thread, if any. */
void
sched_yield(void);

/* Makes a BLOCKED thread ready. Returns true if it was blocked. Any
 * context. */
bool
sched_wakeup(struct thread *t);

/* Sleeps until monotonic time @deadline_ns / for @ns nanoseconds. */
void
sched_sleep_until(uint64_t deadline_ns);
void
sched_sleep_ns(uint64_t ns);

/* Blocks the current thread, which the caller has marked THREAD_BLOCKED
 * (and queued where a waker finds it), with interrupts disabled and no
 * spinlock held. Returns once woken. */
void
sched_block(void);

/* At the end of an interrupt: switches if the slice is over. */
void
sched_irq_exit(void);

/* Statistics for reports and benchmarks. */
uint64_t
sched_nr_switches(void);

#endif
