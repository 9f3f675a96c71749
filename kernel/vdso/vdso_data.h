/* The page the kernel shares read-only with the vDSO (the "vvar" page):
 * what the vDSO needs to tell the time as the kernel does. Plain layout,
 * included by the kernel and by the vDSO (built as a user-space object). */
#ifndef KEEL_VDSO_DATA_H
#define KEEL_VDSO_DATA_H

#include <stdint.h>

#define VDSO_MODE_SYSCALL	0	/* no fast path: make the system call */
#define VDSO_MODE_TSC		1	/* ns = (rdtsc - tsc_base) * mult >> 32 */

struct vdso_data {
	uint32_t seq;			/* odd while the kernel updates */
	uint32_t mode;			/* VDSO_MODE_* */
	uint64_t tsc_base;		/* TSC at monotonic zero */
	uint64_t ns_per_tsc_fp;		/* 32.32 fixed point */
	uint64_t realtime_offset_ns;	/* realtime = monotonic + this */
};

#define VDSO_FP_SHIFT	32

#endif
