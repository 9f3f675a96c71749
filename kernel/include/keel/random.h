/* Randomness from the CPU: RDSEED/RDRAND where present, else a mix of the
 * TSC. The entropy pool of later issues builds on this. */
#ifndef KEEL_RANDOM_H
#define KEEL_RANDOM_H

#include <keel/compiler.h>

/* Usable from the first instruction of C; no initialization needed. */
uint64_t
random_early_u64(void);

/* Mixes @len bytes from a hardware source (virtio-rng) into the pool that
 * random_early_u64() folds into its output. Any context. */
void
random_add_entropy(const void *buf, size_t len);

void
stack_protector_init(void);

#endif
