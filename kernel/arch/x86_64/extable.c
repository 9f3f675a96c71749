/* The exception table: (faulting instruction, fixup) pairs emitted next to
 * every instruction allowed to fault — memory probes now, user copies
 * later. A fault there resumes at the fixup, which returns -EFAULT. */
#include <keel/errno.h>
#include <keel/probe.h>
#include "cpu.h"

struct extable_entry {
	uint64_t insn;
	uint64_t fixup;
};

extern const struct extable_entry _extable_start[], _extable_end[];

bool
extable_fixup(struct trap_frame *tf)
{
	for (const struct extable_entry *e = _extable_start; e < _extable_end; e++) {
		if (e->insn == tf->rip) {
			tf->rip = e->fixup;
			return true;
		}
	}
	return false;
}

#define EXTABLE_ENTRY(insn, fixup) \
	".pushsection .extable, \"a\"\n\t.balign 8\n\t" \
	".quad " #insn ", " #fixup "\n\t.popsection\n\t"

int
probe_read_u8(const void *addr, uint8_t *out)
{
	int err = 0;
	uint8_t v = 0;

	__asm__ __volatile__(
		"1:\tmovb (%[addr]), %[v]\n"
		"2:\n\t"
		EXTABLE_ENTRY(1b, 3f)
		".pushsection .text.fixup, \"ax\"\n"
		"3:\tmovl %[efault], %[err]\n\t"
		"jmp 2b\n\t"
		".popsection"
		: [err] "+r"(err), [v] "+q"(v)
		: [addr] "r"(addr), [efault] "i"(-EFAULT)
		: "memory");
	*out = v;
	return err;
}

int
probe_write_u8(void *addr, uint8_t v)
{
	int err = 0;

	__asm__ __volatile__(
		"1:\tmovb %[v], (%[addr])\n"
		"2:\n\t"
		EXTABLE_ENTRY(1b, 3f)
		".pushsection .text.fixup, \"ax\"\n"
		"3:\tmovl %[efault], %[err]\n\t"
		"jmp 2b\n\t"
		".popsection"
		: [err] "+r"(err)
		: [addr] "r"(addr), [v] "q"(v), [efault] "i"(-EFAULT)
		: "memory");
	return err;
}
