/* The run queue (see keel/runq.h). Kept apart from the scheduler so that
 * host tests drive exactly this code. */
#include <keel/runq.h>

void
runq_init(struct runq *rq)
{
	list_init(&rq->head);
	rq->nr = 0;
}

void
runq_push(struct runq *rq, struct list_node *n)
{
	list_push_back(&rq->head, n);
	rq->nr++;
}

struct list_node *
runq_pop(struct runq *rq)
{
	struct list_node *n = list_pop_front(&rq->head);

	if (n)
		rq->nr--;
	return n;
}

bool
runq_remove(struct runq *rq, struct list_node *n)
{
	if (!list_linked(n))
		return false;
	list_remove(n);
	rq->nr--;
	return true;
}
