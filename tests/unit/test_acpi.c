/* Host tests for drivers/acpi.c: fake firmware tables (pc-, q35- and
 * microvm-shaped) in an arena the direct map points at, a recorder in
 * place of acpi_hw.c and ioremap, and corrupt tables that must fail cleanly. */
#include <stdlib.h>
#include <keel/acpi.h>
#include <keel/boot.h>
#include <keel/errno.h>
#include <keel/page.h>
#include "../../kernel/drivers/acpi_hw.h"
#include "../../kernel/drivers/acpi_tables.h"
#include "unit.h"

/* The build renames snprintf to ksnprintf, <stdio.h> included; CHECK_EQ
 * wants the C library's, and this binary links no kernel formatter. */
#undef snprintf
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ARENA_SIZE	0x400000UL
#define RSDP_PHYS	0xe0010UL
#define XSDT_PHYS	0x100000UL
#define RSDT_PHYS	0x100800UL
#define FADT_PHYS	0x101000UL
#define DSDT_PHYS	0x102000UL
#define MADT_PHYS	0x103000UL
#define HPET_PHYS	0x104000UL
#define SSDT_PHYS	0x105000UL
#define RAM_PHYS	0x1f0000UL	/* usable RAM from here to the end */
#define GED_SLEEP_CTL	0xfea00200UL	/* QEMU microvm's GED sleep register */

#define PM1A_PORT	0x604
#define PM1B_PORT	0x608
#define SMI_PORT	0xb2
#define SMI_ENABLE	0xf1

struct boot_info boot_info;

static uint8_t *arena;

/* --- recording fakes for acpi_hw.c and ioremap ----------------------- */

enum { OP_OUTB, OP_OUTW, OP_MMIO8, OP_MMIO16 };

struct hw_op {
	int kind;
	uintptr_t where;	/* port or host address */
	uint32_t val;
};

static struct hw_op ops[16];
static int nops;
static uint16_t pm1_value;	/* what PM1 control reads return */
static bool smi_works;		/* ACPI_ENABLE on SMI_CMD sets SCI_EN */
static uint8_t mmio_window[4096];
static uint64_t ioremap_phys;
static int ioremap_calls;

static void
record(int kind, uintptr_t where, uint32_t val)
{
	if (nops < (int)(sizeof(ops) / sizeof(ops[0])))
		ops[nops] = (struct hw_op){ kind, where, val };
	nops++;
}

void
acpi_hw_outb(uint16_t port, uint8_t v)
{
	record(OP_OUTB, port, v);
	if (smi_works && port == SMI_PORT && v == SMI_ENABLE)
		pm1_value |= ACPI_PM1_SCI_EN;
}

void
acpi_hw_outw(uint16_t port, uint16_t v)
{
	record(OP_OUTW, port, v);
}

uint16_t
acpi_hw_inw(uint16_t port)
{
	(void)port;
	return pm1_value;
}

void
acpi_hw_mmio_write8(volatile void *reg, uint8_t v)
{
	record(OP_MMIO8, (uintptr_t)reg, v);
}

void
acpi_hw_mmio_write16(volatile void *reg, uint16_t v)
{
	record(OP_MMIO16, (uintptr_t)reg, v);
}

uint16_t
acpi_hw_mmio_read16(const volatile void *reg)
{
	(void)reg;
	return pm1_value;
}

void *
ioremap(uint64_t phys, size_t len)
{
	(void)len;
	ioremap_calls++;
	ioremap_phys = phys;
	return mmio_window + (phys & 0xfff);
}

void
iounmap(void *virt, size_t len)
{
	(void)virt;
	(void)len;
}

/* --- fake firmware ---------------------------------------------------- */

enum plat { PLAT_PC, PLAT_Q35, PLAT_MICROVM };

static void *
at(uint64_t phys)
{
	return arena + phys;
}

static void
sum_fix(void *p, size_t len, uint8_t *field)
{
	uint8_t s = 0;

	*field = 0;
	for (size_t i = 0; i < len; i++)
		s += ((uint8_t *)p)[i];
	*field = (uint8_t)-s;
}

static void
sdt_fix(uint64_t phys)
{
	struct acpi_sdt_header *h = at(phys);

	sum_fix(h, h->length, &h->checksum);
}

static struct acpi_sdt_header *
sdt_init(uint64_t phys, const char *sig, uint32_t len, uint8_t rev)
{
	struct acpi_sdt_header *h = at(phys);

	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "KEELT ", 6);
	return h;
}

static void
rsdp_build(uint64_t phys, uint8_t rev)
{
	struct acpi_rsdp2 *r = at(phys);

	memcpy(r->v1.signature, "RSD PTR ", 8);
	memcpy(r->v1.oem_id, "KEELT ", 6);
	r->v1.revision = rev;
	r->v1.rsdt_address = RSDT_PHYS;
	sum_fix(&r->v1, sizeof(r->v1), &r->v1.checksum);
	if (rev < 2)
		return;
	r->length = sizeof(*r);
	r->xsdt_address = XSDT_PHYS;
	sum_fix(r, sizeof(*r), &r->ext_checksum);
}

