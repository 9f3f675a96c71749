/* Tests kernel/lib/vsnprintf.c (built as kvsnprintf/ksnprintf) by running
 * each format through it and the host C library and comparing text and
 * return value, at full size and at every truncating buffer size. */
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
/* Before unit.h, which #undefs the build's renames: this declares the
 * kernel's functions as kvsnprintf/ksnprintf. */
#include <keel/printk.h>
#include "unit.h"

/* The C library's snprintf, the reference; <stdio.h> was read under the
 * renames, so it is declared here. */
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define BUF 300

static void
cmp_report(int line, const char *what, const char *kb, int kr,
	   const char *lb, int lr, size_t size)
{
	char m[1024];

	if (kr == lr && memcmp(kb, lb, BUF) == 0)
		return;
	snprintf(m, sizeof(m), "line %d: %s, size %zu: kernel %d \"%.200s\" "
		 "libc %d \"%.200s\"", line, what, size, kr, kb, lr, lb);
	unit_fail(__FILE__, line, m);
}

/* Compares at full size, then every size from 0 to one past the length;
 * the whole buffer is compared so a write past size is caught too. */
#define CMP(...) do { \
	char k_[BUF], l_[BUF]; \
	int kr_, lr_; \
	for (size_t n_ = 0; n_ <= BUF; n_++) { \
		memset(k_, 'Z', BUF); \
		memset(l_, 'Z', BUF); \
		kr_ = ksnprintf(k_, n_, __VA_ARGS__); \
		lr_ = snprintf(l_, n_, __VA_ARGS__); \
		cmp_report(__LINE__, #__VA_ARGS__, k_, kr_, l_, lr_, n_); \
		if (n_ < BUF - 1 && n_ > (size_t)lr_ + 1) \
			n_ = BUF - 1; \
	} \
} while (0)

/* Compares against a fixed expectation (for what libc does differently). */
#define EXPECT(want, ...) do { \
	char b_[BUF]; \
	int r_ = ksnprintf(b_, sizeof(b_), __VA_ARGS__); \
	CHECK_STR(b_, want); \
	CHECK_EQ(r_, (int)strlen(want)); \
} while (0)

TEST(plain_text_and_percent)
{
	CMP("hello, world");
	CMP("%%");
	CMP("a%%b%%%%c");
	CMP("tab\there\n");
}

TEST(signed_decimal)
{
	CMP("%d", 0);
	CMP("%d", 1);
	CMP("%d", -1);
	CMP("%d", INT_MAX);
	CMP("%d", INT_MIN);
	CMP("%i", -12345);
	CMP("%i %d %i", 1, -2, 3);
}

TEST(signed_flags)
{
	CMP("%+d %+d %+d", 5, -5, 0);
	CMP("% d % d % d", 5, -5, 0);
	CMP("%5d|%-5d|%05d", 42, 42, 42);
	CMP("%5d|%-5d|%05d", -42, -42, -42);
	CMP("%+05d|%+-5d|% 05d", 42, 42, 42);
	CMP("%1d|%2d", 123, -123);
	CMP("%020d", INT_MIN);
}

TEST(precision_integers)
{
	CMP("%5.3d|%-5.3d", 7, -7);
	CMP("%.3d|%.3d|%.0d|%.0d", 7, -7, 0, 1);
	CMP("%+.3d|% .3d", 7, 7);
	CMP("%.10u|%.1u|%.0u", 12u, 0u, 0u);
	CMP("%5.0d|%-5.0d|%+.0d", 0, 0, 0);
	CMP("%.d", 0);
	CMP("%.20d", INT_MIN);
	CMP("%30.20x", 0xabcu);
}

TEST(unsigned_decimal)
{
	CMP("%u", 0u);
	CMP("%u", UINT_MAX);
	CMP("%u", (unsigned)-1);
	CMP("%10u|%-10u|%010u", 99u, 99u, 99u);
}

TEST(hexadecimal)
{
	CMP("%x %X", 0xdeadbeefu, 0xdeadbeefu);
	CMP("%x", 0u);
	CMP("%#x %#X %#x", 0xabu, 0xabu, 0u);
	CMP("%#08x|%#-8x|%#8X", 0x1fu, 0x1fu, 0x1fu);
	CMP("%#.4x|%#.0x|%.0x", 0x1fu, 0u, 0u);
	CMP("%08x|%8x|%-8x|", 0xfu, 0xfu, 0xfu);
}

TEST(octal)
{
	CMP("%o %o %o", 0u, 8u, 0777u);
	CMP("%#o %#o", 0u, 8u);
	CMP("%#.3o|%#.0o|%.0o|%#5o|%#-5o|%#05o", 8u, 0u, 0u, 8u, 8u, 8u);
	CMP("%#.1o|%#.2o", 8u, 8u);
	CMP("%llo", ~0ull);
}

TEST(length_modifiers)
{
	CMP("%hhd %hhd %hhd", 300, -129, 127);
	CMP("%hhu %hhx %hho", 261, 0x1ff, 0777);
	CMP("%hd %hd %hu %hx", 70000, -32769, 70000, 0x12345);
	CMP("%ld %ld %lu %lx", LONG_MIN, LONG_MAX, ULONG_MAX, ULONG_MAX);
	CMP("%lld %lld %llu %llX", LLONG_MIN, LLONG_MAX, ULLONG_MAX,
	    0x123456789abcdefull);
	CMP("%zu %zx %zd %zd", SIZE_MAX, (size_t)0x10, (ssize_t)-5,
	    (ssize_t)SSIZE_MAX);
	CMP("%td %td %tx", (ptrdiff_t)-7, PTRDIFF_MAX, (ptrdiff_t)255);
	CMP("%jd %jd %ju %jx", INTMAX_MIN, INTMAX_MAX, UINTMAX_MAX,
	    (uintmax_t)0xff);
	CMP("%li %lli %hi %hhi", -1L, -2LL, (short)-3, (signed char)-4);
	CMP("%-+25lld|%025lld", LLONG_MIN, LLONG_MIN);
}

