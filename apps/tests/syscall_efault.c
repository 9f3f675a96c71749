/* Every implemented system call that takes a pointer, given an unmapped
 * one, must fail with EFAULT and leave the kernel running. Prints KTAP
 * and exits with the number of failed cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define BAD	((void *)16)	/* page 0: never mapped */
#define FUTEX_WAKE_OP	5
#define FUTEX_OP_SET_1	0x00001000	/* FUTEX_OP(SET, 1, CMP_EQ, 0) */

static unsigned int futex_word;	/* a good uaddr beside a bad uaddr2 */

struct efault_case {
	const char *name;
	long nr;
	long a0, a1, a2, a3, a4, a5;
};

static const struct efault_case cases[] = {
	{ "write", SYS_write, 1, (long)BAD, 8 },
	{ "writev", SYS_writev, 1, (long)BAD, 1 },
	{ "uname", SYS_uname, (long)BAD, 0, 0 },
	{ "clock_gettime", SYS_clock_gettime, CLOCK_MONOTONIC, (long)BAD, 0 },
	{ "clock_getres", SYS_clock_getres, CLOCK_MONOTONIC, (long)BAD, 0 },
	{ "gettimeofday", SYS_gettimeofday, (long)BAD, 0, 0 },
	{ "time", SYS_time, (long)BAD, 0, 0 },
	{ "nanosleep", SYS_nanosleep, (long)BAD, 0, 0 },
	{ "clock_nanosleep", SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)BAD },
	{ "getrandom", SYS_getrandom, (long)BAD, 16, 0 },
	{ "arch_prctl_get_fs", SYS_arch_prctl, 0x1003, (long)BAD, 0 },
	{ "ioctl_tcgets", SYS_ioctl, 1, 0x5401, (long)BAD },
	{ "ioctl_tiocgwinsz", SYS_ioctl, 1, 0x5413, (long)BAD },
	{ "rt_sigaction_new", SYS_rt_sigaction, SIGUSR1, (long)BAD, 0, 8 },
	{ "rt_sigprocmask_set", SYS_rt_sigprocmask, 0, (long)BAD, 0, 8 },
	{ "sigaltstack", SYS_sigaltstack, (long)BAD, 0, 0 },
	{ "getrlimit", SYS_getrlimit, 7, (long)BAD, 0 },
	{ "setrlimit", SYS_setrlimit, 7, (long)BAD, 0 },
	{ "sched_getaffinity", SYS_sched_getaffinity, 0, 8, (long)BAD },
	{ "futex_wait", SYS_futex, (long)BAD, 0, 0 },
	{ "futex_wake_op_uaddr2", SYS_futex, (long)&futex_word, FUTEX_WAKE_OP,
	  1, 1, (long)BAD, FUTEX_OP_SET_1 },
	{ "statfs_path", SYS_statfs, (long)BAD, 0, 0 },
	{ "fstatfs_buf", SYS_fstatfs, 1, (long)BAD, 0 },
	{ "truncate_path", SYS_truncate, (long)BAD, 0, 0 },
	{ "chown_path", SYS_chown, (long)BAD, 0, 0 },
};

int
main(void)
{
	int n = sizeof(cases) / sizeof(cases[0]), failed = 0;

	printf("KTAP version 1\n1..%d\n", n);
	for (int i = 0; i < n; i++) {
		const struct efault_case *c = &cases[i];
		long r = syscall(c->nr, c->a0, c->a1, c->a2, c->a3, c->a4,
			    c->a5);
		int ok = r == -1 && errno == EFAULT;

		printf("%s %d %s", ok ? "ok" : "not ok", i + 1, c->name);
		if (!ok)
			printf(" # returned %ld, errno %d", r, errno);
		printf("\n");
		failed += !ok;
	}
	printf("# %d failed\n", failed);
	return failed;
}
