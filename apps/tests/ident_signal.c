/* Identity, limits and recorded signal state, case by case as KTAP; exit
 * status is the number of failed cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include "ktap.h"


static void
on_usr1(int sig)
{
	(void)sig;
}

static int
sigaction_round_trip(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaddset(&sa.sa_mask, SIGUSR2);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGUSR1, NULL, &old))
		return 0;
	return old.sa_handler == on_usr1 && (old.sa_flags & SA_RESTART) &&
	       sigismember(&old.sa_mask, SIGUSR2) &&
	       sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL;
}

static int
sigprocmask_round_trip(void)
{
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGKILL);
	if (sigprocmask(SIG_BLOCK, &set, NULL) ||
	    sigprocmask(SIG_SETMASK, NULL, &old))
		return 0;
	return sigismember(&old, SIGUSR1) && !sigismember(&old, SIGKILL) &&
	       sigprocmask(SIG_UNBLOCK, &set, &old) == 0;
}

static int
limits_round_trip(void)
{
	struct rlimit r, low = { 256, 4096 };

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur != 1024 ||
	    r.rlim_max != 4096)
		return 0;
	if (setrlimit(RLIMIT_NOFILE, &low) || getrlimit(RLIMIT_NOFILE, &r))
		return 0;
	return r.rlim_cur == 256;
}

static int
altstack_round_trip(void)
{
	static char stack[1 << 16];
	stack_t ss = { .ss_sp = stack, .ss_size = sizeof(stack) }, old;

	if (sigaltstack(&ss, NULL) || sigaltstack(NULL, &old))
		return 0;
	return old.ss_sp == stack && old.ss_size == sizeof(stack);
}

static int
names_and_info(void)
{
	char name[16] = "";
	struct sysinfo si;
	struct rusage ru;

	if (prctl(PR_SET_NAME, "worker-1") || prctl(PR_GET_NAME, name))
		return 0;
	if (sysinfo(&si) || si.totalram == 0 || si.freeram > si.totalram)
		return 0;
	return strcmp(name, "worker-1") == 0 && getrusage(RUSAGE_SELF, &ru) == 0;
}

/* Linux reads int arguments from the low half of the register only:
 * callers may leave anything above (glibc zero-extends AT_FDCWD). */
static int
int_arguments_use_the_low_half(void)
{
	const long high = 0x5a5a5a5a00000000L;
	struct rusage ru;
	struct timespec ts;
	struct rlimit r;
	char old[32];
	void *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	return page != MAP_FAILED &&
	       syscall(SYS_getrusage, high | (unsigned)RUSAGE_CHILDREN, &ru) == 0 &&
	       syscall(SYS_clock_gettime, high | CLOCK_MONOTONIC, &ts) == 0 &&
	       syscall(SYS_rt_sigaction, high | SIGUSR1, NULL, old, 8) == 0 &&
	       syscall(SYS_prlimit64, high, high | RLIMIT_NOFILE, NULL, &r) == 0 &&
	       syscall(SYS_madvise, page, 4096, high | MADV_NORMAL) == 0 &&
	       munmap(page, 4096) == 0;
}

int
main(void)
{
	cpu_set_t cpus;

	printf("KTAP version 1\n1..10\n");
	report("root_ids", getuid() == 0 && geteuid() == 0 && getgid() == 0 &&
	       getegid() == 0);
	report("setuid_zero_only", setuid(0) == 0 &&
	       setuid(1000) == -1 && errno == EPERM);
	report("limits_round_trip", limits_round_trip());
	report("sigaction_round_trip", sigaction_round_trip());
	report("sigprocmask_round_trip", sigprocmask_round_trip());
	report("altstack_round_trip", altstack_round_trip());
	report("one_cpu", sched_getaffinity(0, sizeof(cpus), &cpus) == 0 &&
	       CPU_COUNT(&cpus) == 1);
	report("names_and_info", names_and_info());
	report("default_ignored_signal_to_self", raise(SIGCHLD) == 0);
	report("int_arguments_use_the_low_half",
	       int_arguments_use_the_low_half());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
