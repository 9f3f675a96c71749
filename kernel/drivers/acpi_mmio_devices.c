/* Virtio-mmio devices the DSDT describes (QEMU microvm with ACPI on:
 * `LNRO0005` devices whose _CRS holds a Memory32Fixed window and an
 * extended Interrupt). Not an AML interpreter: the _CRS buffer sits right
 * after the _HID string, so a bounded scan past each string finds it. */
#include <keel/acpi.h>
#include <keel/errno.h>
#include <keel/string.h>
#include "acpi_tables.h"

#define MMIO_HID		"LNRO0005"
#define MMIO_HID_LEN		8
#define CRS_SCAN_BYTES		96	/* _UID, _CCA and _CRS follow _HID */
#define RES_MEMORY32_FIXED	0x86	/* large item tags (ACPI 6.4.3) */
#define RES_MEMORY32_FIXED_LEN	9
#define RES_EXT_IRQ		0x89
#define RES_EXT_IRQ_MIN_LEN	6
#define RES_HEADER_LEN		3

static uint32_t
le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Fills @dev from the descriptors in [@p, @end); false if either is
 * missing. */
static bool
crs_scan(const uint8_t *p, const uint8_t *end, struct acpi_mmio_device *dev)
{
	bool have_mem = false;

	for (; p + RES_HEADER_LEN <= end; p++) {
		uint16_t len = (uint16_t)(p[1] | p[2] << 8);

		if (!have_mem && p[0] == RES_MEMORY32_FIXED &&
		    len == RES_MEMORY32_FIXED_LEN &&
		    p + RES_HEADER_LEN + len <= end) {
			dev->base = le32_at(p + 4);
			dev->size = le32_at(p + 8);
			have_mem = true;
			p += RES_HEADER_LEN + len - 1;
		} else if (have_mem && p[0] == RES_EXT_IRQ &&
			   len >= RES_EXT_IRQ_MIN_LEN &&
			   p + RES_HEADER_LEN + len <= end && p[4] >= 1) {
			dev->gsi = le32_at(p + 5);
			return true;
		}
	}
	return false;
}

int
acpi_mmio_devices(struct acpi_mmio_device *out, int max)
{
	const struct acpi_sdt_header *dsdt = acpi_find_table("DSDT", 0);
	const uint8_t *p, *end;
	int n = 0;

	if (!dsdt)
		return -ENODEV;
	p = (const uint8_t *)dsdt + sizeof(*dsdt);
	end = (const uint8_t *)dsdt + dsdt->length;
	for (; p + MMIO_HID_LEN <= end && n < max; p++) {
		const uint8_t *crs_end;

		if (memcmp(p, MMIO_HID, MMIO_HID_LEN) != 0)
			continue;
		p += MMIO_HID_LEN;
		crs_end = end - p > CRS_SCAN_BYTES ? p + CRS_SCAN_BYTES : end;
		if (crs_scan(p, crs_end, &out[n]))
			n++;
	}
	return n;
}
