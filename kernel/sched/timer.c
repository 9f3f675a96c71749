/* Per-CPU one-shot timers on the monotonic clock. The LAPIC is programmed
 * for the earliest of: the first pending timer, and the end of the running
 * thread's slice when another thread is ready. With neither, nothing is
 * armed: no periodic tick, idle or not. */
#include <keel/apic.h>
#include <keel/arch.h>
#include <keel/clock.h>
#include <keel/irq.h>
#include <keel/panic.h>
#include <keel/percpu.h>
#include <keel/timer.h>

#define NO_DEADLINE	UINT64_MAX

void
timer_init(struct timer *t, timer_fn fn, void *arg)
{
	timerq_entry_init(&t->q);
	t->fn = fn;
	t->arg = arg;
	t->cpu = NULL;
}

static struct timer *
timer_of(struct timerq_entry *e)
{
	return e ? container_of(e, struct timer, q) : NULL;
}

/* Reprogramming the LAPIC is the costly part (a trap to the hypervisor),
 * so an armed deadline earlier than the one needed is left alone: if it
 * fires for nothing, the interrupt re-arms for what is really next. A
 * deadline that is no longer needed is never cancelled for the same
 * reason; it costs one interrupt, after which nothing is armed. */
void
timer_program_locked(struct cpu *c)
{
	struct timerq_entry *first = timerq_peek(&c->timers);
	uint64_t next = first ? first->deadline_ns : NO_DEADLINE;

	if (runq_len(&c->runq) && c->current != c->idle && c->slice_end_ns < next)
		next = c->slice_end_ns;
	if (next == NO_DEADLINE || (c->armed_ns && c->armed_ns <= next))
		return;
	apic_timer_arm(next);
	c->armed_ns = next;
}

bool
timer_pending(const struct timer *t)
{
	return READ_ONCE(t->cpu) != NULL;
}

bool
timer_cancel(struct timer *t)
{
	unsigned long flags = arch_irq_save();
	struct cpu *c = READ_ONCE(t->cpu);
	bool was = false;

	if (c) {
		raw_spin_lock(&c->lock);
		if (t->cpu == c) {
			was = timerq_remove(&c->timers, &t->q);
			t->cpu = NULL;
		}
		raw_spin_unlock(&c->lock);
	}
	arch_irq_restore(flags);
	return was;
}

int
timer_arm(struct timer *t, uint64_t deadline_ns)
{
	unsigned long flags;
	struct cpu *c;
	int err;

	timer_cancel(t);
	flags = arch_irq_save();
	c = this_cpu();
	raw_spin_lock(&c->lock);
	t->q.deadline_ns = deadline_ns;
	err = timerq_insert(&c->timers, &t->q);
	if (!err) {
		t->cpu = c;
		timer_program_locked(c);
	}
	raw_spin_unlock(&c->lock);
	arch_irq_restore(flags);
	return err;
}

/* Takes the first timer due at @now off the heap, or returns NULL. */
static struct timer *
timer_pop_due_locked(struct cpu *c, uint64_t now)
{
	struct timerq_entry *e = timerq_peek(&c->timers);

	if (!e || e->deadline_ns > now)
		return NULL;
	timerq_pop(&c->timers);
	return timer_of(e);
}

/* The LAPIC timer interrupt: run what is due (without the lock, since
 * functions wake threads), then decide on preemption and re-arm. */
static void
timer_irq(unsigned vector, void *arg)
{
	struct cpu *c = this_cpu();
	struct timer *t;
	uint64_t now = clock_monotonic_ns();

	(void)vector;
	(void)arg;
	raw_spin_lock(&c->lock);
	c->armed_ns = 0;
	c->nr_timer_irqs++;
	while ((t = timer_pop_due_locked(c, now)) != NULL) {
		t->cpu = NULL;
		raw_spin_unlock(&c->lock);
		t->fn(t, t->arg);
		raw_spin_lock(&c->lock);
	}
	now = clock_monotonic_ns();
	if (runq_len(&c->runq) && c->current != c->idle && now >= c->slice_end_ns)
		c->need_resched = true;
	timer_program_locked(c);
	raw_spin_unlock(&c->lock);
}

void
timer_subsystem_init(void)
{
	if (irq_register(IRQ_VECTOR_TIMER, timer_irq, NULL))
		panic("the LAPIC timer vector is taken");
}
