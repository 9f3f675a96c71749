/* Self-tests of the per-thread CPU state (fpu.c), single-threaded: --test=fpu
 * checks save/restore, the clean state, the FS base and the mode choice;
 * --test=fpu_bench times each save/restore variant and a #NM round trip. */
#include <keel/clock.h>
#include <keel/fpu.h>
#include <keel/ktest.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vregs_test.h>
#include <keel/arch.h>
#include "cpu.h"

#define NR_VREGS		16
#define YMM_BYTES		32
#define XMM_BYTES		16
#define TEST_AREA_MAX		8192
#define INIT_FCW		0x37f
#define INIT_MXCSR		0x1f80
#define CR0_TS			(1UL << 3)
#define CR4_FSGSBASE		(1UL << 16)
#define CR4_OSXSAVE		(1UL << 18)
#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_1_ECX_AVX		(1U << 28)
#define CPUID_7_EBX_FSGSBASE	(1U << 0)
#define CPUID_LEAF_XSAVE	0xd
#define CPUID_D1_EAX_XSAVEOPT	(1U << 0)
#define CPUID_D1_EAX_XSAVEC	(1U << 1)
#define CPUID_D1_EAX_XSAVES	(1U << 3)
#define MSR_IA32_XSS		0xda0
#define XFEATURE_YMM		(1ULL << 2)
#define TEST_FS_BASE		0x00007f1234567000ULL
#define BENCH_PAIRS		10000
#define BENCH_NM_TRAPS		2000

/* Everything a case sets and compares: vector registers (upper YMM halves
 * only with AVX), MXCSR, the x87 control word and the top two x87 values. */
struct vregs {
	uint8_t v[NR_VREGS][YMM_BYTES];
	uint64_t st0, st1;	/* IEEE double bit patterns */
	uint32_t mxcsr;
	uint16_t fcw;
};

static uint8_t areas[2][TEST_AREA_MAX] __aligned(64);
static uint8_t clean_area[TEST_AREA_MAX] __aligned(64);

static void
vregs_load(const struct vregs *r)
{
	vregs_test_load(r->v, fpu_has_avx());
	__asm__ __volatile__("fninit\n\tfldcw %0\n\tfldl %1\n\tfldl %2\n\t"
			     "ldmxcsr %3"
			     :: "m"(r->fcw), "m"(r->st1), "m"(r->st0),
				"m"(r->mxcsr) : "memory");
}

/* Reads without popping, so the x87 stack survives for later reads. */
static void
vregs_store(struct vregs *r)
{
	memset(r, 0, sizeof(*r));
	vregs_test_store(r->v, fpu_has_avx());
	__asm__ __volatile__("fnstcw %0\n\tstmxcsr %1\n\tfstl %2\n\t"
			     "fxch\n\tfstl %3\n\tfxch"
			     : "=m"(r->fcw), "=m"(r->mxcsr), "=m"(r->st0),
			       "=m"(r->st1) :: "memory");
}

static void
vregs_pattern(struct vregs *r, uint8_t seed, uint32_t mxcsr, uint16_t fcw,
	      uint64_t st0, uint64_t st1)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < NR_VREGS; i++)
		for (int j = 0; j < YMM_BYTES; j++)
			r->v[i][j] = (uint8_t)(seed + i * 37 + j * 11 + 1);
	r->mxcsr = mxcsr;
	r->fcw = fcw;
	r->st0 = st0;
	r->st1 = st1;
}

/* Pattern A: round down, 53-bit x87; B: round up, 24-bit. Both differ
 * from the clean state in every field. */
static void
vregs_pattern_a(struct vregs *r)
{
	vregs_pattern(r, 0x10, 0x3f80, 0x27f, 0x400a000000000000ULL,
		      0xbff8000000000000ULL);	/* 3.25, -1.5 */
}

static void
vregs_pattern_b(struct vregs *r)
{
	vregs_pattern(r, 0x99, 0x5f80, 0x07f, 0xc059000000000000ULL,
		      0x3fe0000000000000ULL);	/* -100.0, 0.5 */
}

/* Compares what the CPU state can hold: no upper YMM halves without AVX. */
static void
vregs_expect_eq(const struct vregs *want, const struct vregs *got,
		const char *what)
{
	size_t width = fpu_has_avx() ? YMM_BYTES : XMM_BYTES;

	for (int i = 0; i < NR_VREGS; i++)
		if (memcmp(want->v[i], got->v[i], width))
			ktest_fail(__FILE__, __LINE__, "%s: vector register %d "
				   "differs", what, i);
	if (want->mxcsr != got->mxcsr || want->fcw != got->fcw)
		ktest_fail(__FILE__, __LINE__, "%s: mxcsr %#x fcw %#x, want "
			   "%#x %#x", what, got->mxcsr, got->fcw, want->mxcsr,
			   want->fcw);
	if (want->st0 != got->st0 || want->st1 != got->st1)
		ktest_fail(__FILE__, __LINE__, "%s: x87 stack %#lx %#lx, want "
			   "%#lx %#lx", what, got->st0, got->st1, want->st0,
			   want->st1);
}