/* The XSDT lists everything; the RSDT leaves out the HPET so tests can
 * tell which root was used. */
static void
roots_build(void)
{
	static const uint64_t list[] = { FADT_PHYS, MADT_PHYS, HPET_PHYS,
					 SSDT_PHYS };
	struct acpi_xsdt *x = (void *)sdt_init(XSDT_PHYS, "XSDT", 36 + 8 * 4, 1);
	struct acpi_rsdt *r = (void *)sdt_init(RSDT_PHYS, "RSDT", 36 + 4 * 3, 1);
	uint32_t r32[3] = { FADT_PHYS, MADT_PHYS, SSDT_PHYS };

	memcpy((uint8_t *)x + 36, list, sizeof(list));
	memcpy((uint8_t *)r + 36, r32, sizeof(r32));
	sdt_fix(XSDT_PHYS);
	sdt_fix(RSDT_PHYS);
}

static void
gas_set(struct acpi_gas *g, uint8_t space, uint8_t bits, uint64_t addr)
{
	g->space_id = space;
	g->bit_width = bits;
	g->bit_offset = 0;
	g->access_size = 1;
	g->address = addr;
}

static void
fadt_build(enum plat plat)
{
	static const uint32_t len[] = { 116, 244, 276 };
	static const uint8_t rev[] = { 1, 3, 5 };
	struct acpi_fadt *f = (void *)sdt_init(FADT_PHYS, "FACP", len[plat],
					       rev[plat]);

	if (plat == PLAT_MICROVM) {
		f->x_dsdt = DSDT_PHYS;
		f->flags = ACPI_FADT_HW_REDUCED;
		gas_set(&f->sleep_control_reg, ACPI_GAS_SPACE_MEMORY, 8,
			GED_SLEEP_CTL);
		gas_set(&f->sleep_status_reg, ACPI_GAS_SPACE_MEMORY, 8,
			GED_SLEEP_CTL + 1);
	} else {
		f->dsdt = DSDT_PHYS;
		f->smi_cmd = SMI_PORT;
		f->acpi_enable = SMI_ENABLE;
		f->acpi_disable = 0xf0;
		f->pm1a_cnt_blk = PM1A_PORT;
		f->pm1_cnt_len = 2;
	}
	if (plat == PLAT_Q35) {
		f->x_dsdt = DSDT_PHYS;
		gas_set(&f->x_pm1a_cnt_blk, ACPI_GAS_SPACE_IO, 16, PM1A_PORT);
	}
	sdt_fix(FADT_PHYS);
}

/* Encodes Name ([\]_S5_, Package (count) { elems }) with a PkgLength of
 * @lbytes bytes. */
static size_t
aml_s5(uint8_t *out, bool root, int lbytes, uint8_t count,
       const uint8_t *elems, size_t elen)
{
	uint32_t len = lbytes + 1 + elen;
	size_t o = 0;

	out[o++] = 0x08;
	if (root)
		out[o++] = '\\';
	memcpy(out + o, "_S5_", 4);
	o += 4;
	out[o++] = 0x12;
	if (lbytes == 1) {
		out[o++] = len;
	} else {
		out[o++] = ((lbytes - 1) << 6) | (len & 0x0f);
		for (int i = 1; i < lbytes; i++)
			out[o++] = len >> (4 + 8 * (i - 1));
	}
	out[o++] = count;
	memcpy(out + o, elems, elen);
	return o + elen;
}

/* A definition block: some unrelated AML, then @aml, then more. */
static void
aml_table(uint64_t phys, const char *sig, const uint8_t *aml, size_t n)
{
	static const uint8_t pre[] = { 0x10, 0x0b, 0x5c, 0x00, 0x08, '_', 'S',
				       '3', '_', 0x0a, 0x01, 0x08, 'F', 'O',
				       'O', '_', 0x01 };
	static const uint8_t post[] = { 0x14, 0x08, '_', 'P', 'T', 'S', 0x01,
					0xa3, 0xa3, 0xa3 };
	uint8_t *p = (uint8_t *)at(phys) + 36;

	memcpy(p, pre, sizeof(pre));
	memcpy(p + sizeof(pre), aml, n);
	memcpy(p + sizeof(pre) + n, post, sizeof(post));
	sdt_init(phys, sig, 36 + sizeof(pre) + n + sizeof(post), 2);
	sdt_fix(phys);
}

static void
dsdt_s5(const uint8_t *elems, size_t elen, uint8_t count)
{
	uint8_t aml[64];

	aml_table(DSDT_PHYS, "DSDT", aml,
		  aml_s5(aml, false, 1, count, elems, elen));
}

static uint8_t *
madt_add(uint8_t *p, uint8_t type, uint8_t len)
{
	p[0] = type;
	p[1] = len;
	return p;
}

