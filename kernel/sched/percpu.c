/* The boot CPU's struct cpu and the GS setup that makes this_cpu() work.
 * Runs first thing in kmain: spinlocks already count themselves in it. */
#include <keel/arch_context.h>
#include <keel/percpu.h>
#include "sched_internal.h"

_Static_assert(offsetof(struct cpu, kernel_stack_top) ==
	       CPU_OFFSET_KERNEL_STACK_TOP, "syscall_entry.S offset");
_Static_assert(offsetof(struct cpu, syscall_user_rsp) ==
	       CPU_OFFSET_SYSCALL_USER_RSP, "syscall_entry.S offset");

static struct cpu cpu_boot;

void
percpu_init_boot(void)
{
	struct cpu *c = &cpu_boot;

	c->self = c;
	c->id = 0;
	c->current = &thread_boot;
	c->kernel_stack_top = thread_boot.kstack_hi;
	runq_init(&c->runq);
	timerq_init(&c->timers);
	thread_boot.cpu = c;
	arch_set_gs_base((uint64_t)c);
}
