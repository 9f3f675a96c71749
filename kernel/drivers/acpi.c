/* ACPI without an interpreter: finds the RSDP, trusts a table only after
 * checking that it lies in mapped memory, has a sane length and sums to
 * zero, and powers off through S5 using \_S5 found by a bounded AML scan.
 * Registers are touched only through acpi_hw.c; device memory via ioremap. */
#include <keel/acpi.h>
#include <keel/arch.h>
#include <keel/boot.h>
#include <keel/errno.h>
#include <keel/ioremap.h>
#include <keel/page.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "acpi_hw.h"
#include "acpi_tables.h"

#define ACPI_MAX_TABLES		64
#define ACPI_MAX_TABLE_LEN	MiB(1)	/* real tables are far smaller */
#define ACPI_RSDP_MAX_LEN	KiB(1)
#define ACPI_LOW_MEM_END	MiB(1)	/* always in the direct map */
#define ACPI_BDA_EBDA_SEG	0x40e	/* BIOS data area: EBDA segment */
#define ACPI_EBDA_SCAN_LEN	KiB(1)
#define ACPI_EBDA_END		0xa0000
#define ACPI_BIOS_START		0xe0000
#define ACPI_BIOS_END		0x100000
#define ACPI_SCI_EN_SPINS	100000

/* The AML opcodes the _S5 scan understands (ACPI 6.5, 20.2). */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_QWORD_PREFIX	0x0e
#define AML_PACKAGE_OP		0x12
#define AML_ROOT_CHAR		0x5c
#define AML_ONES_OP		0xff

/* Checked tables, filled once by acpi_init(); read-only afterwards. */
static struct {
	const struct acpi_sdt_header *table[ACPI_MAX_TABLES];
	int ntables;
	bool have_fadt;
	struct acpi_fadt fadt;	/* copy, zero past the table's length */
} acpi;

/* A register resolved from a GAS: a port, or mapped device memory. */
struct acpi_reg {
	volatile void *mmio;	/* NULL for port I/O */
	uint16_t port;
};

static bool
region_is_ram(enum mem_type type)
{
	return type == MEM_USABLE || type == MEM_ACPI || type == MEM_NVS;
}

/* End of the direct-mapped range holding @phys, or 0 if none holds it:
 * the first MiB or a boot memory map region (only RAM with @ram_only). */
static uint64_t
region_end(uint64_t phys, bool ram_only)
{
	int n = MIN(boot_info.nregions, BOOT_MAX_REGIONS);

	if (!ram_only && phys < ACPI_LOW_MEM_END)
		return ACPI_LOW_MEM_END;
	for (int i = 0; i < n; i++) {
		const struct mem_region *r = &boot_info.regions[i];

		if (ram_only && !region_is_ram(r->type))
			continue;
		if (phys >= r->base && phys - r->base < r->len)
			return r->base + r->len;
	}
	return 0;
}

/* Firmware hands us raw physical addresses; reading one outside the
 * direct map would fault, so every range is checked first. */
static bool
phys_covered(uint64_t phys, uint64_t len, bool ram_only)
{
	uint64_t end = phys + len;

	if (end < phys)
		return false;
	while (phys < end) {
		uint64_t next = region_end(phys, ram_only);

		if (next <= phys)
			return false;
		phys = next;
	}
	return true;
}

static uint8_t
checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

/* Checks the table at @phys: mapped, 36 bytes to 1 MiB, zero checksum,
 * and signature @sig unless NULL. */
static int
sdt_map(uint64_t phys, const char *sig, const struct acpi_sdt_header **out)
{
	const struct acpi_sdt_header *h;
	uint32_t len;

	if (phys == 0 || !phys_covered(phys, sizeof(*h), false))
		return -EINVAL;
	h = phys_to_virt(phys);
	len = h->length;
	if (len < sizeof(*h) || len > ACPI_MAX_TABLE_LEN ||
	    !phys_covered(phys, len, false) || checksum(h, len) != 0)
		return -EINVAL;
	if (sig && memcmp(h->signature, sig, 4) != 0)
		return -EINVAL;
	*out = h;
	return 0;
}

