/* The serial console (COM1). */
#ifndef KEEL_SERIAL_H
#define KEEL_SERIAL_H

#include <keel/compiler.h>

void
serial_init(void);

/* Writes without taking the console lock; only for panic, where the lock
 * may be held by the code that failed. */
void
console_write_unlocked(const char *s, size_t len);

#endif
