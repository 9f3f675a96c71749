# Sources of kernel/lib.
KERNEL_SRCS += kernel/lib/printk.c
KERNEL_SRCS += kernel/lib/string.c kernel/lib/vsnprintf.c kernel/lib/cmdline.c
KERNEL_SRCS += kernel/lib/ksyms.c kernel/lib/panic.c kernel/lib/stack_protector.c
KERNEL_SRCS += kernel/lib/shutdown.c
KERNEL_SRCS += kernel/lib/crc32.c
