/* Self-tests of synchronization: an exact mutex-protected counter under
 * preemption, condition-variable ping-pong, semaphores, timeouts of every
 * blocking call, and (named only) the debug checks firing on a lock-order
 * inversion and on sleeping with a spinlock held. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/ktest.h>
#include <keel/sched.h>
#include <keel/sync.h>
#include <keel/thread.h>

#define COUNTER_THREADS		8
#define COUNTER_INCREMENTS	100000
#define PING_PONG_ROUNDS	1000
#define SHORT_TIMEOUT_NS	(2 * NSEC_PER_MSEC)

static struct mutex counter_lock;
static volatile uint64_t counter;

/* A deliberately slow read-modify-write: without the mutex, preemption in
 * the middle loses increments. */
static void
count_under_mutex(void *arg)
{
	(void)arg;
	for (int i = 0; i < COUNTER_INCREMENTS; i++) {
		mutex_lock(&counter_lock);
		uint64_t v = counter;

		for (volatile int d = 0; d < 4; d++)
			;
		counter = v + 1;
		mutex_unlock(&counter_lock);
	}
}

static void
mutex_counter_exact_under_preemption(void)
{
	struct thread *t[COUNTER_THREADS];
	uint64_t switches = sched_nr_switches();

	mutex_init(&counter_lock, "counter");
	counter = 0;
	for (int i = 0; i < COUNTER_THREADS; i++)
		t[i] = thread_create("counter", count_under_mutex, NULL);
	for (int i = 0; i < COUNTER_THREADS; i++)
		KT_EXPECT_EQ(thread_join(t[i], NULL, WAIT_FOREVER), 0);
	KT_EXPECT_EQ(counter, (uint64_t)COUNTER_THREADS * COUNTER_INCREMENTS);
	KT_EXPECT(sched_nr_switches() - switches > COUNTER_THREADS);
}

static struct {
	struct mutex lock;
	struct condvar cv;
	int turn;		/* 0: ping's, 1: pong's */
	int rounds[2];
} pp;

static void
ping_pong_player(void *arg)
{
	int me = (int)(uintptr_t)arg;

	mutex_lock(&pp.lock);
	for (int i = 0; i < PING_PONG_ROUNDS; i++) {
		while (pp.turn != me)
			condvar_wait(&pp.cv, &pp.lock);
		pp.rounds[me]++;
		pp.turn = !me;
		condvar_broadcast(&pp.cv);
	}
	mutex_unlock(&pp.lock);
}

static void
condvar_ping_pong(void)
{
	struct thread *a, *b;

	mutex_init(&pp.lock, "ping-pong");
	condvar_init(&pp.cv);
	pp.turn = 0;
	pp.rounds[0] = pp.rounds[1] = 0;
	a = thread_create("ping", ping_pong_player, (void *)0);
	b = thread_create("pong", ping_pong_player, (void *)1);
	KT_EXPECT_EQ(thread_join(a, NULL, WAIT_FOREVER), 0);
	KT_EXPECT_EQ(thread_join(b, NULL, WAIT_FOREVER), 0);
	KT_EXPECT_EQ(pp.rounds[0], PING_PONG_ROUNDS);
	KT_EXPECT_EQ(pp.rounds[1], PING_PONG_ROUNDS);
}

static struct semaphore sem_items;
static volatile int sem_consumed;

static void
consume_three(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++) {
		semaphore_down(&sem_items);
		sem_consumed++;
	}
}

static void
semaphore_counts_and_blocks(void)
{
	struct thread *t;

	semaphore_init(&sem_items, 1);
	sem_consumed = 0;
	t = thread_create("consumer", consume_three, NULL);
	sched_sleep_ns(2 * NSEC_PER_MSEC);
	KT_EXPECT_EQ(sem_consumed, 1);		/* blocked on the second */
	semaphore_up(&sem_items);
	semaphore_up(&sem_items);
	KT_EXPECT_EQ(thread_join(t, NULL, WAIT_FOREVER), 0);
	KT_EXPECT_EQ(sem_consumed, 3);
	KT_EXPECT(!semaphore_trydown(&sem_items));
}

static struct mutex held_lock;

static void
hold_mutex_a_while(void *arg)
{
	(void)arg;
	mutex_lock(&held_lock);
	sched_sleep_ns(20 * NSEC_PER_MSEC);
	mutex_unlock(&held_lock);
}

static void
blocking_calls_time_out(void)
{
	struct condvar cv;
	struct semaphore s;
	struct mutex m;
	struct thread *t;
	uint64_t t0;

	mutex_init(&held_lock, "held");
	t = thread_create("holder", hold_mutex_a_while, NULL);
	sched_sleep_ns(2 * NSEC_PER_MSEC);
	t0 = clock_monotonic_ns();
	KT_EXPECT_EQ(mutex_lock_until(&held_lock, t0 + SHORT_TIMEOUT_NS), -ETIMEDOUT);
	KT_EXPECT(clock_monotonic_ns() >= t0 + SHORT_TIMEOUT_NS);
	KT_EXPECT(!mutex_held_by_me(&held_lock));
	KT_EXPECT_EQ(thread_join(t, NULL, WAIT_FOREVER), 0);
	KT_EXPECT(mutex_trylock(&held_lock));
	mutex_unlock(&held_lock);

	semaphore_init(&s, 0);
	KT_EXPECT_EQ(semaphore_down_until(&s, clock_monotonic_ns() + SHORT_TIMEOUT_NS),
		     -ETIMEDOUT);
	mutex_init(&m, "cv-timeout");
	condvar_init(&cv);
	mutex_lock(&m);
	KT_EXPECT_EQ(condvar_wait_until(&cv, &m, clock_monotonic_ns() + SHORT_TIMEOUT_NS),
		     -ETIMEDOUT);
	KT_EXPECT(mutex_held_by_me(&m));	/* held again after a timeout */
	mutex_unlock(&m);
}

KTEST_SUITE(sync,
	KTEST_CASE(mutex_counter_exact_under_preemption),
	KTEST_CASE(condvar_ping_pong),
	KTEST_CASE(semaphore_counts_and_blocks),
	KTEST_CASE(blocking_calls_time_out));

/* --- named only: the debug checks must stop the kernel --- */

static void
lock_order_inversion_panics(void)
{
	static struct spinlock a = SPINLOCK_INIT_NAMED("order-a");
	static struct spinlock b = SPINLOCK_INIT_NAMED("order-b");

	spin_lock(&a);
	spin_lock(&b);
	spin_unlock(&b);
	spin_unlock(&a);
	spin_lock(&b);
	spin_lock(&a);		/* the inversion */
	spin_unlock(&a);
	spin_unlock(&b);
	ktest_fail(__FILE__, __LINE__, "the inversion went unnoticed");
}

static void
sleeping_with_spinlock_panics(void)
{
	static struct spinlock s = SPINLOCK_INIT_NAMED("held-while-sleeping");

	spin_lock(&s);
	sched_sleep_ns(NSEC_PER_MSEC);
	spin_unlock(&s);
	ktest_fail(__FILE__, __LINE__, "slept with a spinlock held");
}

KTEST_SUITE_DEFINE(lockdep_order, true, KTEST_CASE(lock_order_inversion_panics));
KTEST_SUITE_DEFINE(lockdep_sleep, true, KTEST_CASE(sleeping_with_spinlock_panics));
