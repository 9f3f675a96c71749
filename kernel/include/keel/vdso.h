/* The vDSO (kernel/vdso): time without a system call, as on Linux. */
#ifndef KEEL_VDSO_H
#define KEEL_VDSO_H

#include <keel/compiler.h>

/* Boot, after the clock: publishes its parameters to the vvar page. */
void
vdso_init(void);

/* Maps the vvar page and the vDSO into the application; returns the
 * vDSO's address (for AT_SYSINFO_EHDR) or a negative errno. */
long
vdso_map(void);

#endif