/* Checks an RSDP candidate: signature and v1 checksum, plus the extended
 * length and checksum for ACPI 2.0+. */
static int
rsdp_check(uint64_t phys)
{
	const struct acpi_rsdp2 *r;

	if (!phys_covered(phys, sizeof(r->v1), false))
		return -EINVAL;
	r = phys_to_virt(phys);
	if (memcmp(r->v1.signature, "RSD PTR ", 8) != 0 ||
	    checksum(&r->v1, sizeof(r->v1)) != 0)
		return -EINVAL;
	if (r->v1.revision < 2)
		return 0;
	if (!phys_covered(phys, sizeof(*r), false) ||
	    r->length < sizeof(*r) || r->length > ACPI_RSDP_MAX_LEN ||
	    !phys_covered(phys, r->length, false) ||
	    checksum(r, r->length) != 0)
		return -EINVAL;
	return 0;
}

static uint64_t
rsdp_scan_range(uint64_t start, uint64_t end)
{
	for (uint64_t p = start; p + sizeof(struct acpi_rsdp) <= end; p += 16)
		if (rsdp_check(p) == 0)
			return p;
	return 0;
}

/* The legacy BIOS places: the first KiB of the EBDA, then the BIOS
 * read-only area, both on 16-byte boundaries. */
static uint64_t
rsdp_scan(void)
{
	uint16_t seg;
	uint64_t ebda, found;

	memcpy(&seg, phys_to_virt(ACPI_BDA_EBDA_SEG), sizeof(seg));
	ebda = (uint64_t)seg << 4;
	if (ebda >= KiB(1) && ebda + ACPI_EBDA_SCAN_LEN <= ACPI_EBDA_END) {
		found = rsdp_scan_range(ebda, ebda + ACPI_EBDA_SCAN_LEN);
		if (found)
			return found;
	}
	return rsdp_scan_range(ACPI_BIOS_START, ACPI_BIOS_END);
}

/* A bad table is skipped, not fatal: firmware with one broken table
 * still describes the rest of the machine correctly. */
static void
table_add(uint64_t phys, const char *sig)
{
	const struct acpi_sdt_header *h;

	if (sdt_map(phys, sig, &h) != 0) {
		printk("acpi: skipping bad table at %#lx\n",
		       (unsigned long)phys);
		return;
	}
	if (acpi.ntables == ACPI_MAX_TABLES) {
		printk("acpi: too many tables, ignoring %.4s\n", h->signature);
		return;
	}
	acpi.table[acpi.ntables++] = h;
}

/* Adds every table the XSDT (ACPI 2.0+, when present) or RSDT lists. */
static int
root_load(const struct acpi_rsdp2 *r)
{
	bool x = r->v1.revision >= 2 && r->xsdt_address != 0;
	size_t esize = x ? sizeof(uint64_t) : sizeof(uint32_t);
	const struct acpi_sdt_header *root;
	const uint8_t *entries;
	size_t n;
	int err;

	err = sdt_map(x ? r->xsdt_address : r->v1.rsdt_address,
		      x ? "XSDT" : "RSDT", &root);
	if (err)
		return err;
	entries = (const uint8_t *)(root + 1);
	n = (root->length - sizeof(*root)) / esize;
	for (size_t i = 0; i < n; i++) {
		uint64_t phys = 0;

		memcpy(&phys, entries + i * esize, esize);
		table_add(phys, NULL);
	}
	return 0;
}

/* Copies the FADT so older, shorter revisions read as zero past their
 * end, and adds the DSDT it points to (X_DSDT wins when set). */
