/* Per-thread extended CPU state: enables x87/SSE/AVX/AVX-512 at boot, picks
 * the best XSAVE variant (or FXSAVE), and saves/restores a thread's register
 * area and FS base for the context switch. Uses only cpu.h. */
#include <keel/errno.h>
#include <keel/fpu.h>
#include <keel/panic.h>
#include <keel/string.h>
#include "cpu.h"

#define CR0_MP			(1UL << 1)	/* WAIT honours TS */
#define CR0_EM			(1UL << 2)	/* x87 emulation: must be off */
#define CR0_TS			(1UL << 3)
#define CR0_NE			(1UL << 5)	/* x87 errors as #MF, not IRQ 13 */
#define CR4_FSGSBASE		(1UL << 16)
#define CR4_OSFXSR		(1UL << 9)
#define CR4_OSXMMEXCPT		(1UL << 10)
#define CR4_OSXSAVE		(1UL << 18)

#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_7_EBX_FSGSBASE	(1U << 0)
#define CPUID_LEAF_XSAVE	0xd
#define CPUID_D1_EAX_XSAVEOPT	(1U << 0)
#define CPUID_D1_EAX_XSAVEC	(1U << 1)
#define CPUID_D1_EAX_XSAVES	(1U << 3)
#define CPUID_D_ECX_ALIGN64	(1U << 1)	/* 64-aligned when compacted */
#define MSR_IA32_XSS		0xda0

#define XFEATURE_X87		(1ULL << 0)
#define XFEATURE_SSE		(1ULL << 1)
#define XFEATURE_YMM		(1ULL << 2)
#define XFEATURE_OPMASK		(1ULL << 5)
#define XFEATURE_ZMM_HI256	(1ULL << 6)
#define XFEATURE_HI16_ZMM	(1ULL << 7)
#define XFEATURE_AVX512		(XFEATURE_OPMASK | XFEATURE_ZMM_HI256 | \
				 XFEATURE_HI16_ZMM)
#define XFEATURE_FIRST_EXTENDED	2	/* components after the legacy area */
#define XFEATURE_LAST_WANTED	7
#define XCOMP_BV_COMPACTED	(1ULL << 63)

#define FPU_AREA_ALIGN		64
#define FPU_LEGACY_SIZE		512	/* the FXSAVE image */
#define FPU_XSAVE_HEADER_SIZE	64
#define FPU_AREA_MAX		4096	/* AVX-512 standard form: 2688 */
#define FPU_INIT_FCW		0x37f	/* all x87 exceptions masked, 64-bit */
#define FPU_INIT_MXCSR		0x1f80	/* all SSE exceptions masked, RN */

/* Worst to best; the last two write the compacted form. */
enum fpu_mode { FPU_FXSAVE, FPU_XSAVE, FPU_XSAVEOPT, FPU_XSAVEC, FPU_XSAVES };

static const char *const fpu_mode_names[] = {
	[FPU_FXSAVE] = "fxsave", [FPU_XSAVE] = "xsave",
	[FPU_XSAVEOPT] = "xsaveopt", [FPU_XSAVEC] = "xsavec",
	[FPU_XSAVES] = "xsaves",
};

/* The start of every area: the FXSAVE image, then (XSAVE) the header. */
struct fpu_legacy_area {
	uint16_t fcw, fsw;
	uint8_t ftw, reserved0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t regs[FPU_LEGACY_SIZE - 32];	/* ST0-7, XMM0-15, unused */
	uint64_t xstate_bv;			/* components not in init state */
	uint64_t xcomp_bv;			/* bit 63: compacted form */
	uint8_t reserved1[FPU_XSAVE_HEADER_SIZE - 16];
};
_Static_assert(sizeof(struct fpu_legacy_area) ==
	       FPU_LEGACY_SIZE + FPU_XSAVE_HEADER_SIZE, "XSAVE header layout");

static struct {
	bool ready;
	enum fpu_mode limit;	/* best mode allowed (fpu_limit_mode) */
	bool fsgsbase;		/* CR4.FSGSBASE on: RDFSBASE/WRFSBASE work */
	enum fpu_mode mode;
	uint64_t xcr0;
	size_t size;
} fpu = { .limit = FPU_XSAVES };

