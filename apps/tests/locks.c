/* fcntl() byte-range locks: POSIX locks (the process's: never in its own
 * way, dropped by closing any descriptor of the file) and OFD locks (the
 * open file's: two open()s conflict, dup()s share), and how the two kinds
 * meet. KTAP; exit status is the number of failed cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ktap.h"

#ifndef F_OFD_GETLK
#define F_OFD_GETLK	36	/* musl does not name them */
#define F_OFD_SETLK	37
#define F_OFD_SETLKW	38
#endif

static int
lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	return fcntl(fd, cmd, &fl);
}

/* F_(OFD_)GETLK for a write lock on [start, start + len): the conflict. */
static struct flock
probe(int fd, int cmd, off_t start, off_t len)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	if (fcntl(fd, cmd, &fl))
		fl.l_type = -1;
	return fl;
}

static int
posix_locks_never_conflict_in_one_process(void)
{
	int a = open("/tmp/lk", O_CREAT | O_RDWR | O_TRUNC, 0644);
	int b = open("/tmp/lk", O_RDWR);

	return a >= 0 && b >= 0 &&
	       lock(a, F_SETLK, F_WRLCK, 0, 0) == 0 &&
	       lock(b, F_SETLK, F_WRLCK, 0, 100) == 0 &&
	       probe(b, F_GETLK, 0, 0).l_type == F_UNLCK &&
	       lock(a, F_SETLK, F_UNLCK, 0, 0) == 0 &&
	       close(a) == 0 && close(b) == 0;
}

static int
ofd_locks_belong_to_the_open_file(void)
{
	int a = open("/tmp/lk", O_RDWR), b = open("/tmp/lk", O_RDWR), c = dup(a);
	struct flock seen;

	if (a < 0 || b < 0 || c < 0 || lock(a, F_OFD_SETLK, F_WRLCK, 10, 90))
		return 0;
	seen = probe(b, F_OFD_GETLK, 0, 0);
	return lock(b, F_OFD_SETLK, F_WRLCK, 50, 1) == -1 && errno == EAGAIN &&
	       lock(b, F_OFD_SETLK, F_RDLCK, 99, 1) == -1 && errno == EAGAIN &&
	       lock(b, F_OFD_SETLK, F_WRLCK, 0, 10) == 0 &&	/* just below */
	       lock(b, F_OFD_SETLK, F_WRLCK, 100, 0) == 0 &&	/* just above */
	       seen.l_type == F_WRLCK && seen.l_start == 10 && seen.l_len == 90 &&
	       lock(c, F_OFD_SETLK, F_WRLCK, 20, 5) == 0 &&	/* a dup shares */
	       close(a) == 0 && lock(b, F_OFD_SETLK, F_WRLCK, 30, 1) == -1 &&
	       close(c) == 0 &&				/* the last one goes */
	       lock(b, F_OFD_SETLK, F_WRLCK, 10, 90) == 0 && close(b) == 0;
}

static int
unlocking_splits_a_range(void)
{
	int a = open("/tmp/lk", O_RDWR), b = open("/tmp/lk", O_RDWR);
	struct flock seen;

	if (a < 0 || b < 0 || lock(a, F_OFD_SETLK, F_WRLCK, 0, 100) ||
	    lock(a, F_OFD_SETLK, F_UNLCK, 40, 20))
		return 0;
	seen = probe(b, F_OFD_GETLK, 40, 100);
	return lock(b, F_OFD_SETLK, F_WRLCK, 45, 5) == 0 &&
	       lock(b, F_OFD_SETLK, F_WRLCK, 10, 5) == -1 && errno == EAGAIN &&
	       lock(b, F_OFD_SETLK, F_WRLCK, 95, 5) == -1 && errno == EAGAIN &&
	       seen.l_type == F_WRLCK && seen.l_start == 60 && seen.l_len == 40 &&
	       seen.l_pid == -1 && close(a) == 0 && close(b) == 0;
}