static void
fadt_load(void)
{
	const struct acpi_sdt_header *h = acpi_find_table("FACP", 0);
	uint64_t dsdt;

	if (!h)
		return;
	memcpy(&acpi.fadt, h, MIN((size_t)h->length, sizeof(acpi.fadt)));
	acpi.have_fadt = true;
	dsdt = acpi.fadt.x_dsdt ? acpi.fadt.x_dsdt : acpi.fadt.dsdt;
	if (dsdt)
		table_add(dsdt, "DSDT");
}

int
acpi_init(uint64_t rsdp_phys)
{
	int err;

	memset(&acpi, 0, sizeof(acpi));
	if (rsdp_phys == 0) {
		rsdp_phys = rsdp_scan();
		if (rsdp_phys == 0)
			return -ENODEV;
	} else if (rsdp_check(rsdp_phys) != 0) {
		printk("acpi: bad RSDP at %#lx\n", (unsigned long)rsdp_phys);
		return -EINVAL;
	}
	err = root_load(phys_to_virt(rsdp_phys));
	if (err) {
		printk("acpi: bad root table\n");
		memset(&acpi, 0, sizeof(acpi));
		return err;
	}
	fadt_load();
	return 0;
}

const struct acpi_sdt_header *
acpi_find_table(const char sig[4], int index)
{
	for (int i = 0; i < acpi.ntables; i++) {
		if (memcmp(acpi.table[i]->signature, sig, 4) != 0)
			continue;
		if (index-- == 0)
			return acpi.table[i];
	}
	return NULL;
}

/* Decodes a PkgLength (1-4 bytes); returns its size or -EINVAL. The
 * length it yields counts the PkgLength bytes themselves. */
static int
aml_pkg_length(const uint8_t *p, size_t avail, uint32_t *len)
{
	size_t follow;

	if (avail < 1)
		return -EINVAL;
	follow = p[0] >> 6;
	if (follow == 0) {
		*len = p[0] & 0x3f;
		return 1;
	}
	if ((p[0] & 0x30) || avail < 1 + follow)
		return -EINVAL;
	*len = p[0] & 0x0f;
	for (size_t i = 0; i < follow; i++)
		*len |= (uint32_t)p[1 + i] << (4 + 8 * i);
	return 1 + follow;
}

/* Decodes one integer constant term; returns bytes used or -EINVAL. */
static int
aml_integer(const uint8_t *p, size_t avail, uint64_t *val)
{
	size_t n;

	if (avail < 1)
		return -EINVAL;
	switch (p[0]) {
	case AML_ZERO_OP:	*val = 0; return 1;
	case AML_ONE_OP:	*val = 1; return 1;
	case AML_ONES_OP:	*val = ~0ULL; return 1;
	case AML_BYTE_PREFIX:	n = 1; break;
	case AML_WORD_PREFIX:	n = 2; break;
	case AML_DWORD_PREFIX:	n = 4; break;
	case AML_QWORD_PREFIX:	n = 8; break;
	default:		return -EINVAL;
	}
	if (avail < 1 + n)
		return -EINVAL;
	*val = 0;
	memcpy(val, p + 1, n);
	return 1 + n;
}

/* Parses "Package (n) { SLP_TYPa, SLP_TYPb, ... }" at @p, bounded by the
 * package and by @avail. -ENOENT when @p is not a package at all. */
static int
s5_parse_package(const uint8_t *p, size_t avail, uint8_t typ[2])
{
	uint64_t v[2] = { 0, 0 };
	uint32_t pkglen;
	size_t off;
	int n, count;

	if (avail < 1 || p[0] != AML_PACKAGE_OP)
		return -ENOENT;
	p++;
	avail--;
	n = aml_pkg_length(p, avail, &pkglen);
	if (n < 0 || pkglen > avail || pkglen < (uint32_t)n + 1)
		return -EINVAL;
	count = p[n];
	off = n + 1;
	if (count == 0)
		return -EINVAL;
	for (int i = 0; i < MIN(count, 2); i++) {
		int used = aml_integer(p + off, pkglen - off, &v[i]);

		if (used < 0)
			return -EINVAL;
		off += used;
	}
	/* Old firmware packs both values into one integer (as ACPICA reads). */
	typ[0] = v[0] & 0xff;
	typ[1] = count == 1 ? (v[0] >> 8) & 0xff : v[1] & 0xff;
	return 0;
}

