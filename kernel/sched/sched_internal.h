/* Scheduler internals shared by the files of kernel/sched. */
#ifndef KEEL_SCHED_INTERNAL_H
#define KEEL_SCHED_INTERNAL_H

#include <keel/percpu.h>
#include <keel/thread.h>

/* Thread 0: the boot context, which becomes the "main" thread. */
extern struct thread thread_boot;
/* Finishes thread 0's fields that need code to set (sched_init). */
void
thread_init_boot(void);

/* Puts a READY thread on @c's run queue. Caller holds c->lock. */
void
sched_enqueue_locked(struct cpu *c, struct thread *t);

/* Sets up a never-freed thread on a static stack (the idle threads). */
struct thread *
thread_init_static(struct thread *t, const char *name, void (*fn)(void *),
		   void *stack, size_t size);

/* A thread set up to run @fn(@arg) but on no run queue yet. */
struct thread *
thread_new(const char *name, void (*fn)(void *), void *arg, unsigned flags);

/* Frees a DEAD thread that no CPU runs any more. */
void
thread_free(struct thread *t);

/* Panics unless the caller may sleep while holding @allowed spinlocks
 * (the one a sleep primitive releases for it). */
void
sched_assert_may_sleep(int allowed);

/* The scheduler's part of starting a new thread (see switch.S). */
void
thread_start(struct thread *prev) __noreturn;

/* Blocks for good: the caller has marked itself THREAD_DEAD. */
void
sched_exit_current(void) __noreturn;

#endif
