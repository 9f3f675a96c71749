/* Writes through a null pointer: Keel must end the program as SIGSEGV
 * would (status 139) and say where, never crash the kernel. */
#include <stdio.h>

int
main(void)
{
	volatile int *p = (volatile int *)0;

	printf("segv: about to fault\n");
	fflush(stdout);
	*p = 1;
	return 0;
}
