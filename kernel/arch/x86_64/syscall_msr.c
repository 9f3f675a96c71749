/* Points the CPU's SYSCALL machinery at syscall_entry: EFER.SCE on, LSTAR
 * the entry, STAR the kernel's own segments (applications run in ring 0
 * too), and FMASK clearing IF, DF, TF and AC on entry. */
#include <keel/syscall.h>
#include "cpu.h"

#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_FMASK		0xc0000084
#define EFER_SCE		(1ULL << 0)
#define STAR_SYSCALL_CS_SHIFT	32
#define RFLAGS_TF		(1ULL << 8)
#define RFLAGS_IF		(1ULL << 9)
#define RFLAGS_DF		(1ULL << 10)
#define RFLAGS_AC		(1ULL << 18)

extern char syscall_entry[];

void
syscall_init(bool strace)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (uint64_t)SEL_KERNEL_CODE << STAR_SYSCALL_CS_SHIFT);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_AC);
	syscall_set_strace(strace);
}
