/* Self-tests of kernel timers: firing no earlier than the deadline,
 * cancellation, order under load, and thousands pending at once. */
#include <keel/clock.h>
#include <keel/heap.h>
#include <keel/ktest.h>
#include <keel/percpu.h>
#include <keel/random.h>
#include <keel/sched.h>
#include <keel/timer.h>

#define LOAD_TIMERS		2000
#define LOAD_WINDOW_NS		(20 * NSEC_PER_MSEC)
#define PENDING_TIMERS		10000
#define WAIT_SLACK_NS		(500 * NSEC_PER_MSEC)
#define TICKLESS_WINDOW_NS	(50 * NSEC_PER_MSEC)

struct fired {
	uint64_t at;
	int count;
};

static void
record_fire(struct timer *t, void *arg)
{
	struct fired *f = arg;

	(void)t;
	f->at = clock_monotonic_ns();
	f->count++;
}

static void
fires_no_earlier_than_deadline(void)
{
	static const uint64_t delays_us[] = { 50, 1000, 5000, 20000 };

	for (unsigned i = 0; i < ARRAY_SIZE(delays_us); i++) {
		struct fired f = { 0, 0 };
		struct timer t;
		uint64_t deadline = clock_monotonic_ns() + delays_us[i] * 1000;

		timer_init(&t, record_fire, &f);
		KT_EXPECT_EQ(timer_arm(&t, deadline), 0);
		sched_sleep_until(deadline + WAIT_SLACK_NS / 100);
		for (int n = 0; n < 100 && !READ_ONCE(f.count); n++)
			sched_sleep_ns(NSEC_PER_MSEC);
		KT_EXPECT_EQ(f.count, 1);
		KT_EXPECT(f.at >= deadline);
		KT_EXPECT(!timer_pending(&t));
	}
}

static void
cancelled_timer_does_not_fire(void)
{
	struct fired f = { 0, 0 };
	struct timer t;

	timer_init(&t, record_fire, &f);
	KT_EXPECT_EQ(timer_arm(&t, clock_monotonic_ns() + 2 * NSEC_PER_MSEC), 0);
	KT_EXPECT(timer_pending(&t));
	KT_EXPECT(timer_cancel(&t));
	KT_EXPECT(!timer_cancel(&t));
	sched_sleep_ns(5 * NSEC_PER_MSEC);
	KT_EXPECT_EQ(f.count, 0);
}

struct order_log {
	uint64_t *deadlines;	/* in firing order */
	int n;
};

static struct order_log order_log;

static void
record_order(struct timer *t, void *arg)
{
	(void)arg;
	order_log.deadlines[order_log.n++] = t->q.deadline_ns;
}

static void
fire_in_deadline_order_under_load(void)
{
	struct timer *timers = kzalloc(LOAD_TIMERS * sizeof(*timers));
	uint64_t start = clock_monotonic_ns();

	order_log.deadlines = kzalloc(LOAD_TIMERS * sizeof(uint64_t));
	order_log.n = 0;
	KT_EXPECT(timers && order_log.deadlines);
	if (!timers || !order_log.deadlines)
		goto out;
	for (int i = 0; i < LOAD_TIMERS; i++) {
		timer_init(&timers[i], record_order, NULL);
		timer_arm(&timers[i], start + random_early_u64() % LOAD_WINDOW_NS);
	}
	sched_sleep_until(start + LOAD_WINDOW_NS + 10 * NSEC_PER_MSEC);
	for (int n = 0; n < 200 && READ_ONCE(order_log.n) < LOAD_TIMERS; n++)
		sched_sleep_ns(NSEC_PER_MSEC);
	KT_EXPECT_EQ(order_log.n, LOAD_TIMERS);
	for (int i = 1; i < order_log.n; i++)
		if (order_log.deadlines[i] < order_log.deadlines[i - 1]) {
			ktest_fail(__FILE__, __LINE__, "timer %d fired out of order", i);
			break;
		}
out:
	kfree(timers);
	kfree(order_log.deadlines);
}

static void
thousands_pending_then_cancelled(void)
{
	struct timer *timers = kzalloc(PENDING_TIMERS * sizeof(*timers));
	struct fired f = { 0, 0 };
	uint64_t far = clock_monotonic_ns() + 3600 * NSEC_PER_SEC;
	int cancelled = 0;

	KT_EXPECT(timers != NULL);
	if (!timers)
		return;
	for (int i = 0; i < PENDING_TIMERS; i++) {
		timer_init(&timers[i], record_fire, &f);
		KT_EXPECT_EQ(timer_arm(&timers[i], far + (uint64_t)(i * 7919 % 1000)), 0);
	}
	/* Cancel from the middle outwards: removals all over the heap. */
	for (int i = 0; i < PENDING_TIMERS; i++)
		cancelled += timer_cancel(&timers[(i * 4999) % PENDING_TIMERS]);
	KT_EXPECT_EQ(cancelled, PENDING_TIMERS);
	KT_EXPECT_EQ(f.count, 0);
	kfree(timers);
}

/* No periodic tick: a thread alone on the CPU, or the CPU idle while a
 * thread sleeps, takes no timer interrupts beyond the one that ends the
 * sleep (and at most one stale deadline left armed before). */
static void
tickless_when_idle_or_alone(void)
{
	struct cpu *c = this_cpu();
	uint64_t irqs, end;

	sched_sleep_ns(NSEC_PER_MSEC);		/* let stale deadlines pass */
	irqs = c->nr_timer_irqs;
	sched_sleep_ns(TICKLESS_WINDOW_NS);
	KT_EXPECT(c->nr_timer_irqs - irqs <= 2);
	irqs = c->nr_timer_irqs;
	end = clock_monotonic_ns() + TICKLESS_WINDOW_NS;
	while (clock_monotonic_ns() < end)
		;				/* running alone, never yielding */
	KT_EXPECT(c->nr_timer_irqs - irqs <= 1);
}

KTEST_SUITE(timer,
	KTEST_CASE(tickless_when_idle_or_alone),
	KTEST_CASE(fires_no_earlier_than_deadline),
	KTEST_CASE(cancelled_timer_does_not_fire),
	KTEST_CASE(fire_in_deadline_order_under_load),
	KTEST_CASE(thousands_pending_then_cancelled));
