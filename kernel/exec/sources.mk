# Program loading: ELF validation and the initramfs (cpio newc) reader.
KERNEL_SRCS += kernel/exec/elf_parse.c kernel/exec/cpio.c
