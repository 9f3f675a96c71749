/* Formatted output: vsnprintf for buffers, printk for the console.
 * vsnprintf is pure and host-testable; printk sends to console_write(). */
#ifndef KEEL_PRINTK_H
#define KEEL_PRINTK_H

#include <stdarg.h>
#include <keel/compiler.h>

int
vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int
snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* Formats into a bounded buffer and writes to the console. Any context. */
int
printk(const char *fmt, ...) __printf(1, 2);
int
vprintk(const char *fmt, va_list ap);

/* The console sink printk writes to (the serial port, see drivers/serial.c). */
void
console_write(const char *s, size_t len);

#endif
