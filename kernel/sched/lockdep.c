/* Lock-order checking (KEEL_DEBUG_LOCKS builds): every "held A, then took
 * B" pair is remembered; taking A while holding B afterwards is reported
 * as an inversion -- a deadlock waiting for the right interleaving -- with
 * both locks' names. Locks are told apart by address. */
#include <keel/arch.h>
#include <keel/lockdep.h>
#include <keel/panic.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/spinlock_raw.h>
#include <keel/thread.h>

#ifdef KEEL_DEBUG_LOCKS

#define LOCKDEP_EDGES		1024	/* remembered pairs (open hashing) */

struct lockdep_edge {
	const void *from, *to;
};

static struct {
	struct raw_spinlock lock;
	struct lockdep_edge edges[LOCKDEP_EDGES];
	unsigned nedges;
	bool full_reported;
} dep = { .lock = RAW_SPINLOCK_INIT };

static unsigned
edge_slot(const void *from, const void *to)
{
	uint64_t h = (uint64_t)from * 0x9e3779b97f4a7c15ULL ^ (uint64_t)to;

	return (unsigned)(h >> 32) % LOCKDEP_EDGES;
}

/* Finds from->to, or the empty slot where it would go (NULL if full). */
static struct lockdep_edge *
edge_find(const void *from, const void *to)
{
	unsigned i = edge_slot(from, to);

	for (unsigned n = 0; n < LOCKDEP_EDGES; n++, i = (i + 1) % LOCKDEP_EDGES) {
		struct lockdep_edge *e = &dep.edges[i];

		if (!e->from || (e->from == from && e->to == to))
			return e;
	}
	return NULL;
}

static bool
edge_exists(const void *from, const void *to)
{
	struct lockdep_edge *e = edge_find(from, to);

	return e && e->from;
}

static void
edge_add(const void *from, const void *to)
{
	struct lockdep_edge *e = edge_find(from, to);

	if (e && !e->from && dep.nedges < LOCKDEP_EDGES - 1) {
		e->from = from;
		e->to = to;
		dep.nedges++;
	} else if (!e || !e->from) {
		if (!dep.full_reported)
			printk("lockdep: order table full; checking stops "
			       "learning new pairs\n");
		dep.full_reported = true;
	}
}

static const char *
name_or(const char *name)
{
	return name ? name : "unnamed";
}

void
lockdep_acquire(const void *lock, const char *name)
{
	struct thread *t = this_cpu()->current;
	struct lockdep_held *h = &t->held;
	unsigned long flags = arch_irq_save();

	raw_spin_lock(&dep.lock);
	for (int i = 0; i < h->depth; i++) {
		if (h->locks[i] == lock)
			continue;	/* recursion is the lock's own business */
		if (edge_exists(lock, h->locks[i])) {
			raw_spin_unlock(&dep.lock);
			panic("lock order inversion in thread '%s': taking %s "
			      "(%p) while holding %s (%p), but %s was taken "
			      "while holding %s before", t->name, name_or(name),
			      lock, name_or(h->names[i]), h->locks[i],
			      name_or(h->names[i]), name_or(name));
		}
		edge_add(h->locks[i], lock);
	}
	raw_spin_unlock(&dep.lock);
	if (h->depth < LOCKDEP_MAX_HELD) {
		h->locks[h->depth] = lock;
		h->names[h->depth] = name;
	}
	h->depth++;
	arch_irq_restore(flags);
}

void
lockdep_release(const void *lock)
{
	struct lockdep_held *h = &this_cpu()->current->held;
	int n = MIN(h->depth, LOCKDEP_MAX_HELD);

	/* Usually the innermost; search, since unlock order may differ. */
	for (int i = n - 1; i >= 0; i--) {
		if (h->locks[i] != lock)
			continue;
		for (int j = i; j < n - 1; j++) {
			h->locks[j] = h->locks[j + 1];
			h->names[j] = h->names[j + 1];
		}
		break;
	}
	if (h->depth > 0)
		h->depth--;
}

#endif /* KEEL_DEBUG_LOCKS */
