/* An ordered set of deadlines: a binary min-heap of entries, each entry
 * remembering its slot, so insert, cancel and pop are O(log n) and the
 * earliest deadline is O(1). Pure data structure; the caller locks. */
#ifndef KEEL_TIMERQ_H
#define KEEL_TIMERQ_H

#include <keel/compiler.h>

#define TIMERQ_NOT_QUEUED	UINT32_MAX

/* Embedded in whatever is ordered (struct timer). */
struct timerq_entry {
	uint64_t deadline_ns;
	uint64_t seq;		/* insertion order: equal deadlines stay FIFO */
	uint32_t slot;		/* index in the heap, or TIMERQ_NOT_QUEUED */
};

struct timerq {
	struct timerq_entry **heap;	/* heap[0] is the earliest */
	uint32_t len;
	uint32_t cap;
	uint64_t next_seq;
};

void
timerq_init(struct timerq *q);
static inline void
timerq_entry_init(struct timerq_entry *e)
{
	e->slot = TIMERQ_NOT_QUEUED;
}
/* Queues @e (not queued) at e->deadline_ns. Returns 0 or -ENOMEM (the
 * heap grows by doubling through kmalloc). */
int
timerq_insert(struct timerq *q, struct timerq_entry *e);
/* Removes @e if queued; returns true if it was. */
bool
timerq_remove(struct timerq *q, struct timerq_entry *e);
/* The earliest entry, or NULL. */
struct timerq_entry *
timerq_peek(const struct timerq *q);
struct timerq_entry *
timerq_pop(struct timerq *q);

#endif
