/* The 8254 PIT, used only as a reference to calibrate the TSC: channel 2
 * (gated through port 0x61, no interrupt) counts down from 0xffff in mode 0.
 * Reads are aligned to tick edges so I/O latency does not skew the rate. */
#include <keel/arch.h>
#include <keel/clock_hw.h>

#define PIT_CH2_DATA		0x42
#define PIT_COMMAND		0x43
#define PIT_GATE_PORT		0x61
#define GATE_CH2_ENABLE		0x01
#define GATE_SPEAKER		0x02
#define GATE_CH2_OUT		0x20	/* mode 0: high after terminal count */
/* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count), binary */
#define PIT_CMD_CH2_MODE0	0xb0
#define PIT_CMD_LATCH_CH2	0x80
#define PIT_START_COUNT		0xffff
/* A counter that never moves in this many TSC cycles means no PIT. */
#define PIT_PROBE_CYCLES	50000000ULL
/* An edge bracketed by reads further apart than this many quickest-pair
 * times is suspect (the vCPU was descheduled) and skipped. */
#define EDGE_GAP_FACTOR		3

static struct {
	uint16_t start;		/* count at the start edge */
	uint16_t last;		/* count at the last look */
	bool out_usable;	/* port 0x61 reports channel 2's OUT pin */
	bool wrapped;		/* the count went round: elapsed is unknown */
} pit;

static uint16_t
pit_read_ch2(void)
{
	uint8_t lo, hi;

	outb(PIT_COMMAND, PIT_CMD_LATCH_CH2);
	lo = inb(PIT_CH2_DATA);
	hi = inb(PIT_CH2_DATA);
	return (uint16_t)(hi << 8 | lo);
}

/*
 * Spins until the count changes; returns the new count and the TSC just
 * before the read that saw it. The edge lies between that read and the one
 * before, so the pair is accepted only when those two reads ran back to back
 * (not much longer apart than the quickest pair seen): a host that paused
 * the vCPU between them would otherwise skew the calibration. Returns false
 * if no acceptable edge comes within PIT_PROBE_CYCLES.
 */
static bool
pit_wait_edge(uint16_t *count, uint64_t *tsc)
{
	uint64_t start = arch_read_tsc(), prev = start, now, gap;
	uint64_t quickest = UINT64_MAX;
	uint16_t c0 = pit_read_ch2(), c1;

	for (;;) {
		now = arch_read_tsc();
		c1 = pit_read_ch2();
		gap = now - prev;
		prev = now;
		if (gap < quickest)
			quickest = gap;
		if (c1 != c0 && gap <= EDGE_GAP_FACTOR * quickest)
			break;
		c0 = c1;
		if (now - start > PIT_PROBE_CYCLES)
			return false;
	}
	*tsc = now;
	*count = c1;
	return true;
}

bool
pit_counter_start(uint64_t *tsc)
{
	uint8_t gate = inb(PIT_GATE_PORT) & ~(GATE_SPEAKER | GATE_CH2_ENABLE);

	outb(PIT_GATE_PORT, gate);
	outb(PIT_COMMAND, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2_DATA, PIT_START_COUNT & 0xff);
	outb(PIT_CH2_DATA, PIT_START_COUNT >> 8);
	outb(PIT_GATE_PORT, gate | GATE_CH2_ENABLE);
	/* In mode 0 OUT is low until the count runs out; a port that reads
	 * it high now (microvm has no port 0x61) cannot tell us of a wrap. */
	pit.out_usable = !(inb(PIT_GATE_PORT) & GATE_CH2_OUT);
	pit.wrapped = false;
	if (!pit_wait_edge(&pit.start, tsc))
		return false;
	pit.last = pit.start;
	return true;
}

/* A down-counter that reads higher than at the last look went round. */
static void
pit_note(uint16_t now)
{
	if (now > pit.last)
		pit.wrapped = true;
	pit.last = now;
	if (pit.out_usable && (inb(PIT_GATE_PORT) & GATE_CH2_OUT))
		pit.wrapped = true;
}

void
pit_counter_checkpoint(void)
{
	pit_note(pit_read_ch2());
}

int64_t
pit_counter_elapsed(uint64_t *tsc)
{
	uint16_t now;

	if (!pit_wait_edge(&now, tsc))
		return -1;
	pit_note(now);
	if (pit.wrapped)
		return -1;
	return pit.start - now;
}
