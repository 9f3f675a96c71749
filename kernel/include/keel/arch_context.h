/* Architecture side of threads (arch/x86_64/context.c, switch.S). */
#ifndef KEEL_ARCH_CONTEXT_H
#define KEEL_ARCH_CONTEXT_H

#include <keel/compiler.h>

struct thread;

/* Lays out t's stack so the first switch to it enters thread_start(). */
void
arch_context_init(struct thread *t);

/* Gives the CPU next's FPU state and FS base (see context.c for when the
 * previous owner's state is saved). Interrupts off. */
void
arch_switch_state(struct thread *prev, struct thread *next);
/* Forgets @t as this CPU's FPU owner; before freeing it. */
void
arch_thread_release_state(struct thread *t);

/* Switches stacks; returns (in the resumed thread) the thread it came
 * from. Interrupts off, the CPU's scheduler lock held. */
struct thread *
arch_context_switch(struct thread *prev, struct thread *next);

/* Runs @fn(@arg) on the stack ending at @top (16-byte aligned), leaving
 * the thread's kernel stack empty, as while application code runs. @fn
 * must end the thread; this never returns. */
void
arch_run_on_stack(void (*fn)(void *), void *arg, uint64_t top) __noreturn;

/* Starts application code at @entry with rsp = @sp and every other
 * register zero (rdx = 0: no exit handler for the C library to register),
 * as Linux starts a program. Never returns. */
void
arch_enter_app(uint64_t entry, uint64_t sp) __noreturn;

struct syscall_frame;
/* Returns to application code with every register from @f (rax, rsp and
 * rip included); @f must lie on the current kernel stack. Never returns. */
void
arch_return_to_app(const struct syscall_frame *f) __noreturn;

/* Points GS at this CPU's struct cpu. */
void
arch_set_gs_base(uint64_t base);

#endif
