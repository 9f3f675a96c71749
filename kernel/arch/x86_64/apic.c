/* The local APIC: x2APIC (MSRs) where the CPU has it, else xAPIC (MMIO,
 * mapped uncached). Its timer runs one-shot — in TSC-deadline mode where
 * present, else counting down at a rate measured against the clock. The
 * legacy 8259 PICs are remapped out of the exception range and masked. */
#include <keel/apic.h>
#include <keel/arch.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/ioremap.h>
#include <keel/irq.h>
#include "cpu.h"

#define CPUID1_EDX_APIC		(1u << 9)
#define CPUID1_ECX_X2APIC	(1u << 21)
#define CPUID1_ECX_TSC_DEADLINE	(1u << 24)
#define APIC_BASE_ENABLE	(1ULL << 11)
#define APIC_BASE_X2APIC	(1ULL << 10)
#define APIC_BASE_ADDR_MASK	0xffffff000ULL
#define APIC_MMIO_SIZE		0x1000

/* Register offsets (xAPIC MMIO); x2APIC MSR = 0x800 + offset / 16. */
#define APIC_ID			0x020
#define APIC_TPR		0x080
#define APIC_EOI		0x0b0
#define APIC_SVR		0x0f0
#define APIC_LVT_TIMER		0x320
#define APIC_TIMER_INIT		0x380
#define APIC_TIMER_CURRENT	0x390
#define APIC_TIMER_DIVIDE	0x3e0
#define X2APIC_MSR_BASE		0x800

#define XAPIC_ID_SHIFT		24	/* xAPIC: the id is the top byte */
#define SVR_ENABLE		(1u << 8)
#define LVT_MASKED		(1u << 16)
#define LVT_TIMER_ONESHOT	(0u << 17)
#define LVT_TIMER_TSC_DEADLINE	(2u << 17)
#define TIMER_DIVIDE_BY_1	0xb
#define APIC_CAL_NS		(2 * NSEC_PER_MSEC)
#define APIC_TIMER_MAX_COUNT	0xffffffffu
#define APIC_MAX_COUNTDOWN_NS	(10 * NSEC_PER_SEC)

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define PIC_ICW1_INIT	0x11
#define PIC_ICW4_8086	0x01
#define PIC_MASK_ALL	0xff

static struct {
	bool x2apic;
	bool tsc_deadline;
	volatile uint32_t *mmio;
	uint64_t ticks_per_ms;		/* count-down mode rate */
	uint64_t measure_start_ns;	/* when the rate count-down began */
} apic;

static uint32_t
apic_read(uint32_t reg)
{
	if (apic.x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR_BASE + reg / 16);
	return apic.mmio[reg / 4];
}

static void
apic_write(uint32_t reg, uint32_t v)
{
	if (apic.x2apic)
		wrmsr(X2APIC_MSR_BASE + reg / 16, v);
	else
		apic.mmio[reg / 4] = v;
}

/* Moves the PICs to vectors 0x20-0x2f (so a stray IRQ is never mistaken
 * for an exception) and masks every line: Keel uses the APICs only. */
static void
pic_disable(void)
{
	outb(PIC1_CMD, PIC_ICW1_INIT);
	outb(PIC2_CMD, PIC_ICW1_INIT);
	outb(PIC1_DATA, IRQ_VECTOR_PIC_BASE);
	outb(PIC2_DATA, IRQ_VECTOR_PIC_BASE + 8);
	outb(PIC1_DATA, 4);		/* slave on IRQ2 */
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, PIC_ICW4_8086);
	outb(PIC2_DATA, PIC_ICW4_8086);
	outb(PIC1_DATA, PIC_MASK_ALL);
	outb(PIC2_DATA, PIC_MASK_ALL);
}

/* Starts the count-down from its maximum, masked; apic_timer_measure()
 * reads how far it got. The clock is read on both sides of each register
 * access (slow under emulation) and the midpoints taken. */
static void
apic_timer_measure_start(void)
{
	uint64_t before;

	apic_write(APIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_1);
	apic_write(APIC_LVT_TIMER, LVT_MASKED | IRQ_VECTOR_TIMER);
	before = clock_monotonic_ns();
	apic_write(APIC_TIMER_INIT, APIC_TIMER_MAX_COUNT);
	apic.measure_start_ns = (before + clock_monotonic_ns()) / 2;
}

