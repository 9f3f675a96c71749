/* Thread switch: save the callee-saved registers on the old thread's stack,
 * store its rsp, load the new thread's rsp, restore, return into the new
 * thread. Everything else (caller-saved registers, FPU state, FS base) is
 * either dead across the call or switched in C beforehand. */

/* struct thread *arch_context_switch(struct thread *prev, struct thread *next)
 * Returns, in the resumed thread, the thread that switched to it. The
 * saved rsp is the first field of struct thread. */
	.text
	.globl	arch_context_switch
arch_context_switch:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	(%rsi), %rsp
	movq	%rdi, %rax
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret

/* A new thread's first return from arch_context_switch lands here, with
 * the thread that switched to it in %rax. The frame-pointer chain ends
 * here (rbp was popped as 0). */
	.globl	arch_thread_trampoline
arch_thread_trampoline:
	movq	%rax, %rdi
	call	thread_start
	ud2

/* void arch_run_on_stack(void (*fn)(void *), void *arg, uint64_t top)
 * Runs fn(arg) on another stack, the way application code runs: the
 * thread's kernel stack is left empty for system calls and interrupts.
 * Never returns; fn ends the thread. */
	.globl	arch_run_on_stack
arch_run_on_stack:
	movq	%rdx, %rsp
	xorl	%ebp, %ebp
	movq	%rdi, %rax
	movq	%rsi, %rdi
	call	*%rax
	ud2

/* void arch_enter_app(uint64_t entry, uint64_t sp) -- see arch_context.h */
	.globl	arch_enter_app
arch_enter_app:
	movq	%rsi, %rsp
	movq	%rdi, %r11
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	jmp	*%r11

/* void arch_return_to_app(const struct syscall_frame *f)
 * Leaves the kernel the way syscall_entry returns: every register from
 * the frame, the flags, the application's stack, a jump to its rip. New
 * threads made by clone() start here with their copy of the frame. */
	.globl	arch_return_to_app
arch_return_to_app:
	movq	%rdi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r9
	popq	%r8
	popq	%r10
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rax
	popq	%r11
	popq	%rcx
	pushq	%r11
	popfq
	popq	%rsp
	jmp	*%rcx
