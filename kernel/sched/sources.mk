# Sources of kernel/sched.
KERNEL_SRCS += kernel/sched/clock.c kernel/sched/percpu.c \
	kernel/sched/timerq.c kernel/sched/runq.c kernel/sched/timer.c kernel/sched/sched.c \
	kernel/sched/thread.c kernel/sched/wait.c kernel/sched/mutex.c \
	kernel/sched/condvar.c kernel/sched/semaphore.c kernel/sched/lockdep.c \
	kernel/sched/futex.c
KERNEL_SRCS += kernel/sched/timer_ktest.c kernel/sched/sched_ktest.c kernel/sched/sync_ktest.c \
	kernel/sched/sched_bench.c kernel/sched/fpu_threads_ktest.c