/* The clean state new threads copy, in the format of fpu.mode. */
static uint8_t fpu_init_area[FPU_AREA_MAX] __aligned(FPU_AREA_ALIGN);

/* All-ones in EDX:EAX asks for every component XCR0 (and IA32_XSS) enables. */
#define XSAVE_ASM(insn, area) \
	__asm__ __volatile__(insn " (%0)" :: "r"(area), "a"(-1), "d"(-1) \
			     : "memory")

void
fpu_save(void *area)
{
	switch (fpu.mode) {
	case FPU_XSAVES:	XSAVE_ASM("xsaves64", area); break;
	case FPU_XSAVEC:	XSAVE_ASM("xsavec64", area); break;
	case FPU_XSAVEOPT:	XSAVE_ASM("xsaveopt64", area); break;
	case FPU_XSAVE:		XSAVE_ASM("xsave64", area); break;
	case FPU_FXSAVE:
		__asm__ __volatile__("fxsave64 (%0)" :: "r"(area) : "memory");
		break;
	}
}

void
fpu_restore(const void *area)
{
	switch (fpu.mode) {
	case FPU_XSAVES:	XSAVE_ASM("xrstors64", area); break;
	case FPU_XSAVEC:
	case FPU_XSAVEOPT:
	case FPU_XSAVE:		XSAVE_ASM("xrstor64", area); break;
	case FPU_FXSAVE:
		__asm__ __volatile__("fxrstor64 (%0)" :: "r"(area) : "memory");
		break;
	}
}

static bool
fpu_compacted(void)
{
	return fpu.mode >= FPU_XSAVEC;
}

static void
xsetbv(uint32_t index, uint64_t v)
{
	__asm__ __volatile__("xsetbv" :: "c"(index), "a"((uint32_t)v),
			     "d"((uint32_t)(v >> 32)) : "memory");
}

/*
 * The user state components Keel saves: x87, SSE, AVX and AVX-512 (its
 * three components go together, and need AVX). Left out on purpose:
 * MPX (bits 3-4), deprecated and dropped by gcc and Linux; PKRU (bit 9),
 * meaningless while Keel neither sets CR4.PKE nor offers pkey_mprotect;
 * AMX (bits 17-18), 8 KiB per thread and only usable after the
 * arch_prctl(ARCH_REQ_XCOMP_PERM) handshake Linux programs make first, so
 * they fall back to AVX when it fails. Supervisor components (IA32_XSS)
 * stay off: IA32_XSS is 0.
 */
static uint64_t
fpu_choose_xcr0(void)
{
	uint32_t a, b, c, d;
	uint64_t supported, xcr0 = XFEATURE_X87 | XFEATURE_SSE;

	cpuid(CPUID_LEAF_XSAVE, 0, &a, &b, &c, &d);
	supported = ((uint64_t)d << 32) | a;
	if (supported & XFEATURE_YMM) {
		xcr0 |= XFEATURE_YMM;
		if ((supported & XFEATURE_AVX512) == XFEATURE_AVX512)
			xcr0 |= XFEATURE_AVX512;
	}
	return xcr0;
}

/* Size of a compacted area for @xcr0, from each component's CPUID entry. */
static size_t
fpu_compacted_size(uint64_t xcr0)
{
	size_t size = FPU_LEGACY_SIZE + FPU_XSAVE_HEADER_SIZE;
	uint32_t a, b, c, d;

	for (int i = XFEATURE_FIRST_EXTENDED; i <= XFEATURE_LAST_WANTED; i++) {
		if (!(xcr0 & (1ULL << i)))
			continue;
		cpuid(CPUID_LEAF_XSAVE, i, &a, &b, &c, &d);
		if (c & CPUID_D_ECX_ALIGN64)
			size = ALIGN_UP(size, FPU_AREA_ALIGN);
		size += a;
	}
	return size;
}

/* Enables XSAVE with every wanted component; picks the instruction and
 * the area size. CR4.OSXSAVE must already be on. */