static void
madt_build(void)
{
	struct acpi_madt *m = (void *)sdt_init(MADT_PHYS, "APIC", 0, 3);
	uint8_t *p = (uint8_t *)(m + 1);
	struct acpi_madt_lapic *l;
	struct acpi_madt_ioapic *io;
	struct acpi_madt_iso *iso;
	struct acpi_madt_x2apic *x;

	m->lapic_address = 0xfee00000;
	for (int i = 0; i < 3; i++) {
		l = (void *)madt_add(p, ACPI_MADT_LAPIC, sizeof(*l));
		l->processor_uid = i;
		l->apic_id = i;
		l->flags = i == 2 ? 0 : ACPI_MADT_CPU_ENABLED;
		p += sizeof(*l);
	}
	io = (void *)madt_add(p, ACPI_MADT_IOAPIC, sizeof(*io));
	io->ioapic_id = 0;
	io->address = 0xfec00000;
	p += sizeof(*io);
	iso = (void *)madt_add(p, ACPI_MADT_ISO, sizeof(*iso));
	iso->source = 0;
	iso->gsi = 2;
	p += sizeof(*iso);
	iso = (void *)madt_add(p, ACPI_MADT_ISO, sizeof(*iso));
	iso->source = 9;
	iso->gsi = 9;
	iso->flags = 0x000d;
	p += sizeof(*iso);
	x = (void *)madt_add(p, ACPI_MADT_X2APIC, sizeof(*x));
	x->x2apic_id = 300;
	x->flags = ACPI_MADT_CPU_ENABLED;
	p += sizeof(*x);
	m->hdr.length = p - (uint8_t *)m;
	sdt_fix(MADT_PHYS);
}

static void
hpet_build(void)
{
	struct acpi_hpet *h = (void *)sdt_init(HPET_PHYS, "HPET",
					       sizeof(*h), 1);

	gas_set(&h->base_address, ACPI_GAS_SPACE_MEMORY, 64, 0xfed00000);
	sdt_fix(HPET_PHYS);
}

static void
arena_reset(void)
{
	free(arena);
	arena = calloc(1, ARENA_SIZE);
	host_direct_map_base = (uintptr_t)arena;
	memset(&boot_info, 0, sizeof(boot_info));
	boot_info.regions[0] = (struct mem_region){ 0x100000, 0xf0000,
						    MEM_ACPI };
	boot_info.regions[1] = (struct mem_region){ RAM_PHYS,
						    ARENA_SIZE - RAM_PHYS,
						    MEM_USABLE };
	boot_info.nregions = 2;
	nops = 0;
	pm1_value = 0;
	smi_works = true;
	ioremap_calls = 0;
	ioremap_phys = 0;
}

