/* The system-call layer: one table (kernel/syscall/syscalls.def) gives each
 * call's number, name and argument kinds; handlers are thin front-ends
 * named sys_<name> that decode arguments and call the subsystem. */
#ifndef KEEL_SYSCALL_H
#define KEEL_SYSCALL_H

#include <keel/compiler.h>

/* Saved by syscall_entry.S on the thread's kernel stack, lowest first. */
struct syscall_frame {
	uint64_t r15, r14, r13, r12, rbp, rbx;
	uint64_t r9, r8, r10, rdx, rsi, rdi;
	uint64_t rax;		/* the call's number */
	uint64_t rflags;	/* from r11 */
	uint64_t rip;		/* from rcx */
	uint64_t rsp;		/* the application's */
};
_Static_assert(sizeof(struct syscall_frame) == 16 * 8, "syscall_entry.S");
_Static_assert(offsetof(struct syscall_frame, rax) == 12 * 8,
	       "SYSCALL_FRAME_RAX in syscall_entry.S");

struct syscall_args {
	uint64_t a[6];
};

#define SYSCALL(nr, name, kinds) \
	long sys_##name(const struct syscall_args *args);
#include "../../syscall/syscalls.def"
#undef SYSCALL

/* Called by syscall_entry.S. */
long
syscall_dispatch(struct syscall_frame *f);

/* Boot: points the CPU's syscall MSRs at syscall_entry; --strace. */
void
syscall_init(bool strace);
/* The console's terminal ioctls (sys_ioctl.c), for the console device. */
long
console_tty_ioctl(unsigned long req, uint64_t arg);
/* Print every call with its arguments and result (syscall/table.c). */
void
syscall_set_strace(bool on);

#endif
