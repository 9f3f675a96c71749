/* ACPI: finds and checks the firmware's tables, answers lookups (FADT,
 * MADT, HPET, MCFG, ...) and powers the machine off through S5. Table
 * layouts live in drivers/acpi_tables.h. */
#ifndef KEEL_ACPI_H
#define KEEL_ACPI_H

#include <keel/compiler.h>

struct acpi_sdt_header;

/* One I/O APIC as the MADT describes it. */
struct acpi_ioapic_info {
	uint8_t id;
	uint64_t base;		/* physical MMIO base */
	uint32_t gsi_base;	/* first GSI it serves */
};

/* Finds the RSDP (at @rsdp_phys, or by scanning the EBDA and BIOS area
 * when it is 0), checks the root table and every table it lists, and
 * remembers the good ones. Returns 0, -ENODEV when the machine has no
 * ACPI, or -EINVAL when the RSDP or root table is corrupt. Boot only. */
int
acpi_init(uint64_t rsdp_phys);

/* The @index-th (from 0) checked table with signature @sig ("DSDT" too),
 * or NULL. Its length and checksum have been verified. Any context. */
const struct acpi_sdt_header *
acpi_find_table(const char sig[4], int index);

/* Enters S5 (soft off) through the FADT's sleep registers. Returns 0
 * once the request is written -- the hypervisor acts on it
 * asynchronously, so the caller halts -- or a negative errno when it
 * could not be issued (no FADT, no _S5 object, unusable registers). */
int
acpi_power_off(void);

/* Physical base of the first HPET block; -ENODEV without an HPET table. */
int
acpi_get_hpet(uint64_t *base_phys);

/* Local APIC physical base from the MADT (64-bit override honoured). */
int
acpi_madt_lapic_base(uint64_t *base_phys);

/* Fills up to @max I/O APICs; returns how many the MADT lists (may be
 * more than @max) or -ENODEV without a MADT. */
int
acpi_madt_ioapics(struct acpi_ioapic_info *out, int max);

/* Maps ISA IRQ @irq to its GSI and MPS INTI flags (polarity, trigger);
 * identity with flags 0 when the MADT has no override for it. */
int
acpi_madt_isa_irq(uint8_t irq, uint32_t *gsi, uint16_t *flags);

/* Fills up to @max APIC ids of usable CPUs (LAPIC and x2APIC entries);
 * returns how many there are or -ENODEV without a MADT. */
int
acpi_madt_cpus(uint32_t *apic_ids, int max);

/* PCI segment 0's ECAM window from the MCFG: physical base (of bus 0)
 * and the bus range it decodes. -ENODEV without one. */
int
acpi_mcfg_ecam(uint64_t *base_phys, uint8_t *start_bus, uint8_t *end_bus);

/* A memory-mapped device from the DSDT. */
struct acpi_mmio_device {
	uint64_t base;
	uint64_t size;
	uint32_t gsi;
};

/* Fills up to @max virtio-mmio devices (HID LNRO0005) the DSDT lists,
 * in table order; returns how many, or -ENODEV without a DSDT. */
int
acpi_mmio_devices(struct acpi_mmio_device *out, int max);

#endif
