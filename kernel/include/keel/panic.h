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

/* For fatal-exception reports that print their own header: panic_begin()
 * switches printk to lock-free output (and halts a nested panic);
 * panic_end() prints the backtrace and powers off. */
void
panic_begin(void);
void
panic_end(uint64_t pc, uint64_t rbp) __noreturn;

#endif
