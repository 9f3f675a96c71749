/* The vDSO: present (AT_SYSINFO_EHDR), and telling the same time as the
 * system calls -- monotonic never going back across the two paths,
 * realtime agreeing with time() and gettimeofday(). KTAP; exit status is
 * the number of failed cases. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "ktap.h"

#define ROUNDS		1000
#define NSEC		1000000000L
#define SLACK_NS	(50 * 1000000L)


static long
ns_of(const struct timespec *t)
{
	return t->tv_sec * NSEC + t->tv_nsec;
}

static int
monotonic_agrees_with_syscall(void)
{
	struct timespec a, b;

	for (int i = 0; i < ROUNDS; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
		if (ns_of(&b) < ns_of(&a))
			return 0;	/* the kernel saw an earlier time */
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (ns_of(&a) < ns_of(&b))
			return 0;	/* the vDSO went back */
	}
	return 1;
}

static int
realtime_agrees(void)
{
	struct timespec ts, ks;
	struct timeval tv;
	time_t t = time(NULL);

	clock_gettime(CLOCK_REALTIME, &ts);
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &ks);
	gettimeofday(&tv, NULL);
	return ts.tv_sec - t <= 1 && ns_of(&ks) - ns_of(&ts) < SLACK_NS &&
	       tv.tv_sec - ts.tv_sec <= 1 && ts.tv_sec > 1700000000;
}

int
main(void)
{
	printf("KTAP version 1\n1..3\n");
	report("vdso_mapped", getauxval(AT_SYSINFO_EHDR) != 0);
	report("monotonic_agrees_with_syscall", monotonic_agrees_with_syscall());
	report("realtime_agrees", realtime_agrees());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
