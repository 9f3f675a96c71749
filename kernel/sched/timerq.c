/* The timer heap: a binary min-heap ordered by (deadline, insertion seq),
 * with each entry's slot kept current so cancellation needs no search.
 * Knows nothing of CPUs or interrupts; timer.c locks around it. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/string.h>
#include <keel/timerq.h>

#define TIMERQ_INITIAL_CAP	64

void
timerq_init(struct timerq *q)
{
	q->heap = NULL;
	q->len = q->cap = 0;
	q->next_seq = 0;
}

static bool
entry_before(const struct timerq_entry *a, const struct timerq_entry *b)
{
	if (a->deadline_ns != b->deadline_ns)
		return a->deadline_ns < b->deadline_ns;
	return a->seq < b->seq;
}

static void
heap_place(struct timerq *q, uint32_t i, struct timerq_entry *e)
{
	q->heap[i] = e;
	e->slot = i;
}

static void
sift_up(struct timerq *q, uint32_t i)
{
	struct timerq_entry *e = q->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!entry_before(e, q->heap[parent]))
			break;
		heap_place(q, i, q->heap[parent]);
		i = parent;
	}
	heap_place(q, i, e);
}

static void
sift_down(struct timerq *q, uint32_t i)
{
	struct timerq_entry *e = q->heap[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= q->len)
			break;
		if (child + 1 < q->len &&
		    entry_before(q->heap[child + 1], q->heap[child]))
			child++;
		if (!entry_before(q->heap[child], e))
			break;
		heap_place(q, i, q->heap[child]);
		i = child;
	}
	heap_place(q, i, e);
}

static int
timerq_grow(struct timerq *q)
{
	uint32_t cap = q->cap ? q->cap * 2 : TIMERQ_INITIAL_CAP;
	struct timerq_entry **heap = kmalloc(cap * sizeof(*heap));

	if (!heap)
		return -ENOMEM;
	if (q->len)
		memcpy(heap, q->heap, q->len * sizeof(*heap));
	kfree(q->heap);
	q->heap = heap;
	q->cap = cap;
	return 0;
}

int
timerq_insert(struct timerq *q, struct timerq_entry *e)
{
	if (q->len == q->cap && timerq_grow(q))
		return -ENOMEM;
	e->seq = q->next_seq++;
	heap_place(q, q->len++, e);
	sift_up(q, e->slot);
	return 0;
}

bool
timerq_remove(struct timerq *q, struct timerq_entry *e)
{
	uint32_t i = e->slot;
	struct timerq_entry *last;

	if (i == TIMERQ_NOT_QUEUED || i >= q->len || q->heap[i] != e)
		return false;
	e->slot = TIMERQ_NOT_QUEUED;
	last = q->heap[--q->len];
	if (i == q->len)
		return true;
	heap_place(q, i, last);
	/* The moved entry may belong above or below its new slot. */
	if (i > 0 && entry_before(last, q->heap[(i - 1) / 2]))
		sift_up(q, i);
	else
		sift_down(q, i);
	return true;
}

struct timerq_entry *
timerq_peek(const struct timerq *q)
{
	return q->len ? q->heap[0] : NULL;
}

struct timerq_entry *
timerq_pop(struct timerq *q)
{
	struct timerq_entry *e = timerq_peek(q);

	if (e)
		timerq_remove(q, e);
	return e;
}
