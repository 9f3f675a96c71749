/* Memory probes that survive a fault: they return -EFAULT instead of
 * panicking, through the exception table (see arch/x86_64/extable.c). */
#ifndef KEEL_PROBE_H
#define KEEL_PROBE_H

#include <keel/compiler.h>

int
probe_read_u8(const void *addr, uint8_t *out);
int
probe_write_u8(void *addr, uint8_t v);

#endif
