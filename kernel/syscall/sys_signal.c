/* Signal state, recorded and answered as Linux would: rt_sigaction keeps
 * each signal's handler, flags and mask; rt_sigprocmask keeps the thread's
 * blocked set; sigaltstack its alternate stack. A signal sent to any live
 * thread of the program (tgkill, tkill; raise and abort included; and a
 * write to a pipe without readers: SIGPIPE, see sys_fs.c) takes its
 * default action -- ignore, or end the program with 128 + signo; running
 * handlers (delivery) is not supported yet. */
#include <keel/arch.h>
#include <keel/errno.h>
#include <keel/exec.h>
#include <keel/printk.h>
#include <keel/shutdown.h>
#include <keel/spinlock.h>
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/uaccess.h>
#include "sys_signal.h"

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
#define SIGCHLD		17
#define SIGCONT		18
#define SIGTSTP		20
#define SIGTTIN		21
#define SIGTTOU		22
#define SIGURG		23
#define SIGWINCH	28
#define SIG_DFL_VALUE	0
#define SIG_IGN_VALUE	1
#define SIGNAL_EXIT_BASE	128
#define KEEL_PID	1

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
	long sig = (int)args->a[0];
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

/* The action a signal takes when it reaches a thread: Linux's defaults
 * where the program set none. Handlers cannot be run yet, so a signal
 * with a handler is refused (-ENOSYS) rather than silently dropped. */
static bool
sig_default_ignored(long sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG ||
	       sig == SIGWINCH;
}

/* Default action "stop": one process with no parent to resume it. */
static bool
sig_default_stops(long sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/* Takes @sig's action for the whole program: which thread it was sent to
 * does not matter while no handler runs (the mask is not consulted, as
 * for a self-signal: a blocked signal would be delivered on unblocking). */
long
signal_raise_self(long sig)
{
	uint64_t handler;

	if (sig == 0)
		return 0;		/* a probe: the thread exists */
	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	spin_lock(&actions_lock);
	handler = actions[sig - 1].handler;
	spin_unlock(&actions_lock);
	if (handler == SIG_IGN_VALUE ||
	    (handler == SIG_DFL_VALUE && sig_default_ignored(sig)))
		return 0;
	if (handler != SIG_DFL_VALUE)
		return -ENOSYS;		/* handlers are not delivered yet */
	if (sig_default_stops(sig))
		return -ENOSYS;		/* no job control: nothing to stop for */
	printk("keel: program killed by signal %ld\n", sig);
	kernel_shutdown(SIGNAL_EXIT_BASE + (int)sig);
}

/* tgkill/tkill to one of the program's live threads: an unknown id is
 * -ESRCH before the signal number is looked at, as on Linux. Ids and
 * signal numbers are C ints in Linux's prototypes: upper bits ignored. */
static long
signal_to_thread(int tid, int sig)
{
	if (tid <= 0)
		return -EINVAL;
	if (tid != thread_current()->linux_tid && !exec_tid_alive(tid))
		return -ESRCH;
	return signal_raise_self(sig);
}

long
sys_tgkill(const struct syscall_args *args)
{
	int tgid = (int)args->a[0];

	if (tgid <= 0)
		return -EINVAL;
	if (tgid != KEEL_PID)
		return -ESRCH;
	return signal_to_thread((int)args->a[1], (int)args->a[2]);
}

long
sys_tkill(const struct syscall_args *args)
{
	return signal_to_thread((int)args->a[0], (int)args->a[1]);
}
