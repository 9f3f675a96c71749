/* Suites that must end the kernel: --test=fault takes a page fault outside
 * any probe, --test=canary overwrites a stack canary. Both must end in a
 * panic report with a backtrace and the panic exit status, never a hang. */
#include <keel/ktest.h>
#include <keel/string.h>

/* Volatile, so the compiler cannot see the null write and drop it. */
static volatile uintptr_t fault_address = 0x10;
static volatile size_t smash_len = 64;

static __attribute__((noinline)) void
fault_write_through_bad_pointer(void)
{
	*(volatile uint64_t *)fault_address = 0xdead;
}

static void
page_fault_ends_in_panic(void)
{
	fault_write_through_bad_pointer();
	ktest_fail(__FILE__, __LINE__, "the fault returned");
}

static __attribute__((noinline)) void
canary_overflow_local_buffer(void)
{
	char buf[16];
	char *volatile p = buf;

	memset(p, 'A', smash_len);	/* past buf: over the canary */
}

static void
stack_smash_ends_in_panic(void)
{
	canary_overflow_local_buffer();
	ktest_fail(__FILE__, __LINE__, "the smashed frame returned");
}

KTEST_SUITE_DEFINE(fault, true, KTEST_CASE(page_fault_ends_in_panic));
KTEST_SUITE_DEFINE(canary, true, KTEST_CASE(stack_smash_ends_in_panic));
