/* PCI configuration space layout (type 0 header), the legacy port
 * mechanism #1, ECAM addressing and the MSI-X capability: hardware
 * facts only, no driver state. */
#ifndef KEEL_PCI_REG_H
#define KEEL_PCI_REG_H

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_CONFIG_ENABLE	(1u << 31)
#define PCI_CONFIG_BUS_SHIFT	16
#define PCI_CONFIG_DEV_SHIFT	11
#define PCI_CONFIG_FN_SHIFT	8
#define PCI_CONFIG_REG_MASK	0xfc	/* dword-aligned register */

#define PCI_MAX_BUS		256
#define PCI_MAX_DEV		32
#define PCI_MAX_FN		8
#define PCI_CONFIG_SIZE		256	/* conventional space */
#define PCI_ECAM_FN_SIZE	4096	/* one function's window in ECAM */

/* Type 0 header offsets. */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION		0x08
#define PCI_PROG_IF		0x09
#define PCI_SUBCLASS		0x0a
#define PCI_CLASS		0x0b
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYS_VENDOR	0x2c
#define PCI_SUBSYS_ID		0x2e
#define PCI_CAP_PTR		0x34
#define PCI_NUM_BARS		6

#define PCI_VENDOR_NONE		0xffff
#define PCI_VENDOR_MASK		0xffff
#define PCI_HEADER_MULTIFN	0x80
#define PCI_HEADER_TYPE_MASK	0x7f
#define PCI_HEADER_NORMAL	0x00
#define PCI_HEADER_BRIDGE	0x01	/* PCI-to-PCI bridge */
#define PCI_SECONDARY_BUS	0x19	/* bridge header: the bus behind it */

#define PCI_CMD_IO		(1u << 0)
#define PCI_CMD_MEMORY		(1u << 1)
#define PCI_CMD_MASTER		(1u << 2)
#define PCI_CMD_INTX_DISABLE	(1u << 10)
#define PCI_STATUS_CAP_LIST	(1u << 4)

#define PCI_BAR_IO		(1u << 0)
#define PCI_BAR_IO_MASK		(~0x3u)
#define PCI_IO_SPACE_MASK	0xffff	/* x86 ports are 16 bits */
#define PCI_BAR_MEM_TYPE_MASK	0x6
#define PCI_BAR_MEM_TYPE_64	0x4
#define PCI_BAR_MEM_MASK	(~0xfu)

/* Capability list: each entry starts with an id and the next pointer. */
#define PCI_CAP_ID		0
#define PCI_CAP_NEXT		1
#define PCI_CAP_PTR_MASK	0xfc
#define PCI_CAP_MAX_WALK	48	/* 256 bytes hold at most 48 entries */
#define PCI_CAP_ID_VENDOR	0x09
#define PCI_CAP_ID_MSIX		0x11

/* MSI-X capability. */
#define PCI_MSIX_CTRL		2
#define PCI_MSIX_TABLE		4
#define PCI_MSIX_CTRL_SIZE_MASK	0x7ff	/* table size - 1 */
#define PCI_MSIX_CTRL_MASKALL	(1u << 14)
#define PCI_MSIX_CTRL_ENABLE	(1u << 15)
#define PCI_MSIX_BIR_MASK	0x7
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_ADDR_LO	0
#define PCI_MSIX_ENTRY_ADDR_HI	4
#define PCI_MSIX_ENTRY_DATA	8
#define PCI_MSIX_ENTRY_CTRL	12
#define PCI_MSIX_ENTRY_MASKED	(1u << 0)

/* x86 MSI message: address selects the LAPIC, data the vector. */
#define MSI_ADDR_BASE		0xfee00000u
#define MSI_ADDR_DEST_SHIFT	12

#endif
