/* Application memory: the only way the kernel reads or writes it. Every
 * helper checks the range lies in the application half of the address
 * space and survives a fault there (exception-table fixups), returning
 * -EFAULT instead of crashing the kernel. */
#ifndef KEEL_UACCESS_H
#define KEEL_UACCESS_H

#include <keel/compiler.h>

/* Marks pointers into application memory; they must not be dereferenced. */
#define __user

#define USER_ADDR_END	0x0000800000000000ULL

/* True if [addr, addr+len) lies entirely in the application half. */
static inline bool
user_range_ok(uint64_t addr, size_t len)
{
	return addr < USER_ADDR_END && len <= USER_ADDR_END - addr;
}

/* Return 0 or -EFAULT. */
int
copy_from_user(void *dst, const void __user *src, size_t len);
int
copy_to_user(void __user *dst, const void *src, size_t len);
/* Copies a NUL-terminated string of at most @max bytes including the NUL.
 * Returns its length, -EFAULT, or -ENAMETOOLONG if no NUL within @max. */
long
strncpy_from_user(char *dst, const char __user *src, size_t max);
/* Atomically replaces the aligned word at @uaddr with @new if it holds
 * *@expected. Returns 0 if it did, -EAGAIN (and the word's value in
 * *@expected) if the word held something else, -EFAULT if it cannot be
 * written, -EINVAL if it is not aligned. A first touch of a writable
 * page is served like any fault. */
int
user_cmpxchg_u32(uint32_t __user *uaddr, uint32_t *expected, uint32_t new);

#endif