/* Looks in one definition block for Name (_S5_, Package ...), with or
 * without a root prefix; a "_S5_" elsewhere is not the object. */
static int
s5_find_in(const struct acpi_sdt_header *t, uint8_t typ[2])
{
	const uint8_t *aml = (const uint8_t *)(t + 1);
	size_t len = t->length - sizeof(*t);

	for (size_t i = 1; i + 4 <= len; i++) {
		int err;

		if (memcmp(aml + i, "_S5_", 4) != 0)
			continue;
		if (aml[i - 1] != AML_NAME_OP &&
		    !(aml[i - 1] == AML_ROOT_CHAR && i >= 2 &&
		      aml[i - 2] == AML_NAME_OP))
			continue;
		err = s5_parse_package(aml + i + 4, len - i - 4, typ);
		if (err != -ENOENT)
			return err;
	}
	return -ENOENT;
}

/* \_S5 normally sits in the DSDT; some firmware puts it in an SSDT. */
static int
s5_find(uint8_t typ[2])
{
	const struct acpi_sdt_header *t;
	int err;

	t = acpi_find_table("DSDT", 0);
	if (t) {
		err = s5_find_in(t, typ);
		if (err != -ENOENT)
			return err;
	}
	for (int i = 0; (t = acpi_find_table("SSDT", i)) != NULL; i++) {
		err = s5_find_in(t, typ);
		if (err != -ENOENT)
			return err;
	}
	return -ENOENT;
}

/* Ports as they are; memory through the direct map only when it is RAM
 * (device memory must not be touched through cached mappings). */
static int
reg_from_gas(const struct acpi_gas *gas, size_t width, struct acpi_reg *r)
{
	uint64_t a = gas->address;

	r->mmio = NULL;
	r->port = 0;
	if (a == 0)
		return -ENODEV;
	if (gas->space_id == ACPI_GAS_SPACE_IO) {
		if (a > 0x10000 - width)
			return -EINVAL;
		r->port = (uint16_t)a;
		return 0;
	}
	if (gas->space_id != ACPI_GAS_SPACE_MEMORY)
		return -ENXIO;
	if (phys_covered(a, width, true))
		r->mmio = phys_to_virt(a);
	else
		r->mmio = ioremap(a, width);
	return r->mmio ? 0 : -ENOMEM;
}

static void
reg_write8(const struct acpi_reg *r, uint8_t v)
{
	if (r->mmio)
		acpi_hw_mmio_write8(r->mmio, v);
	else
		acpi_hw_outb(r->port, v);
}

static void
reg_write16(const struct acpi_reg *r, uint16_t v)
{
	if (r->mmio)
		acpi_hw_mmio_write16(r->mmio, v);
	else
		acpi_hw_outw(r->port, v);
}

static uint16_t
reg_read16(const struct acpi_reg *r)
{
	return r->mmio ? acpi_hw_mmio_read16(r->mmio) : acpi_hw_inw(r->port);
}

/* HW-reduced ACPI: one byte to SLEEP_CONTROL_REG. */
static int
sleep_reg_off(uint8_t slp_typ)
{
	struct acpi_reg r;
	int err;

	err = reg_from_gas(&acpi.fadt.sleep_control_reg, 1, &r);
	if (err)
		return err;
	reg_write8(&r, ((slp_typ & 7) << ACPI_SLEEP_SLP_TYP_SHIFT) |
		       ACPI_SLEEP_SLP_EN);
	return 0;
}

static bool
pm1a_present(void)
{
	return acpi.fadt.x_pm1a_cnt_blk.address || acpi.fadt.pm1a_cnt_blk;
}

