/* Sleeping synchronization: mutexes with an owner (and direct hand-off to
 * the longest waiter), condition variables, counting semaphores. Every
 * blocking call takes a deadline (WAIT_FOREVER for none) and returns 0 or
 * -ETIMEDOUT. Never from interrupt context or with a spinlock held. */
#ifndef KEEL_SYNC_H
#define KEEL_SYNC_H

#include <keel/waitq.h>

struct thread;

struct mutex {
	struct thread *owner;
	struct waitq wq;
	const char *name;
};

struct condvar {
	struct waitq wq;
};

struct semaphore {
	long count;
	struct waitq wq;
};

void mutex_init(struct mutex *m, const char *name);
int mutex_lock_until(struct mutex *m, uint64_t deadline_ns);
static inline void mutex_lock(struct mutex *m) { mutex_lock_until(m, WAIT_FOREVER); }
bool mutex_trylock(struct mutex *m);
/* Panics unless the caller owns @m. */
void mutex_unlock(struct mutex *m);
bool mutex_held_by_me(const struct mutex *m);

void condvar_init(struct condvar *cv);
/* Atomically releases @m and sleeps; holds @m again on return (timeout
 * included). */
int condvar_wait_until(struct condvar *cv, struct mutex *m, uint64_t deadline_ns);
static inline int condvar_wait(struct condvar *cv, struct mutex *m)
{ return condvar_wait_until(cv, m, WAIT_FOREVER); }
void condvar_signal(struct condvar *cv);
void condvar_broadcast(struct condvar *cv);

void semaphore_init(struct semaphore *s, long count);
int semaphore_down_until(struct semaphore *s, uint64_t deadline_ns);
static inline void semaphore_down(struct semaphore *s)
{ semaphore_down_until(s, WAIT_FOREVER); }
bool semaphore_trydown(struct semaphore *s);
void semaphore_up(struct semaphore *s);

#endif
