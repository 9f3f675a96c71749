# The vDSO: the shared object itself is built for user space by the rules
# in the top-level Makefile and embedded by vdso_image.S.
KERNEL_SRCS += kernel/vdso/vdso_map.c kernel/vdso/vdso_image.S