/* PM1 control block @b (0: a, 1: b): X_PM1x_CNT_BLK when it has an
 * address, else the 32-bit port field. */
static int
pm1_reg(int b, struct acpi_reg *r)
{
	const struct acpi_fadt *f = &acpi.fadt;
	const struct acpi_gas *x = b ? &f->x_pm1b_cnt_blk : &f->x_pm1a_cnt_blk;
	struct acpi_gas legacy = {
		.space_id = ACPI_GAS_SPACE_IO,
		.bit_width = 16,
		.address = b ? f->pm1b_cnt_blk : f->pm1a_cnt_blk,
	};

	return reg_from_gas(x->address ? x : &legacy, 2, r);
}

/* Firmware may leave the chipset in legacy mode, where SLP_EN does
 * nothing; ask it to switch. Bounded: a dead SMI handler never answers. */
static void
pm1_enable_acpi(const struct acpi_reg *pm1a)
{
	const struct acpi_fadt *f = &acpi.fadt;

	if (f->smi_cmd == 0 || f->smi_cmd > 0xffff || f->acpi_enable == 0 ||
	    (reg_read16(pm1a) & ACPI_PM1_SCI_EN))
		return;
	acpi_hw_outb((uint16_t)f->smi_cmd, f->acpi_enable);
	for (int i = 0; i < ACPI_SCI_EN_SPINS; i++) {
		if (reg_read16(pm1a) & ACPI_PM1_SCI_EN)
			return;
		arch_cpu_relax();
	}
	printk("acpi: SCI_EN stayed clear, trying S5 anyway\n");
}

/* Keeps the register's other bits (SCI_EN), as the spec asks. */
static void
pm1_write_sleep(const struct acpi_reg *r, uint8_t slp_typ)
{
	uint16_t v = reg_read16(r) & ~(ACPI_PM1_SLP_TYP_MASK | ACPI_PM1_SLP_EN);

	reg_write16(r, v | (slp_typ & 7) << ACPI_PM1_SLP_TYP_SHIFT |
		       ACPI_PM1_SLP_EN);
}

static int
pm1_off(const uint8_t typ[2])
{
	struct acpi_reg a, b;
	bool have_b;
	int err;

	err = pm1_reg(0, &a);
	if (err)
		return err;
	have_b = pm1_reg(1, &b) == 0;
	pm1_enable_acpi(&a);
	pm1_write_sleep(&a, typ[0]);
	if (have_b)
		pm1_write_sleep(&b, typ[1]);
	return 0;
}

int
acpi_power_off(void)
{
	const struct acpi_fadt *f = &acpi.fadt;
	uint8_t typ[2];
	int err;

	if (!acpi.have_fadt)
		return -ENODEV;
	err = s5_find(typ);
	if (err)
		return err;
	if ((f->flags & ACPI_FADT_HW_REDUCED) ||
	    (!pm1a_present() && f->sleep_control_reg.address))
		return sleep_reg_off(typ[0]);
	return pm1_off(typ);
}

int
acpi_get_hpet(uint64_t *base_phys)
{
	const struct acpi_hpet *h = (const void *)acpi_find_table("HPET", 0);

	if (!h)
		return -ENODEV;
	if (h->hdr.length < sizeof(*h) ||
	    h->base_address.space_id != ACPI_GAS_SPACE_MEMORY ||
	    h->base_address.address == 0)
		return -EINVAL;
	*base_phys = h->base_address.address;
	return 0;
}

static const struct acpi_madt *
madt_get(void)
{
	const struct acpi_sdt_header *h = acpi_find_table("APIC", 0);

	if (!h || h->length < sizeof(struct acpi_madt))
		return NULL;
	return (const struct acpi_madt *)h;
}

/* The next entry of @type at least @size bytes long after @prev (from
 * the start when NULL). Stops at an entry that overruns the table or is
 * too short to step past. */
