/* The parts of a thread switch that are CPU state rather than scheduling:
 * the initial stack of a new thread, and the FPU/SSE/AVX state and FS base
 * that go with each thread. */
#include <keel/arch_context.h>
#include <keel/fpu.h>
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

void
arch_switch_state(struct thread *prev, struct thread *next)
{
	if (prev->fpu_state)
		fpu_save(prev->fpu_state);
	if (next->fpu_state)
		fpu_restore(next->fpu_state);
	prev->fs_base = arch_get_fs_base();
	if (next->fs_base != prev->fs_base)
		arch_set_fs_base(next->fs_base);
}
