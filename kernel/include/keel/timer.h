/* One-shot kernel timers at nanosecond resolution on the monotonic clock.
 * Each CPU keeps its pending timers in a timerq and programs the LAPIC
 * for the earliest one (or for the end of the running thread's slice). */
#ifndef KEEL_TIMER_H
#define KEEL_TIMER_H

#include <keel/timerq.h>

/* Runs in interrupt context, interrupts off: must not sleep. */
struct timer;
typedef void (*timer_fn)(struct timer *t, void *arg);

struct timer {
	struct timerq_entry q;	/* position in its CPU's timer heap */
	timer_fn fn;
	void *arg;
	struct cpu *cpu;	/* whose heap holds it while armed */
};

void
timer_init(struct timer *t, timer_fn fn, void *arg);
/* Arms (or re-arms) @t for monotonic time @deadline_ns on this CPU.
 * Returns 0 or -ENOMEM. Any context. */
int
timer_arm(struct timer *t, uint64_t deadline_ns);
/* Disarms @t; returns true if it was pending (so its function will not
 * run). Any context. */
bool
timer_cancel(struct timer *t);
bool
timer_pending(const struct timer *t);

struct cpu;
/* Boot: installs the LAPIC timer interrupt handler. */
void
timer_subsystem_init(void);
/* Programs the LAPIC for this CPU's next event: its earliest timer, or the
 * end of the running thread's slice when others wait to run. Caller holds
 * cpu->lock. */
void
timer_program_locked(struct cpu *cpu);

#endif
