/* Intrusive circular doubly-linked lists: a struct list_node embedded in
 * each element, a struct list_node as the head. O(1) insert and remove. */
#ifndef KEEL_LIST_H
#define KEEL_LIST_H

#include <keel/compiler.h>

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_INIT(name)	{ &(name), &(name) }

static inline void
list_init(struct list_node *head)
{
	head->next = head->prev = head;
}

static inline bool
list_empty(const struct list_node *head)
{
	return head->next == head;
}

static inline void
list_insert_between(struct list_node *n, struct list_node *prev,
		    struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

static inline void
list_push_back(struct list_node *head, struct list_node *n)
{
	list_insert_between(n, head->prev, head);
}

static inline void
list_push_front(struct list_node *head, struct list_node *n)
{
	list_insert_between(n, head, head->next);
}

/* Removes @n and leaves it self-linked, so a second remove is harmless. */
static inline void
list_remove(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

static inline bool
list_linked(const struct list_node *n)
{
	return n->next != n;
}

static inline struct list_node *
list_pop_front(struct list_node *head)
{
	struct list_node *n = head->next;

	if (n == head)
		return NULL;
	list_remove(n);
	return n;
}

#define list_entry(node, type, member)	container_of(node, type, member)

#define list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#endif