static const void *
madt_next(const struct acpi_madt *m, const void *prev, uint8_t type,
	  size_t size)
{
	const uint8_t *end = (const uint8_t *)m + m->hdr.length;
	const uint8_t *p = (const uint8_t *)(m + 1);
	const struct acpi_madt_entry *e;

	if (prev)
		p = (const uint8_t *)prev +
		    ((const struct acpi_madt_entry *)prev)->length;
	for (; end - p >= (ptrdiff_t)sizeof(*e); p += e->length) {
		e = (const void *)p;
		if (e->length < sizeof(*e) || e->length > end - p)
			return NULL;
		if (e->type == type && e->length >= size)
			return e;
	}
	return NULL;
}

int
acpi_madt_lapic_base(uint64_t *base_phys)
{
	const struct acpi_madt *m = madt_get();
	const struct acpi_madt_lapic_override *o;

	if (!m)
		return -ENODEV;
	o = madt_next(m, NULL, ACPI_MADT_LAPIC_OVERRIDE, sizeof(*o));
	*base_phys = o ? o->address : m->lapic_address;
	return 0;
}

int
acpi_madt_ioapics(struct acpi_ioapic_info *out, int max)
{
	const struct acpi_madt *m = madt_get();
	const struct acpi_madt_ioapic *e = NULL;
	int n = 0;

	if (!m)
		return -ENODEV;
	while ((e = madt_next(m, e, ACPI_MADT_IOAPIC, sizeof(*e))) != NULL) {
		if (n < max) {
			out[n].id = e->ioapic_id;
			out[n].base = e->address;
			out[n].gsi_base = e->gsi_base;
		}
		n++;
	}
	return n;
}

int
acpi_madt_isa_irq(uint8_t irq, uint32_t *gsi, uint16_t *flags)
{
	const struct acpi_madt *m = madt_get();
	const struct acpi_madt_iso *e = NULL;

	*gsi = irq;
	*flags = 0;
	if (!m)
		return -ENODEV;
	while ((e = madt_next(m, e, ACPI_MADT_ISO, sizeof(*e))) != NULL) {
		if (e->bus == 0 && e->source == irq) {
			*gsi = e->gsi;
			*flags = e->flags;
			break;
		}
	}
	return 0;
}

static int
madt_add_cpu(uint32_t *ids, int max, int n, uint32_t id, uint32_t flags)
{
	if (!(flags & ACPI_MADT_CPU_ENABLED))
		return n;
	if (n < max)
		ids[n] = id;
	return n + 1;
}

int
acpi_madt_cpus(uint32_t *apic_ids, int max)
{
	const struct acpi_madt *m = madt_get();
	const struct acpi_madt_lapic *l = NULL;
	const struct acpi_madt_x2apic *x = NULL;
	int n = 0;

	if (!m)
		return -ENODEV;
	while ((l = madt_next(m, l, ACPI_MADT_LAPIC, sizeof(*l))) != NULL)
		n = madt_add_cpu(apic_ids, max, n, l->apic_id, l->flags);
	while ((x = madt_next(m, x, ACPI_MADT_X2APIC, sizeof(*x))) != NULL)
		n = madt_add_cpu(apic_ids, max, n, x->x2apic_id, x->flags);
	return n;
}

int
acpi_mcfg_ecam(uint64_t *base_phys, uint8_t *start_bus, uint8_t *end_bus)
{
	const struct acpi_mcfg *m = (const void *)acpi_find_table("MCFG", 0);
	size_t n;

	if (!m || m->hdr.length < sizeof(*m))
		return -ENODEV;
	n = (m->hdr.length - sizeof(*m)) / sizeof(m->alloc[0]);
	for (size_t i = 0; i < n; i++) {
		if (m->alloc[i].segment != 0)
			continue;
		*base_phys = m->alloc[i].base_address;
		*start_bus = m->alloc[i].start_bus;
		*end_bus = m->alloc[i].end_bus;
		return 0;
	}
	return -ENODEV;
}
