/* Time: a monotonic nanosecond clock (kvmclock on KVM, else the TSC
 * calibrated at boot against the PIT) and wall-clock time (kvmclock's wall
 * clock or the CMOS RTC, read once at boot). */
#ifndef KEEL_CLOCK_H
#define KEEL_CLOCK_H

#include <keel/compiler.h>

#define NSEC_PER_USEC	1000UL
#define NSEC_PER_MSEC	1000000UL
#define NSEC_PER_SEC	1000000000UL

/* Starts the TSC calibration window; call as early as possible. The window
 * closes in clock_init(), so boot work in between is not wasted waiting. */
void
clock_calibration_start(void);
/* Lets the calibration notice a counter wrap; boot calls it between steps. */
void
clock_calibration_checkpoint(void);

/* Picks the clock source and finishes calibration. Returns 0 or -ENODEV
 * if no reference clock could calibrate the TSC. */
int
clock_init(void);

/* Nanoseconds since an arbitrary point at boot; never goes backwards. */
uint64_t
clock_monotonic_ns(void);
/* Nanoseconds since the Unix epoch. */
uint64_t
clock_realtime_ns(void);

/* Converts a TSC difference to nanoseconds (calibrated rate). */
uint64_t
clock_tsc_to_ns(uint64_t cycles);
uint64_t
clock_ns_to_tsc(uint64_t ns);
uint64_t
clock_tsc_hz(void);
/* When the monotonic clock is the calibrated TSC: its conversion, for the
 * vDSO to compute the same time (32.32 fixed point ns per cycle). False
 * under kvmclock. */
bool
clock_tsc_params(uint64_t *tsc_base, uint64_t *ns_per_tsc_fp,
		 uint64_t *realtime_offset_ns);
/* "kvmclock", "tsc (PIT-calibrated)", ... */
const char *
clock_source_name(void);
/* "rtc", "kvmclock" */
const char *
clock_wall_source_name(void);

/* Busy-waits @ns nanoseconds on the monotonic clock. */
void
clock_delay_ns(uint64_t ns);

#endif
