/* The clock core: chooses kvmclock on KVM, else the TSC calibrated against
 * the PIT over the boot's own duration (at least CALIBRATION_MIN_NS), and
 * keeps wall time as an offset read once from kvmclock or the CMOS RTC. */
#include <keel/arch.h>
#include <keel/clock.h>
#include <keel/clock_hw.h>
#include <keel/errno.h>

#define CALIBRATION_MIN_NS	(2 * NSEC_PER_MSEC)
#define CALIBRATION_MIN_TICKS	(PIT_HZ * CALIBRATION_MIN_NS / NSEC_PER_SEC)
#define FIXED_POINT_SHIFT	32
#define CALIBRATION_TRIES	3
#define TSC_PER_NS_SHIFT	24	/* hz << 24 fits 64 bits up to 1 THz */

static struct {
	bool use_kvmclock;
	bool pit_ok;
	uint64_t cal_tsc_start;
	uint64_t tsc_hz;
	uint64_t tsc_base;		/* TSC at monotonic zero */
	uint64_t ns_per_tsc_fp;		/* ns per cycle, 32.32 fixed point */
	uint64_t tsc_per_ns_fp;		/* cycles per ns, 40.24 fixed point */
	uint64_t realtime_offset_ns;	/* realtime = monotonic + offset */
	const char *source;
	const char *wall_source;
} clk;

void
clock_calibration_start(void)
{
	clk.pit_ok = pit_counter_start(&clk.cal_tsc_start);
}

void
clock_calibration_checkpoint(void)
{
	if (clk.pit_ok && !clk.tsc_hz)
		pit_counter_checkpoint();
}

/* Waits until the PIT window is long enough, then derives the TSC rate.
 * If boot took so long that the counter ran out, opens a fresh window. */
static uint64_t
clock_calibrate_with_pit(void)
{
	int64_t ticks;
	uint64_t tsc;

	for (int tries = 0; tries < CALIBRATION_TRIES; tries++) {
		do {
			ticks = pit_counter_elapsed(&tsc);
		} while (ticks >= 0 && ticks < (int64_t)CALIBRATION_MIN_TICKS);
		if (ticks > 0)
			return (tsc - clk.cal_tsc_start) * PIT_HZ / ticks;
		if (!pit_counter_start(&clk.cal_tsc_start))
			break;
	}
	return 0;
}

static void
clock_set_tsc_hz(uint64_t hz)
{
	clk.tsc_hz = hz;
	clk.ns_per_tsc_fp = (NSEC_PER_SEC << FIXED_POINT_SHIFT) / hz;
	clk.tsc_per_ns_fp = (hz << TSC_PER_NS_SHIFT) / NSEC_PER_SEC;
	clk.tsc_base = clk.cal_tsc_start;
}

/* The TSC rate from the best source: kvmclock's scale, CPUID, the PIT. */
static int
clock_init_tsc(void)
{
	uint64_t hz = 0;

	if (clk.use_kvmclock && (hz = kvmclock_tsc_hz()) != 0) {
		clk.source = "kvmclock";
	} else if ((hz = tsc_hz_from_cpuid()) != 0) {
		clk.source = "tsc (cpuid)";
	} else if (clk.pit_ok && (hz = clock_calibrate_with_pit()) != 0) {
		clk.source = "tsc (PIT-calibrated)";
	}
	if (!hz)
		return -ENODEV;
	clock_set_tsc_hz(hz);
	return 0;
}

static void
clock_init_wall(void)
{
	uint64_t secs;

	if (clk.use_kvmclock) {
		clk.realtime_offset_ns = kvmclock_wall_ns() - clock_monotonic_ns();
		clk.wall_source = "kvmclock";
	} else if (rtc_read_epoch_seconds(&secs) == 0) {
		clk.realtime_offset_ns = secs * NSEC_PER_SEC - clock_monotonic_ns();
		clk.wall_source = "rtc";
	} else {
		clk.wall_source = "none (epoch)";
	}
}

int
clock_init(void)
{
	int err;

	/* kvmclock for time when on KVM; the TSC rate is needed either way,
	 * for the boot report and the timer's TSC deadlines. */
	clk.use_kvmclock = kvmclock_init() == 0;
	err = clock_init_tsc();
	if (err)
		return err;
	clock_init_wall();
	return 0;
}

uint64_t
clock_tsc_to_ns(uint64_t cycles)
{
	return (uint64_t)(((unsigned __int128)cycles * clk.ns_per_tsc_fp) >>
			  FIXED_POINT_SHIFT);
}

uint64_t
clock_ns_to_tsc(uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns * clk.tsc_per_ns_fp) >>
			  TSC_PER_NS_SHIFT);
}

uint64_t
clock_monotonic_ns(void)
{
	if (clk.use_kvmclock)
		return kvmclock_read_ns();
	return clock_tsc_to_ns(arch_read_tsc() - clk.tsc_base);
}

uint64_t
clock_realtime_ns(void)
{
	return clock_monotonic_ns() + clk.realtime_offset_ns;
}

bool
clock_tsc_params(uint64_t *tsc_base, uint64_t *ns_per_tsc_fp,
		 uint64_t *realtime_offset_ns)
{
	if (clk.use_kvmclock || !clk.tsc_hz)
		return false;
	*tsc_base = clk.tsc_base;
	*ns_per_tsc_fp = clk.ns_per_tsc_fp;
	*realtime_offset_ns = clk.realtime_offset_ns;
	return true;
}

uint64_t
clock_tsc_hz(void)
{
	return clk.tsc_hz;
}

const char *
clock_source_name(void)
{
	return clk.source;
}

const char *
clock_wall_source_name(void)
{
	return clk.wall_source;
}

void
clock_delay_ns(uint64_t ns)
{
	uint64_t end = clock_monotonic_ns() + ns;

	while (clock_monotonic_ns() < end)
		arch_cpu_relax();
}
