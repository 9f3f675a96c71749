/* A thread's extended CPU state: the x87/SSE/AVX(-512) register area that
 * the context switch saves and restores, and the FS base (the application's
 * TLS pointer). The kernel never touches these registers itself. */
#ifndef KEEL_FPU_H
#define KEEL_FPU_H

#include <keel/compiler.h>

/* Enables the FPU, SSE and whatever XSAVE components the CPU has, picks the
 * save instruction and captures the clean state new threads start from.
 * Boot, once, before any thread exists and before the heap (it needs none);
 * later calls do nothing. */
void
fpu_init(void);

/* Before fpu_init: use no better mode than @name (see fpu_mode_name), for
 * benchmarks and for hypervisors that advertise XSAVE but cannot run it
 * ("fxsave" leaves CR4.OSXSAVE off, so programs see no AVX). Returns 0 or
 * -EINVAL for an unknown name. */
int
fpu_limit_mode(const char *name);

/* Bytes and alignment of one thread's state area (valid after fpu_init). */
size_t
fpu_state_size(void);
size_t
fpu_state_align(void);

/* Fills a new thread's area with the clean state: registers zero, x87
 * control word 0x37f, MXCSR 0x1f80. Never call it on the area the running
 * thread was last restored from (see fpu_save). */
void
fpu_state_init(void *area);

/* Save the current registers to @area / load them from @area. @area is
 * fpu_state_size() bytes aligned to fpu_state_align(). Called by the
 * context switch with interrupts off. XSAVEOPT and XSAVES skip components
 * unchanged since the last fpu_restore from the same @area, so nothing may
 * write a thread's area between its fpu_restore and its next fpu_save. */
void
fpu_save(void *area);
void
fpu_restore(const void *area);

/* "xsaves", "xsavec", "xsaveopt", "xsave" or "fxsave", for --verbose. */
const char *
fpu_mode_name(void);
/* The XCR0 in force (which state components are saved), 0 without XSAVE. */
uint64_t
fpu_xcr0(void);
/* True when AVX state is enabled and saved with each thread. */
bool
fpu_has_avx(void);

/* The FS base of the running thread, through WRFSBASE/RDFSBASE when the CPU
 * has them, else the FS_BASE MSR. @base must be canonical (callers check
 * application values first: a non-canonical one faults). Any context. */
void
arch_set_fs_base(uint64_t base);
uint64_t
arch_get_fs_base(void);

#endif
