/* Eight threads each take a mutex 100,000 times to increment one counter,
 * after meeting at a condition variable: the total must be exact. Exercises
 * clone, futex wait/wake, set_tid_address/CLONE_CHILD_CLEARTID (join). */
#include <pthread.h>
#include <stdio.h>

#define THREADS		8
#define INCREMENTS	100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_started = PTHREAD_COND_INITIALIZER;
static long counter;
static int started;

static void *
work(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	started++;
	pthread_cond_broadcast(&all_started);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int
main(void)
{
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, work, NULL))
			return 2;
	pthread_mutex_lock(&lock);
	while (started < THREADS)
		pthread_cond_wait(&all_started, &lock);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("pthreads: counter=%ld expected=%ld\n", counter,
	       (long)THREADS * INCREMENTS);
	return counter == (long)THREADS * INCREMENTS ? 0 : 1;
}
