/* The 16550 UART on COM1: the kernel console. Polled output only; the
 * console must work from the first C instruction and inside a panic. */
#include <keel/arch.h>
#include <keel/printk.h>
#include <keel/serial.h>
#include <keel/spinlock.h>

#define COM1_BASE	0x3f8
#define UART_THR	0	/* transmit holding (DLAB=0) */
#define UART_IER	1
#define UART_DLL	0	/* divisor latch low (DLAB=1) */
#define UART_DLM	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LCR_8N1		0x03
#define LCR_DLAB	0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS	0x03
#define LSR_THR_EMPTY	0x20
#define BAUD_DIVISOR_115200 1
/* Bounded wait for a transmitter that never drains (no UART present). */
#define THR_SPIN_LIMIT	100000

static struct spinlock console_lock = SPINLOCK_INIT_NAMED("console");

void
serial_init(void)
{
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, LCR_DLAB);
	outb(COM1_BASE + UART_DLL, BAUD_DIVISOR_115200);
	outb(COM1_BASE + UART_DLM, 0);
	outb(COM1_BASE + UART_LCR, LCR_8N1);
	outb(COM1_BASE + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1_BASE + UART_MCR, MCR_DTR_RTS);
	/* Firmware (SeaBIOS) may leave its last line unterminated; start ours
	 * on a fresh line so every kernel line begins with "keel:". */
	console_write("\n", 1);
}

static void
serial_putc(char c)
{
	for (int i = 0; i < THR_SPIN_LIMIT; i++)
		if (inb(COM1_BASE + UART_LSR) & LSR_THR_EMPTY)
			break;
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void
console_write(const char *s, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&console_lock);

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
	spin_unlock_irqrestore(&console_lock, flags);
}

/* For panic: the lock may be held by the code that faulted. */
void
console_write_unlocked(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
