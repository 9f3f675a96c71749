/* Interrupt and exception entry: 256 fixed-size entry points that push a vector
 * (and a zero where the CPU pushes no error code), then one common path that
 * saves the registers as a struct trap_frame, moves it to the thread's
 * kernel stack and calls trap_dispatch(). */

#define ISR_ENTRY_ALIGN 16
/* Vectors for which the CPU pushes an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		    (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.balign ISR_ENTRY_ALIGN
	.globl	isr_entries
isr_entries:
	vec = 0
	.rept	256
	.balign	ISR_ENTRY_ALIGN
	.if	HAS_ERR(vec) == 0
	pushq	$0
	.endif
	pushq	$vec
	jmp	isr_common
	vec = vec + 1
	.endr

isr_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	cld
	/* Leave the IST stack for the current thread's kernel stack (see
	 * trap_entry_stack): the frame is copied there, so a handler may
	 * switch threads and the IST stack is free for the next trap. */
	movq	%rsp, %rdi
	call	trap_entry_stack
	movq	%rax, %rsp
	movq	%rsp, %rdi
	/* A frame record linking to the interrupted code, so backtraces
	 * through an interrupt reach the code it interrupted. */
	pushq	120 + 16(%rsp)		/* rip */
	pushq	%rbp
	movq	%rsp, %rbp
	call	trap_dispatch
	addq	$16, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector, error code */
	iretq
