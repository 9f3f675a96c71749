/* I/O APICs: route a global system interrupt (GSI) to a vector on this
 * CPU. The chips come from the MADT; without ACPI (microvm, acpi=off) the
 * one at the standard address serving GSIs from 0 is assumed. */
#ifndef KEEL_IOAPIC_H
#define KEEL_IOAPIC_H

#include <keel/compiler.h>

#define IOAPIC_EDGE_HIGH	0	/* edge-triggered, active high */
#define IOAPIC_LEVEL_LOW	1	/* level-triggered, active low (PCI) */

/* Finds and maps the I/O APICs and masks every input. Needs acpi_init()
 * and the local APIC. Returns 0 or -ENODEV. Boot only. */
int
ioapic_init(void);

/* Routes @gsi to @vector on the calling CPU with @mode (IOAPIC_*) and
 * unmasks it. Returns 0, or -ENODEV when no I/O APIC serves @gsi. */
int
ioapic_route_gsi(uint32_t gsi, unsigned vector, int mode);

/* Masks @gsi again. */
void
ioapic_mask_gsi(uint32_t gsi);

/* The GSI and mode of ISA IRQ @irq, MADT interrupt source overrides
 * honoured (ISA default: edge, active high). */
void
ioapic_isa_irq(uint8_t irq, uint32_t *gsi, int *mode);

#endif
