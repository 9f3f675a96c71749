/* Thread and process control: sched_yield, arch_prctl (the FS base; GS is
 * the kernel's per-CPU pointer and stays so), exit_group. */
#include <keel/arch.h>
#include <keel/errno.h>
#include <keel/sched.h>
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/uaccess.h>

#define ARCH_SET_GS		0x1001
#define ARCH_SET_FS		0x1002
#define ARCH_GET_FS		0x1003
#define ARCH_GET_GS		0x1004
#define EXIT_STATUS_MASK	0xff

long
sys_sched_yield(const struct syscall_args *args)
{
	(void)args;
	sched_yield();
	return 0;
}

long
sys_arch_prctl(const struct syscall_args *args)
{
	uint64_t addr = args->a[1];

	switch (args->a[0]) {
	case ARCH_SET_FS:
		if (!user_range_ok(addr, 1) && addr != 0)
			return -EPERM;	/* Linux: non-canonical or kernel */
		thread_set_fs_base(addr);
		return 0;
	case ARCH_GET_FS:
		return copy_to_user((void __user *)addr,
				    &thread_current()->fs_base, sizeof(uint64_t));
	case ARCH_SET_GS:
	case ARCH_GET_GS:
		return -EINVAL;	/* GS holds the kernel's per-CPU data */
	}
	return -EINVAL;
}

long
sys_exit_group(const struct syscall_args *args)
{
	arch_power_off((int)(args->a[0] & EXIT_STATUS_MASK));
}

long
sys_gettid(const struct syscall_args *args)
{
	(void)args;
	return thread_current()->linux_tid;
}

/* Remembers where to clear (and futex-wake, once futexes exist) the
 * thread id at exit; returns the caller's id. */
long
sys_set_tid_address(const struct syscall_args *args)
{
	struct thread *t = thread_current();

	t->clear_child_tid = args->a[0];
	return t->linux_tid;
}

long
sys_exit(const struct syscall_args *args)
{
	thread_exit((int)(args->a[0] & EXIT_STATUS_MASK));
}
