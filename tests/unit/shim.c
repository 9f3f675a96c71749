/* Host stand-ins for the few kernel services pure kernel code calls:
 * panic aborts, printk goes to stderr, the direct map points at an arena. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

uintptr_t host_direct_map_base;

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "panic: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

int
printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(stderr, fmt, ap);
	va_end(ap);
	return n;
}