static void
fpu_init_xsave(void)
{
	uint32_t a, b, c, d, features;

	fpu.xcr0 = fpu_choose_xcr0();
	xsetbv(0, fpu.xcr0);
	cpuid(CPUID_LEAF_XSAVE, 1, &features, &b, &c, &d);
	fpu.mode = FPU_XSAVE;
	if (fpu.limit >= FPU_XSAVES && (features & CPUID_D1_EAX_XSAVES))
		fpu.mode = FPU_XSAVES;
	else if (fpu.limit >= FPU_XSAVEC && (features & CPUID_D1_EAX_XSAVEC))
		fpu.mode = FPU_XSAVEC;
	else if (fpu.limit >= FPU_XSAVEOPT &&
		 (features & CPUID_D1_EAX_XSAVEOPT))
		fpu.mode = FPU_XSAVEOPT;
	if (fpu.mode == FPU_XSAVES)
		wrmsr(MSR_IA32_XSS, 0);
	if (fpu_compacted()) {
		/* CPUID's own figure (EBX) trusted only if not smaller. */
		cpuid(CPUID_LEAF_XSAVE, 1, &a, &b, &c, &d);
		fpu.size = MAX(fpu_compacted_size(fpu.xcr0), (size_t)b);
	} else {
		/* Leaf 0xd.0 EBX: the standard form for the XCR0 now set. */
		cpuid(CPUID_LEAF_XSAVE, 0, &a, &b, &c, &d);
		fpu.size = b;
	}
}

/* Builds an image with every component in its init state (xstate_bv 0)
 * and the documented control words, loads it, and saves it back in the
 * mode's own format as the template for new threads. Only the save and
 * restore instructions run: no fninit/fldcw, which some emulators lack. */
static void
fpu_capture_init_state(void)
{
	struct fpu_legacy_area *img = (void *)fpu_init_area;

	memset(fpu_init_area, 0, sizeof(fpu_init_area));
	img->fcw = FPU_INIT_FCW;
	img->mxcsr = FPU_INIT_MXCSR;
	if (fpu_compacted())
		img->xcomp_bv = XCOMP_BV_COMPACTED | fpu.xcr0;
	fpu_restore(fpu_init_area);
	fpu_save(fpu_init_area);
}

void
fpu_init(void)
{
	uint32_t a, b, c, d, max_leaf;
	uint64_t cr4;

	if (fpu.ready)
		return;
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	cpuid(0, 0, &max_leaf, &b, &c, &d);
	cpuid(1, 0, &a, &b, &c, &d);
	if ((c & CPUID_1_ECX_XSAVE) && max_leaf >= CPUID_LEAF_XSAVE &&
	    fpu.limit > FPU_FXSAVE)
		cr4 |= CR4_OSXSAVE;
	if (max_leaf >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		if (b & CPUID_7_EBX_FSGSBASE)
			cr4 |= CR4_FSGSBASE;
	}
	write_cr4(cr4);
	fpu.fsgsbase = cr4 & CR4_FSGSBASE;
	fpu.mode = FPU_FXSAVE;
	fpu.size = FPU_LEGACY_SIZE;
	if (cr4 & CR4_OSXSAVE)
		fpu_init_xsave();
	if (fpu.size > FPU_AREA_MAX)
		panic("fpu: state area of %zu bytes exceeds %d", fpu.size,
		      FPU_AREA_MAX);
	fpu_capture_init_state();
	fpu.ready = true;
}

int
fpu_limit_mode(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fpu_mode_names); i++) {
		if (!strcmp(name, fpu_mode_names[i])) {
			fpu.limit = i;
			return 0;
		}
	}
	return -EINVAL;
}

size_t
fpu_state_size(void)
{
	return fpu.size;
}

size_t
fpu_state_align(void)
{
	return FPU_AREA_ALIGN;
}

void
fpu_state_init(void *area)
{
	memcpy(area, fpu_init_area, fpu.size);
}

const char *
fpu_mode_name(void)
{
	return fpu_mode_names[fpu.mode];
}

uint64_t
fpu_xcr0(void)
{
	return fpu.xcr0;
}

bool
fpu_has_avx(void)
{
	return fpu.xcr0 & XFEATURE_YMM;
}

void
arch_set_fs_base(uint64_t base)
{
	if (fpu.fsgsbase)
		__asm__ __volatile__("wrfsbase %0" :: "r"(base) : "memory");
	else
		wrmsr(MSR_FS_BASE, base);
}

uint64_t
arch_get_fs_base(void)
{
	uint64_t base;

	if (!fpu.fsgsbase)
		return rdmsr(MSR_FS_BASE);
	__asm__ __volatile__("rdfsbase %0" : "=r"(base));
	return base;
}
