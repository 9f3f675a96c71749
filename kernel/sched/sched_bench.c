/* Measurements for bench/sched, run with --test=sched_bench (never part of
 * --test=all): thread switch time through wait-queue ping-pong, and how
 * late sleeps wake. Prints "bench:" lines the benchmark script parses. */
#include <keel/clock.h>
#include <keel/fpu.h>
#include <keel/ktest.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/thread.h>
#include <keel/waitq.h>

#define PINGPONG_ROUNDS		20000
#define LATENCY_SAMPLES		200

struct player {
	struct waitq wq;
	bool go;
};

static struct player players[2];

/* Player @me waits for its turn, then hands the turn to the other one:
 * every round trip is two switches, one in each direction. */
static void
pingpong_player(void *arg)
{
	int me = (int)(uintptr_t)arg;
	struct player *mine = &players[me], *other = &players[!me];

	for (int i = 0; i < PINGPONG_ROUNDS; i++) {
		unsigned long flags = waitq_lock(&mine->wq);

		while (!mine->go)
			waitq_wait_locked(&mine->wq, WAIT_FOREVER);
		mine->go = false;
		waitq_unlock(&mine->wq, flags);
		flags = waitq_lock(&other->wq);
		other->go = true;
		waitq_wake_one_locked(&other->wq);
		waitq_unlock(&other->wq, flags);
	}
}

/* Ping-pong between two threads created with @flags; returns ns/switch. */
static uint64_t
pingpong_ns(unsigned flags)
{
	struct thread *a, *b;
	uint64_t t0, t1;

	for (int i = 0; i < 2; i++) {
		waitq_init(&players[i].wq, "pingpong");
		players[i].go = i == 0;
	}
	t0 = clock_monotonic_ns();
	a = thread_create_flags("ping", pingpong_player, (void *)0, flags);
	b = thread_create_flags("pong", pingpong_player, (void *)1, flags);
	KT_EXPECT_EQ(thread_join(a, NULL, WAIT_FOREVER), 0);
	KT_EXPECT_EQ(thread_join(b, NULL, WAIT_FOREVER), 0);
	t1 = clock_monotonic_ns();
	return (t1 - t0) / (2 * PINGPONG_ROUNDS);
}

/* Kernel threads carry no FPU state; application threads do, and pay for
 * saving and restoring it at every switch. */
static void
bench_thread_switch(void)
{
	uint64_t plain = pingpong_ns(0), fpu = pingpong_ns(THREAD_USES_FPU);

	printk("bench: switch_ns=%lu switch_fpu_ns=%lu roundtrips=%d fpu=%s "
	       "clock=%s\n", plain, fpu, PINGPONG_ROUNDS, fpu_mode_name(),
	       clock_source_name());
}

static void
sort_u64(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++) {
		uint64_t x = v[i];
		int j = i - 1;

		for (; j >= 0 && v[j] > x; j--)
			v[j + 1] = v[j];
		v[j + 1] = x;
	}
}

static void
bench_timer_latency(void)
{
	static const uint64_t requests_us[] = { 10, 100, 1000 };
	static uint64_t late_ns[LATENCY_SAMPLES];

	for (unsigned r = 0; r < ARRAY_SIZE(requests_us); r++) {
		uint64_t want = requests_us[r] * NSEC_PER_USEC;

		for (int i = 0; i < LATENCY_SAMPLES; i++) {
			uint64_t deadline = clock_monotonic_ns() + want;

			sched_sleep_until(deadline);
			late_ns[i] = clock_monotonic_ns() - deadline;
		}
		sort_u64(late_ns, LATENCY_SAMPLES);
		printk("bench: timer_request_us=%lu late_median_ns=%lu "
		       "late_p99_ns=%lu late_min_ns=%lu\n", requests_us[r],
		       late_ns[LATENCY_SAMPLES / 2],
		       late_ns[LATENCY_SAMPLES * 99 / 100], late_ns[0]);
	}
}

KTEST_SUITE_DEFINE(sched_bench, true,
		   KTEST_CASE(bench_thread_switch),
		   KTEST_CASE(bench_timer_latency));
