/* ioctl: passed to the device behind the descriptor; the console answers
 * the terminal queries programs make to decide on line buffering and
 * layout -- TCGETS and TIOCGWINSZ -- as a serial terminal would. Anything
 * else, and any file that is not a device, is -ENOTTY. */
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/string.h>
#include <keel/syscall.h>
#include <keel/uaccess.h>
#include "sys_fs.h"

#define TCGETS		0x5401
#define TIOCGWINSZ	0x5413
#define NCCS		19
/* A cooked 8-bit terminal at 115200 baud: what stty -a shows on ttyS0. */
#define TERM_IFLAG	0x0500		/* ICRNL | IXON */
#define TERM_OFLAG	0x0005		/* OPOST | ONLCR */
#define TERM_CFLAG	0x10bf		/* B115200 | CS8 | CREAD | HUPCL */
#define TERM_LFLAG	0x8a3b		/* ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN */
#define WINSZ_ROWS	24
#define WINSZ_COLS	80

struct termios_user {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line;
	uint8_t cc[NCCS];
};

struct winsize_user {
	uint16_t rows, cols, xpixel, ypixel;
};

long
console_tty_ioctl(unsigned long req, uint64_t uarg)
{
	void __user *arg = (void __user *)uarg;

	if (req == TCGETS) {
		struct termios_user t;

		memset(&t, 0, sizeof(t));
		t.iflag = TERM_IFLAG;
		t.oflag = TERM_OFLAG;
		t.cflag = TERM_CFLAG;
		t.lflag = TERM_LFLAG;
		return copy_to_user(arg, &t, sizeof(t));
	}
	if (req == TIOCGWINSZ) {
		struct winsize_user w = { WINSZ_ROWS, WINSZ_COLS, 0, 0 };

		return copy_to_user(arg, &w, sizeof(w));
	}
	return -ENOTTY;
}

static long
file_ioctl(struct file *f, const struct syscall_args *args)
{
	if (!f->vnode->dev || !f->vnode->dev->ioctl)
		return -ENOTTY;
	return f->vnode->dev->ioctl(f->vnode, args->a[1], args->a[2]);
}

long
sys_ioctl(const struct syscall_args *args)
{
	return fs_with_file((int)args->a[0], file_ioctl, args);
}
