/* Pointers that carry a negative errno instead (the top 4095 addresses
 * are never valid objects), for functions that return an object or an
 * error. */
#ifndef KEEL_ERR_H
#define KEEL_ERR_H

#include <keel/compiler.h>

#define MAX_ERRNO	4095

static inline void *
ERR_PTR(long err)
{
	return (void *)err;
}

static inline long
PTR_ERR(const void *p)
{
	return (long)p;
}

static inline bool
IS_ERR(const void *p)
{
	return (uintptr_t)p >= (uintptr_t)-MAX_ERRNO;
}

#endif
