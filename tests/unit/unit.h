/* A small host test framework for kernel code: TEST() registers a case,
 * CHECK*() record failures without stopping; main() prints KTAP-style lines
 * and a closing "N passed, N failed". Built with ASan and UBSan. */
#ifndef KEEL_UNIT_H
#define KEEL_UNIT_H

/* The build renames the kernel's snprintf/vsnprintf (ksnprintf) so they do
 * not clash with libc's; test code itself uses libc's under their names. */
#undef snprintf
#undef vsnprintf


#include <stdio.h>
#include <stdint.h>
#include <string.h>

struct unit_case {
	const char *name;
	void (*fn)(void);
};

void unit_register(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *msg);
void unit_expect_panic(void (*fn)(void), const char *needle);

#define TEST(name) \
	static void test_##name(void); \
	__attribute__((constructor)) static void reg_##name(void) \
	{ unit_register(#name, test_##name); } \
	static void test_##name(void)

#define CHECK(cond) \
	do { if (!(cond)) unit_fail(__FILE__, __LINE__, #cond); } while (0)

#define CHECK_EQ(a, b) \
	do { long long a_ = (long long)(a), b_ = (long long)(b); \
	     if (a_ != b_) { char m_[256]; \
		snprintf(m_, sizeof(m_), "%s == %s (%lld != %lld)", #a, #b, a_, b_); \
		unit_fail(__FILE__, __LINE__, m_); } } while (0)

#define CHECK_STR(a, b) \
	do { const char *a_ = (a), *b_ = (b); \
	     if (!a_ || !b_ || strcmp(a_, b_) != 0) { char m_[512]; \
		snprintf(m_, sizeof(m_), "%s == %s (\"%s\" != \"%s\")", #a, #b, \
			 a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		unit_fail(__FILE__, __LINE__, m_); } } while (0)

#endif
