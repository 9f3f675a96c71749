/* Pipes between threads: a producer writes more than the pipe holds, a
 * consumer reads it all back in order; end of file once the writer
 * closes; EPIPE once the reader has; O_NONBLOCK gives EAGAIN. KTAP. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ktap.h"

#define TOTAL	(256 * 1024)

static int fds[2];

static void *
producer(void *arg)
{
	static char block[4096];
	(void)arg;
	for (int sent = 0; sent < TOTAL; sent += sizeof(block)) {
		for (size_t i = 0; i < sizeof(block); i++)
			block[i] = (char)((sent + i) % 251);
		if (write(fds[1], block, sizeof(block)) != sizeof(block))
			return (void *)1;
	}
	close(fds[1]);
	return NULL;
}

static int
bulk_transfer_in_order(void)
{
	pthread_t t;
	char buf[3000];
	long got = 0, bad = 0, n;

	if (pipe(fds) || pthread_create(&t, NULL, producer, NULL))
		return 0;
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++)
			bad += buf[i] != (char)((got + i) % 251);
		got += n;
	}
	pthread_join(t, NULL);
	close(fds[0]);
	return n == 0 && got == TOTAL && bad == 0;
}

static int
epipe_and_eagain(void)
{
	int p[2];
	char c;

	signal(SIGPIPE, SIG_IGN);
	if (pipe2(p, O_NONBLOCK))
		return 0;
	if (read(p[0], &c, 1) != -1 || errno != EAGAIN)
		return 0;
	close(p[0]);
	return write(p[1], "x", 1) == -1 && errno == EPIPE && close(p[1]) == 0;
}

int
main(void)
{
	printf("KTAP version 1\n1..2\n");
	report("bulk_transfer_in_order", bulk_transfer_in_order());
	report("epipe_and_eagain", epipe_and_eagain());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
