/* abort(): the C library signals the calling thread with SIGABRT, whose
 * default action must end the program with status 134. */
#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	printf("abort: calling abort()\n");
	fflush(stdout);
	abort();
}
