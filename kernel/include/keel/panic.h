/* Fatal errors: print a reason and a backtrace, power off with a failure
 * status. Safe from any context, including inside another panic. */
#ifndef KEEL_PANIC_H
#define KEEL_PANIC_H

#include <keel/compiler.h>

/* Exit status of a kernel panic (the app's own codes are 0..255). */
#define PANIC_EXIT_STATUS	125

void
panic(const char *fmt, ...) __printf(1, 2) __noreturn;

#define BUG_ON(cond) \
	do { if (unlikely(cond)) panic("BUG_ON(%s) at %s:%d", #cond, \
				       __FILE__, __LINE__); } while (0)

#endif
