/* The few register accesses ACPI power management makes, behind one small
 * interface: acpi_hw.c does them for real, host unit tests record them. */
#ifndef KEEL_ACPI_HW_H
#define KEEL_ACPI_HW_H

#include <keel/compiler.h>

void
acpi_hw_outb(uint16_t port, uint8_t v);
void
acpi_hw_outw(uint16_t port, uint16_t v);
uint16_t
acpi_hw_inw(uint16_t port);
void
acpi_hw_mmio_write8(volatile void *reg, uint8_t v);
void
acpi_hw_mmio_write16(volatile void *reg, uint16_t v);
uint16_t
acpi_hw_mmio_read16(const volatile void *reg);

#endif
