/* Runs every registered unit case in registration order and reports in
 * KTAP style; exit status is the number of failed cases. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
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

/* Runs @fn in a child process and checks that it panics (the shim's panic
 * aborts) with @needle somewhere in what it printed to stderr. */
void
unit_expect_panic(void (*fn)(void), const char *needle)
{
	char buf[1024] = { 0 };
	int fds[2], status;
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while ((r = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	close(fds[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	CHECK(strstr(buf, needle) != NULL);
	if (!strstr(buf, needle))
		printf("    # child said: %s\n", buf);
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
