/* The freestanding string and memory functions: the kernel has no libc, and
 * gcc emits calls to memcpy/memset/memmove/memcmp on its own. The bulk
 * copies move eight bytes at a time. */
#include <stdint.h>
#include <keel/string.h>

/*
 * The byte loops below must not be turned back into calls to the functions
 * they implement, which would recurse forever.
 */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* Word loops rather than rep-string instructions: the kernel must boot fast
 * under emulation too, where QEMU's TCG runs each rep iteration as its own
 * translated block, an order of magnitude slower than a plain loop. */
#define WORD	sizeof(uint64_t)

NO_LIBCALL void *
memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((((uintptr_t)d | (uintptr_t)s) & (WORD - 1)) == 0) {
		for (; n >= 4 * WORD; n -= 4 * WORD, d += 4 * WORD, s += 4 * WORD) {
			uint64_t a = ((const uint64_t *)s)[0];
			uint64_t b = ((const uint64_t *)s)[1];
			uint64_t c = ((const uint64_t *)s)[2];
			uint64_t e = ((const uint64_t *)s)[3];

			((uint64_t *)d)[0] = a;
			((uint64_t *)d)[1] = b;
			((uint64_t *)d)[2] = c;
			((uint64_t *)d)[3] = e;
		}
		for (; n >= WORD; n -= WORD, d += WORD, s += WORD)
			*(uint64_t *)d = *(const uint64_t *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

NO_LIBCALL void *
memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t pattern = 0x0101010101010101ULL * (uint8_t)c;

	for (; n && ((uintptr_t)d & (WORD - 1)); n--)
		*d++ = (unsigned char)c;
	for (; n >= 4 * WORD; n -= 4 * WORD, d += 4 * WORD) {
		((uint64_t *)d)[0] = pattern;
		((uint64_t *)d)[1] = pattern;
		((uint64_t *)d)[2] = pattern;
		((uint64_t *)d)[3] = pattern;
	}
	for (; n >= WORD; n -= WORD, d += WORD)
		*(uint64_t *)d = pattern;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

/* Overlap with dst above src copies backwards; rep movsb with the direction
 * flag set is slow on most CPUs, so that rare case is a plain loop. */
NO_LIBCALL void *
memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

NO_LIBCALL int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (size_t i = 0; i < n; i++) {
		if (p[i] != q[i])
			return p[i] - q[i];
	}
	return 0;
}

NO_LIBCALL void *
memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == (unsigned char)c)
			return (void *)(p + i);
	}
	return NULL;
}

NO_LIBCALL size_t
strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return p - s;
}

NO_LIBCALL size_t
strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* Comparisons are on unsigned char, as the C standard requires. */
NO_LIBCALL int
strcmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;

	while (*p && *p == *q) {
		p++;
		q++;
	}
	return *p - *q;
}

NO_LIBCALL int
strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;

	for (; n > 0; n--, p++, q++) {
		if (*p != *q || *p == '\0')
			return *p - *q;
	}
	return 0;
}

/* As in C, the terminating NUL counts as part of the string: strchr(s, 0)
 * finds the end. */
NO_LIBCALL char *
strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

NO_LIBCALL char *
strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == '\0')
			return (char *)last;
	}
}

/* BSD strlcpy: always NUL-terminates when size > 0 and returns strlen(src),
 * so the caller detects truncation by ret >= size. */
size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
