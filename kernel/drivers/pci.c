/* PCI bus enumeration and configuration space. Config cycles go through
 * ECAM when ACPI's MCFG gives a window (q35; each bus's megabyte mapped on
 * first use), else through the port pair 0xcf8/0xcfc (pc). Bus 0 and the
 * buses behind PCI-PCI bridges are scanned. BARs are sized when a driver
 * first asks (sizing makes the hypervisor remap memory: slow) and memory
 * BARs mapped with ioremap. Firmware has assigned the addresses. */
#include <keel/acpi.h>
#include <keel/arch.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/ioremap.h>
#include <keel/pci.h>
#include <keel/printk.h>
#include <keel/spinlock.h>
#include "pci_reg.h"

#define PCI_ECAM_BUS_SIZE	(PCI_MAX_DEV * PCI_MAX_FN * PCI_ECAM_FN_SIZE)

static struct {
	struct list_node devices;
	struct spinlock port_lock;	/* 0xcf8/0xcfc is a pair */
	bool has_ecam;
	uint64_t ecam_phys;		/* bus ecam_start's window */
	uint8_t ecam_start, ecam_end;
	/* Mapped bus windows. Filled during the (single-threaded) boot
	 * scan; later lookups only read. */
	volatile uint8_t *ecam_bus[PCI_MAX_BUS];
	bool scanned[PCI_MAX_BUS];	/* bridge loops end here */
} pci = {
	.devices = LIST_INIT(pci.devices),
	.port_lock = SPINLOCK_INIT_NAMED("pci_ports"),
};

/* The ECAM address of a register, or NULL to use the ports (no MCFG, a
 * bus outside its range, or no room to map it). */
static volatile uint8_t *
pci_ecam_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	if (!pci.has_ecam || bus < pci.ecam_start || bus > pci.ecam_end)
		return NULL;
	if (!pci.ecam_bus[bus])
		pci.ecam_bus[bus] = ioremap(pci.ecam_phys + (uint64_t)(bus -
					    pci.ecam_start) * PCI_ECAM_BUS_SIZE,
					    PCI_ECAM_BUS_SIZE);
	if (!pci.ecam_bus[bus])
		return NULL;
	return pci.ecam_bus[bus] + (dev * PCI_MAX_FN + fn) * PCI_ECAM_FN_SIZE +
	       off;
}

static uint32_t
pci_port_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return PCI_CONFIG_ENABLE | bus << PCI_CONFIG_BUS_SHIFT |
	       dev << PCI_CONFIG_DEV_SHIFT | fn << PCI_CONFIG_FN_SHIFT |
	       (off & PCI_CONFIG_REG_MASK);
}

static uint32_t
pci_raw_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	volatile uint8_t *e = pci_ecam_addr(bus, dev, fn, off);
	unsigned long flags;
	uint32_t v;

	if (e)
		return *(volatile uint32_t *)e;
	flags = spin_lock_irqsave(&pci.port_lock);
	outl(PCI_CONFIG_ADDRESS, pci_port_addr(bus, dev, fn, off));
	v = inl(PCI_CONFIG_DATA);
	spin_unlock_irqrestore(&pci.port_lock, flags);
	return v;
}

static void
pci_raw_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off,
		uint32_t v)
{
	volatile uint8_t *e = pci_ecam_addr(bus, dev, fn, off);
	unsigned long flags;

	if (e) {
		*(volatile uint32_t *)e = v;
		return;
	}
	flags = spin_lock_irqsave(&pci.port_lock);
	outl(PCI_CONFIG_ADDRESS, pci_port_addr(bus, dev, fn, off));
	outl(PCI_CONFIG_DATA, v);
	spin_unlock_irqrestore(&pci.port_lock, flags);
}

uint32_t
pci_read_config32(struct pci_dev *p, unsigned off)
{
	return pci_raw_read32(p->bus, p->dev, p->fn, off & ~3u);
}

uint16_t
pci_read_config16(struct pci_dev *p, unsigned off)
{
	return (uint16_t)(pci_read_config32(p, off) >> ((off & 2) * 8));
}

uint8_t
pci_read_config8(struct pci_dev *p, unsigned off)
{
	return (uint8_t)(pci_read_config32(p, off) >> ((off & 3) * 8));
}

