/* Kernel threads: each with its own kernel stack (guard page below), FPU
 * state and FS base. Created, joined or detached, named for reports. The
 * application's threads will be these same threads. */
#ifndef KEEL_THREAD_H
#define KEEL_THREAD_H

#include <keel/err.h>
#include <keel/list.h>
#include <keel/lockdep.h>
#include <keel/timer.h>
#include <keel/waitq.h>

#define THREAD_NAME_MAX		32
#define THREAD_STACK_SIZE	(16 * 1024)

enum thread_state {
	THREAD_READY,		/* on a run queue */
	THREAD_RUNNING,		/* some CPU's current */
	THREAD_BLOCKED,		/* waiting: on a wait queue and/or a timer */
	THREAD_DEAD,		/* exited, not yet joined or reaped */
};

struct vnode;
/* Path lookups one system call holds (rename and link make two). */
#define THREAD_CALL_HOLDS	4

struct thread {
	uint64_t saved_rsp;		/* first: switch.S saves rsp here */
	char name[THREAD_NAME_MAX];
	int tid;
	int linux_tid;			/* application threads: gettid() */
	uint64_t clear_child_tid;	/* set_tid_address(), app pointer */
	uint64_t robust_list;		/* set_robust_list(), app pointer */
	uint64_t sigmask;		/* blocked signals (rt_sigprocmask) */
	uint64_t altstack_sp, altstack_size;	/* sigaltstack() */
	struct list_node app_node;	/* among the application's live threads */
	struct syscall_frame *syscall_frame;	/* in a system call: its frame */
	struct vnode *call_holds[THREAD_CALL_HOLDS];	/* vnodes a system call
						   looked up, held until it returns */
	uint8_t call_nholds;
	uint64_t futex_addr;		/* waiting in futex(): the word */
	uint32_t futex_bitset;		/* and which wake-ups match */
	enum thread_state state;
	struct cpu *cpu;		/* the CPU whose queues it is on */
	bool on_cpu;			/* still running on its stack */
	struct list_node rq_node;	/* on cpu->runq while READY */
	struct list_node wait_node;	/* on a waitq while BLOCKED */
	struct waitq *waiting_on;	/* that waitq, for timeouts */
	int wake_result;		/* 0, or -ETIMEDOUT from the timer */
	struct timer wake_timer;	/* timeouts of blocking calls */
	uint64_t kstack_lo, kstack_hi;	/* guard page is just below lo */
	void (*entry)(void *);
	void *arg;
	int exit_code;
	bool detached;
	struct waitq joiners;		/* woken at exit */
	void *fpu_state;		/* XSAVE area (aligned), or NULL */
	void *fpu_alloc;		/* what kmalloc returned for it */
	uint64_t fs_base;		/* what FS holds while it runs */
	uint64_t runtime_ns;		/* CPU time used */
	uint64_t switched_in_ns;
	struct lockdep_held held;	/* locks held, for the debug checks */
};

/* Thread flags. */
#define THREAD_USES_FPU	(1u << 0)	/* has FPU/SSE/AVX state to keep */

/* Creates a READY thread running @fn(@arg). Kernel threads never touch the
 * FPU; application threads (and tests that use vector registers) pass
 * THREAD_USES_FPU. Returns the thread or ERR_PTR(-ENOMEM). May sleep. */
struct thread *
thread_create_flags(const char *name, void (*fn)(void *), void *arg,
		    unsigned flags);
static inline struct thread *
thread_create(const char *name, void (*fn)(void *), void *arg)
{
	return thread_create_flags(name, fn, arg, 0);
}

/* Two-step creation, for callers that must finish setting a thread up
 * (or give up) before it may run: _suspended returns it off every run
 * queue; thread_start_suspended() makes it ready; thread_discard_suspended()
 * frees one that never ran. */
struct thread *
thread_create_suspended(const char *name, void (*fn)(void *), void *arg,
			unsigned flags);
void
thread_start_suspended(struct thread *t);
void
thread_discard_suspended(struct thread *t);

/* Sets the calling thread's FS base (its TLS pointer), register and all. */
void
thread_set_fs_base(uint64_t base);

/* Ends the calling thread with @code; a joiner receives it. */
void
thread_exit(int code) __noreturn;

/* Waits for @t to exit, stores its code in @code (may be NULL), frees it.
 * Returns 0, -EINVAL (detached, or the caller itself), or -ETIMEDOUT. */
int
thread_join(struct thread *t, int *code, uint64_t deadline_ns);

/* @t frees itself at exit (now if it has exited). Returns 0 or -EINVAL. */
int
thread_detach(struct thread *t);

struct thread *
thread_current(void);
void
thread_set_name(struct thread *t, const char *name);
const char *
thread_name(const struct thread *t);

/* The thread whose stack guard holds @addr, if it is the current one;
 * for the page-fault report of a stack overflow. */
bool
thread_addr_in_guard(const struct thread *t, uint64_t addr);

#endif