/* A whole machine's tables as QEMU's machine @plat would describe it. */
static void
platform(enum plat plat)
{
	static const uint8_t pc_s5[] = { 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t microvm_s5[] = { 0x0a, 0x05, 0x00, 0x00, 0x00 };

	arena_reset();
	rsdp_build(RSDP_PHYS, 2);
	roots_build();
	fadt_build(plat);
	if (plat == PLAT_MICROVM)
		dsdt_s5(microvm_s5, sizeof(microvm_s5), 4);
	else
		dsdt_s5(pc_s5, sizeof(pc_s5), 4);
	madt_build();
	hpet_build();
	aml_table(SSDT_PHYS, "SSDT", (const uint8_t *)"\x01", 1);
}

static struct acpi_fadt *
fadt(void)
{
	return at(FADT_PHYS);
}

static uint16_t
pm1_expect(uint16_t before, uint8_t typ)
{
	return (before & ~(ACPI_PM1_SLP_TYP_MASK | ACPI_PM1_SLP_EN)) |
	       typ << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN;
}

/* --- finding tables --------------------------------------------------- */

TEST(init_from_loader_pointer_uses_xsdt)
{
	platform(PLAT_Q35);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK(acpi_find_table("FACP", 0) == at(FADT_PHYS));
	CHECK(acpi_find_table("DSDT", 0) == at(DSDT_PHYS));
	CHECK(acpi_find_table("APIC", 0) == at(MADT_PHYS));
	CHECK(acpi_find_table("HPET", 0) == at(HPET_PHYS));
	CHECK(acpi_find_table("SSDT", 0) == at(SSDT_PHYS));
	CHECK(acpi_find_table("SSDT", 1) == NULL);
	CHECK(acpi_find_table("MCFG", 0) == NULL);
}

TEST(init_rsdp_v1_uses_rsdt)
{
	platform(PLAT_PC);
	rsdp_build(RSDP_PHYS, 0);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK(acpi_find_table("FACP", 0) != NULL);
	CHECK(acpi_find_table("HPET", 0) == NULL);
}

TEST(init_rsdp_v2_without_xsdt_uses_rsdt)
{
	struct acpi_rsdp2 *r;

	platform(PLAT_PC);
	r = at(RSDP_PHYS);
	r->xsdt_address = 0;
	sum_fix(r, sizeof(*r), &r->ext_checksum);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK(acpi_find_table("APIC", 0) != NULL);
	CHECK(acpi_find_table("HPET", 0) == NULL);
}

TEST(init_scans_bios_area)
{
	platform(PLAT_PC);
	CHECK_EQ(acpi_init(0), 0);
	CHECK(acpi_find_table("HPET", 0) != NULL);
}

TEST(init_scans_ebda_first)
{
	uint16_t seg = 0x9fc0;

	platform(PLAT_PC);
	memset(at(RSDP_PHYS), 0, 36);
	memcpy(at(0x40e), &seg, 2);
	rsdp_build(0x9fc00 + 0x30, 0);
	CHECK_EQ(acpi_init(0), 0);
	CHECK(acpi_find_table("FACP", 0) != NULL);
}

TEST(init_without_acpi_is_enodev)
{
	arena_reset();
	CHECK_EQ(acpi_init(0), -ENODEV);
	CHECK(acpi_find_table("FACP", 0) == NULL);
	CHECK_EQ(acpi_power_off(), -ENODEV);
	CHECK_EQ(nops, 0);
}

TEST(init_scan_skips_bad_checksum)
{
	struct acpi_rsdp *r;

	platform(PLAT_PC);
	r = at(RSDP_PHYS);
	r->checksum++;
	CHECK_EQ(acpi_init(0), -ENODEV);
}

TEST(init_rejects_bad_rsdp_pointer)
{
	struct acpi_rsdp2 *r;

	platform(PLAT_PC);
	r = at(RSDP_PHYS);
	r->v1.checksum++;
	CHECK_EQ(acpi_init(RSDP_PHYS), -EINVAL);
	platform(PLAT_PC);
	r = at(RSDP_PHYS);
	r->ext_checksum++;
	CHECK_EQ(acpi_init(RSDP_PHYS), -EINVAL);
	platform(PLAT_PC);
	r = at(RSDP_PHYS);
	r->length = 0x7fffffff;
	sum_fix(r, sizeof(*r), &r->ext_checksum);
	CHECK_EQ(acpi_init(RSDP_PHYS), -EINVAL);
	CHECK_EQ(acpi_init(0x5000), -EINVAL);		/* no signature */
	CHECK_EQ(acpi_init(0x40000000), -EINVAL);	/* unmapped */
	CHECK_EQ(acpi_init(ARENA_SIZE - 8), -EINVAL);	/* runs off the map */
	CHECK_EQ(acpi_init(~0ULL - 4), -EINVAL);	/* wraps */
}

static void
root_corrupt_check(uint32_t len)
{
	struct acpi_sdt_header *x;

	platform(PLAT_PC);
	x = at(XSDT_PHYS);
	x->length = len;
	CHECK_EQ(acpi_init(RSDP_PHYS), -EINVAL);
	CHECK(acpi_find_table("FACP", 0) == NULL);
}

TEST(init_rejects_corrupt_root)
{
	platform(PLAT_PC);
	((struct acpi_sdt_header *)at(XSDT_PHYS))->checksum ^= 0x5a;
	CHECK_EQ(acpi_init(RSDP_PHYS), -EINVAL);
	root_corrupt_check(0x7fffffff);		/* absurd */
	root_corrupt_check(0x100001);		/* just over 1 MiB */
	root_corrupt_check(35);			/* shorter than its header */
	root_corrupt_check(0);
	root_corrupt_check(36 + 33);		/* sum now wrong */
	/* Over 1 MiB is refused even when mapped and summing to zero. */
	platform(PLAT_PC);
	((struct acpi_sdt_header *)at(XSDT_PHYS))->length = 0x100001;
	sdt_fix(XSDT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), -EINVAL);
}

TEST(init_rejects_root_past_memory_map)
{
	struct acpi_rsdp2 *r;

	platform(PLAT_PC);
	/* Starts in the ACPI region and ends in a hole after it. */
	boot_info.regions[1].base += 0x1000;
	boot_info.regions[1].len -= 0x1000;
	sdt_init(RAM_PHYS - 0x30, "XSDT", 64, 1);
	sdt_fix(RAM_PHYS - 0x30);
	r = at(RSDP_PHYS);
	r->xsdt_address = RAM_PHYS - 0x30;
	sum_fix(r, sizeof(*r), &r->ext_checksum);
	CHECK_EQ(acpi_init(RSDP_PHYS), -EINVAL);
	/* The same table across two adjacent regions is fine. */
	boot_info.regions[1].base = RAM_PHYS;
	boot_info.regions[1].len = ARENA_SIZE - RAM_PHYS;
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
}

TEST(init_root_wrong_signature)
{
	platform(PLAT_PC);
	memcpy(at(XSDT_PHYS), "RSDT", 4);
	sdt_fix(XSDT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), -EINVAL);
}

TEST(init_skips_bad_tables)
{
	struct acpi_sdt_header *h;

	platform(PLAT_Q35);
	h = at(HPET_PHYS);
	h->checksum++;
	h = at(MADT_PHYS);
	h->length = 0x7fffff00;
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK(acpi_find_table("HPET", 0) == NULL);
	CHECK(acpi_find_table("APIC", 0) == NULL);
	CHECK(acpi_find_table("FACP", 0) != NULL);
	CHECK(acpi_find_table("SSDT", 0) != NULL);
}

