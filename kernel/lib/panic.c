/* panic(): report a fatal kernel error with a backtrace and power off with
 * PANIC_EXIT_STATUS. A panic inside a panic powers off at once, so a broken
 * report can never loop or hang. */
#include <keel/arch.h>
#include <keel/ksyms.h>
#include <keel/panic.h>
#include <keel/printk.h>

#define BACKTRACE_MAX_FRAMES	32

extern bool printk_in_panic;
static int panic_depth;

void
panic_begin(void)
{
	arch_irq_disable();
	if (__atomic_fetch_add(&panic_depth, 1, __ATOMIC_SEQ_CST) > 0)
		arch_power_off(PANIC_EXIT_STATUS);
	printk_in_panic = true;
}

void
panic_end(uint64_t pc, uint64_t rbp)
{
	char sym[KSYM_NAME_BUF];

	printk("backtrace:\n");
	ksym_format(pc, sym, sizeof(sym));
	printk("  [<%016lx>] %s\n", pc, sym);
	arch_print_backtrace(rbp, BACKTRACE_MAX_FRAMES);
	arch_power_off(PANIC_EXIT_STATUS);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	panic_begin();
	printk("keel: panic: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	/* Start at our caller: its rbp is the one saved in our frame. */
	panic_end((uint64_t)__builtin_return_address(0),
		  *(uint64_t *)__builtin_frame_address(0));
}
