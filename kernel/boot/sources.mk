# Sources of kernel/boot.
KERNEL_SRCS += kernel/boot/common.c kernel/boot/pvh.c kernel/boot/multiboot2.c