TEST(init_skips_entries_pointing_nowhere)
{
	struct acpi_xsdt *x;
	uint64_t bad[4] = { 0, 0x40000000, ARENA_SIZE - 4, ARENA_SIZE - 64 };

	platform(PLAT_Q35);
	/* A good header whose length runs off the end of memory. */
	sdt_init(ARENA_SIZE - 64, "FACP", 0x1000, 1);
	x = at(XSDT_PHYS);
	memcpy((uint8_t *)x + 36, bad, sizeof(bad));
	sdt_fix(XSDT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK(acpi_find_table("FACP", 0) == NULL);
	CHECK_EQ(acpi_power_off(), -ENODEV);
}

TEST(dsdt_from_x_dsdt_and_bad_dsdt_skipped)
{
	platform(PLAT_Q35);
	fadt()->dsdt = 0x1234;		/* X_DSDT wins */
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK(acpi_find_table("DSDT", 0) == at(DSDT_PHYS));
	memcpy(at(DSDT_PHYS), "SSDT", 4);	/* not a DSDT: ignored */
	sdt_fix(DSDT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK(acpi_find_table("DSDT", 0) == NULL);
	CHECK_EQ(acpi_power_off(), -ENOENT);
	CHECK_EQ(nops, 0);
}

/* --- power off -------------------------------------------------------- */

TEST(power_off_pc_enables_acpi_then_pm1a)
{
	platform(PLAT_PC);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(nops, 2);
	CHECK_EQ(ops[0].kind, OP_OUTB);
	CHECK_EQ(ops[0].where, SMI_PORT);
	CHECK_EQ(ops[0].val, SMI_ENABLE);
	CHECK_EQ(ops[1].kind, OP_OUTW);
	CHECK_EQ(ops[1].where, PM1A_PORT);
	CHECK_EQ(ops[1].val, ACPI_PM1_SLP_EN | ACPI_PM1_SCI_EN);
}

TEST(power_off_pc_dead_smi_is_bounded)
{
	platform(PLAT_PC);
	smi_works = false;
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(nops, 2);
	CHECK_EQ(ops[1].where, PM1A_PORT);
	CHECK_EQ(ops[1].val, ACPI_PM1_SLP_EN);
}

TEST(power_off_q35_already_in_acpi_mode)
{
	platform(PLAT_Q35);
	pm1_value = ACPI_PM1_SCI_EN | 3 << ACPI_PM1_SLP_TYP_SHIFT;
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(nops, 1);
	CHECK_EQ(ops[0].kind, OP_OUTW);
	CHECK_EQ(ops[0].where, PM1A_PORT);
	CHECK_EQ(ops[0].val, ACPI_PM1_SLP_EN | ACPI_PM1_SCI_EN);
}

TEST(power_off_prefers_x_pm1a_and_writes_pm1b)
{
	static const uint8_t s5[] = { 0x0a, 0x05, 0x0a, 0x06 };

	platform(PLAT_Q35);
	pm1_value = ACPI_PM1_SCI_EN;
	fadt()->pm1a_cnt_blk = 0x404;
	fadt()->pm1b_cnt_blk = PM1B_PORT;
	sdt_fix(FADT_PHYS);
	dsdt_s5(s5, sizeof(s5), 2);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(nops, 2);
	CHECK_EQ(ops[0].where, PM1A_PORT);
	CHECK_EQ(ops[0].val, pm1_expect(pm1_value, 5));
	CHECK_EQ(ops[1].kind, OP_OUTW);
	CHECK_EQ(ops[1].where, PM1B_PORT);
	CHECK_EQ(ops[1].val, pm1_expect(pm1_value, 6));
}

TEST(power_off_pm1a_in_memory_space)
{
	platform(PLAT_Q35);
	pm1_value = ACPI_PM1_SCI_EN;
	gas_set(&fadt()->x_pm1a_cnt_blk, ACPI_GAS_SPACE_MEMORY, 16, 0xfe000004);
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(ioremap_calls, 1);
	CHECK_EQ(ioremap_phys, 0xfe000004);
	CHECK_EQ(nops, 1);
	CHECK_EQ(ops[0].kind, OP_MMIO16);
	CHECK(ops[0].where == (uintptr_t)(mmio_window + 4));
}

TEST(power_off_microvm_ged_sleep_register)
{
	platform(PLAT_MICROVM);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(ioremap_calls, 1);
	CHECK_EQ(ioremap_phys, GED_SLEEP_CTL);
	CHECK_EQ(nops, 1);
	CHECK_EQ(ops[0].kind, OP_MMIO8);
	CHECK(ops[0].where == (uintptr_t)(mmio_window + 0x200));
	CHECK_EQ(ops[0].val, 0x34);	/* SLP_TYP 5, SLP_EN */
}

TEST(power_off_sleep_register_in_ram_uses_direct_map)
{
	platform(PLAT_MICROVM);
	fadt()->sleep_control_reg.address = RAM_PHYS + 0x10;
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(ioremap_calls, 0);
	CHECK_EQ(nops, 1);
	CHECK(ops[0].where == (uintptr_t)at(RAM_PHYS + 0x10));
}

TEST(power_off_sleep_register_in_io_space)
{
	platform(PLAT_MICROVM);
	gas_set(&fadt()->sleep_control_reg, ACPI_GAS_SPACE_IO, 8, 0x3b0);
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(nops, 1);
	CHECK_EQ(ops[0].kind, OP_OUTB);
	CHECK_EQ(ops[0].where, 0x3b0);
	CHECK_EQ(ops[0].val, 0x34);
}

TEST(power_off_sleep_register_without_hw_reduced_flag)
{
	platform(PLAT_MICROVM);
	fadt()->flags = 0;
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(nops, 1);
	CHECK_EQ(ops[0].kind, OP_MMIO8);
}

TEST(power_off_unusable_registers)
{
	platform(PLAT_MICROVM);
	gas_set(&fadt()->sleep_control_reg, 2 /* PCI config */, 8, 0x10);
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK(acpi_power_off() < 0);
	platform(PLAT_MICROVM);
	gas_set(&fadt()->sleep_control_reg, ACPI_GAS_SPACE_IO, 8, 0x10000);
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), -EINVAL);
	platform(PLAT_MICROVM);
	fadt()->sleep_control_reg.address = 0;
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), -ENODEV);
	platform(PLAT_PC);
	fadt()->pm1a_cnt_blk = 0;
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), -ENODEV);
	CHECK_EQ(nops, 0);
}

