/* Randomness from the CPU: RDSEED/RDRAND where present, else a mix of the
 * TSC. The entropy pool of later issues builds on this. */
#ifndef KEEL_RANDOM_H
#define KEEL_RANDOM_H

#include <keel/compiler.h>

/* Usable from the first instruction of C; no initialization needed. */
uint64_t
random_early_u64(void);

void
stack_protector_init(void);

#endif
