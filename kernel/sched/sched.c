/* The scheduler core: run queues, the switch, wake-ups, preemption at the
 * end of interrupts, and the idle thread. Each CPU's lock (raw: it is
 * taken inside checked spinlocks' bookkeeping) guards its run queue and
 * is held across a switch; the thread switched to releases it. */
#include <keel/arch.h>
#include <keel/arch_context.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/sched.h>
#include "sched_internal.h"

#define IDLE_STACK_SIZE	(8 * 1024)

void
preempt_disable(void)
{
	this_cpu()->preempt_count++;
	barrier();
}

void
preempt_enable(void)
{
	barrier();
	this_cpu()->preempt_count--;
}

void
sched_enqueue_locked(struct cpu *c, struct thread *t)
{
	t->state = THREAD_READY;
	t->cpu = c;
	runq_push(&c->runq, &t->rq_node);
	/* Idle gives way at once; a busy thread at the end of its slice. */
	if (c->current == c->idle)
		c->need_resched = true;
}

static struct thread *
sched_pick_next_locked(struct cpu *c)
{
	struct list_node *n = runq_pop(&c->runq);

	return n ? list_entry(n, struct thread, rq_node) : c->idle;
}

/* Runs in the thread switched to, right after the switch. */
static void
sched_finish_switch(struct thread *prev)
{
	struct cpu *c = this_cpu();
	bool reap = prev->state == THREAD_DEAD && prev->detached;

	__atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
	raw_spin_unlock(&c->lock);
	if (reap)
		thread_free(prev);
}

/* Caller: interrupts off, c->lock held; returns with it released. */
static void
sched_switch_locked(struct cpu *c)
{
	struct thread *prev = c->current, *next;
	uint64_t now = clock_monotonic_ns();

	if (prev->state == THREAD_RUNNING && prev != c->idle)
		sched_enqueue_locked(c, prev);
	else if (prev->state == THREAD_READY && !list_linked(&prev->rq_node) &&
		 prev != c->idle)
		sched_enqueue_locked(c, prev);	/* woken before it slept */
	next = sched_pick_next_locked(c);
	c->need_resched = false;
	c->slice_end_ns = now + SCHED_SLICE_NS;
	if (next == prev) {
		prev->state = THREAD_RUNNING;
		timer_program_locked(c);
		raw_spin_unlock(&c->lock);
		return;
	}
	prev->runtime_ns += now - prev->switched_in_ns;
	next->switched_in_ns = now;
	next->state = THREAD_RUNNING;
	next->on_cpu = true;
	c->current = next;
	c->kernel_stack_top = next->kstack_hi;
	c->nr_switches++;
	timer_program_locked(c);
	arch_switch_state(prev, next);
	prev = arch_context_switch(prev, next);
	sched_finish_switch(prev);
}

static void
schedule(void)
{
	unsigned long flags = arch_irq_save();
	struct cpu *c = this_cpu();

	raw_spin_lock(&c->lock);
	sched_switch_locked(c);
	arch_irq_restore(flags);
}

void
sched_assert_may_sleep(int allowed)
{
	struct cpu *c = this_cpu();

	if (c->irq_depth > 0)
		panic("sleeping in interrupt context (thread '%s')",
		      c->current->name);
	if (c->preempt_count != allowed) {
		struct lockdep_held *h = &c->current->held;

		panic("sleeping while holding a spinlock: thread '%s' holds %d "
		      "(innermost: %s)", c->current->name,
		      c->preempt_count - allowed,
		      h->depth ? (h->names[h->depth - 1] ? h->names[h->depth - 1]
			      : "unnamed") : "unknown");
	}
}

void
sched_block(void)
{
	schedule();
}

void
sched_yield(void)
{
	sched_assert_may_sleep(0);
	if (runq_len(&this_cpu()->runq))
		schedule();
}

bool
sched_wakeup(struct thread *t)
{
	unsigned long flags = arch_irq_save();
	struct cpu *c = t->cpu;
	bool woke = false;

	raw_spin_lock(&c->lock);
	if (t->state == THREAD_BLOCKED) {
		woke = true;
		if (t == c->current)
			t->state = THREAD_READY;	/* not switched out yet */
		else
			sched_enqueue_locked(c, t);
		timer_program_locked(c);
	}
	raw_spin_unlock(&c->lock);
	arch_irq_restore(flags);
	return woke;
}

void
sched_irq_exit(void)
{
	struct cpu *c = this_cpu();

	if (c->need_resched && c->preempt_count == 0 && c->irq_depth == 0)
		schedule();
}

void
sched_exit_current(void)
{
	arch_irq_disable();
	schedule();
	panic("a dead thread was scheduled again");
}

uint64_t
sched_nr_switches(void)
{
	return this_cpu()->nr_switches;
}

void
thread_start(struct thread *prev)
{
	struct thread *t;

	sched_finish_switch(prev);
	arch_irq_enable();
	t = thread_current();
	t->entry(t->arg);
	thread_exit(0);
}

/* Halts until an interrupt; the interrupt's exit switches to whatever it
 * made ready. Ready threads left over are picked up by yielding. */
static void
idle_main(void *unused)
{
	(void)unused;
	for (;;) {
		arch_irq_disable();
		if (runq_len(&this_cpu()->runq)) {
			arch_irq_enable();
			schedule();
			continue;
		}
		arch_irq_enable_and_halt();
	}
}

/* The boot CPU's idle thread; a guard page under its stack like any. */
static struct thread idle_thread;
static struct {
	uint8_t guard[PAGE_SIZE];
	uint8_t stack[IDLE_STACK_SIZE];
} idle_stack __aligned(PAGE_SIZE);

void
sched_init(void)
{
	struct cpu *c = this_cpu();
	struct thread *idle;

	timer_subsystem_init();
	thread_init_boot();
	paging_make_guard(idle_stack.guard);
	thread_boot.switched_in_ns = clock_monotonic_ns();
	/* Idle is never on the run queue: it runs when the queue is empty.
	 * Its stack is static, so boot maps nothing for it. */
	idle = thread_init_static(&idle_thread, "idle", idle_main,
				  idle_stack.stack, sizeof(idle_stack.stack));
	idle->state = THREAD_READY;
	c->idle = idle;
}
