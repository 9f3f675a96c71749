/* Identity and system information: getpid/getppid (one process, pid 1,
 * like a container's first process), uname, and getrandom from the CPU's
 * random source. */
#include <keel/errno.h>
#include <keel/random.h>
#include <keel/string.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>

#define KEEL_PID		1
#define UTS_FIELD		65
#define GRND_NONBLOCK		0x1
#define GRND_RANDOM		0x2
#define GRND_INSECURE		0x4
#define GETRANDOM_MAX		(32 * 1024 * 1024)	/* Linux's cap */

struct utsname_user {
	char sysname[UTS_FIELD];
	char nodename[UTS_FIELD];
	char release[UTS_FIELD];
	char version[UTS_FIELD];
	char machine[UTS_FIELD];
	char domainname[UTS_FIELD];
};

long
sys_getpid(const struct syscall_args *args)
{
	(void)args;
	return KEEL_PID;
}

long
sys_getppid(const struct syscall_args *args)
{
	(void)args;
	return 0;	/* started by the kernel, as init is */
}

long
sys_uname(const struct syscall_args *args)
{
	struct utsname_user u;

	memset(&u, 0, sizeof(u));
	/* "Linux" and a 6.x release: libcs check both before running. */
	strlcpy(u.sysname, "Linux", UTS_FIELD);
	strlcpy(u.nodename, "keel", UTS_FIELD);
	strlcpy(u.release, "6.1.0-keel", UTS_FIELD);
	strlcpy(u.version, "#1 SMP Keel", UTS_FIELD);
	strlcpy(u.machine, "x86_64", UTS_FIELD);
	strlcpy(u.domainname, "(none)", UTS_FIELD);
	return copy_to_user((void __user *)args->a[0], &u, sizeof(u));
}

long
sys_getrandom(const struct syscall_args *args)
{
	char __user *buf = (char __user *)args->a[0];
	size_t len = MIN(args->a[1], (uint64_t)GETRANDOM_MAX), done = 0;

	if (args->a[2] & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	while (done < len) {
		uint64_t r = random_early_u64();
		size_t n = MIN(len - done, sizeof(r));

		if (copy_to_user(buf + done, &r, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}
