/* The parts of a thread switch that are CPU state rather than scheduling:
 * the initial stack of a new thread, and the FPU/SSE/AVX state and FS base
 * that go with each thread. */
#include <keel/arch_context.h>
#include <keel/fpu.h>
#include <keel/percpu.h>
#include <keel/thread.h>

/* The frame arch_context_switch pops for a thread that never ran:
 * r15, r14, r13, r12, rbx, rbp, then the return address. */
struct initial_frame {
	uint64_t r15, r14, r13, r12, rbx, rbp;
	uint64_t ret;
};

extern char arch_thread_trampoline[];

void
arch_context_init(struct thread *t)
{
	/* The trampoline is entered by ret with rsp = top; its call then
	 * enters thread_start with rsp = top - 8, as the ABI wants. */
	uint64_t top = ALIGN_DOWN(t->kstack_hi, 16);
	struct initial_frame *f = (struct initial_frame *)top - 1;

	*f = (struct initial_frame){ .ret = (uint64_t)arch_thread_trampoline };
	t->saved_rsp = (uint64_t)f;
}

/*
 * Kernel code never touches the FPU (it is built -mgeneral-regs-only), so
 * the registers keep the state of the last thread that owns an FPU area
 * while threads without one run: that state is saved only when a thread
 * with its own area comes next. Likewise the FS base is written only when
 * the next thread's differs from what the CPU holds; t->fs_base is kept
 * current by thread_set_fs_base(), so nothing needs reading back.
 */
void
arch_switch_state(struct thread *prev, struct thread *next)
{
	struct cpu *c = this_cpu();

	(void)prev;
	if (next->fpu_state && c->fpu_owner != next) {
		if (c->fpu_owner)
			fpu_save(c->fpu_owner->fpu_state);
		fpu_restore(next->fpu_state);
		c->fpu_owner = next;
	}
	if (next->fs_base != c->fs_base_loaded) {
		arch_set_fs_base(next->fs_base);
		c->fs_base_loaded = next->fs_base;
	}
}

void
arch_thread_release_state(struct thread *t)
{
	struct cpu *c = this_cpu();

	if (c->fpu_owner == t)
		c->fpu_owner = NULL;
}