static int
read_locks_share(void)
{
	int a = open("/tmp/lk", O_RDWR), b = open("/tmp/lk", O_RDWR);

	return a >= 0 && b >= 0 &&
	       lock(a, F_OFD_SETLK, F_RDLCK, 0, 0) == 0 &&
	       lock(b, F_OFD_SETLK, F_RDLCK, 0, 0) == 0 &&
	       lock(b, F_OFD_SETLK, F_WRLCK, 0, 1) == -1 && errno == EAGAIN &&
	       close(a) == 0 && lock(b, F_OFD_SETLK, F_WRLCK, 0, 1) == 0 &&
	       close(b) == 0;
}

/* The process's POSIX lock is another owner to an OFD lock, and closing
 * any descriptor of the file (not just the one used) drops it. */
static int
posix_and_ofd_locks_meet(void)
{
	int a = open("/tmp/lk", O_RDWR), b = open("/tmp/lk", O_RDWR);
	int other = open("/tmp/lk", O_RDONLY);
	struct flock seen;

	if (a < 0 || b < 0 || other < 0 || lock(a, F_SETLK, F_WRLCK, 0, 10))
		return 0;
	seen = probe(b, F_OFD_GETLK, 0, 1);
	return lock(b, F_OFD_SETLK, F_WRLCK, 5, 1) == -1 && errno == EAGAIN &&
	       seen.l_type == F_WRLCK && seen.l_pid > 0 &&
	       close(other) == 0 && lock(b, F_OFD_SETLK, F_WRLCK, 5, 1) == 0 &&
	       lock(a, F_SETLK, F_WRLCK, 0, 10) == -1 && errno == EAGAIN &&
	       close(a) == 0 && close(b) == 0;
}

static int waiter_fd;
static volatile int waiter_done;

static void *
waiter(void *arg)
{
	(void)arg;
	if (lock(waiter_fd, F_OFD_SETLKW, F_WRLCK, 0, 0) == 0)
		waiter_done = 1;
	return NULL;
}

static int
setlkw_waits_for_the_holder(void)
{
	int a = open("/tmp/lk", O_RDWR);
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	pthread_t t;
	int early;

	waiter_fd = open("/tmp/lk", O_RDWR);
	if (a < 0 || waiter_fd < 0 || lock(a, F_OFD_SETLK, F_WRLCK, 0, 0) ||
	    pthread_create(&t, NULL, waiter, NULL))
		return 0;
	nanosleep(&pause, NULL);
	early = waiter_done;
	if (lock(a, F_OFD_SETLK, F_UNLCK, 0, 0) || pthread_join(t, NULL))
		return 0;
	return !early && waiter_done && close(a) == 0 && close(waiter_fd) == 0;
}

static int
bad_requests(void)
{
	int ro = open("/tmp/lk", O_RDONLY);
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = 7;
	if (ro < 0 || fcntl(ro, F_SETLK, &fl) != -1 || errno != EINVAL)
		return 0;
	fl.l_whence = SEEK_SET;
	fl.l_pid = 1;
	if (fcntl(ro, F_OFD_SETLK, &fl) != -1 || errno != EINVAL)
		return 0;
	return lock(ro, F_SETLK, F_WRLCK, 0, 1) == -1 && errno == EBADF &&
	       lock(ro, F_SETLK, F_RDLCK, 5, -10) == -1 && errno == EINVAL &&
	       lock(ro, F_SETLK, 9, 0, 1) == -1 && errno == EINVAL &&
	       fcntl(ro, F_SETLK, (void *)16) == -1 && errno == EFAULT &&
	       fcntl(ro, F_OFD_GETLK, (void *)16) == -1 && errno == EFAULT &&
	       close(ro) == 0 && unlink("/tmp/lk") == 0;
}

int
main(void)
{
	printf("KTAP version 1\n1..7\n");
	report("posix_locks_never_conflict_in_one_process",
	       posix_locks_never_conflict_in_one_process());
	report("ofd_locks_belong_to_the_open_file", ofd_locks_belong_to_the_open_file());
	report("unlocking_splits_a_range", unlocking_splits_a_range());
	report("read_locks_share", read_locks_share());
	report("posix_and_ofd_locks_meet", posix_and_ofd_locks_meet());
	report("setlkw_waits_for_the_holder", setlkw_waits_for_the_holder());
	report("bad_requests", bad_requests());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
