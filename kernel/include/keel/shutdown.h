/* Orderly power-off at the end of the application. */
#ifndef KEEL_SHUTDOWN_H
#define KEEL_SHUTDOWN_H

#include <keel/compiler.h>

/* Syncs and unmounts every file system, then powers off with @status.
 * Call from thread context (it may sleep on disk writes). */
void
kernel_shutdown(int status) __noreturn;

#endif
