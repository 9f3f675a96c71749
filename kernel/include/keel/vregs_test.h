/* For self-tests only: load and store all sixteen vector registers from a
 * memory block of 16 x 32 bytes (whole YMM registers with AVX, else the
 * XMM halves). The kernel proper never touches these registers. */
#ifndef KEEL_VREGS_TEST_H
#define KEEL_VREGS_TEST_H

#include <keel/compiler.h>

#define VREGS_16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) \
		    m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)
#define YMM_LOAD(n)	"vmovdqu " #n "*32(%0), %%ymm" #n "\n\t"
#define YMM_STORE(n)	"vmovdqu %%ymm" #n ", " #n "*32(%0)\n\t"
#define XMM_LOAD(n)	"movdqu " #n "*32(%0), %%xmm" #n "\n\t"
#define XMM_STORE(n)	"movdqu %%xmm" #n ", " #n "*32(%0)\n\t"

/* No vector clobbers are listed: gcc rejects most of them under
 * -mgeneral-regs-only, and the kernel never keeps values there anyway. */
static inline void
vregs_test_load(const void *block, bool avx)
{
	if (avx)
		__asm__ __volatile__(VREGS_16(YMM_LOAD) :: "r"(block) : "memory");
	else
		__asm__ __volatile__(VREGS_16(XMM_LOAD) :: "r"(block) : "memory");
}

static inline void
vregs_test_store(void *block, bool avx)
{
	if (avx)
		__asm__ __volatile__(VREGS_16(YMM_STORE) :: "r"(block) : "memory");
	else
		__asm__ __volatile__(VREGS_16(XMM_STORE) :: "r"(block) : "memory");
}

#endif
