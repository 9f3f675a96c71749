/* Self-tests of the clock: the monotonic clock against the PIT and itself,
 * and the wall clock's plausibility. (Timers: sched/timer_ktest.c.) */
#include <keel/arch.h>
#include <keel/clock.h>
#include <keel/clock_hw.h>
#include <keel/ktest.h>

#define CLOCK_READS		10000
#define PIT_WINDOW_TICKS	(PIT_HZ / 50)		/* 20 ms */
#define RATE_TOLERANCE_PPM	10000			/* 1% */
#define EPOCH_2024		1704067200ULL
#define EPOCH_2100		4102444800ULL

static void
monotonic_never_goes_back(void)
{
	uint64_t prev = clock_monotonic_ns();

	for (int i = 0; i < CLOCK_READS; i++) {
		uint64_t now = clock_monotonic_ns();

		KT_EXPECT(now >= prev);
		prev = now;
	}
}

static void
monotonic_rate_matches_pit(void)
{
	uint64_t tsc0, tsc1, t0, t1, expect_ns, err_ppm;
	int64_t ticks;

	if (!pit_counter_start(&tsc0))
		return;		/* no PIT: nothing to compare with */
	do {
		ticks = pit_counter_elapsed(&tsc1);
	} while (ticks >= 0 && ticks < (int64_t)PIT_WINDOW_TICKS);
	KT_EXPECT(ticks > 0);
	t0 = clock_tsc_to_ns(tsc0);
	t1 = clock_tsc_to_ns(tsc1);
	expect_ns = ticks * NSEC_PER_SEC / PIT_HZ;
	err_ppm = (t1 - t0 > expect_ns ? t1 - t0 - expect_ns : expect_ns - (t1 - t0)) *
		  1000000 / expect_ns;
	if (err_ppm > RATE_TOLERANCE_PPM)
		ktest_fail(__FILE__, __LINE__, "clock measured %lu ns for %lu ns "
			   "of PIT time (%lu ppm off)", t1 - t0, expect_ns, err_ppm);
}

static void
wall_clock_is_plausible(void)
{
	uint64_t s = clock_realtime_ns() / NSEC_PER_SEC;

	KT_EXPECT(s > EPOCH_2024);
	KT_EXPECT(s < EPOCH_2100);
}

KTEST_SUITE(clock,
	KTEST_CASE(monotonic_never_goes_back),
	KTEST_CASE(monotonic_rate_matches_pit),
	KTEST_CASE(wall_clock_is_plausible));
