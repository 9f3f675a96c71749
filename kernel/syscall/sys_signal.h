/* Shared with the other call families by sys_signal.c. */
#ifndef KEEL_SYS_SIGNAL_H
#define KEEL_SYS_SIGNAL_H

/* Takes @sig's action on the calling thread as a signal it sent itself:
 * ignored (0), the default (may end the program), or -ENOSYS when a
 * handler would have to run. */
long
signal_raise_self(long sig);

#endif
