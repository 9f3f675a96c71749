/* Readiness of open files, for poll/select/epoll and blocking waits: a
 * pollable object (pipe, eventfd, timerfd, epoll, later a socket) keeps a
 * pollq and calls pollq_notify() when its state changes; waiters hang a
 * poll_watch on it and re-ask the object (file_poll) when called back. */
#ifndef KEEL_POLL_H
#define KEEL_POLL_H

#include <keel/list.h>

/* Event bits (Linux values; poll(2)'s POLL* are the same numbers). */
#define EPOLLIN		0x001
#define EPOLLPRI	0x002
#define EPOLLOUT	0x004
#define EPOLLERR	0x008
#define EPOLLHUP	0x010
#define EPOLLNVAL	0x020
#define EPOLLRDNORM	0x040
#define EPOLLRDBAND	0x080
#define EPOLLWRNORM	0x100
#define EPOLLWRBAND	0x200
#define EPOLLMSG	0x400
#define EPOLLRDHUP	0x2000

/* What a file that never blocks (a regular file, a directory, a device
 * without a poll operation) reports, as Linux's DEFAULT_POLLMASK. */
#define POLL_DEFAULT_MASK	(EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM)
/* Reported whether asked for or not. */
#define POLL_ALWAYS_MASK	(EPOLLERR | EPOLLHUP)

/* The watchers of one object. Guarded by one global lock (poll.c), so a
 * callback never races with its watch being removed. */
struct pollq {
	struct list_node watches;	/* struct poll_watch.node */
};

struct poll_watch;
/* Called with the global poll lock held, interrupts off, possibly from
 * interrupt context (timers): must not sleep. @events hints at what
 * changed (0: anything). */
typedef void (*poll_wake_fn)(struct poll_watch *w, uint32_t events);

struct poll_watch {
	struct list_node node;	/* on pq->watches while registered */
	struct pollq *pq;	/* NULL when not registered */
	poll_wake_fn fn;
};

void
pollq_init(struct pollq *pq);
/* Calls every watcher of @pq. Caller holds no spinlock (the global poll
 * lock is taken inside); any context. */
void
pollq_notify(struct pollq *pq, uint32_t events);
/* The same from inside a wake function (the lock is already held). */
void
pollq_notify_locked(struct pollq *pq, uint32_t events);

void
poll_watch_init(struct poll_watch *w, poll_wake_fn fn);
/* Unregisters @w if registered; after it returns @w's function is not
 * running and will not run. Caller holds no spinlock. */
void
poll_watch_remove(struct poll_watch *w);

struct file;
/* The EPOLL* events @f has now. With @w, first registers @w on @f's
 * object so that no change after the answer is missed (files that never
 * change state take no watch). Never sleeps; holds no lock on return. */
uint32_t
file_poll(struct file *f, struct poll_watch *w);
/* True if @f's object reports readiness changes (epoll accepts it). */
bool
file_pollable(const struct file *f);

/* One file of a poll()/select() call. */
struct poll_entry {
	struct file *file;	/* NULL: skipped, revents left alone */
	uint32_t events;	/* what counts as ready (add POLL_ALWAYS_MASK
				 * for poll()'s errors and hang-ups) */
	uint32_t revents;	/* answered */
	struct poll_watch watch;
	struct poll_waiter *waiter;
};

/* Waits until one of @n entries is ready or monotonic @deadline_ns
 * passes (WAIT_FOREVER: never; @nowait: only look). Returns how many
 * entries have revents, 0 on timeout, or -ENOMEM. May sleep. */
long
poll_files(struct poll_entry *e, size_t n, uint64_t deadline_ns, bool nowait);

#endif

/* The event files (anonymous: no name, no S_IFMT type), made by their
 * system calls and read, written and polled as any open file. */

/* epoll (fs/epoll.c). Control bits of epoll_event.events: */
#define EPOLLEXCLUSIVE	(1u << 28)
#define EPOLLWAKEUP	(1u << 29)
#define EPOLLONESHOT	(1u << 30)
#define EPOLLET		(1u << 31)
#define EPOLL_CTL_ADD	1
#define EPOLL_CTL_DEL	2
#define EPOLL_CTL_MOD	3

/* struct epoll_event as x86_64 Linux lays it out (packed, 12 bytes). */
struct epoll_event_k {
	uint32_t events;
	uint64_t data;
} __packed;
_Static_assert(sizeof(struct epoll_event_k) == 12, "x86_64 epoll_event");

/* A new epoll file with O_RDWR | @oflags, or ERR_PTR(-ENOMEM). */
struct file *
epoll_create_file(int oflags);
bool
file_is_epoll(const struct file *f);
/* EPOLL_CTL_* on @epf for @target, known to the program as @fd (the
 * caller holds references on both). 0 or -EEXIST, -ENOENT, -EPERM
 * (cannot be polled), -EINVAL, -ELOOP, -ENOMEM. May sleep. */
int
epoll_ctl_file(struct file *epf, int op, int fd, struct file *target,
	       const struct epoll_event_k *ev);
/* Up to @max ready events into @out, waiting as poll_files() does.
 * Returns how many (0 on timeout). May sleep. */
long
epoll_wait_file(struct file *epf, struct epoll_event_k *out, int max,
		uint64_t deadline_ns, bool nowait);

/* eventfd (fs/eventfd.c): a 64-bit counter. @oflags: O_NONBLOCK. */
#define EVENTFD_SEMAPHORE	1
struct file *
eventfd_create_file(uint64_t initval, bool semaphore, int oflags);

/* timerfd (fs/timerfd.c). @clock is CLOCK_REALTIME, _MONOTONIC or
 * _BOOTTIME (checked by the caller). Times are nanoseconds. */
#define TIMERFD_ABSTIME		1
struct timerfd_spec {
	uint64_t value_ns;	/* first expiry: relative, or absolute on
				 * the clock with TIMERFD_ABSTIME; 0 disarms */
	uint64_t interval_ns;	/* then every this often; 0: once */
};
struct file *
timerfd_create_file(int clock, int oflags);
bool
file_is_timerfd(const struct file *f);
/* Arms or disarms; *@old gets the previous setting (relative). */
int
timerfd_settime_file(struct file *f, int flags,
		     const struct timerfd_spec *spec, struct timerfd_spec *old);
void
timerfd_gettime_file(struct file *f, struct timerfd_spec *cur);
