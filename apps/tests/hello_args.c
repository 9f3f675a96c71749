/* Prints its arguments and exits with the status given as its second
 * argument: proves argv, stdout and the exit status on Keel. */
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	printf("hello_args: argc=%d", argc);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	return argc > 2 ? atoi(argv[2]) : 0;
}
