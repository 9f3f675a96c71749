/* Frame-pointer backtraces (the kernel is built with frame pointers). Each
 * frame address is checked to be mapped before it is read, so a corrupt
 * chain ends the trace instead of faulting inside a panic. */
#include <keel/arch.h>
#include <keel/ksyms.h>
#include <keel/paging.h>
#include <keel/printk.h>

#define KERNEL_HALF	0xffff800000000000UL

static bool
frame_readable(uint64_t rbp)
{
	if (rbp < KERNEL_HALF || (rbp & 7))
		return false;
	return paging_is_mapped(rbp) && paging_is_mapped(rbp + 15);
}

void
arch_print_backtrace(uint64_t rbp, int max)
{
	char sym[KSYM_NAME_BUF];

	for (int i = 0; i < max && frame_readable(rbp); i++) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t ret = frame[1];

		if (ret == 0)
			break;
		ksym_format_return(ret, sym, sizeof(sym));
		printk("  [<%016lx>] %s\n", ret, sym);
		/* Not "<= rbp": an interrupt frame links to another stack. */
		if (frame[0] == rbp)
			break;
		rbp = frame[0];
	}
}
