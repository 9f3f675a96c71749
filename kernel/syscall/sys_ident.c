/* Identity and limits: the application runs as root (uid and gid 0, and
 * may set them to 0), with the resource limits Linux gives a process by
 * default, recorded per limit and changeable downwards or within the
 * hard limit; sysinfo and getrusage from the kernel's own counters;
 * the CPU affinity of a one-CPU machine. */
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
	long pid = (long)args->a[0], res = (long)args->a[1];
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
