/* A CPU's queue of ready threads: first in, first out, which with equal
 * time slices gives every runnable thread the same share of the CPU.
 * Pure list logic on the threads' rq_node; the caller holds the CPU lock. */
#ifndef KEEL_RUNQ_H
#define KEEL_RUNQ_H

#include <keel/list.h>

struct runq {
	struct list_node head;
	unsigned nr;
};

void
runq_init(struct runq *rq);
/* Queues @n (not queued) at the tail. */
void
runq_push(struct runq *rq, struct list_node *n);
/* Takes the head, or NULL when empty. */
struct list_node *
runq_pop(struct runq *rq);
/* Takes @n out wherever it is; returns false if it was not queued. */
bool
runq_remove(struct runq *rq, struct list_node *n);

static inline unsigned
runq_len(const struct runq *rq)
{
	return rq->nr;
}

#endif
