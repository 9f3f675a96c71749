/* The hardware time sources sched/clock.c chooses between. Each is a small
 * driver in arch/x86_64 named after the device. */
#ifndef KEEL_CLOCK_HW_H
#define KEEL_CLOCK_HW_H

#include <keel/compiler.h>

#define PIT_HZ	1193182ULL

/* Starts PIT channel 2 counting down for calibration; returns at a tick
 * edge with the TSC then in @tsc, or false if no PIT answers. */
bool
pit_counter_start(uint64_t *tsc);
/* Waits for the next tick edge; returns the ticks since the start edge and
 * the TSC at this edge, or -1 once the counter ran out (after ~55 ms). */
int64_t
pit_counter_elapsed(uint64_t *tsc);
/* Looks at the counter so that a wrap between two looks is noticed; call
 * it at least every ~50 ms while a calibration window is open. */
void
pit_counter_checkpoint(void);

/* CPUID 0x15/0x16: the TSC frequency when the CPU states it, else 0. */
uint64_t
tsc_hz_from_cpuid(void);
bool
tsc_is_invariant(void);

/* kvmclock (KVM's paravirtual clock). kvmclock_init() returns 0 when the
 * hypervisor offers it. */
int
kvmclock_init(void);
uint64_t
kvmclock_read_ns(void);
uint64_t
kvmclock_wall_ns(void);
/* The TSC frequency kvmclock's scale implies, or 0. */
uint64_t
kvmclock_tsc_hz(void);

/* The CMOS real-time clock: seconds since the epoch, or -ENODEV/-EIO. */
int
rtc_read_epoch_seconds(uint64_t *out);

#endif
