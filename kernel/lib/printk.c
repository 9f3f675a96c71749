/* printk: format into a bounded stack buffer and hand it to the console.
 * Output longer than the buffer is cut, never overflowed. */
#include <keel/printk.h>
#include <keel/panic.h>
#include <keel/serial.h>

#define PRINTK_BUF_SIZE	512

/* Set once a panic starts: from then on printk bypasses the console lock,
 * which the failing code may hold. */
bool printk_in_panic;

int
vprintk(const char *fmt, va_list ap)
{
	char buf[PRINTK_BUF_SIZE];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t len = n < 0 ? 0 : MIN((size_t)n, sizeof(buf) - 1);

	if (printk_in_panic)
		console_write_unlocked(buf, len);
	else
		console_write(buf, len);
	return n;
}

int
printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
