# Sources of kernel/sched.
KERNEL_SRCS += kernel/sched/clock.c
