/* Early random numbers: RDRAND when CPUID says so (retried a bounded number
 * of times, as Intel advises), else the TSC stirred through a mixer; both
 * folded with a small pool that device entropy (virtio-rng) stirs. */
#include <keel/arch.h>
#include <keel/random.h>
#include "cpu.h"

#define CPUID1_ECX_RDRAND	(1u << 30)
#define RDRAND_RETRIES		10
#define POOL_WORDS		4

/* Updated racily on purpose: a lost update only loses some mixing. */
static uint64_t entropy_pool[POOL_WORDS];
static unsigned entropy_next;

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

	uint64_t pool = entropy_pool[entropy_next++ % POOL_WORDS];

	if (rdrand64(&v))
		return v ^ mix64(pool);
	return mix64(arch_read_tsc() ^ mix64(arch_read_tsc()) ^ pool);
}

void
random_add_entropy(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t *w = &entropy_pool[i % POOL_WORDS];

		*w = mix64(*w ^ ((uint64_t)p[i] << (8 * (i % 8))) ^ i);
	}
}