TEST(power_off_without_fadt)
{
	platform(PLAT_PC);
	memcpy(at(FADT_PHYS), "FACQ", 4);
	sdt_fix(FADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), -ENODEV);
	CHECK_EQ(nops, 0);
}

/* --- \_S5 encodings --------------------------------------------------- */

/* Powers off a pc-style machine whose DSDT holds @aml and returns the
 * SLP_TYPa/b written, or the error. */
static int
s5_typ_from(const uint8_t *aml, size_t n, int *typa, int *typb)
{
	int err;

	platform(PLAT_PC);
	fadt()->pm1b_cnt_blk = PM1B_PORT;
	sdt_fix(FADT_PHYS);
	pm1_value = ACPI_PM1_SCI_EN;
	aml_table(DSDT_PHYS, "DSDT", aml, n);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	err = acpi_power_off();
	if (err)
		return err;
	CHECK_EQ(nops, 2);
	*typa = (ops[0].val >> ACPI_PM1_SLP_TYP_SHIFT) & 7;
	*typb = (ops[1].val >> ACPI_PM1_SLP_TYP_SHIFT) & 7;
	return 0;
}

struct s5_case {
	bool root;
	int lbytes;
	uint8_t count;
	uint8_t elems[12];
	size_t elen;
	int typa, typb;
};

TEST(s5_encodings)
{
	static const struct s5_case cases[] = {
		{ false, 1, 4, { 0, 0, 0, 0 }, 4, 0, 0 },
		{ true, 1, 4, { 0x0a, 5, 0, 0, 0 }, 5, 5, 0 },
		{ false, 2, 4, { 0x01, 0x0a, 7, 0, 0 }, 5, 1, 7 },
		{ false, 3, 2, { 0x0b, 3, 0, 0x0b, 4, 0 }, 6, 3, 4 },
		{ true, 4, 2, { 0x0c, 6, 0, 0, 0, 0x01 }, 6, 6, 1 },
		{ false, 1, 2, { 0x0e, 2, 0, 0, 0, 0, 0, 0, 0, 0x00 }, 10,
		  2, 0 },
		{ false, 1, 1, { 0x0b, 5, 6 }, 3, 5, 6 },	/* packed pair */
		{ false, 1, 4, { 0xff, 0x00, 0, 0 }, 4, 7, 0 },	/* Ones */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct s5_case *c = &cases[i];
		uint8_t aml[64];
		size_t n = aml_s5(aml, c->root, c->lbytes, c->count,
				  c->elems, c->elen);
		int a = -1, b = -1;

		CHECK_EQ(s5_typ_from(aml, n, &a, &b), 0);
		CHECK_EQ(a, c->typa);
		CHECK_EQ(b, c->typb);
	}
}

TEST(s5_not_a_name_is_skipped)
{
	/* A method returning _S5_ (then a stray package), a Name of
	 * something else, then the real object. */
	static const uint8_t aml[] = {
		0x14, 0x0f, 'M', 'T', 'H', 'D', 0x00, 0xa4, '_', 'S', '5', '_',
		0x12, 0x03, 0x01, 0x01,
		0x08, '_', 'S', '5', '_', 0x14, 0x01,	/* Name(_S5_, Method?) */
		0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x03, 0x00,
	};
	int a = -1, b = -1;

	CHECK_EQ(s5_typ_from(aml, sizeof(aml), &a, &b), 0);
	CHECK_EQ(a, 3);
	CHECK_EQ(b, 0);
}

