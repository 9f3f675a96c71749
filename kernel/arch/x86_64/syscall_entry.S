/* The system-call entry. Applications run in ring 0, so `syscall` changes
 * no privilege: it only puts the return address in rcx and the flags in
 * r11 and masks interrupts. The entry leaves the application's stack alone
 * (its red zone is live), switches to the thread's kernel stack, saves a
 * struct syscall_frame, and returns with popfq and a plain jump (sysret
 * would drop to ring 3). rax, rcx and r11 are clobbered, as on Linux. */
#include <keel/percpu_offsets.h>

	.text
	.globl	syscall_entry
syscall_entry:
	movq	%rsp, %gs:CPU_OFFSET_SYSCALL_USER_RSP
	movq	%gs:CPU_OFFSET_KERNEL_STACK_TOP, %rsp
	pushq	%gs:CPU_OFFSET_SYSCALL_USER_RSP
	pushq	%rcx			/* return address */
	pushq	%r11			/* flags */
	pushq	%rax			/* number */
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%r10
	pushq	%r8
	pushq	%r9
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	xorl	%ebp, %ebp		/* backtraces stop here */
	sti
	call	syscall_dispatch	/* result in rax */
	cli
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
	addq	$8, %rsp		/* number */
	popq	%r11
	popq	%rcx
	pushq	%r11
	popfq				/* the application's flags, IF included */
	popq	%rsp			/* the application's stack */
	jmp	*%rcx
