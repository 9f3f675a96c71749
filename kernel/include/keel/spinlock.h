/* Spinlocks. Holding one disables preemption on this CPU; the _irqsave
 * variant also masks interrupts, for state an interrupt handler touches.
 * Never sleep while holding one (checked, see lockdep.h). */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include <keel/lockdep.h>
#include <keel/spinlock_raw.h>

struct spinlock {
	struct raw_spinlock raw;
	const char *name;	/* for lock-order reports; may be NULL */
};

#define SPINLOCK_INIT		{ RAW_SPINLOCK_INIT, NULL }
#define SPINLOCK_INIT_NAMED(n)	{ RAW_SPINLOCK_INIT, n }

#ifdef KEEL_HOST_TEST
static inline void preempt_disable(void) { }
static inline void preempt_enable(void) { }
#else
void preempt_disable(void);
void preempt_enable(void);
#endif

static inline void
spin_lock_init(struct spinlock *l, const char *name)
{
	l->raw.locked = 0;
	l->name = name;
}

static inline void
spin_lock(struct spinlock *l)
{
	preempt_disable();
	lockdep_acquire(l, l->name);
	raw_spin_lock(&l->raw);
}

static inline void
spin_unlock(struct spinlock *l)
{
	raw_spin_unlock(&l->raw);
	lockdep_release(l);
	preempt_enable();
}

static inline unsigned long
spin_lock_irqsave(struct spinlock *l)
{
	unsigned long flags = arch_irq_save();

	spin_lock(l);
	return flags;
}

static inline void
spin_unlock_irqrestore(struct spinlock *l, unsigned long flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}

#endif
