/* Runs every registered unit case in registration order and reports in
 * KTAP style; exit status is the number of failed cases. */
#include <stdlib.h>
#include "unit.h"

#define UNIT_MAX_CASES 512

static struct unit_case cases[UNIT_MAX_CASES];
static int ncases;
static int current_failed;

void
unit_register(const char *name, void (*fn)(void))
{
	if (ncases == UNIT_MAX_CASES) {
		fprintf(stderr, "unit: too many cases\n");
		abort();
	}
	cases[ncases].name = name;
	cases[ncases].fn = fn;
	ncases++;
}

void
unit_fail(const char *file, int line, const char *msg)
{
	printf("    # %s:%d: check failed: %s\n", file, line, msg);
	current_failed = 1;
}

int
main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	(void)argc;
	printf("KTAP version 1\n# %s\n1..%d\n", argv[0], ncases);
	for (int i = 0; i < ncases; i++) {
		current_failed = 0;
		cases[i].fn();
		printf("%s %d %s\n", current_failed ? "not ok" : "ok", i + 1,
		       cases[i].name);
		if (current_failed)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed > 0;
}
