/* The smallest application Keel images carry: prints a line and exits 0.
 * Built with musl-gcc -static (see modules/hello). */
#include <stdio.h>

int
main(void)
{
	printf("Hello from Keel\n");
	return 0;
}
