# Program loading: ELF validation and the initramfs (cpio newc) reader.
KERNEL_SRCS += kernel/exec/elf_parse.c kernel/exec/cpio.c
KERNEL_SRCS += kernel/exec/user_map.c kernel/exec/exec.c kernel/exec/exec_stack.c
