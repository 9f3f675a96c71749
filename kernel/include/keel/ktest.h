/* In-kernel self-tests, run with --test=NAME (or --test=all). A suite is a
 * list of cases placed in the .ktest_suites section; results print as KTAP
 * and the kernel powers off with the number of failed cases as status. */
#ifndef KEEL_KTEST_H
#define KEEL_KTEST_H

#include <keel/compiler.h>

struct ktest_case {
	const char *name;
	void (*fn)(void);
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	int ncases;
	/* Suites that end the kernel on purpose (fault, canary) run only when
	 * named, never under --test=all. */
	bool only_when_named;
};

#define KTEST_CASE(fn)	{ #fn, fn }

#define KTEST_SUITE_DEFINE(sname, named_only, ...) \
	static const struct ktest_case ktest_cases_##sname[] = { __VA_ARGS__ }; \
	static const struct ktest_suite ktest_suite_##sname \
		__used __section(".ktest_suites") __aligned(8) = { \
		#sname, ktest_cases_##sname, \
		ARRAY_SIZE(ktest_cases_##sname), named_only }

#define KTEST_SUITE(sname, ...)	KTEST_SUITE_DEFINE(sname, false, __VA_ARGS__)

/* Records a failure of the running case; the case goes on. */
void
ktest_fail(const char *file, int line, const char *fmt, ...) __printf(3, 4);

#define KT_EXPECT(cond) \
	do { if (!(cond)) ktest_fail(__FILE__, __LINE__, "%s", #cond); } while (0)
#define KT_EXPECT_EQ(a, b) \
	do { long long a_ = (long long)(a), b_ = (long long)(b); \
	     if (a_ != b_) ktest_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", \
				      #a, #b, a_, b_); } while (0)

/* Runs the suites named in @name, a comma-separated list ("all" for every
 * suite not marked only_when_named). Returns the number of failed cases,
 * or -ENOENT if a name is unknown. */
int
ktest_run(const char *name);

#endif
