# Sources of kernel/test.
KERNEL_SRCS += kernel/test/ktest.c
KERNEL_SRCS += kernel/test/fault_ktest.c kernel/test/time_ktest.c
