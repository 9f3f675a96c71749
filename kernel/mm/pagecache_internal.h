/* Private to the page cache: one file's cache (pagecache.c) and its index
 * (pagecache_tree.c), a radix tree of 64-way nodes from page index to a
 * 64-bit entry -- a frame's physical address with state bits below it --
 * that grows in height as indices grow. Callers hold the page cache lock;
 * nodes come from the heap (any context). */
#ifndef KEEL_PAGECACHE_INTERNAL_H
#define KEEL_PAGECACHE_INTERNAL_H

#include <keel/compiler.h>
#include <keel/list.h>

#define PCE_DIRTY	0x1	/* newer than the backing store */
#define PCE_WMAPPED	0x2	/* a mapping may store to it: stays dirty */

struct pct {
	void *root;
	unsigned height;	/* levels; 0: empty */
};

/* The slot of @index (0 if empty), made with @create; NULL if absent or
 * out of memory. */
uint64_t *
pct_slot(struct pct *t, uint64_t index, bool create);
/* The first non-empty slot at index >= @from, its index in *at; or NULL. */
uint64_t *
pct_next(struct pct *t, uint64_t from, uint64_t *at);
/* Frees the nodes (the caller freed the pages). */
void
pct_destroy(struct pct *t);

/* One file's cache (pagecache.c). */
struct pcache {
	struct list_node node;		/* in the list of owned caches */
	const struct pcache_ops *ops;
	void *owner;			/* NULL once the file went (orphan) */
	struct pct tree;
	uint64_t npages;
	unsigned mapcount;		/* areas mapping it */
	uint64_t seq_next;		/* where a sequential read goes on */
};

#endif