void
pci_write_config32(struct pci_dev *p, unsigned off, uint32_t v)
{
	pci_raw_write32(p->bus, p->dev, p->fn, off & ~3u, v);
}

/* A read-modify-write of the dword: config space has no byte enables on
 * the port path. Safe for the registers drivers write (command, MSI-X
 * control), whose neighbours are read-only or write-1-to-clear-free. */
void
pci_write_config16(struct pci_dev *p, unsigned off, uint16_t v)
{
	unsigned shift = (off & 2) * 8;
	uint32_t d = pci_read_config32(p, off);

	d = (d & ~(0xffffu << shift)) | (uint32_t)v << shift;
	if ((off & ~3u) == PCI_COMMAND && shift == 0)
		d &= 0xffffu;	/* status bits are write-1-to-clear */
	pci_write_config32(p, off, d);
}

int
pci_find_cap(struct pci_dev *p, uint8_t id, int from)
{
	int off;

	if (!(pci_read_config16(p, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = from ? pci_read_config8(p, from + PCI_CAP_NEXT)
		   : pci_read_config8(p, PCI_CAP_PTR);
	for (int n = 0; n < PCI_CAP_MAX_WALK && off; n++) {
		off &= PCI_CAP_PTR_MASK;
		if (off < PCI_CAP_PTR + 4)
			return 0;	/* points into the header: broken */
		if (pci_read_config8(p, off + PCI_CAP_ID) == id)
			return off;
		off = pci_read_config8(p, off + PCI_CAP_NEXT);
	}
	return 0;
}

void
pci_enable_device(struct pci_dev *p)
{
	uint16_t cmd = pci_read_config16(p, PCI_COMMAND);

	cmd |= PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER;
	pci_write_config16(p, PCI_COMMAND, cmd);
}

/* Sizes BAR @i by writing all ones and reading back which bits stick
 * (decoding off meanwhile); returns how many BAR slots it used. */
static int
pci_size_bar(struct pci_dev *p, int i)
{
	unsigned off = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_read_config32(p, off), hi = 0, szlo, szhi = ~0u;
	bool is64 = !(lo & PCI_BAR_IO) &&
		    (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64;
	struct pci_bar *b = &p->bars[i];

	pci_write_config32(p, off, ~0u);
	szlo = pci_read_config32(p, off);
	pci_write_config32(p, off, lo);
	if (is64 && i + 1 < PCI_NUM_BARS) {
		hi = pci_read_config32(p, off + 4);
		pci_write_config32(p, off + 4, ~0u);
		szhi = pci_read_config32(p, off + 4);
		pci_write_config32(p, off + 4, hi);
	}
	b->is_io = lo & PCI_BAR_IO;
	if (b->is_io) {
		b->base = lo & PCI_BAR_IO_MASK;
		b->size = (~(szlo & PCI_BAR_IO_MASK) + 1) & PCI_IO_SPACE_MASK;
	} else {
		uint64_t mask = (uint64_t)szhi << 32 | (szlo & PCI_BAR_MEM_MASK);

		b->base = (uint64_t)hi << 32 | (lo & PCI_BAR_MEM_MASK);
		b->size = is64 || szhi != ~0u ? ~mask + 1
					      : (uint32_t)(~(uint32_t)mask + 1);
	}
	if (szlo == 0 || szlo == ~0u)
		b->base = b->size = 0;	/* unimplemented BAR */
	return is64 ? 2 : 1;
}

static void
pci_size_bars(struct pci_dev *p)
{
	uint16_t cmd = pci_read_config16(p, PCI_COMMAND);

	pci_write_config16(p, PCI_COMMAND,
			   cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	for (int i = 0; i < PCI_NUM_BARS; )
		i += pci_size_bar(p, i);
	pci_write_config16(p, PCI_COMMAND, cmd);
}

const struct pci_bar *
pci_get_bar(struct pci_dev *p, int bar)
{
	if (bar < 0 || bar >= PCI_NUM_BARS)
		return NULL;
	if (!p->bars_sized) {
		if ((pci_read_config8(p, PCI_HEADER_TYPE) &
		     PCI_HEADER_TYPE_MASK) == PCI_HEADER_NORMAL)
			pci_size_bars(p);
		p->bars_sized = true;
	}
	return &p->bars[bar];
}

void *
pci_map_bar(struct pci_dev *p, int bar)
{
	struct pci_bar *b = (struct pci_bar *)pci_get_bar(p, bar);

	if (!b || b->is_io || !b->base || !b->size)
		return NULL;
	if (!b->mmio)
		b->mmio = ioremap(b->base, b->size);
	return b->mmio;
}

static void pci_scan_bus(unsigned bus);

static void
pci_add_function(unsigned bus, unsigned dev, unsigned fn, uint32_t id)
{
	struct pci_dev *p = kzalloc(sizeof(*p));
	uint32_t class;

	if (!p) {
		printk("keel: pci: out of memory at %02x:%02x.%u\n", bus, dev, fn);
		return;
	}
	p->bus = bus;
	p->dev = dev;
	p->fn = fn;
	p->vendor = id & PCI_VENDOR_MASK;
	p->device = id >> 16;
	class = pci_read_config32(p, PCI_REVISION);	/* rev, if, sub, class */
	p->revision = (uint8_t)class;
	p->subclass = (uint8_t)(class >> 16);
	p->class = (uint8_t)(class >> 24);
	p->subsys_vendor = pci_read_config16(p, PCI_SUBSYS_VENDOR);
	p->subsys_id = pci_read_config16(p, PCI_SUBSYS_ID);
	list_push_back(&pci.devices, &p->node);
	if ((pci_read_config8(p, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK) ==
	    PCI_HEADER_BRIDGE)
		pci_scan_bus(pci_read_config8(p, PCI_SECONDARY_BUS));
}

/* How many functions to probe at bus/dev (whose function 0 exists). */
static unsigned
pci_function_count(unsigned bus, unsigned dev)
{
	uint32_t dword = pci_raw_read32(bus, dev, 0, PCI_HEADER_TYPE & ~3u);
	uint8_t type = (uint8_t)(dword >> ((PCI_HEADER_TYPE & 3) * 8));

	return type & PCI_HEADER_MULTIFN ? PCI_MAX_FN : 1;
}

/* Records every function on @bus, and (through pci_add_function) the
 * buses behind its bridges. Each bus is scanned once, so a bridge
 * misconfigured into a loop ends; recursion depth is bounded by the 256
 * bus numbers. */
static void
pci_scan_bus(unsigned bus)
{
	if (bus >= PCI_MAX_BUS || pci.scanned[bus])
		return;
	pci.scanned[bus] = true;
	for (unsigned dev = 0; dev < PCI_MAX_DEV; dev++) {
		uint32_t id = pci_raw_read32(bus, dev, 0, PCI_VENDOR_ID);
		unsigned nfn;

		if ((id & PCI_VENDOR_MASK) == PCI_VENDOR_NONE)
			continue;
		nfn = pci_function_count(bus, dev);
		for (unsigned fn = 0; fn < nfn; fn++) {
			id = pci_raw_read32(bus, dev, fn, PCI_VENDOR_ID);
			if ((id & PCI_VENDOR_MASK) != PCI_VENDOR_NONE)
				pci_add_function(bus, dev, fn, id);
		}
	}
}

/* True when port mechanism #1 answers: microvm has no PCI host. */
static bool
pci_ports_present(void)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE);
	return inl(PCI_CONFIG_ADDRESS) == PCI_CONFIG_ENABLE;
}

int
pci_init(void)
{
	uint64_t base;
	uint8_t start, end;

	if (acpi_mcfg_ecam(&base, &start, &end) == 0 && end >= start) {
		pci.has_ecam = true;
		pci.ecam_phys = base + (uint64_t)start * PCI_ECAM_BUS_SIZE;
		pci.ecam_start = start;
		pci.ecam_end = end;
	}
	if (!pci.has_ecam && !pci_ports_present())
		return -ENODEV;
	pci_scan_bus(pci.has_ecam ? pci.ecam_start : 0);
	return 0;
}

void
pci_for_each(void (*fn)(struct pci_dev *pdev, void *arg), void *arg)
{
	struct list_node *n;

	list_for_each(n, &pci.devices)
		fn(list_entry(n, struct pci_dev, node), arg);
}
