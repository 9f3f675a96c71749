/* Self-tests of time: the monotonic clock against the PIT and itself, the
 * wall clock's plausibility, and the LAPIC one-shot timer firing (and not
 * firing once cancelled). */
#include <keel/apic.h>
#include <keel/arch.h>
#include <keel/clock.h>
#include <keel/clock_hw.h>
#include <keel/irq.h>
#include <keel/ktest.h>

#define CLOCK_READS		10000
#define PIT_WINDOW_TICKS	(PIT_HZ / 50)		/* 20 ms */
#define RATE_TOLERANCE_PPM	10000			/* 1% */
#define EPOCH_2024		1704067200ULL
#define EPOCH_2100		4102444800ULL
#define TIMER_WAIT_LIMIT_NS	(500 * NSEC_PER_MSEC)

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

static volatile int timer_fired;
static volatile uint64_t timer_fired_at;

static void
timer_test_handler(unsigned vector, void *arg)
{
	(void)vector;
	(void)arg;
	timer_fired++;
	timer_fired_at = clock_monotonic_ns();
}

/* Halts until the timer fires or the limit passes; returns fire count. */
static int
wait_for_timer(uint64_t limit_ns)
{
	uint64_t end = clock_monotonic_ns() + limit_ns;

	arch_irq_enable();
	while (!timer_fired && clock_monotonic_ns() < end)
		arch_cpu_relax();
	arch_irq_disable();
	return timer_fired;
}

static void
oneshot_fires_after_deadline(void)
{
	static const uint64_t delays_us[] = { 100, 1000, 5000, 20000 };

	irq_register(IRQ_VECTOR_TIMER, timer_test_handler, NULL);
	for (unsigned i = 0; i < ARRAY_SIZE(delays_us); i++) {
		uint64_t deadline = clock_monotonic_ns() + delays_us[i] * NSEC_PER_USEC;

		timer_fired = 0;
		apic_timer_arm(deadline);
		KT_EXPECT_EQ(wait_for_timer(TIMER_WAIT_LIMIT_NS), 1);
		KT_EXPECT(timer_fired_at >= deadline);
	}
}

static void
cancelled_timer_does_not_fire(void)
{
	timer_fired = 0;
	apic_timer_arm(clock_monotonic_ns() + 2 * NSEC_PER_MSEC);
	apic_timer_cancel();
	KT_EXPECT_EQ(wait_for_timer(10 * NSEC_PER_MSEC), 0);
}

KTEST_SUITE(clock,
	KTEST_CASE(monotonic_never_goes_back),
	KTEST_CASE(monotonic_rate_matches_pit),
	KTEST_CASE(wall_clock_is_plausible));
KTEST_SUITE(timer,
	KTEST_CASE(oneshot_fires_after_deadline),
	KTEST_CASE(cancelled_timer_does_not_fire));
