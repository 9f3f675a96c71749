/* The CMOS (MC146818) real-time clock, read once at boot for wall time.
 * Reads are repeated until two agree, so an update between the register
 * reads cannot tear the result; BCD and 12-hour modes are decoded. */
#include <keel/arch.h>
#include <keel/clock_hw.h>
#include <keel/errno.h>

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define CMOS_NMI_OFF	0x80
#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_STATUS_A	0x0a
#define RTC_STATUS_B	0x0b
#define RTC_CENTURY	0x32
#define STATUS_A_UIP	0x80	/* update in progress */
#define STATUS_B_24H	0x02
#define STATUS_B_BINARY	0x04
#define HOUR_PM		0x80
#define RTC_TRIES	8
#define UIP_SPIN_LIMIT	100000

struct rtc_time {
	unsigned sec, min, hour, day, mon, year, century;
};

static uint8_t
cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return inb(CMOS_DATA);
}

static unsigned
bcd(unsigned v)
{
	return (v & 0x0f) + (v >> 4) * 10;
}

static void
rtc_read_raw(struct rtc_time *t)
{
	for (int i = 0; i < UIP_SPIN_LIMIT; i++)
		if (!(cmos_read(RTC_STATUS_A) & STATUS_A_UIP))
			break;
	t->sec = cmos_read(RTC_SECONDS);
	t->min = cmos_read(RTC_MINUTES);
	t->hour = cmos_read(RTC_HOURS);
	t->day = cmos_read(RTC_DAY);
	t->mon = cmos_read(RTC_MONTH);
	t->year = cmos_read(RTC_YEAR);
	t->century = cmos_read(RTC_CENTURY);
}

static void
rtc_decode(struct rtc_time *t, uint8_t status_b)
{
	bool pm = t->hour & HOUR_PM;

	t->hour &= ~HOUR_PM;
	if (!(status_b & STATUS_B_BINARY)) {
		t->sec = bcd(t->sec);
		t->min = bcd(t->min);
		t->hour = bcd(t->hour);
		t->day = bcd(t->day);
		t->mon = bcd(t->mon);
		t->year = bcd(t->year);
		t->century = bcd(t->century);
	}
	if (!(status_b & STATUS_B_24H))
		t->hour = (t->hour % 12) + (pm ? 12 : 0);
	/* No century register (or garbage in it): assume 20xx. */
	t->year += (t->century >= 19 && t->century <= 99 ? t->century : 20) * 100;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

int
rtc_read_epoch_seconds(uint64_t *out)
{
	struct rtc_time a, b;
	uint8_t status_b = cmos_read(RTC_STATUS_B);

	if (status_b == 0xff)
		return -ENODEV;		/* floating bus: no CMOS */
	rtc_read_raw(&a);
	for (int i = 0; i < RTC_TRIES; i++) {
		rtc_read_raw(&b);
		if (__builtin_memcmp(&a, &b, sizeof(a)) == 0)
			break;
		a = b;
	}
	rtc_decode(&a, status_b);
	if (a.mon < 1 || a.mon > 12 || a.day < 1 || a.day > 31 ||
	    a.hour > 23 || a.min > 59 || a.sec > 60 || a.year < 1970)
		return -EIO;
	*out = (uint64_t)days_from_civil(a.year, a.mon, a.day) * 86400 +
	       a.hour * 3600 + a.min * 60 + a.sec;
	return 0;
}
