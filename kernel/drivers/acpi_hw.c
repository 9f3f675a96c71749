/* ACPI register access on real hardware: port I/O and uncached MMIO for
 * the PM1 and sleep registers. acpi.c decides what to write; this file
 * only performs it, so host tests can swap it for a recorder. */
#include <keel/arch.h>
#include "acpi_hw.h"

void
acpi_hw_outb(uint16_t port, uint8_t v)
{
	outb(port, v);
}

void
acpi_hw_outw(uint16_t port, uint16_t v)
{
	outw(port, v);
}

uint16_t
acpi_hw_inw(uint16_t port)
{
	return inw(port);
}

void
acpi_hw_mmio_write8(volatile void *reg, uint8_t v)
{
	*(volatile uint8_t *)reg = v;
}

void
acpi_hw_mmio_write16(volatile void *reg, uint16_t v)
{
	*(volatile uint16_t *)reg = v;
}

uint16_t
acpi_hw_mmio_read16(const volatile void *reg)
{
	return *(const volatile uint16_t *)reg;
}
