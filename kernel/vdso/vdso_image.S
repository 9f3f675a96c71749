/* The vDSO shared object (built from vdso.c by the Makefile), embedded in
 * the kernel image on whole pages so they can be mapped into the
 * application as they are. */
	.section .rodata.vdso, "a"
	.balign	4096
	.globl	vdso_image_start, vdso_image_end
vdso_image_start:
	.incbin	VDSO_SO
vdso_image_end:
	.balign	4096
