/* kvmclock: KVM's paravirtual clock. The hypervisor keeps a (tsc, ns) pair
 * and a scale in a page we register; readers convert the TSC delta and
 * retry while the version is odd or changes under them. */
#include <keel/clock_hw.h>
#include <keel/errno.h>
#include <keel/page.h>
#include "cpu.h"

#define KVM_CPUID_SIGNATURE	0x40000000
#define KVM_CPUID_FEATURES	0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define KVM_SYSTEM_TIME_ENABLE	1ULL
#define NSEC_PER_SEC_KVM	1000000000ULL

struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};
_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock");

struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "pvclock wall");

static struct pvclock_vcpu_time_info kvm_time __aligned(64);
static struct pvclock_wall_clock kvm_wall __aligned(64);

static bool
kvmclock_present(void)
{
	uint32_t a, b, c, d;

	cpuid(KVM_CPUID_SIGNATURE, 0, &a, &b, &c, &d);
	/* "KVMKVMKVM\0\0\0" in ebx, ecx, edx */
	if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d)
		return false;
	cpuid(KVM_CPUID_FEATURES, 0, &a, &b, &c, &d);
	return a & KVM_FEATURE_CLOCKSOURCE2;
}

int
kvmclock_init(void)
{
	if (!kvmclock_present())
		return -ENODEV;
	/* Both structures sit in the image, which is direct-mapped RAM. */
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW,
	      ((uint64_t)&kvm_time - KERNEL_VIRT_BASE) | KVM_SYSTEM_TIME_ENABLE);
	return 0;
}

static uint64_t
pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t
kvmclock_read_ns(void)
{
	uint32_t version;
	uint64_t ns;

	do {
		version = READ_ONCE(kvm_time.version);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uint64_t tsc = 0;
		uint32_t lo, hi;

		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
		tsc = ((uint64_t)hi << 32) | lo;
		ns = kvm_time.system_time +
		     pvclock_scale(tsc - kvm_time.tsc_timestamp,
				   kvm_time.tsc_to_system_mul, kvm_time.tsc_shift);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((version & 1) || version != READ_ONCE(kvm_time.version));
	return ns;
}

uint64_t
kvmclock_wall_ns(void)
{
	uint32_t version;
	uint64_t wall;

	wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uint64_t)&kvm_wall - KERNEL_VIRT_BASE);
	do {
		version = READ_ONCE(kvm_wall.version);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		wall = kvm_wall.sec * NSEC_PER_SEC_KVM + kvm_wall.nsec;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((version & 1) || version != READ_ONCE(kvm_wall.version));
	/* The wall clock is the epoch time at kvmclock's zero. */
	return wall + kvmclock_read_ns();
}

/* The TSC rate the hypervisor scales kvmclock with: ns = cycles * mul >>
 * (32 - shift), so cycles per second = 2^(32 - shift) * 1e9 / mul. */
uint64_t
kvmclock_tsc_hz(void)
{
	uint64_t base = NSEC_PER_SEC_KVM << 32;	/* < 2^63 */
	uint32_t mul = READ_ONCE(kvm_time.tsc_to_system_mul);
	int8_t shift = READ_ONCE(kvm_time.tsc_shift);

	if (mul == 0 || shift > 31 || shift < -31)
		return 0;
	return shift < 0 ? (base / mul) << -shift : (base >> shift) / mul;
}
