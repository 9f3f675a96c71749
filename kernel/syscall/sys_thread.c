/* Thread and process control: clone for threads (the flag sets musl's and
 * glibc's pthread_create use; processes -- fork -- are not supported),
 * exit and exit_group, tid bookkeeping, sched_yield, arch_prctl (the FS
 * base; GS is the kernel's per-CPU pointer and stays so). */
#include <keel/arch.h>
#include <keel/arch_context.h>
#include <keel/exec.h>
#include <keel/futex.h>
#include <keel/heap.h>
#include <keel/errno.h>
#include <keel/shutdown.h>
#include <keel/sched.h>
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/uaccess.h>

#define ARCH_SET_GS		0x1001
#define ARCH_SET_FS		0x1002
#define ARCH_GET_FS		0x1003
#define ARCH_GET_GS		0x1004
#define EXIT_STATUS_MASK	0xff
#define ROBUST_LIST_HEAD_SIZE	24
#define CLONE_VM		0x00000100
#define CLONE_FS		0x00000200
#define CLONE_FILES		0x00000400
#define CLONE_SIGHAND		0x00000800
#define CLONE_THREAD		0x00010000
#define CLONE_SYSVSEM		0x00040000
#define CLONE_SETTLS		0x00080000
#define CLONE_PARENT_SETTID	0x00100000
#define CLONE_CHILD_CLEARTID	0x00200000
#define CLONE_DETACHED		0x00400000
#define CLONE_CHILD_SETTID	0x01000000
#define CLONE_THREAD_NEEDS	(CLONE_VM | CLONE_FS | CLONE_FILES | \
				 CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_KNOWN		(CLONE_THREAD_NEEDS | CLONE_SYSVSEM | \
				 CLONE_SETTLS | CLONE_PARENT_SETTID | \
				 CLONE_CHILD_CLEARTID | CLONE_DETACHED | \
				 CLONE_CHILD_SETTID)

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
	exec_power_off((int)(args->a[0] & EXIT_STATUS_MASK));
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
sys_set_robust_list(const struct syscall_args *args)
{
	if (args->a[1] != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	thread_current()->robust_list = args->a[0];
	return 0;
}

/* Clears the thread's tid word and wakes its waiters (pthread_join). */
static void
clear_child_tid(struct thread *t)
{
	uint32_t zero = 0;

	if (!t->clear_child_tid)
		return;
	if (copy_to_user((void __user *)t->clear_child_tid, &zero,
			 sizeof(zero)) == 0)
		futex_wake(t->clear_child_tid, 1, FUTEX_BITSET_ANY);
}

long
sys_exit(const struct syscall_args *args)
{
	int code = (int)(args->a[0] & EXIT_STATUS_MASK);

	/* Leave the live threads first: a joiner woken by the tid word
	 * must already find this id gone (tgkill -ESRCH). */
	exec_thread_exiting(code);
	clear_child_tid(thread_current());
	thread_exit(code);
}

/* The child's first code: its copy of the parent's frame, returned into. */
static void
clone_child_start(void *arg)
{
	struct syscall_frame f = *(struct syscall_frame *)arg;

	kfree(arg);
	arch_return_to_app(&f);
}

static int
clone_check_flags(uint64_t flags)
{
	if ((flags & CLONE_THREAD_NEEDS) != CLONE_THREAD_NEEDS)
		return -ENOSYS;		/* fork and friends: one process */
	if (flags & ~CLONE_KNOWN)
		return -EINVAL;
	return 0;
}

long
sys_clone(const struct syscall_args *args)
{
	uint64_t flags = args->a[0], newsp = args->a[1];
	struct thread *parent = thread_current(), *child;
	struct syscall_frame *f;
	int err = clone_check_flags(flags), tid;

	if (err)
		return err;
	f = kmalloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	*f = *parent->syscall_frame;
	f->rax = 0;			/* clone() returns 0 in the child */
	if (newsp)
		f->rsp = newsp;
	child = thread_new_app(parent->name, clone_child_start, f);
	if (IS_ERR(child)) {
		kfree(f);
		return PTR_ERR(child);
	}
	tid = child->linux_tid;
	child->fs_base = flags & CLONE_SETTLS ? args->a[4] : parent->fs_base;
	if (flags & CLONE_CHILD_CLEARTID)
		child->clear_child_tid = args->a[3];
	if (((flags & CLONE_PARENT_SETTID) &&
	     copy_to_user((void __user *)args->a[2], &tid, sizeof(tid))) ||
	    ((flags & CLONE_CHILD_SETTID) &&
	     copy_to_user((void __user *)args->a[3], &tid, sizeof(tid)))) {
		thread_discard_suspended(child);
		kfree(f);
		return -EFAULT;
	}
	exec_thread_start(child);
	return tid;
}
