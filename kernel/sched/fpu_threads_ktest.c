/* Self-test of per-thread CPU state under preemption: threads that never
 * yield each keep their own pattern in the vector registers (YMM with AVX),
 * MXCSR and FS base while the scheduler interleaves them. */
#include <keel/clock.h>
#include <keel/fpu.h>
#include <keel/ktest.h>
#include <keel/sched.h>
#include <keel/string.h>
#include <keel/thread.h>
#include <keel/vregs_test.h>

#define ISOLATION_THREADS	4
#define ISOLATION_NS		(60 * NSEC_PER_MSEC)
#define VREGS			16
#define VREG_BYTES		32
#define MXCSR_DEFAULT		0x1f80
#define MXCSR_ROUND_SHIFT	13	/* rounding-control field */
#define FS_BASE_PATTERN		0x00007f0000001000ULL

struct isolation {
	uint8_t want[VREGS][VREG_BYTES] __aligned(32);
	uint8_t got[VREGS][VREG_BYTES] __aligned(32);
	uint32_t mxcsr;
	uint64_t fs_base;
	int mismatches;
	int checks;
};

static struct isolation iso[ISOLATION_THREADS];
static uint64_t isolation_end;

static void
load_state(struct isolation *s)
{
	vregs_test_load(s->want, fpu_has_avx());
	__asm__ __volatile__("ldmxcsr %0" :: "m"(s->mxcsr));
	thread_set_fs_base(s->fs_base);
}

static bool
state_intact(struct isolation *s)
{
	uint32_t mxcsr;
	size_t width = fpu_has_avx() ? VREG_BYTES : VREG_BYTES / 2;

	vregs_test_store(s->got, fpu_has_avx());
	__asm__ __volatile__("stmxcsr %0" : "=m"(mxcsr));
	for (int r = 0; r < VREGS; r++)
		if (memcmp(s->want[r], s->got[r], width))
			return false;
	return mxcsr == s->mxcsr && arch_get_fs_base() == s->fs_base;
}

static void
isolation_body(void *arg)
{
	struct isolation *s = arg;

	load_state(s);
	while (clock_monotonic_ns() < isolation_end) {
		s->checks++;
		if (!state_intact(s)) {
			s->mismatches++;
			load_state(s);
		}
	}
	thread_set_fs_base(0);
}

static void
vector_state_isolated_under_preemption(void)
{
	struct thread *t[ISOLATION_THREADS];
	uint64_t switches = sched_nr_switches();

	for (int i = 0; i < ISOLATION_THREADS; i++) {
		struct isolation *s = &iso[i];

		for (int r = 0; r < VREGS; r++)
			for (int b = 0; b < VREG_BYTES; b++)
				s->want[r][b] = (uint8_t)(i * 37 + r * 11 + b + 1);
		s->mxcsr = MXCSR_DEFAULT | ((uint32_t)i << MXCSR_ROUND_SHIFT);
		s->fs_base = FS_BASE_PATTERN + (uint64_t)i * 0x1000;
		s->mismatches = s->checks = 0;
	}
	isolation_end = clock_monotonic_ns() + ISOLATION_NS;
	for (int i = 0; i < ISOLATION_THREADS; i++)
		t[i] = thread_create_flags("fpu-iso", isolation_body, &iso[i],
					   THREAD_USES_FPU);
	for (int i = 0; i < ISOLATION_THREADS; i++) {
		KT_EXPECT_EQ(thread_join(t[i], NULL, WAIT_FOREVER), 0);
		KT_EXPECT_EQ(iso[i].mismatches, 0);
		KT_EXPECT(iso[i].checks > 0);
	}
	/* Every thread ran more than one slice: they were interleaved. */
	KT_EXPECT(sched_nr_switches() - switches > 2 * ISOLATION_THREADS);
}

KTEST_SUITE(fpu_threads, KTEST_CASE(vector_state_isolated_under_preemption));