/* fpu_init is idempotent: boot normally ran it; this lets the suite run
 * even where boot does not. Returns false if the areas are too small. */
static bool
fpu_test_begin(void)
{
	fpu_init();
	KT_EXPECT(fpu_state_size() <= TEST_AREA_MAX);
	KT_EXPECT_EQ(fpu_state_align(), 64);
	fpu_state_init(clean_area);
	return fpu_state_size() <= TEST_AREA_MAX;
}

/* Leaves the CPU in the clean state for whatever runs next. */
static void
fpu_test_end(void)
{
	fpu_restore(clean_area);
}

/* Worst to best, as fpu.c ranks them. */
static const char *const mode_names[] = {
	"fxsave", "xsave", "xsaveopt", "xsavec", "xsaves",
};

static int
mode_rank(const char *name)
{
	for (int i = 0; i < (int)ARRAY_SIZE(mode_names); i++)
		if (!strcmp(name, mode_names[i]))
			return i;
	return -1;
}

/* Whether the CPU can run @mode with the XCR0 in force. */
static bool
mode_supported(const char *mode)
{
	uint32_t a, b, c, d;

	if (!strcmp(mode, "fxsave"))
		return true;
	if (!fpu_xcr0())
		return false;
	cpuid(CPUID_LEAF_XSAVE, 1, &a, &b, &c, &d);
	if (!strcmp(mode, "xsaves"))
		return a & CPUID_D1_EAX_XSAVES;
	if (!strcmp(mode, "xsavec"))
		return a & CPUID_D1_EAX_XSAVEC;
	if (!strcmp(mode, "xsaveopt"))
		return a & CPUID_D1_EAX_XSAVEOPT;
	return true;
}

/* The best mode CPUID offers, whatever fpu_limit_mode said. */
static const char *
expected_mode(void)
{
	uint32_t a, b, c, d, max_leaf;

	cpuid(0, 0, &max_leaf, &b, &c, &d);
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID_1_ECX_XSAVE) || max_leaf < CPUID_LEAF_XSAVE)
		return "fxsave";
	cpuid(CPUID_LEAF_XSAVE, 1, &a, &b, &c, &d);
	if (a & CPUID_D1_EAX_XSAVES)
		return "xsaves";
	if (a & CPUID_D1_EAX_XSAVEC)
		return "xsavec";
	return a & CPUID_D1_EAX_XSAVEOPT ? "xsaveopt" : "xsave";
}

