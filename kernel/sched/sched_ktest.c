/* Self-tests of threads and the scheduler: many threads created and
 * joined, preemption sharing the CPU fairly, detach, sleep accuracy, and
 * (named only) a stack overflow that must end in a panic naming the thread. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/ktest.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/thread.h>

#define MANY_THREADS		1000
#define BUSY_WINDOW_NS		(60 * NSEC_PER_MSEC)
#define SLEEP_SLACK_NS		(50 * NSEC_PER_MSEC)
#define FAIRNESS_MAX_RATIO	3
#define PAGES_KEPT_AFTER_THREADS	64

static int many_counter;

static void
bump_counter(void *arg)
{
	__atomic_fetch_add(&many_counter, (int)(uintptr_t)arg, __ATOMIC_RELAXED);
}

static void
thousand_threads_created_and_joined(void)
{
	struct thread **t = kzalloc(MANY_THREADS * sizeof(*t));
	uint64_t free_before = pmm_free_page_count();
	int code, created = 0;

	KT_EXPECT(t != NULL);
	if (!t)
		return;
	many_counter = 0;
	for (int i = 0; i < MANY_THREADS; i++) {
		t[i] = thread_create("many", bump_counter, (void *)1);
		if (IS_ERR(t[i]))
			break;
		created++;
	}
	KT_EXPECT_EQ(created, MANY_THREADS);
	for (int i = 0; i < created; i++) {
		KT_EXPECT_EQ(thread_join(t[i], &code, WAIT_FOREVER), 0);
		KT_EXPECT_EQ(code, 0);
	}
	KT_EXPECT_EQ(many_counter, created);
	kfree(t);
	/* Stacks and FPU areas went back. What may stay: a few heap slabs
	 * and the page tables that mapped the stacks (one per 2 MiB of the
	 * stack area, about 32 for a thousand stacks). */
	KT_EXPECT(pmm_free_page_count() + PAGES_KEPT_AFTER_THREADS >= free_before);
}

static void
exit_with_code(void *arg)
{
	thread_exit((int)(uintptr_t)arg);
}

static void
join_returns_exit_code_and_times_out(void)
{
	struct thread *t = thread_create("exit-code", exit_with_code, (void *)42);
	int code = 0;

	KT_EXPECT(!IS_ERR(t));
	KT_EXPECT_EQ(thread_join(t, &code, WAIT_FOREVER), 0);
	KT_EXPECT_EQ(code, 42);
	KT_EXPECT_EQ(thread_join(thread_current(), NULL, WAIT_FOREVER), -EINVAL);
}

static volatile bool stop_spinning;

static void
spin_and_count(void *arg)
{
	volatile uint64_t *count = arg;

	while (!READ_ONCE(stop_spinning))
		(*count)++;
}

/* Two threads that never yield both progress: only preemption can do it. */
static void
preemption_shares_cpu_fairly(void)
{
	static volatile uint64_t counts[2];
	struct thread *a, *b;
	uint64_t lo, hi;

	counts[0] = counts[1] = 0;
	stop_spinning = false;
	a = thread_create("spin-a", spin_and_count, (void *)&counts[0]);
	b = thread_create("spin-b", spin_and_count, (void *)&counts[1]);
	sched_sleep_ns(BUSY_WINDOW_NS);
	stop_spinning = true;
	thread_join(a, NULL, WAIT_FOREVER);
	thread_join(b, NULL, WAIT_FOREVER);
	lo = MIN(counts[0], counts[1]);
	hi = MAX(counts[0], counts[1]);
	KT_EXPECT(lo > 0);
	if (hi > lo * FAIRNESS_MAX_RATIO)
		ktest_fail(__FILE__, __LINE__, "unfair shares: %lu vs %lu", lo, hi);
}

static volatile int detached_ran;

static void
detached_body(void *arg)
{
	(void)arg;
	detached_ran = 1;
}

static void
detached_thread_frees_itself(void)
{
	struct thread *t = thread_create("detached", detached_body, NULL);

	KT_EXPECT(!IS_ERR(t));
	KT_EXPECT_EQ(thread_detach(t), 0);
	KT_EXPECT_EQ(thread_join(t, NULL, WAIT_FOREVER), -EINVAL);
	for (int n = 0; n < 100 && !detached_ran; n++)
		sched_sleep_ns(NSEC_PER_MSEC);
	KT_EXPECT(detached_ran);
}

static void
sleep_is_accurate(void)
{
	static const uint64_t sleeps_us[] = { 100, 1000, 5000, 20000 };

	for (unsigned i = 0; i < ARRAY_SIZE(sleeps_us); i++) {
		uint64_t want = sleeps_us[i] * NSEC_PER_USEC;
		uint64_t t0 = clock_monotonic_ns(), took;

		sched_sleep_ns(want);
		took = clock_monotonic_ns() - t0;
		printk("    # slept %lu us for %lu us\n", took / 1000, want / 1000);
		KT_EXPECT(took >= want);
		KT_EXPECT(took < want + SLEEP_SLACK_NS);
	}
}

static void
names_and_current(void)
{
	struct thread *me = thread_current();

	KT_EXPECT(me != NULL);
	KT_EXPECT_EQ(thread_name(me)[0], 'm');	/* "main" */
}

KTEST_SUITE(threads,
	KTEST_CASE(names_and_current),
	KTEST_CASE(thousand_threads_created_and_joined),
	KTEST_CASE(join_returns_exit_code_and_times_out),
	KTEST_CASE(preemption_shares_cpu_fairly),
	KTEST_CASE(detached_thread_frees_itself),
	KTEST_CASE(sleep_is_accurate));

/* --- named only: ends in a panic --- */

static volatile int recursion_sink;
static volatile int recursion_limit = 1 << 30;	/* never reached */

static __attribute__((noinline)) int
recurse_deeply(int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	recursion_sink = pad[0];
	if (depth >= recursion_limit)
		return 0;
	return recurse_deeply(depth + 1) + pad[0];
}

static void
overflow_body(void *arg)
{
	(void)arg;
	recurse_deeply(0);
}

static void
stack_overflow_panics_naming_thread(void)
{
	struct thread *t = thread_create("deep-recursion", overflow_body, NULL);

	thread_join(t, NULL, WAIT_FOREVER);
	ktest_fail(__FILE__, __LINE__, "the overflowing thread returned");
}

KTEST_SUITE_DEFINE(stack_overflow, true,
		   KTEST_CASE(stack_overflow_panics_naming_thread));