TEST(s5_in_ssdt)
{
	static const uint8_t el[] = { 0x0a, 0x02, 0x00 };
	uint8_t aml[64];
	size_t n = aml_s5(aml, true, 1, 2, el, sizeof(el));

	platform(PLAT_PC);
	pm1_value = ACPI_PM1_SCI_EN;
	aml_table(DSDT_PHYS, "DSDT", (const uint8_t *)"\x00", 1);
	aml_table(SSDT_PHYS, "SSDT", aml, n);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), 0);
	CHECK_EQ(nops, 1);
	CHECK_EQ(ops[0].val, pm1_expect(pm1_value, 2));
}

static void
s5_bad(const uint8_t *aml, size_t n, int want)
{
	int a, b;

	CHECK_EQ(s5_typ_from(aml, n, &a, &b), want);
	CHECK_EQ(nops, 0);
}

TEST(s5_missing_or_malformed)
{
	static const uint8_t none[] = { 0x08, '_', 'S', '4', '_', 0x00 };
	static const uint8_t not_pkg[] = { 0x08, '_', 'S', '5', '_', 0x0a,
					   0x05 };
	static const uint8_t too_long[] = { 0x08, '_', 'S', '5', '_', 0x12,
					    0x3f, 0x04, 0x00, 0x00 };
	static const uint8_t huge[] = { 0x08, '_', 'S', '5', '_', 0x12,
					0xcf, 0xff, 0xff, 0xff, 0x04, 0x00 };
	/* Otherwise well-formed, but PkgLength bit 4 is reserved. */
	static const uint8_t reserved[] = { 0x08, '_', 'S', '5', '_', 0x12,
					    0x55, 0x00, 0x02, 0x00, 0x00 };
	static const uint8_t zero_elems[] = { 0x08, '_', 'S', '5', '_', 0x12,
					      0x02, 0x00 };
	static const uint8_t short_pkg[] = { 0x08, '_', 'S', '5', '_', 0x12,
					     0x01, 0x04 };
	static const uint8_t string_el[] = { 0x08, '_', 'S', '5', '_', 0x12,
					     0x05, 0x02, 0x0d, 'a', 0x00 };
	static const uint8_t cut_word[] = { 0x08, '_', 'S', '5', '_', 0x12,
					    0x04, 0x02, 0x0b, 0x05, 0x0a,
					    0x05 };

	s5_bad(none, sizeof(none), -ENOENT);
	s5_bad(not_pkg, sizeof(not_pkg), -ENOENT);
	s5_bad(too_long, sizeof(too_long), -EINVAL);
	s5_bad(huge, sizeof(huge), -EINVAL);
	s5_bad(reserved, sizeof(reserved), -EINVAL);
	s5_bad(zero_elems, sizeof(zero_elems), -EINVAL);
	s5_bad(short_pkg, sizeof(short_pkg), -EINVAL);
	s5_bad(string_el, sizeof(string_el), -EINVAL);
	s5_bad(cut_word, sizeof(cut_word), -EINVAL);
}

TEST(s5_at_table_end)
{
	static const uint8_t tail[] = { 0x08, '_', 'S', '5', '_', 0x12 };
	static const uint8_t tail2[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x45 };
	static const uint8_t tail3[] = { 0x08, '_', 'S', '5', '_' };

	platform(PLAT_PC);
	/* Place the bytes as the very last ones of the DSDT. */
	memcpy((uint8_t *)at(DSDT_PHYS) + 36, tail, sizeof(tail));
	sdt_init(DSDT_PHYS, "DSDT", 36 + sizeof(tail), 2);
	sdt_fix(DSDT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), -EINVAL);
	memcpy((uint8_t *)at(DSDT_PHYS) + 36, tail2, sizeof(tail2));
	sdt_init(DSDT_PHYS, "DSDT", 36 + sizeof(tail2), 2);
	sdt_fix(DSDT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), -EINVAL);
	memcpy((uint8_t *)at(DSDT_PHYS) + 36, tail3, sizeof(tail3));
	sdt_init(DSDT_PHYS, "DSDT", 36 + sizeof(tail3), 2);
	sdt_fix(DSDT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_power_off(), -ENOENT);
	CHECK_EQ(nops, 0);
}

/* --- HPET and MADT ---------------------------------------------------- */

TEST(hpet_base)
{
	uint64_t base = 0;
	struct acpi_hpet *h;

	platform(PLAT_Q35);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_get_hpet(&base), 0);
	CHECK_EQ(base, 0xfed00000);
	h = at(HPET_PHYS);
	h->base_address.space_id = ACPI_GAS_SPACE_IO;
	sdt_fix(HPET_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_get_hpet(&base), -EINVAL);
	h->hdr.length = 40;			/* too short for the GAS */
	sdt_fix(HPET_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_get_hpet(&base), -EINVAL);
	rsdp_build(RSDP_PHYS, 0);		/* RSDT: no HPET listed */
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_get_hpet(&base), -ENODEV);
}

