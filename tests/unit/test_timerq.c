/* The timer heap against a simple model: random inserts and removals keep
 * every entry's slot right, pops come out in (deadline, insertion) order,
 * and removal of any entry works without a search. */
#include <stdlib.h>
#include <keel/heap.h>
#include <keel/timerq.h>
#include "unit.h"

/* The heap array comes from libc here; the kernel heap has its own tests. */
void *
kmalloc(size_t size)
{
	return malloc(size);
}

void
kfree(void *p)
{
	free(p);
}

#define N	5000

static struct timerq q;
static struct timerq_entry e[N];

static void
reset(void)
{
	free(q.heap);
	timerq_init(&q);
	for (int i = 0; i < N; i++)
		timerq_entry_init(&e[i]);
}

static int
heap_consistent(void)
{
	for (uint32_t i = 0; i < q.len; i++) {
		if (q.heap[i]->slot != i)
			return 0;
		if (i && q.heap[(i - 1) / 2]->deadline_ns > q.heap[i]->deadline_ns)
			return 0;
	}
	return 1;
}

TEST(empty_queue)
{
	reset();
	CHECK(timerq_peek(&q) == NULL);
	CHECK(timerq_pop(&q) == NULL);
	CHECK(!timerq_remove(&q, &e[0]));
}

TEST(pops_in_deadline_order)
{
	uint64_t last = 0;

	reset();
	srand(1);
	for (int i = 0; i < N; i++) {
		e[i].deadline_ns = (uint64_t)rand() % 100000;
		CHECK_EQ(timerq_insert(&q, &e[i]), 0);
	}
	CHECK(heap_consistent());
	for (int i = 0; i < N; i++) {
		struct timerq_entry *p = timerq_pop(&q);

		CHECK(p != NULL);
		CHECK(p->deadline_ns >= last);
		CHECK_EQ(p->slot, TIMERQ_NOT_QUEUED);
		last = p->deadline_ns;
	}
	CHECK_EQ(q.len, 0);
}

TEST(equal_deadlines_stay_fifo)
{
	reset();
	for (int i = 0; i < 100; i++) {
		e[i].deadline_ns = 42;
		timerq_insert(&q, &e[i]);
	}
	for (int i = 0; i < 100; i++)
		CHECK(timerq_pop(&q) == &e[i]);
}

TEST(random_removals_keep_heap_valid)
{
	int queued[N] = { 0 }, nqueued = 0;

	reset();
	srand(2);
	for (int step = 0; step < 50000; step++) {
		int i = rand() % N;

		if (queued[i]) {
			CHECK(timerq_remove(&q, &e[i]));
			CHECK(!timerq_remove(&q, &e[i]));
			queued[i] = 0;
			nqueued--;
		} else {
			e[i].deadline_ns = (uint64_t)rand();
			CHECK_EQ(timerq_insert(&q, &e[i]), 0);
			queued[i] = 1;
			nqueued++;
		}
		if (step % 997 == 0)
			CHECK(heap_consistent());
	}
	CHECK_EQ(q.len, nqueued);
	CHECK(heap_consistent());
}

TEST(peek_is_minimum_after_removing_minimum)
{
	reset();
	for (int i = 0; i < 10; i++) {
		e[i].deadline_ns = (uint64_t)(10 - i);
		timerq_insert(&q, &e[i]);
	}
	CHECK(timerq_peek(&q) == &e[9]);
	timerq_remove(&q, &e[9]);
	CHECK(timerq_peek(&q) == &e[8]);
	reset();
}