TEST(characters)
{
	CMP("%c%c%c", 'a', 'b', 'c');
	CMP("%3c|%-3c|", 'x', 'y');
	CMP("%c", 0xff);
	CMP("a%cb", 0);
}

TEST(strings)
{
	CMP("%s", "abc");
	CMP("%s", "");
	CMP("%5s|%-5s|%1s", "ab", "ab", "abcdef");
	CMP("%.2s|%.0s|%.10s", "abcdef", "abcdef", "abc");
	CMP("%5.2s|%-5.2s|", "abcdef", "abcdef");
	CMP("[%s] [%s]", "one", "two");
}

TEST(string_precision_reads_no_further)
{
	char unterminated[3] = { 'x', 'y', 'z' };

	CMP("%.3s", unterminated);
	CMP("%.2s", unterminated);
}

TEST(star_width_and_precision)
{
	CMP("%*d|%-*d", 6, 42, 6, 42);
	CMP("%*d", -6, 42);
	CMP("%.*d|%.*d", 4, 42, -1, 42);
	CMP("%*.*s|", 8, 3, "abcdef");
	CMP("%-*.*s|", 8, 3, "abcdef");
	CMP("%*s|", -8, "ab");
	CMP("%.*s|", -3, "abcdef");
	CMP("%*d", 0, 5);
	CMP("%0*d", 7, -5);
}

TEST(pointers)
{
	CMP("%p", (void *)0x1234);
	CMP("%p", (void *)-1);
	CMP("%20p|%-20p|", (void *)0xabc, (void *)0xabc);
	CMP("%p %p", (void *)&cmp_report, (void *)"x");
}

TEST(mixed_and_long)
{
	CMP("x=%d y=%s z=%c w=%#x", -3, "str", 'q', 255u);
	CMP("%100d", 1);
	CMP("%-150s|", "left");
	CMP("%s%s%s%s%s", "aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc",
	    "dddddddddd", "eeeeeeeeee");
	CMP("%d %u %x %o %c %s %%", -1, 2u, 3u, 8u, 'z', "s");
}

/* Flags C gives no meaning to for these conversions, or that another flag
 * overrides ('-' beats '0', '+' beats ' ', precision beats '0'). */
TEST(ignored_flags)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
	CMP("");
	CMP("%+ d % +d", 5, 5);
	CMP("%-05d|%0-5d|", 42, -42);
	CMP("%05.3d|%05.0d|%0.3u", 7, 0, 7u);
	CMP("%#010.4x|%08.3o", 0x1fu, 8u);
	CMP("%+u % u %+x % x", 5u, 5u, 5u, 5u);
	CMP("%#d %#s %#c", 5, "s", 'c');
	CMP("%05s|%05c|", "ab", 'c');
	CMP("%.3c|", 'c');
#pragma GCC diagnostic pop
}

TEST(null_string)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat"
	EXPECT("(null)", "%s", (char *)NULL);
	EXPECT("  (null)", "%8s", (char *)NULL);
	EXPECT("(null)  |", "%-8s|", (char *)NULL);
	EXPECT("(nu", "%.3s", (char *)NULL);
#pragma GCC diagnostic pop
}

TEST(null_pointer_is_hex)
{
	EXPECT("0x0", "%p", (void *)NULL);
	EXPECT("  0x0", "%5p", (void *)NULL);
}

TEST(size_zero_writes_nothing)
{
	char buf[4] = "abc";

	CHECK_EQ(ksnprintf(buf, 0, "%d", 12345), 5);
	CHECK_STR(buf, "abc");
	CHECK_EQ(ksnprintf(NULL, 0, "%s-%s", "ab", "cd"), 5);
}

TEST(truncation_terminates_and_counts)
{
	char buf[5];

	CHECK_EQ(ksnprintf(buf, sizeof(buf), "%s", "abcdefgh"), 8);
	CHECK_STR(buf, "abcd");
	CHECK_EQ(ksnprintf(buf, 1, "xyz"), 3);
	CHECK_EQ(buf[0], '\0');
	CHECK_EQ(ksnprintf(buf, sizeof(buf), "%08d", -1), 8);
	CHECK_STR(buf, "-000");
}

/* Malformed formats print visibly rather than consume arguments wrongly. */
TEST(unknown_and_trailing_conversion)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
	EXPECT("a%yb", "a%yb");
	EXPECT("end%", "end%");
	EXPECT("%q 7", "%q %d", 7);
#pragma GCC diagnostic pop
}

static int
call_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* vsnprintf must leave the caller's va_list usable for va_end and read
 * arguments in order through its helpers. */
TEST(vsnprintf_va_list)
{
	char buf[64];

	CHECK_EQ(call_vsnprintf(buf, sizeof(buf), "%d-%s-%lld-%c", 1, "two",
				3LL, '4'), 9);
	CHECK_STR(buf, "1-two-3-4");
}