TEST(madt_walk)
{
	struct acpi_ioapic_info io[2];
	uint32_t ids[8], gsi;
	uint16_t flags;
	uint64_t base;

	platform(PLAT_Q35);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_madt_lapic_base(&base), 0);
	CHECK_EQ(base, 0xfee00000);
	CHECK_EQ(acpi_madt_ioapics(io, 2), 1);
	CHECK_EQ(io[0].base, 0xfec00000);
	CHECK_EQ(io[0].gsi_base, 0);
	CHECK_EQ(acpi_madt_isa_irq(0, &gsi, &flags), 0);
	CHECK_EQ(gsi, 2);
	CHECK_EQ(acpi_madt_isa_irq(9, &gsi, &flags), 0);
	CHECK_EQ(gsi, 9);
	CHECK_EQ(flags, 0xd);
	CHECK_EQ(acpi_madt_isa_irq(4, &gsi, &flags), 0);
	CHECK_EQ(gsi, 4);
	CHECK_EQ(flags, 0);
	CHECK_EQ(acpi_madt_cpus(ids, 8), 3);
	CHECK_EQ(ids[0], 0);
	CHECK_EQ(ids[1], 1);
	CHECK_EQ(ids[2], 300);
	CHECK_EQ(acpi_madt_cpus(ids, 1), 3);	/* counts past max */
}

TEST(madt_lapic_override_and_malformed_entries)
{
	struct acpi_madt *m;
	struct acpi_madt_lapic_override *o;
	uint8_t *end;
	uint32_t ids[8];
	uint64_t base;

	platform(PLAT_Q35);
	m = at(MADT_PHYS);
	end = (uint8_t *)m + m->hdr.length;
	o = (void *)madt_add(end, ACPI_MADT_LAPIC_OVERRIDE, sizeof(*o));
	o->address = 0x1fee00000ULL;
	m->hdr.length += sizeof(*o);
	sdt_fix(MADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_madt_lapic_base(&base), 0);
	CHECK_EQ(base, 0x1fee00000ULL);
	/* A zero-length first entry must stop the walk, not loop on it. */
	((uint8_t *)(m + 1))[1] = 0;
	sdt_fix(MADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_madt_cpus(ids, 8), 0);
	/* An entry claiming to run past the table end is not read. */
	platform(PLAT_Q35);
	m = at(MADT_PHYS);
	m->hdr.length -= 4;		/* cuts the x2APIC entry */
	sdt_fix(MADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_madt_cpus(ids, 8), 2);
	/* A MADT shorter than its fixed part is ignored. */
	sdt_init(MADT_PHYS, "APIC", 40, 3);
	sdt_fix(MADT_PHYS);
	CHECK_EQ(acpi_init(RSDP_PHYS), 0);
	CHECK_EQ(acpi_madt_lapic_base(&base), -ENODEV);
	CHECK_EQ(acpi_madt_ioapics(NULL, 0), -ENODEV);
}

/* --- garbage never crashes -------------------------------------------- */

static void
poke_everything(void)
{
	struct acpi_ioapic_info io[4];
	uint32_t ids[4], gsi;
	uint16_t flags;
	uint64_t v;

	(void)acpi_find_table("DSDT", 0);
	(void)acpi_power_off();
	(void)acpi_get_hpet(&v);
	(void)acpi_madt_lapic_base(&v);
	(void)acpi_madt_ioapics(io, 4);
	(void)acpi_madt_isa_irq(0, &gsi, &flags);
	(void)acpi_madt_cpus(ids, 4);
}

/* Random byte flips in otherwise good tables, with checksums sometimes
 * repaired so the damage gets past the first line of defence. ASan
 * catches any read outside the arena. */
TEST(fuzz_corrupt_tables)
{
	static const uint64_t tabs[] = { XSDT_PHYS, RSDT_PHYS, FADT_PHYS,
					 DSDT_PHYS, MADT_PHYS, HPET_PHYS,
					 SSDT_PHYS };
	unsigned int seed = 12345;

	for (int iter = 0; iter < 3000; iter++) {
		uint64_t t = tabs[rand_r(&seed) % 7];
		int flips = 1 + rand_r(&seed) % 4;

		platform((enum plat)(iter % 3));
		for (int i = 0; i < flips; i++) {
			size_t off = rand_r(&seed) % 300;

			((uint8_t *)at(t))[off] = rand_r(&seed);
		}
		if (rand_r(&seed) % 2 && ((struct acpi_sdt_header *)at(t))->
					 length < 0x1000)
			sdt_fix(t);
		(void)acpi_init(rand_r(&seed) % 2 ? RSDP_PHYS : 0);
		poke_everything();
	}
	CHECK(1);
}

TEST(fuzz_random_arena)
{
	unsigned int seed = 777;

	for (int iter = 0; iter < 200; iter++) {
		arena_reset();
		for (size_t i = 0xe0000; i < 0x110000; i++)
			arena[i] = rand_r(&seed);
		rsdp_build(RSDP_PHYS, iter % 3 == 0 ? 0 : 2);
		(void)acpi_init(iter % 2 ? RSDP_PHYS : 0);
		poke_everything();
	}
	CHECK(1);
}
