/* The boot CPU's struct cpu and the GS setup that makes this_cpu() work.
 * Runs first thing in kmain: spinlocks already count themselves in it. */
#include <keel/arch_context.h>
#include <keel/percpu.h>
#include "sched_internal.h"

static struct cpu cpu_boot;

void
percpu_init_boot(void)
{
	struct cpu *c = &cpu_boot;

	c->self = c;
	c->id = 0;
	c->current = &thread_boot;
	runq_init(&c->runq);
	timerq_init(&c->timers);
	thread_boot.cpu = c;
	arch_set_gs_base((uint64_t)c);
}
