/* Tests kernel/lib/string.c on the host. Its functions share their names
 * with the C library's, so this file compiles it in under k-prefixed names
 * (below) instead of listing it in UNIT_SRCS, and checks it against libc. */
#include <stdlib.h>
#include "unit.h"

/* unit.h's CHECK_* use libc's snprintf, which <stdio.h> declared under the
 * build's ksnprintf rename. */
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define memcpy kmemcpy
#define memmove kmemmove
#define memset kmemset
#define memcmp kmemcmp
#define memchr kmemchr
#define strlen kstrlen
#define strnlen kstrnlen
#define strcmp kstrcmp
#define strncmp kstrncmp
#define strchr kstrchr
#define strrchr kstrrchr
#define strlcpy kstrlcpy
#include "../../kernel/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#undef strlcpy

#define N 300

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

/* Every length and alignment of a small buffer, so rep-string edges show. */
TEST(memcpy_all_lengths_and_offsets)
{
	unsigned char src[N], dst[N], want[N];

	fill(src, N, 1);
	for (size_t off = 0; off < 9; off++) {
		for (size_t n = 0; n + off < 200; n++) {
			memset(dst, 0xee, N);
			memset(want, 0xee, N);
			memcpy(want + off, src, n);
			CHECK(kmemcpy(dst + off, src, n) == dst + off);
			CHECK(memcmp(dst, want, N) == 0);
		}
	}
}

TEST(memset_all_lengths_and_offsets)
{
	unsigned char dst[N], want[N];

	for (size_t off = 0; off < 9; off++) {
		for (size_t n = 0; n + off < 200; n++) {
			memset(dst, 0x11, N);
			memset(want, 0x11, N);
			memset(want + off, 0xab, n);
			/* Only the low byte of c counts. */
			CHECK(kmemset(dst + off, 0x7ab, n) == dst + off);
			CHECK(memcmp(dst, want, N) == 0);
		}
	}
}

/* Overlap both ways and disjoint, against libc's memmove. */
TEST(memmove_overlapping)
{
	unsigned char got[N], want[N];

	for (size_t d = 0; d < 40; d++) {
		for (size_t s = 0; s < 40; s++) {
			for (size_t n = 0; n < 60; n += 7) {
				fill(got, N, 3);
				fill(want, N, 3);
				memmove(want + d, want + s, n);
				CHECK(kmemmove(got + d, got + s, n) == got + d);
				CHECK(memcmp(got, want, N) == 0);
			}
		}
	}
}

TEST(memcmp_sign_and_unsigned_bytes)
{
	CHECK_EQ(kmemcmp("abc", "abc", 3), 0);
	CHECK_EQ(kmemcmp("abc", "abd", 0), 0);
	CHECK(kmemcmp("abc", "abd", 3) < 0);
	CHECK(kmemcmp("abd", "abc", 3) > 0);
	CHECK(kmemcmp("\x80", "\x7f", 1) > 0);
	CHECK(kmemcmp("ab\0x", "ab\0y", 4) < 0);
}

TEST(memchr_finds_first_and_bounds)
{
	const char s[] = "hello\0world";

	CHECK(kmemchr(s, 'l', 5) == s + 2);
	CHECK(kmemchr(s, 'w', 5) == NULL);
	CHECK(kmemchr(s, 'w', sizeof(s)) == s + 6);
	CHECK(kmemchr(s, 0, sizeof(s)) == s + 5);
	CHECK(kmemchr(s, 'h' + 256, 5) == s);
	CHECK(kmemchr(s, 'h', 0) == NULL);
}

TEST(strlen_and_strnlen)
{
	CHECK_EQ(kstrlen(""), 0);
	CHECK_EQ(kstrlen("abc"), 3);
	CHECK_EQ(kstrnlen("abc", 10), 3);
	CHECK_EQ(kstrnlen("abcdef", 4), 4);
	CHECK_EQ(kstrnlen("abc", 0), 0);
}

TEST(strcmp_matches_libc_sign)
{
	static const char *s[] = { "", "a", "ab", "abc", "abd", "b", "\x80",
				   "\x7f", "ab\x80", "ABC" };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		for (size_t j = 0; j < sizeof(s) / sizeof(s[0]); j++) {
			CHECK_EQ(sign(kstrcmp(s[i], s[j])),
				 sign(strcmp(s[i], s[j])));
			for (size_t n = 0; n < 5; n++)
				CHECK_EQ(sign(kstrncmp(s[i], s[j], n)),
					 sign(strncmp(s[i], s[j], n)));
		}
	}
}

TEST(strchr_and_strrchr)
{
	const char *s = "a/b/c";

	CHECK(kstrchr(s, '/') == s + 1);
	CHECK(kstrrchr(s, '/') == s + 3);
	CHECK(kstrchr(s, 'x') == NULL);
	CHECK(kstrrchr(s, 'x') == NULL);
	CHECK(kstrchr(s, '\0') == s + 5);
	CHECK(kstrrchr(s, '\0') == s + 5);
	CHECK(kstrchr(s, 'a') == s);
	CHECK(kstrrchr("", 'a') == NULL);
}

TEST(strlcpy_truncates_and_returns_source_length)
{
	char buf[8];

	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ(kstrlcpy(buf, "hi", sizeof(buf)), 2);
	CHECK_STR(buf, "hi");
	CHECK_EQ(kstrlcpy(buf, "0123456789", sizeof(buf)), 10);
	CHECK_STR(buf, "0123456");
	CHECK_EQ(kstrlcpy(buf, "exact78", sizeof(buf)), 7);
	CHECK_STR(buf, "exact78");
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ(kstrlcpy(buf, "abc", 0), 3);
	CHECK_EQ(buf[0], 'Z');
	CHECK_EQ(kstrlcpy(buf, "abc", 1), 3);
	CHECK_EQ(buf[0], '\0');
}
