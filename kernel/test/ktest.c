/* The in-kernel self-test runner: finds suites in .ktest_suites, runs the
 * one named by --test= (or all), prints KTAP and counts failed cases. */
#include <keel/errno.h>
#include <keel/ktest.h>
#include <keel/printk.h>
#include <keel/string.h>

extern const struct ktest_suite _ktest_suites_start[], _ktest_suites_end[];

static int case_failures;

void
ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printk("        # %s:%d: expectation failed: ", file, line);
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	case_failures++;
}

/* @names is "all" (every suite not marked only_when_named) or a
 * comma-separated list of suite names. */
static bool
ktest_selected(const struct ktest_suite *s, const char *names)
{
	size_t len = strlen(s->name);

	if (strcmp(names, "all") == 0)
		return !s->only_when_named;
	for (const char *p = names; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, s->name, len) == 0 && (p[len] == ',' || !p[len]))
			return true;
	}
	return false;
}

/* Every name in a comma-separated @names is some suite's. */
static bool
ktest_names_known(const char *names)
{
	const struct ktest_suite *s;

	if (strcmp(names, "all") == 0)
		return true;
	for (const char *p = names; p; p = strchr(p, ',')) {
		bool known = false;

		if (*p == ',')
			p++;
		for (s = _ktest_suites_start; s < _ktest_suites_end; s++) {
			size_t len = strlen(s->name);

			if (strncmp(p, s->name, len) == 0 &&
			    (p[len] == ',' || !p[len]))
				known = true;
		}
		if (!known)
			return false;
	}
	return true;
}

/* Runs one suite as a KTAP subtest; returns its failed case count. */
static int
ktest_run_suite(const struct ktest_suite *s, int number)
{
	int failed = 0;

	printk("    KTAP version 1\n    # Subtest: %s\n    1..%d\n",
	       s->name, s->ncases);
	for (int i = 0; i < s->ncases; i++) {
		case_failures = 0;
		s->cases[i].fn();
		printk("    %s %d %s\n", case_failures ? "not ok" : "ok",
		       i + 1, s->cases[i].name);
		failed += case_failures > 0;
	}
	printk("%s %d %s\n", failed ? "not ok" : "ok", number, s->name);
	return failed;
}

int
ktest_run(const char *name)
{
	const struct ktest_suite *s;
	int nsuites = 0, number = 0, failed = 0;

	if (!ktest_names_known(name))
		return -ENOENT;
	for (s = _ktest_suites_start; s < _ktest_suites_end; s++)
		nsuites += ktest_selected(s, name);
	printk("KTAP version 1\n1..%d\n", nsuites);
	for (s = _ktest_suites_start; s < _ktest_suites_end; s++)
		if (ktest_selected(s, name))
			failed += ktest_run_suite(s, ++number);
	printk("# %s: %d failed\n", name, failed);
	return failed;
}
