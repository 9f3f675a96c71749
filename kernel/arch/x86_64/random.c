/* Early random numbers: RDRAND when CPUID says so (retried a bounded number
 * of times, as Intel advises), else the TSC stirred through a mixer. */
#include <keel/arch.h>
#include <keel/random.h>
#include "cpu.h"

#define CPUID1_ECX_RDRAND	(1u << 30)
#define RDRAND_RETRIES		10

static __attribute__((no_stack_protector)) bool
rdrand64(uint64_t *out)
{
	uint32_t a, b, c, d;
	unsigned char ok;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_RDRAND))
		return false;
	for (int i = 0; i < RDRAND_RETRIES; i++) {
		__asm__ __volatile__("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

/* splitmix64's finalizer: spreads the few changing TSC bits everywhere. */
static __attribute__((no_stack_protector)) uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

__attribute__((no_stack_protector)) uint64_t
random_early_u64(void)
{
	uint64_t v;

	if (rdrand64(&v))
		return v;
	return mix64(arch_read_tsc() ^ mix64(arch_read_tsc()));
}