/* Count-down mode: ticks per millisecond, over the time since the count
 * started at apic_init() -- so boot does not wait for it -- or over a
 * fresh window if the count ran out. The margin added in
 * apic_timer_arm() covers what error remains. */
static void
apic_timer_measure(void)
{
	uint64_t before, now, span;
	uint32_t left;

	for (int tries = 0; tries < 2; tries++) {
		if (clock_monotonic_ns() < apic.measure_start_ns + APIC_CAL_NS)
			clock_delay_ns(apic.measure_start_ns + APIC_CAL_NS -
				       clock_monotonic_ns());
		before = clock_monotonic_ns();
		left = apic_read(APIC_TIMER_CURRENT);
		now = (before + clock_monotonic_ns()) / 2;
		if (left != 0)
			break;
		apic_timer_measure_start();	/* ran out: measure afresh */
	}
	span = now - apic.measure_start_ns;
	apic_write(APIC_TIMER_INIT, 0);
	apic.ticks_per_ms = (uint64_t)(APIC_TIMER_MAX_COUNT - left) *
			    NSEC_PER_MSEC / span;
	if (apic.ticks_per_ms == 0)
		apic.ticks_per_ms = 1;
}

static int
apic_enable(uint32_t ecx)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	apic.x2apic = ecx & CPUID1_ECX_X2APIC;
	base |= APIC_BASE_ENABLE;
	if (apic.x2apic)
		base |= APIC_BASE_X2APIC;
	wrmsr(MSR_APIC_BASE, base);
	if (!apic.x2apic) {
		apic.mmio = ioremap(base & APIC_BASE_ADDR_MASK, APIC_MMIO_SIZE);
		if (!apic.mmio)
			return -ENOMEM;
	}
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, SVR_ENABLE | IRQ_VECTOR_SPURIOUS);
	return 0;
}

int
apic_init(void)
{
	uint32_t a, b, c, d;
	int err;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_APIC))
		return -ENODEV;
	pic_disable();
	err = apic_enable(c);
	if (err)
		return err;
	apic.tsc_deadline = c & CPUID1_ECX_TSC_DEADLINE;
	if (apic.tsc_deadline)
		apic_write(APIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | IRQ_VECTOR_TIMER);
	else
		apic_timer_measure_start();
	return 0;
}

void
apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void
apic_timer_arm(uint64_t deadline_ns)
{
	uint64_t now = clock_monotonic_ns();
	uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;

	if (apic.tsc_deadline) {
		uint64_t cycles = clock_ns_to_tsc(delta);

		wrmsr(MSR_TSC_DEADLINE, arch_read_tsc() + (cycles ? cycles : 1));
		return;
	}
	if (!apic.ticks_per_ms)
		apic_timer_measure();	/* first use: keeps it off the boot path */
	/* Clamped so the product cannot overflow; a far deadline fires
	 * early and the caller re-arms. */
	uint64_t count = MIN(delta, APIC_MAX_COUNTDOWN_NS) * apic.ticks_per_ms /
			 NSEC_PER_MSEC;

	/* Round up by ~1%: a rate measurement error must make the timer
	 * late, never early. */
	count += count / 128 + 1;
	if (count > APIC_TIMER_MAX_COUNT)
		count = APIC_TIMER_MAX_COUNT;	/* fires early; caller re-arms */
	apic_write(APIC_LVT_TIMER, LVT_TIMER_ONESHOT | IRQ_VECTOR_TIMER);
	apic_write(APIC_TIMER_INIT, (uint32_t)count);
}

void
apic_timer_cancel(void)
{
	if (apic.tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
	else
		apic_write(APIC_TIMER_INIT, 0);
}

uint32_t
apic_current_id(void)
{
	uint32_t id = apic_read(APIC_ID);

	return apic.x2apic ? id : id >> XAPIC_ID_SHIFT;
}

bool
apic_is_x2apic(void)
{
	return apic.x2apic;
}

bool
apic_has_tsc_deadline(void)
{
	return apic.tsc_deadline;
}
