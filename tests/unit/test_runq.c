/* The run queue: FIFO order, removal from anywhere, and -- driven the way
 * the scheduler drives it (pop, run a slice, push back) -- an equal share
 * of slices for every thread. */
#include <keel/runq.h>
#include "unit.h"

#define THREADS	7

struct fake_thread {
	struct list_node node;
	int id;
	int slices;
};

static struct fake_thread t[THREADS];
static struct runq rq;

static void
reset(void)
{
	runq_init(&rq);
	for (int i = 0; i < THREADS; i++) {
		list_init(&t[i].node);
		t[i].id = i;
		t[i].slices = 0;
		runq_push(&rq, &t[i].node);
	}
}

static struct fake_thread *
pop(void)
{
	struct list_node *n = runq_pop(&rq);

	return n ? list_entry(n, struct fake_thread, node) : NULL;
}

TEST(fifo_order)
{
	reset();
	CHECK_EQ(runq_len(&rq), THREADS);
	for (int i = 0; i < THREADS; i++)
		CHECK_EQ(pop()->id, i);
	CHECK(pop() == NULL);
	CHECK_EQ(runq_len(&rq), 0);
}

TEST(remove_from_middle)
{
	reset();
	CHECK(runq_remove(&rq, &t[3].node));
	CHECK(!runq_remove(&rq, &t[3].node));
	CHECK_EQ(runq_len(&rq), THREADS - 1);
	for (int i = 0; i < THREADS; i++) {
		if (i == 3)
			continue;
		CHECK_EQ(pop()->id, i);
	}
}

TEST(round_robin_gives_equal_shares)
{
	reset();
	for (int slice = 0; slice < THREADS * 1000; slice++) {
		struct fake_thread *cur = pop();

		cur->slices++;
		runq_push(&rq, &cur->node);
	}
	for (int i = 0; i < THREADS; i++)
		CHECK_EQ(t[i].slices, 1000);
}

TEST(blocked_thread_leaves_and_rejoins_at_tail)
{
	struct fake_thread *first;

	reset();
	first = pop();				/* runs, then blocks: not pushed */
	CHECK_EQ(runq_len(&rq), THREADS - 1);
	runq_push(&rq, &first->node);		/* woken: joins at the tail */
	for (int i = 1; i < THREADS; i++)
		CHECK_EQ(pop()->id, i);
	CHECK_EQ(pop()->id, 0);
}
