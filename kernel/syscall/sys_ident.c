/* Identity and limits: the application runs as root (uid and gid 0, and
 * may set them to 0), with the resource limits Linux gives a process by
 * default, recorded per limit; sysinfo and getrusage from the kernel's own
 * counters; the CPU affinity of a one-CPU machine; thread names (prctl). */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/pmm.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/uaccess.h>

#define RLIM_INFINITY	(~0ULL)
#define RLIMIT_NLIMITS	16
#define RLIMIT_STACK	3
#define RLIMIT_NOFILE	7
#define NOFILE_CUR	1024
#define NOFILE_MAX	4096
#define STACK_CUR	(8ULL << 20)
#define RUSAGE_SELF	0
#define RUSAGE_CHILDREN	(-1)
#define RUSAGE_THREAD	1
#define NR_CPUS		1
#define PAGE_BYTES	4096

struct rlimit_user {
	uint64_t cur, max;
};

static struct spinlock limits_lock = SPINLOCK_INIT_NAMED("rlimits");
static struct rlimit_user limits[RLIMIT_NLIMITS];
static bool limits_ready;

static void
limits_init(void)
{
	for (int i = 0; i < RLIMIT_NLIMITS; i++)
		limits[i] = (struct rlimit_user){ RLIM_INFINITY, RLIM_INFINITY };
	limits[RLIMIT_STACK].cur = STACK_CUR;
	limits[RLIMIT_NOFILE] = (struct rlimit_user){ NOFILE_CUR, NOFILE_MAX };
	limits_ready = true;
}

static long
zero_id(const struct syscall_args *args)
{
	(void)args;
	return 0;
}

long sys_getuid(const struct syscall_args *a) { return zero_id(a); }
long sys_geteuid(const struct syscall_args *a) { return zero_id(a); }
long sys_getgid(const struct syscall_args *a) { return zero_id(a); }
long sys_getegid(const struct syscall_args *a) { return zero_id(a); }

/* Root may become root: setuid/setgid to 0 succeed, anything else -EPERM
 * (there are no other users to become). */
long
sys_setuid(const struct syscall_args *args)
{
	return args->a[0] == 0 ? 0 : -EPERM;
}

long
sys_setgid(const struct syscall_args *args)
{
	return args->a[0] == 0 ? 0 : -EPERM;
}

long
sys_prlimit64(const struct syscall_args *args)
{
	long pid = (int)args->a[0], res = (unsigned int)args->a[1];
	struct rlimit_user new, old;

	if (pid != 0 && pid != 1)
		return -ESRCH;
	if (res < 0 || res >= RLIMIT_NLIMITS)
		return -EINVAL;
	if (args->a[2] && copy_from_user(&new, (const void __user *)args->a[2],
					 sizeof(new)))
		return -EFAULT;
	spin_lock(&limits_lock);
	if (!limits_ready)
		limits_init();
	old = limits[res];
	if (args->a[2] && new.cur <= new.max)
		limits[res] = new;
	spin_unlock(&limits_lock);
	if (args->a[2] && new.cur > new.max)
		return -EINVAL;
	if (args->a[3] && copy_to_user((void __user *)args->a[3], &old,
				       sizeof(old)))
		return -EFAULT;
	return 0;
}

long
sys_getrlimit(const struct syscall_args *args)
{
	struct syscall_args a = { { 0, args->a[0], 0, args->a[1], 0, 0 } };

	return sys_prlimit64(&a);
}

long
sys_setrlimit(const struct syscall_args *args)
{
	struct syscall_args a = { { 0, args->a[0], args->a[1], 0, 0, 0 } };

	return sys_prlimit64(&a);
}

long
sys_sched_getaffinity(const struct syscall_args *args)
{
	uint64_t mask = (1ULL << NR_CPUS) - 1;

	if (args->a[1] < sizeof(mask))
		return -EINVAL;
	if (copy_to_user((void __user *)args->a[2], &mask, sizeof(mask)))
		return -EFAULT;
	return sizeof(mask);	/* bytes written, as the raw call returns */
}

long
sys_sched_setaffinity(const struct syscall_args *args)
{
	uint64_t mask = 0;

	if (copy_from_user(&mask, (const void __user *)args->a[2],
			   MIN(args->a[1], sizeof(mask))))
		return -EFAULT;
	return mask & ((1ULL << NR_CPUS) - 1) ? 0 : -EINVAL;
}

struct sysinfo_user {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram;
	uint64_t totalswap, freeswap;
	uint16_t procs;
	uint16_t pad;
	uint32_t pad2;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

long
sys_sysinfo(const struct syscall_args *args)
{
	struct sysinfo_user si;

	memset(&si, 0, sizeof(si));
	si.uptime = (int64_t)(clock_monotonic_ns() / NSEC_PER_SEC);
	si.totalram = pmm_total_page_count();
	si.freeram = pmm_free_page_count();
	si.procs = 1;
	si.mem_unit = PAGE_BYTES;
	return copy_to_user((void __user *)args->a[0], &si, sizeof(si));
}

struct rusage_user {
	int64_t utime_sec, utime_usec, stime_sec, stime_usec;
	int64_t rest[14];
};

/* CPU time of the calling thread, or of the whole program (its threads
 * add up in the kernel's per-thread counters; exited ones are not kept,
 * so RUSAGE_SELF reports the caller's share). All of it counts as user
 * time: the application and the kernel share one CPU mode. */
long
sys_getrusage(const struct syscall_args *args)
{
	struct thread *t = thread_current();
	long who = (int)args->a[0];
	struct rusage_user ru;
	uint64_t ns;

	if (who != RUSAGE_SELF && who != RUSAGE_THREAD && who != RUSAGE_CHILDREN)
		return -EINVAL;
	memset(&ru, 0, sizeof(ru));
	ns = who == RUSAGE_CHILDREN ? 0 :
	     t->runtime_ns + clock_monotonic_ns() - t->switched_in_ns;
	ru.utime_sec = (int64_t)(ns / NSEC_PER_SEC);
	ru.utime_usec = (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
	return copy_to_user((void __user *)args->a[1], &ru, sizeof(ru));
}

#define PR_SET_NAME	15
#define PR_GET_NAME	16
#define TASK_COMM_LEN	16

/* prctl: the thread's name (what top and ps show on Linux). */
long
sys_prctl(const struct syscall_args *args)
{
	struct thread *t = thread_current();
	char name[TASK_COMM_LEN];

	switch (args->a[0]) {
	case PR_SET_NAME:
		if (copy_from_user(name, (const void __user *)args->a[1],
				   sizeof(name)))
			return -EFAULT;
		name[TASK_COMM_LEN - 1] = '\0';
		thread_set_name(t, name);
		return 0;
	case PR_GET_NAME:
		memset(name, 0, sizeof(name));
		strlcpy(name, thread_name(t), sizeof(name));
		return copy_to_user((void __user *)args->a[1], name, sizeof(name));
	}
	return -EINVAL;
}
