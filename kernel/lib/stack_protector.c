/* The stack protector's canary and failure hook. gcc checks the canary in
 * __stack_chk_guard (we build with -mstack-protector-guard=global, since
 * %fs belongs to the application). The value is random per boot. */
#include <keel/panic.h>
#include <keel/random.h>

uint64_t __stack_chk_guard = 0x595e9fbd94fda766ULL;

/* Must run before any function that checks the canary returns; its own
 * frame carries no canary. */
__attribute__((no_stack_protector)) void
stack_protector_init(void)
{
	uint64_t v = random_early_u64();

	/* A zero low byte stops string overflows that end in a NUL. */
	__stack_chk_guard = v & ~0xffULL;
}

__noreturn void
__stack_chk_fail(void)
{
	panic("stack smashing detected (canary overwritten)");
}
