/* The page cache's radix tree (see pagecache_internal.h): 64 slots a node,
 * six index bits a level, so a one-page file costs one 512-byte node and
 * the largest file (2^52 pages) nine levels. */
#include <keel/heap.h>
#include "pagecache_internal.h"

#define PCT_BITS	6
#define PCT_SLOTS	(1U << PCT_BITS)
#define PCT_MAX_HEIGHT	10

struct pct_node {
	uint64_t slot[PCT_SLOTS];	/* interior: child pointers */
};

static uint64_t
span_of(unsigned height)
{
	return height >= PCT_MAX_HEIGHT ? UINT64_MAX :
	       1ULL << (PCT_BITS * height);
}

/* Adds levels on top until @index fits; false if out of memory. */
static bool
pct_grow(struct pct *t, uint64_t index)
{
	while (index >= span_of(t->height) || !t->root) {
		struct pct_node *n = kzalloc(sizeof(*n));

		if (!n)
			return false;
		if (t->root)
			n->slot[0] = (uint64_t)(uintptr_t)t->root;
		t->root = n;
		t->height++;
	}
	return true;
}

uint64_t *
pct_slot(struct pct *t, uint64_t index, bool create)
{
	struct pct_node *n;

	if (!t->root || index >= span_of(t->height)) {
		if (!create || !pct_grow(t, index))
			return NULL;
	}
	n = t->root;
	for (unsigned level = t->height - 1; level > 0; level--) {
		uint64_t *child = &n->slot[(index >> (PCT_BITS * level)) &
					   (PCT_SLOTS - 1)];

		if (!*child) {
			if (!create)
				return NULL;
			*child = (uint64_t)(uintptr_t)kzalloc(sizeof(*n));
			if (!*child)
				return NULL;
		}
		n = (struct pct_node *)(uintptr_t)*child;
	}
	return &n->slot[index & (PCT_SLOTS - 1)];
}

static uint64_t *
node_next(struct pct_node *n, unsigned level, uint64_t base, uint64_t from,
	  uint64_t *at)
{
	uint64_t span = span_of(level);

	for (unsigned k = 0; k < PCT_SLOTS; k++) {
		uint64_t lo = base + k * span, *s;

		if (!n->slot[k] || lo + span <= from)
			continue;
		if (level == 0) {
			*at = lo;
			return &n->slot[k];
		}
		s = node_next((struct pct_node *)(uintptr_t)n->slot[k],
			      level - 1, lo, from, at);
		if (s)
			return s;
	}
	return NULL;
}

uint64_t *
pct_next(struct pct *t, uint64_t from, uint64_t *at)
{
	if (!t->root || from >= span_of(t->height))
		return NULL;
	return node_next(t->root, t->height - 1, 0, from, at);
}

static void
node_free(struct pct_node *n, unsigned level)
{
	if (level > 0)
		for (unsigned k = 0; k < PCT_SLOTS; k++)
			if (n->slot[k])
				node_free((struct pct_node *)(uintptr_t)
					  n->slot[k], level - 1);
	kfree(n);
}

void
pct_destroy(struct pct *t)
{
	if (t->root)
		node_free(t->root, t->height - 1);
	t->root = NULL;
	t->height = 0;
}
