/* Memory bring-up at boot (mm/mm_init.c). */
#ifndef KEEL_MM_H
#define KEEL_MM_H

#include <keel/boot.h>
#include <keel/printk.h>

/* Builds the final page tables and starts pmm. On failure returns a
 * negative errno with a one-line reason in @why. */
int
mm_init(const struct boot_info *bi, char *why, size_t why_len);

#endif