static uint64_t
read_xcr0(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* The area size CPUID reports for the XCR0 in force, in the mode's form. */
static size_t
cpuid_area_size(const char *mode)
{
	uint32_t a, b, c, d;
	bool compacted = !strcmp(mode, "xsaves") || !strcmp(mode, "xsavec");

	if (!strcmp(mode, "fxsave"))
		return 512;
	cpuid(CPUID_LEAF_XSAVE, compacted ? 1 : 0, &a, &b, &c, &d);
	return b;
}

static void
mode_matches_cpuid(void)
{
	const char *best = expected_mode(), *mode;
	uint32_t a, b, c, d;

	fpu_init();
	mode = fpu_mode_name();
	printk("    # fpu: %s, xcr0 %#lx, %zu-byte area, avx %s\n", mode,
	       fpu_xcr0(), fpu_state_size(), fpu_has_avx() ? "yes" : "no");
	if (strcmp(mode, best)) {
		/* Only fpu_limit_mode may pick a worse mode, never another. */
		printk("    # fpu: limited below %s\n", best);
		KT_EXPECT(mode_rank(mode) < mode_rank(best));
		KT_EXPECT(mode_supported(mode));
	}
	KT_EXPECT(fpu_state_size() >= cpuid_area_size(mode));
	KT_EXPECT_EQ(!!(read_cr4() & CR4_OSXSAVE), strcmp(mode, "fxsave") != 0);
	if (strcmp(mode, "fxsave"))
		KT_EXPECT_EQ(fpu_xcr0(), read_xcr0());
	if (!strcmp(mode, "xsaves"))
		KT_EXPECT_EQ(rdmsr(MSR_IA32_XSS), 0);
	cpuid(1, 0, &a, &b, &c, &d);
	KT_EXPECT_EQ(fpu_has_avx(), (c & CPUID_1_ECX_AVX) &&
				    (fpu_xcr0() & XFEATURE_YMM));
	cpuid(7, 0, &a, &b, &c, &d);
	KT_EXPECT_EQ(!!(read_cr4() & CR4_FSGSBASE), !!(b & CPUID_7_EBX_FSGSBASE));
}

static void
clean_state_has_default_control_words(void)
{
	struct vregs zero, got;

	if (!fpu_test_begin())
		return;
	vregs_pattern_a(&got);
	vregs_load(&got);		/* dirty everything first */
	fpu_restore(clean_area);
	vregs_store(&got);
	KT_EXPECT_EQ(got.fcw, INIT_FCW);
	KT_EXPECT_EQ(got.mxcsr, INIT_MXCSR);
	memset(&zero, 0, sizeof(zero));
	for (int i = 0; i < NR_VREGS; i++)
		KT_EXPECT(!memcmp(got.v[i], zero.v[i],
				  fpu_has_avx() ? YMM_BYTES : XMM_BYTES));
	fpu_test_end();
}

static void
save_clobber_restore(void)
{
	struct vregs a, b, got;

	if (!fpu_test_begin())
		return;
	vregs_pattern_a(&a);
	vregs_pattern_b(&b);
	vregs_load(&a);
	fpu_save(areas[0]);
	vregs_load(&b);
	vregs_store(&got);
	vregs_expect_eq(&b, &got, "clobbered");
	fpu_restore(areas[0]);
	vregs_store(&got);
	vregs_expect_eq(&a, &got, "restored");
	fpu_test_end();
}

/* Two areas as two threads switching, one of them changing a single
 * register: catches XSAVEOPT/XSAVES skipping a component they must write. */
static void
two_areas_switch_back_and_forth(void)
{
	struct vregs a, b, got;

	if (!fpu_test_begin())
		return;
	vregs_pattern_a(&a);
	vregs_pattern_b(&b);
	vregs_load(&a);
	fpu_save(areas[0]);
	vregs_load(&b);
	fpu_save(areas[1]);
	fpu_restore(areas[0]);
	vregs_store(&got);
	vregs_expect_eq(&a, &got, "first switch to A");
	a.v[5][0] ^= 0xff;
	a.v[5][YMM_BYTES - 1] ^= 0xff;
	vregs_load(&a);
	fpu_save(areas[0]);
	fpu_restore(areas[1]);
	vregs_store(&got);
	vregs_expect_eq(&b, &got, "switch to B");
	fpu_save(areas[1]);
	fpu_restore(areas[0]);
	vregs_store(&got);
	vregs_expect_eq(&a, &got, "second switch to A");
	fpu_test_end();
}

static void
fs_base_round_trip(void)
{
	uint64_t old;

	fpu_init();
	old = arch_get_fs_base();
	arch_set_fs_base(TEST_FS_BASE);
	KT_EXPECT_EQ(arch_get_fs_base(), TEST_FS_BASE);
	KT_EXPECT_EQ(rdmsr(MSR_FS_BASE), TEST_FS_BASE);
	arch_set_fs_base(old);
	KT_EXPECT_EQ(arch_get_fs_base(), old);
}

KTEST_SUITE(fpu,
	KTEST_CASE(mode_matches_cpuid),
	KTEST_CASE(clean_state_has_default_control_words),
	KTEST_CASE(save_clobber_restore),
	KTEST_CASE(two_areas_switch_back_and_forth),
	KTEST_CASE(fs_base_round_trip));

/* --- fpu_bench: timings for the eager/lazy decision, only when named. ---
 * One "switch" = the outgoing thread dirtied its vector registers, then
 * save to its area and restore the other thread's, as the context switch
 * will. Raw instructions, so every mode the CPU has is timed, not only the
 * one fpu_init chose; then the fpu_save/fpu_restore calls themselves. */

#define NM_EXTABLE(insn, fixup) \
	".pushsection .extable, \"a\"\n\t.balign 8\n\t" \
	".quad " #insn ", " #fixup "\n\t.popsection\n\t"

static uint8_t dirty[YMM_BYTES] = { 1, 2, 3 };

/* Writes a vector register, so XSAVEOPT/XSAVES/XSAVEC see SSE (and AVX)
 * as modified and not in init state: the cost of a thread that used them. */
static inline void
bench_dirty(void)
{
	if (fpu_has_avx())
		__asm__ __volatile__("vmovdqu (%0), %%ymm0" :: "r"(dirty));
	else
		__asm__ __volatile__("movdqu (%0), %%xmm0" :: "r"(dirty));
}

#define BENCH_LOOP(save, restore) \
	for (int i = 0; i < BENCH_PAIRS; i++) { \
		bench_dirty(); \
		__asm__ __volatile__(save " (%0)\n\t" restore " (%1)" \
				     :: "r"(areas[i & 1]), \
					"r"(areas[!(i & 1)]), \
				        "a"(-1), "d"(-1) : "memory"); \
	}

/* Returns TSC cycles for BENCH_PAIRS switches in @mode. */
static uint64_t
bench_mode(const char *mode)
{
	uint64_t t0;

	fpu_save(areas[0]);	/* both areas valid for any restore */
	fpu_save(areas[1]);
	if (!strcmp(mode, "xsaves")) {
		__asm__ __volatile__("xsaves64 (%0)\n\txsaves64 (%1)" ::
				     "r"(areas[0]), "r"(areas[1]), "a"(-1),
				     "d"(-1) : "memory");
	} else if (!strcmp(mode, "xsavec")) {
		__asm__ __volatile__("xsavec64 (%0)\n\txsavec64 (%1)" ::
				     "r"(areas[0]), "r"(areas[1]), "a"(-1),
				     "d"(-1) : "memory");
	}
	t0 = arch_read_tsc();
	if (!strcmp(mode, "xsaves"))
		BENCH_LOOP("xsaves64", "xrstors64")
	else if (!strcmp(mode, "xsavec"))
		BENCH_LOOP("xsavec64", "xrstor64")
	else if (!strcmp(mode, "xsaveopt"))
		BENCH_LOOP("xsaveopt64", "xrstor64")
	else if (!strcmp(mode, "xsave"))
		BENCH_LOOP("xsave64", "xrstor64")
	else
		BENCH_LOOP("fxsave64", "fxrstor64")
	return arch_read_tsc() - t0;
}

static uint64_t
bench_api(void)
{
	uint64_t t0;

	fpu_save(areas[0]);
	fpu_save(areas[1]);
	t0 = arch_read_tsc();
	for (int i = 0; i < BENCH_PAIRS; i++) {
		bench_dirty();
		fpu_save(areas[i & 1]);
		fpu_restore(areas[!(i & 1)]);
	}
	return arch_read_tsc() - t0;
}

static uint64_t
bench_dirty_only(void)
{
	uint64_t t0 = arch_read_tsc();

	for (int i = 0; i < BENCH_PAIRS; i++) {
		bench_dirty();
		barrier();
	}
	return arch_read_tsc() - t0;
}

static void
bench_report(const char *what, uint64_t cycles, uint64_t base, int n)
{
	uint64_t tenths = clock_tsc_to_ns(cycles > base ? cycles - base : 0) *
			  10 / n;

	printk("    # fpu_bench: %-32s %6lu.%lu ns\n", what, tenths / 10,
	       tenths % 10);
}

static void
save_restore_cost_per_mode(void)
{
	uint64_t base;
	char what[40];

	if (!fpu_test_begin())
		return;
	base = bench_dirty_only();
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++) {
		if (!mode_supported(mode_names[i]))
			continue;
		snprintf(what, sizeof(what), "%s save+restore", mode_names[i]);
		bench_report(what, bench_mode(mode_names[i]), base, BENCH_PAIRS);
	}
	snprintf(what, sizeof(what), "fpu_save+fpu_restore (%s)",
		 fpu_mode_name());
	bench_report(what, bench_api(), base, BENCH_PAIRS);
	fpu_test_end();
}

/* TS set, then either nothing or one SSE instruction that takes #NM; the
 * exception table resumes after it (traps.c needs no handler). */
static uint64_t
bench_nm(bool trap)
{
	uint64_t cr0 = read_cr0(), t0 = arch_read_tsc();

	for (int i = 0; i < BENCH_NM_TRAPS; i++) {
		write_cr0(cr0 | CR0_TS);
		if (trap)
			__asm__ __volatile__("1:\tmovaps %%xmm0, %%xmm0\n2:\n\t"
					     NM_EXTABLE(1b, 2b) ::: "memory");
		__asm__ __volatile__("clts" ::: "memory");
	}
	return arch_read_tsc() - t0;
}

static void
nm_trap_round_trip_cost(void)
{
	uint64_t base, trapped;

	fpu_init();
	base = bench_nm(false);
	trapped = bench_nm(true);
	bench_report("CR0.TS set + clts", base, 0, BENCH_NM_TRAPS);
	bench_report("#NM round trip (extra)", trapped, base, BENCH_NM_TRAPS);
}

KTEST_SUITE_DEFINE(fpu_bench, true,
	KTEST_CASE(save_restore_cost_per_mode),
	KTEST_CASE(nm_trap_round_trip_cost));
