/* Shared by the waiting-for-readiness call families (sys_poll.c,
 * sys_epoll.c): timeouts and the temporary signal masks of ppoll,
 * pselect6 and epoll_pwait. */
#ifndef KEEL_SYS_POLL_H
#define KEEL_SYS_POLL_H

#include <keel/compiler.h>

/* When a wait ends: never (deadline WAIT_FOREVER), at once (@nowait), or
 * at monotonic @deadline_ns. */
struct wait_limit {
	uint64_t deadline_ns;
	bool nowait;
};

/* From a timeout in milliseconds, negative meaning none (poll, epoll). */
struct wait_limit
wait_limit_from_ms(long ms);
/* From a relative timeout in nanoseconds. */
struct wait_limit
wait_limit_from_ns(uint64_t ns);
/* From a relative timespec at user @uts (NULL: no limit). Returns 0,
 * -EFAULT or -EINVAL. */
int
wait_limit_from_timespec(uint64_t uts, struct wait_limit *l);
/* What is left of it, for the calls that write the timeout back. */
uint64_t
wait_limit_left_ns(const struct wait_limit *l);

/* Installs the signal mask at user @uset (@size bytes; 0: none) for the
 * wait, saving the old one in *@old. Returns 0, -EINVAL or -EFAULT. */
int
wait_sigmask_set(uint64_t uset, uint64_t size, uint64_t *old, bool *set);
void
wait_sigmask_restore(uint64_t old, bool set);

#endif
