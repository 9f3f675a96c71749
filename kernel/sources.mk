# The kernel's source lists, one file per subsystem, in boot order.
include kernel/arch/x86_64/sources.mk
include kernel/boot/sources.mk
include kernel/lib/sources.mk
include kernel/mm/sources.mk
include kernel/drivers/sources.mk
include kernel/sched/sources.mk
include kernel/fs/sources.mk
include kernel/exec/sources.mk
include kernel/syscall/sources.mk
include kernel/vdso/sources.mk
include kernel/test/sources.mk
KERNEL_SRCS += kernel/main.c
