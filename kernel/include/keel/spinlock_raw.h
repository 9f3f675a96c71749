/* Raw spinlocks: test-and-set with no bookkeeping. For the scheduler's own
 * locks and the debug checker, which the checked locks are built on. */
#ifndef KEEL_SPINLOCK_RAW_H
#define KEEL_SPINLOCK_RAW_H

#include <keel/arch.h>

struct raw_spinlock {
	volatile int locked;
};

#define RAW_SPINLOCK_INIT	{ 0 }

static inline void
raw_spin_lock(struct raw_spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (READ_ONCE(l->locked))
			arch_cpu_relax();
}

static inline bool
raw_spin_trylock(struct raw_spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void
raw_spin_unlock(struct raw_spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool
raw_spin_is_locked(const struct raw_spinlock *l)
{
	return READ_ONCE(l->locked);
}

#endif
