/*
 * The boot-time floor: the smallest guest QEMU can boot through PVH.
 * Its 32-bit entry (protected mode, paging off, as PVH defines it) writes
 * one byte to COM1 and status 0 to isa-debug-exit, so QEMU exits at once
 * with code 1. bench_boot.py compares Keel's whole-process boot against it.
 */
	.code32
	.section .text, "ax"
	.globl floor_start
floor_start:
	movw	$0x3f8, %dx		/* COM1 data register */
	movb	$'.', %al
	outb	%al, %dx
	movw	$0xf4, %dx		/* isa-debug-exit, iosize=4 */
	xorl	%eax, %eax
	outl	%eax, %dx
1:	cli
	hlt
	jmp	1b

/* XEN_ELFNOTE_PHYS32_ENTRY (type 18): the physical 32-bit entry point. */
	.section .note.Xen, "a", @note
	.balign	4
	.long	4			/* namesz: "Xen\0" */
	.long	4			/* descsz */
	.long	18			/* type */
	.asciz	"Xen"
	.balign	4
	.long	floor_start
	.balign	4
