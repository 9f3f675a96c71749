/* I/O APIC driver: an indirect register window (select, then data) per
 * chip, one 64-bit redirection entry per input pin. Chips and ISA
 * overrides come from the MADT (drivers/acpi.c); destinations are the
 * boot CPU's local APIC in physical mode. */
#include <keel/acpi.h>
#include <keel/apic.h>
#include <keel/errno.h>
#include <keel/ioapic.h>
#include <keel/ioremap.h>
#include <keel/printk.h>
#include <keel/spinlock.h>

#define IOAPIC_MAX		4
#define IOAPIC_DEFAULT_BASE	0xfec00000ULL	/* where chipsets put it */
#define IOAPIC_MMIO_SIZE	0x20
#define IOAPIC_REGSEL		0x00	/* byte offsets of the window */
#define IOAPIC_IOWIN		0x10
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_REDTBL	0x10	/* entry n: 0x10 + 2n (low), +1 (high) */
#define IOAPIC_VER_MAXREDIR(v)	(((v) >> 16) & 0xff)

#define REDIR_POLARITY_LOW	(1u << 13)
#define REDIR_TRIGGER_LEVEL	(1u << 15)
#define REDIR_MASKED		(1u << 16)
#define REDIR_DEST_SHIFT	24	/* in the high word: physical APIC id */

/* MPS INTI flags of a MADT interrupt source override. */
#define INTI_POLARITY_MASK	0x3
#define INTI_POLARITY_LOW	0x3
#define INTI_TRIGGER_MASK	0xc
#define INTI_TRIGGER_LEVEL	0xc

struct ioapic {
	volatile uint32_t *mmio;
	uint32_t gsi_base;
	uint32_t npins;
};

static struct {
	struct ioapic chips[IOAPIC_MAX];
	int nchips;
	struct spinlock lock;		/* the select/data window */
} ioapics = { .lock = SPINLOCK_INIT_NAMED("ioapic") };

static uint32_t
ioapic_read(struct ioapic *c, uint32_t reg)
{
	c->mmio[IOAPIC_REGSEL / 4] = reg;
	return c->mmio[IOAPIC_IOWIN / 4];
}

static void
ioapic_write(struct ioapic *c, uint32_t reg, uint32_t v)
{
	c->mmio[IOAPIC_REGSEL / 4] = reg;
	c->mmio[IOAPIC_IOWIN / 4] = v;
}

static int
ioapic_add(uint64_t base, uint32_t gsi_base)
{
	struct ioapic *c = &ioapics.chips[ioapics.nchips];

	c->mmio = ioremap(base, IOAPIC_MMIO_SIZE);
	if (!c->mmio)
		return -ENOMEM;
	c->gsi_base = gsi_base;
	c->npins = IOAPIC_VER_MAXREDIR(ioapic_read(c, IOAPIC_REG_VER)) + 1;
	for (uint32_t pin = 0; pin < c->npins; pin++)
		ioapic_write(c, IOAPIC_REG_REDTBL + 2 * pin, REDIR_MASKED);
	ioapics.nchips++;
	return 0;
}

int
ioapic_init(void)
{
	struct acpi_ioapic_info info[IOAPIC_MAX];
	int n = acpi_madt_ioapics(info, IOAPIC_MAX);

	if (n <= 0) {
		/* No MADT (microvm with acpi=off): the standard chip. */
		info[0] = (struct acpi_ioapic_info){ 0, IOAPIC_DEFAULT_BASE, 0 };
		n = 1;
	}
	for (int i = 0; i < n && i < IOAPIC_MAX; i++) {
		if (ioapic_add(info[i].base, info[i].gsi_base))
			return -ENOMEM;
	}
	return ioapics.nchips ? 0 : -ENODEV;
}

static struct ioapic *
ioapic_for_gsi(uint32_t gsi)
{
	for (int i = 0; i < ioapics.nchips; i++) {
		struct ioapic *c = &ioapics.chips[i];

		if (gsi >= c->gsi_base && gsi < c->gsi_base + c->npins)
			return c;
	}
	return NULL;
}

int
ioapic_route_gsi(uint32_t gsi, unsigned vector, int mode)
{
	struct ioapic *c = ioapic_for_gsi(gsi);
	uint32_t low = vector, pin;
	unsigned long flags;

	if (!c)
		return -ENODEV;
	if (mode == IOAPIC_LEVEL_LOW)
		low |= REDIR_POLARITY_LOW | REDIR_TRIGGER_LEVEL;
	pin = gsi - c->gsi_base;
	flags = spin_lock_irqsave(&ioapics.lock);
	ioapic_write(c, IOAPIC_REG_REDTBL + 2 * pin + 1,
		     apic_current_id() << REDIR_DEST_SHIFT);
	ioapic_write(c, IOAPIC_REG_REDTBL + 2 * pin, low);
	spin_unlock_irqrestore(&ioapics.lock, flags);
	return 0;
}

void
ioapic_mask_gsi(uint32_t gsi)
{
	struct ioapic *c = ioapic_for_gsi(gsi);
	unsigned long flags;

	if (!c)
		return;
	flags = spin_lock_irqsave(&ioapics.lock);
	ioapic_write(c, IOAPIC_REG_REDTBL + 2 * (gsi - c->gsi_base),
		     REDIR_MASKED);
	spin_unlock_irqrestore(&ioapics.lock, flags);
}

void
ioapic_isa_irq(uint8_t irq, uint32_t *gsi, int *mode)
{
	uint16_t inti = 0;

	if (acpi_madt_isa_irq(irq, gsi, &inti) < 0)
		*gsi = irq;
	/* ISA is edge/high unless the override says otherwise; "conforms"
	 * (0) keeps the bus default. */
	*mode = (inti & INTI_TRIGGER_MASK) == INTI_TRIGGER_LEVEL &&
		(inti & INTI_POLARITY_MASK) == INTI_POLARITY_LOW ?
		IOAPIC_LEVEL_LOW : IOAPIC_EDGE_HIGH;
}
