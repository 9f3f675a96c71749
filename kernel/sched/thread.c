/* Thread objects: creation (stack with guard page, FPU area, initial
 * frame), names, exit, join and detach, and freeing once no CPU is on the
 * thread's stack any more. */
#include <keel/arch_context.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/fpu.h>
#include <keel/heap.h>
#include <keel/kstack.h>
#include <keel/page.h>
#include <keel/panic.h>
#include <keel/sched.h>
#include <keel/string.h>
#include "sched_internal.h"

extern char boot_stack_bottom[], boot_stack_top[];

struct thread thread_boot = {
	.name = "main",
	.tid = 0,
	.state = THREAD_RUNNING,
	.on_cpu = true,
	.rq_node = LIST_INIT(thread_boot.rq_node),
	.wait_node = LIST_INIT(thread_boot.wait_node),
	.kstack_lo = (uint64_t)boot_stack_bottom,
	.kstack_hi = (uint64_t)boot_stack_top,
};

static int next_tid = 1;
static void thread_wake_timeout(struct timer *tm, void *arg);

void
thread_init_boot(void)
{
	struct thread *t = &thread_boot;

	waitq_init(&t->joiners, "thread joiners");
	timer_init(&t->wake_timer, thread_wake_timeout, t);
}

struct thread *
thread_current(void)
{
	return this_cpu()->current;
}

void
thread_set_name(struct thread *t, const char *name)
{
	strlcpy(t->name, name, sizeof(t->name));
}

const char *
thread_name(const struct thread *t)
{
	return t->name;
}

void
thread_set_fs_base(uint64_t base)
{
	struct thread *t = thread_current();
	unsigned long flags = arch_irq_save();

	t->fs_base = base;
	this_cpu()->fs_base_loaded = base;
	arch_set_fs_base(base);
	arch_irq_restore(flags);
}

bool
thread_addr_in_guard(const struct thread *t, uint64_t addr)
{
	return addr < t->kstack_lo && addr >= t->kstack_lo - PAGE_SIZE;
}

/* A timeout of a blocking call: the sleeper is woken with -ETIMEDOUT
 * unless a real wake-up took it off its wait queue first. */
static void
thread_wake_timeout(struct timer *tm, void *arg)
{
	struct thread *t = arg;
	struct waitq *wq = t->waiting_on;

	(void)tm;
	if (wq) {
		spin_lock(&wq->lock);
		if (list_linked(&t->wait_node)) {
			list_remove(&t->wait_node);
			t->wake_result = -ETIMEDOUT;
			sched_wakeup(t);
		}
		spin_unlock(&wq->lock);
	} else {
		t->wake_result = -ETIMEDOUT;
		sched_wakeup(t);
	}
}

static int
thread_alloc_fpu(struct thread *t)
{
	size_t size = fpu_state_size(), align = fpu_state_align();

	t->fpu_alloc = kmalloc(size + align);
	if (!t->fpu_alloc)
		return -ENOMEM;
	t->fpu_state = (void *)ALIGN_UP((uintptr_t)t->fpu_alloc, align);
	fpu_state_init(t->fpu_state);
	return 0;
}

static struct thread *
thread_alloc(const char *name, unsigned flags)
{
	struct thread *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	if (kstack_alloc(THREAD_STACK_SIZE, &t->kstack_lo, &t->kstack_hi)) {
		kfree(t);
		return NULL;
	}
	if ((flags & THREAD_USES_FPU) && thread_alloc_fpu(t)) {
		kstack_free(t->kstack_lo, t->kstack_hi);
		kfree(t);
		return NULL;
	}
	thread_set_name(t, name);
	t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	list_init(&t->rq_node);
	list_init(&t->wait_node);
	waitq_init(&t->joiners, "thread joiners");
	timer_init(&t->wake_timer, thread_wake_timeout, t);
	return t;
}

struct thread *
thread_init_static(struct thread *t, const char *name, void (*fn)(void *),
		   void *stack, size_t size)
{
	thread_set_name(t, name);
	t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	t->kstack_lo = (uint64_t)stack;
	t->kstack_hi = (uint64_t)stack + size;
	list_init(&t->rq_node);
	list_init(&t->wait_node);
	waitq_init(&t->joiners, "thread joiners");
	timer_init(&t->wake_timer, thread_wake_timeout, t);
	t->entry = fn;
	t->cpu = this_cpu();
	arch_context_init(t);
	return t;
}

struct thread *
thread_new(const char *name, void (*fn)(void *), void *arg, unsigned flags)
{
	struct thread *t = thread_alloc(name, flags);

	if (!t)
		return ERR_PTR(-ENOMEM);
	t->entry = fn;
	t->arg = arg;
	t->cpu = this_cpu();
	arch_context_init(t);
	return t;
}

struct thread *
thread_create_suspended(const char *name, void (*fn)(void *), void *arg,
			unsigned flags)
{
	return thread_new(name, fn, arg, flags);
}

void
thread_start_suspended(struct thread *t)
{
	unsigned long irqs = arch_irq_save();
	struct cpu *c = this_cpu();

	raw_spin_lock(&c->lock);
	sched_enqueue_locked(c, t);
	timer_program_locked(c);
	raw_spin_unlock(&c->lock);
	arch_irq_restore(irqs);
}

void
thread_discard_suspended(struct thread *t)
{
	t->on_cpu = false;
	thread_free(t);
}

struct thread *
thread_create_flags(const char *name, void (*fn)(void *), void *arg,
		    unsigned flags)
{
	struct thread *t = thread_new(name, fn, arg, flags);

	if (!IS_ERR(t))
		thread_start_suspended(t);
	return t;
}

void
thread_free(struct thread *t)
{
	/* On another CPU the thread may still be leaving its stack. */
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	arch_thread_release_state(t);
	kstack_free(t->kstack_lo, t->kstack_hi);
	kfree(t->fpu_alloc);
	kfree(t);
}

void
thread_exit(int code)
{
	struct thread *t = thread_current();

	if (t == &thread_boot || t == this_cpu()->idle)
		panic("thread '%s' cannot exit", t->name);
	/* DEAD is set under the joiners' lock, which joiners check it under. */
	waitq_lock(&t->joiners);
	t->exit_code = code;
	t->state = THREAD_DEAD;
	waitq_wake_all_locked(&t->joiners);
	spin_unlock(&t->joiners.lock);	/* interrupts stay off */
	sched_exit_current();
}

int
thread_join(struct thread *t, int *code, uint64_t deadline_ns)
{
	unsigned long flags;
	int err = 0;

	if (t == thread_current() || t->detached)
		return -EINVAL;
	flags = waitq_lock(&t->joiners);
	while (t->state != THREAD_DEAD && !err)
		err = waitq_wait_locked(&t->joiners, deadline_ns);
	waitq_unlock(&t->joiners, flags);
	if (err)
		return err;
	if (code)
		*code = t->exit_code;
	thread_free(t);
	return 0;
}

int
thread_detach(struct thread *t)
{
	unsigned long flags = waitq_lock(&t->joiners);
	bool dead = t->state == THREAD_DEAD;

	if (t->detached) {
		waitq_unlock(&t->joiners, flags);
		return -EINVAL;
	}
	if (!dead)
		t->detached = true;	/* it frees itself at exit */
	waitq_unlock(&t->joiners, flags);
	if (dead)
		thread_free(t);
	return 0;
}
