/* The system-call entry. Applications run in ring 0, so `syscall` changes
 * no privilege: it only puts the return address in rcx and the flags in
 * r11 and masks interrupts. The entry leaves the application's stack alone
 * (its red zone is live), switches to the thread's kernel stack, saves a
 * struct syscall_frame, and returns through arch_return_to_app (popfq and
 * a plain jump: sysret would drop to ring 3). rax, rcx and r11 are
 * clobbered, as on Linux. */
#include <keel/percpu_offsets.h>

/* struct syscall_frame: 12 registers, then the number (the result on the
 * way out). */
#define SYSCALL_FRAME_RAX	(12 * 8)

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
	movq	%rax, SYSCALL_FRAME_RAX(%rsp)
	movq	%rsp, %rdi
	jmp	arch_return_to_app	/* switch.S: restores it all */
