/* What CPUID says about the time-stamp counter: whether it is invariant
 * (constant rate in all power states) and, on CPUs that state it, its
 * frequency (leaf 0x15 crystal ratio, or leaf 0x16 base MHz). */
#include <keel/clock_hw.h>
#include "cpu.h"

#define CPUID_EXT_INVARIANT_TSC	(1u << 8)	/* 0x80000007 EDX */
#define MHZ			1000000ULL

bool
tsc_is_invariant(void)
{
	uint32_t a, b, c, d;

	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000007)
		return false;
	cpuid(0x80000007, 0, &a, &b, &c, &d);
	return d & CPUID_EXT_INVARIANT_TSC;
}

uint64_t
tsc_hz_from_cpuid(void)
{
	uint32_t max, a, b, c, d;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);	/* a: denom, b: numer, c: Hz */
		if (a && b && c)
			return (uint64_t)c * b / a;
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, &a, &b, &c, &d);	/* a: base MHz */
		if (a)
			return (uint64_t)a * MHZ;
	}
	return 0;
}
