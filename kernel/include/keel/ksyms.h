/* The kernel's own symbol table, built into the image at link time (see
 * scripts/gen_ksyms.py), for symbolized backtraces. */
#ifndef KEEL_KSYMS_H
#define KEEL_KSYMS_H

#include <keel/compiler.h>

#define KSYM_NAME_BUF	96

/* Finds the function containing @addr: its name and @addr's offset in it.
 * Returns NULL if @addr is outside kernel text. */
const char *
ksym_lookup(uint64_t addr, uint64_t *offset);

/* Writes "name+0xoff" (or "0x<addr>" when unknown) into @buf. */
void
ksym_format(uint64_t addr, char *buf, size_t size);
/* The same for a return address in a backtrace frame. */
void
ksym_format_return(uint64_t ret, char *buf, size_t size);

#endif
