/* The power-cut test's writer and checker (tests/vm/test_ext2.py).
 * "appender append FILE N": appends N fixed-size records, each followed by
 * fsync, and prints "ack I" only after record I's fsync returned -- so the
 * host knows which records the file system promised to keep.
 * "appender check FILE": prints "records N" for the whole records at the
 * start of the file, in order, and "bad I" for the first one that is not. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_LEN	64

static void
format_record(char *rec, long i)
{
	memset(rec, '.', RECORD_LEN);
	snprintf(rec, RECORD_LEN, "record %08ld ", i);
	rec[strlen(rec)] = '.';		/* drop snprintf's NUL */
	rec[RECORD_LEN - 1] = '\n';
}

static int
append(const char *path, long n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	char rec[RECORD_LEN];

	if (fd < 0) {
		perror(path);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		format_record(rec, i);
		if (write(fd, rec, RECORD_LEN) != RECORD_LEN || fsync(fd) != 0) {
			perror("append");
			return 1;
		}
		printf("ack %ld\n", i);
		fflush(stdout);
	}
	return close(fd) != 0;
}

static int
check(const char *path)
{
	FILE *f = fopen(path, "rb");
	char want[RECORD_LEN], got[RECORD_LEN];
	long i = 0;

	if (!f) {
		perror(path);
		return 1;
	}
	while (fread(got, 1, RECORD_LEN, f) == RECORD_LEN) {
		format_record(want, i);
		if (memcmp(want, got, RECORD_LEN) != 0) {
			printf("bad %ld\n", i);
			break;
		}
		i++;
	}
	printf("records %ld\n", i);
	return fclose(f) != 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "append") == 0)
		return append(argv[2], atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return check(argv[2]);
	fprintf(stderr, "usage: appender append FILE N | appender check FILE\n");
	return 2;
}
