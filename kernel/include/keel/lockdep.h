/* Debug checks for locking mistakes, compiled in when KEEL_DEBUG_LOCKS is
 * set (the default build; `make KEEL_DEBUG_LOCKS=0` leaves them out):
 * acquiring two locks in the opposite order to an earlier acquisition
 * panics with both locks' names. (Sleeping with a spinlock held is checked
 * in every build: see sched_assert_may_sleep.) */
#ifndef KEEL_LOCKDEP_H
#define KEEL_LOCKDEP_H

#include <keel/compiler.h>

#define LOCKDEP_MAX_HELD	16

/* Per-thread: the locks it holds, innermost last. */
struct lockdep_held {
	const void *locks[LOCKDEP_MAX_HELD];
	const char *names[LOCKDEP_MAX_HELD];
	int depth;
};

#if defined(KEEL_DEBUG_LOCKS) && !defined(KEEL_HOST_TEST)
void lockdep_acquire(const void *lock, const char *name);
void lockdep_release(const void *lock);
#else
static inline void lockdep_acquire(const void *l, const char *n) { (void)l; (void)n; }
static inline void lockdep_release(const void *l) { (void)l; }
#endif

#endif
