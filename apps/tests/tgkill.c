/* tgkill and tkill aimed at the program's other threads: a live thread's
 * id works (signal 0 probes it, an ignored signal does nothing), an
 * unknown or exited one is ESRCH, a bad signal EINVAL. KTAP; exit status
 * is the number of failed cases. With the argument "terminate" it sends
 * SIGTERM to a sleeping thread instead: the default action must end the
 * whole program with 128 + 15. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ktap.h"

#define NO_SUCH_TID	99999
#define BAD_SIGNAL	65	/* one past the last real-time signal */

/* A thread that reports its id, then sleeps in read() until released. */
struct sleeper {
	pthread_t thread;
	int release[2];		/* a pipe: closing the write end frees it */
	int tid;
};

static long
sys_tgkill(int tgid, int tid, int sig)
{
	return syscall(SYS_tgkill, tgid, tid, sig);
}

static long
sys_tkill(int tid, int sig)
{
	return syscall(SYS_tkill, tid, sig);
}

static void *
sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	char c;

	__atomic_store_n(&s->tid, (int)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	while (read(s->release[0], &c, 1) > 0)
		;
	return NULL;
}

static int
sleeper_start(struct sleeper *s)
{
	s->tid = 0;
	if (pipe(s->release) || pthread_create(&s->thread, NULL, sleeper_main, s))
		return 0;
	while (!__atomic_load_n(&s->tid, __ATOMIC_SEQ_CST))
		sched_yield();
	return 1;
}

static void
sleeper_stop(struct sleeper *s)
{
	close(s->release[1]);
	pthread_join(s->thread, NULL);
	close(s->release[0]);
}

static int
fails_with(long r, int err)
{
	return r == -1 && errno == err;
}

static int
probe_finds_live_thread(const struct sleeper *s)
{
	return sys_tgkill(getpid(), s->tid, 0) == 0 &&
	       sys_tkill(s->tid, 0) == 0 &&
	       sys_tgkill(getpid(), (int)syscall(SYS_gettid), 0) == 0;
}

static int
ignored_signals_do_nothing(const struct sleeper *s)
{
	struct sigaction ign;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	if (sigaction(SIGUSR1, &ign, NULL))
		return 0;
	/* SIGUSR1 ignored by the program, SIGCHLD and SIGWINCH by default. */
	return sys_tgkill(getpid(), s->tid, SIGUSR1) == 0 &&
	       sys_tkill(s->tid, SIGCHLD) == 0 &&
	       sys_tgkill(getpid(), s->tid, SIGWINCH) == 0;
}

static int
bad_signal_is_einval(const struct sleeper *s)
{
	return fails_with(sys_tgkill(getpid(), s->tid, BAD_SIGNAL), EINVAL) &&
	       fails_with(sys_tkill(s->tid, -1), EINVAL);
}

static int
unknown_thread_is_esrch(void)
{
	return fails_with(sys_tgkill(getpid(), NO_SUCH_TID, 0), ESRCH) &&
	       fails_with(sys_tkill(NO_SUCH_TID, SIGUSR1), ESRCH) &&
	       /* no such thread wins over a bad signal, as on Linux */
	       fails_with(sys_tgkill(getpid(), NO_SUCH_TID, BAD_SIGNAL), ESRCH);
}

static int
bad_ids_are_refused(const struct sleeper *s)
{
	return fails_with(sys_tgkill(getpid() + 1, s->tid, 0), ESRCH) &&
	       fails_with(sys_tgkill(0, s->tid, 0), EINVAL) &&
	       fails_with(sys_tgkill(getpid(), 0, 0), EINVAL) &&
	       fails_with(sys_tkill(-1, 0), EINVAL);
}

/* Once joined, a thread's id names nobody. */
static int
exited_thread_is_esrch(void)
{
	struct sleeper s;
	int tid;

	if (!sleeper_start(&s))
		return 0;
	tid = s.tid;
	sleeper_stop(&s);
	return fails_with(sys_tgkill(getpid(), tid, 0), ESRCH) &&
	       fails_with(sys_tkill(tid, SIGUSR1), ESRCH);
}

static void
on_usr2(int sig)
{
	(void)sig;
}

/* Keel cannot run handlers yet: the signal is refused, never dropped. */
static int
handled_signal_is_refused(const struct sleeper *s)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	if (sigaction(SIGUSR2, &sa, NULL))
		return 0;
	return fails_with(sys_tgkill(getpid(), s->tid, SIGUSR2), ENOSYS);
}

static int
terminate_other_thread(void)
{
	struct sleeper s;

	if (!sleeper_start(&s))
		return 1;
	printf("tgkill: sending SIGTERM to thread %d\n", s.tid);
	fflush(stdout);
	sys_tgkill(getpid(), s.tid, SIGTERM);
	printf("tgkill: still running after SIGTERM: %s\n", strerror(errno));
	return 1;
}

int
main(int argc, char **argv)
{
	struct sleeper s;

	if (argc > 1 && strcmp(argv[1], "terminate") == 0)
		return terminate_other_thread();
	printf("KTAP version 1\n1..7\n");
	if (!sleeper_start(&s))
		return 1;
	report("probe_finds_live_thread", probe_finds_live_thread(&s));
	report("ignored_signals_do_nothing", ignored_signals_do_nothing(&s));
	report("bad_signal_is_einval", bad_signal_is_einval(&s));
	report("unknown_thread_is_esrch", unknown_thread_is_esrch());
	report("bad_ids_are_refused", bad_ids_are_refused(&s));
	report("exited_thread_is_esrch", exited_thread_is_esrch());
	report("handled_signal_is_refused", handled_signal_is_refused(&s));
	sleeper_stop(&s);
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
