/* Copies to and from application memory through faultable rep-move
 * instructions: a fault at either resumes at the
 * fixup, which ends the copy with -EFAULT (see extable.c). Also the one
 * atomic read-modify-write of an application word (futex WAKE_OP). */
#include <keel/errno.h>
#include <keel/uaccess.h>

#define EXTABLE_ENTRY(insn, fixup) \
	".pushsection .extable, \"a\"\n\t.balign 8\n\t" \
	".quad " #insn ", " #fixup "\n\t.popsection\n\t"

/* Copies @len bytes; returns the number left uncopied (0 on success). The
 * faulting side may be either: the caller checked which is the user's.
 * Eight bytes per iteration, then the tail: under QEMU's TCG each rep
 * iteration costs about as much whatever its width, so byte moves made
 * large reads and writes crawl. A fault leaves %rcx at what is left. */
static size_t
uaccess_copy(void *dst, const void *src, size_t len)
{
	size_t words = len / sizeof(uint64_t), tail = len % sizeof(uint64_t);

	__asm__ __volatile__(
		"1:\trep movsq\n"
		"2:\n\t"
		EXTABLE_ENTRY(1b, 2b)
		: "+D"(dst), "+S"(src), "+c"(words)
		:
		: "memory");
	if (words)
		return words * sizeof(uint64_t) + tail;
	__asm__ __volatile__(
		"3:\trep movsb\n"
		"4:\n\t"
		EXTABLE_ENTRY(3b, 4b)
		: "+D"(dst), "+S"(src), "+c"(tail)
		:
		: "memory");
	return tail;
}

int
copy_from_user(void *dst, const void __user *src, size_t len)
{
	if (!user_range_ok((uint64_t)src, len))
		return -EFAULT;
	return uaccess_copy(dst, src, len) ? -EFAULT : 0;
}

int
copy_to_user(void __user *dst, const void *src, size_t len)
{
	if (!user_range_ok((uint64_t)dst, len))
		return -EFAULT;
	return uaccess_copy(dst, src, len) ? -EFAULT : 0;
}

long
strncpy_from_user(char *dst, const char __user *src, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		if (!user_range_ok((uint64_t)src + i, 1) ||
		    uaccess_copy(&dst[i], &src[i], 1))
			return -EFAULT;
		if (dst[i] == '\0')
			return (long)i;
	}
	return -ENAMETOOLONG;
}

int
user_cmpxchg_u32(uint32_t __user *uaddr, uint32_t *expected, uint32_t new)
{
	uint32_t seen = *expected;
	int err = 0;
	bool swapped = false;

	if (!IS_ALIGNED((uint64_t)uaddr, sizeof(*uaddr)))
		return -EINVAL;
	if (!user_range_ok((uint64_t)uaddr, sizeof(*uaddr)))
		return -EFAULT;
	/* lock cmpxchg: ZF says whether it swapped; eax gets the old value. */
	__asm__ __volatile__(
		"1:\tlock cmpxchgl %[new], (%[addr])\n\t"
		"sete %[swapped]\n"
		"2:\n\t"
		EXTABLE_ENTRY(1b, 3f)
		".pushsection .text.fixup, \"ax\"\n"
		"3:\tmovl %[efault], %[err]\n\t"
		"jmp 2b\n\t"
		".popsection"
		: [err] "+r"(err), "+a"(seen), [swapped] "+q"(swapped)
		: [addr] "r"(uaddr), [new] "r"(new), [efault] "i"(-EFAULT)
		: "memory", "cc");
	if (err)
		return err;
	*expected = seen;
	return swapped ? 0 : -EAGAIN;
}
