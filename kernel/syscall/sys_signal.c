/* Signal state, recorded and answered as Linux would: rt_sigaction keeps
 * each signal's handler, flags and mask; rt_sigprocmask keeps the thread's
 * blocked set; sigaltstack its alternate stack. Nothing is delivered yet:
 * the kernel sends no signals and kill/tgkill are not supported. */
#include <keel/errno.h>
#include <keel/spinlock.h>
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/uaccess.h>

#define NSIG		64
#define SIGKILL		9
#define SIGSTOP		19
#define SIG_BLOCK	0
#define SIG_UNBLOCK	1
#define SIG_SETMASK	2
#define SIGSET_SIZE	8
#define SS_ONSTACK	1
#define SS_DISABLE	2
#define MINSIGSTKSZ	2048
#define UNBLOCKABLE	((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

struct sigaction_user {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct stack_user {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

static struct spinlock actions_lock = SPINLOCK_INIT_NAMED("sigactions");
static struct sigaction_user actions[NSIG];	/* one process: shared */

long
sys_rt_sigaction(const struct syscall_args *args)
{
	long sig = (long)args->a[0];
	struct sigaction_user new, old;

	if (args->a[3] != SIGSET_SIZE || sig < 1 || sig > NSIG)
		return -EINVAL;
	if (args->a[1]) {
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		if (copy_from_user(&new, (const void __user *)args->a[1],
				   sizeof(new)))
			return -EFAULT;
	}
	spin_lock(&actions_lock);
	old = actions[sig - 1];
	if (args->a[1])
		actions[sig - 1] = new;
	spin_unlock(&actions_lock);
	if (args->a[2] && copy_to_user((void __user *)args->a[2], &old,
				       sizeof(old)))
		return -EFAULT;
	return 0;
}

long
sys_rt_sigprocmask(const struct syscall_args *args)
{
	struct thread *t = thread_current();
	uint64_t set, old = t->sigmask;

	if (args->a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (args->a[1]) {
		if (copy_from_user(&set, (const void __user *)args->a[1],
				   sizeof(set)))
			return -EFAULT;
		switch (args->a[0]) {
		case SIG_BLOCK:	  t->sigmask |= set; break;
		case SIG_UNBLOCK: t->sigmask &= ~set; break;
		case SIG_SETMASK: t->sigmask = set; break;
		default:	  return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
	}
	if (args->a[2] && copy_to_user((void __user *)args->a[2], &old,
				       sizeof(old)))
		return -EFAULT;
	return 0;
}

long
sys_sigaltstack(const struct syscall_args *args)
{
	struct thread *t = thread_current();
	struct stack_user old = { t->altstack_sp, t->altstack_sp ? 0 : SS_DISABLE,
				  0, t->altstack_size }, ss;

	if (args->a[0]) {
		if (copy_from_user(&ss, (const void __user *)args->a[0], sizeof(ss)))
			return -EFAULT;
		if (ss.flags & ~(SS_DISABLE | SS_ONSTACK))
			return -EINVAL;
		if (ss.flags & SS_DISABLE) {
			t->altstack_sp = t->altstack_size = 0;
		} else {
			if (ss.size < MINSIGSTKSZ)
				return -ENOMEM;
			t->altstack_sp = ss.sp;
			t->altstack_size = ss.size;
		}
	}
	if (args->a[1] && copy_to_user((void __user *)args->a[1], &old,
				       sizeof(old)))
		return -EFAULT;
	return 0;
}
