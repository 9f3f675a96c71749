/* Virtio over PCI (spec 4.1): the vendor capabilities of a modern device
 * and its common configuration structure, and the I/O BAR register file
 * of a legacy (0.9.5) device. */
#ifndef KEEL_VIRTIO_PCI_REG_H
#define KEEL_VIRTIO_PCI_REG_H

#include <keel/compiler.h>

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_LEGACY_FIRST	0x1000	/* transitional: subsys id */
#define VIRTIO_PCI_DEVICE_LEGACY_LAST	0x103f
#define VIRTIO_PCI_DEVICE_MODERN_BASE	0x1040	/* + device type */
#define VIRTIO_PCI_DEVICE_MODERN_LAST	0x107f

/* cfg_type of a vendor capability (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4

struct virtio_pci_cap {
	uint8_t cap_vndr;
	uint8_t cap_next;
	uint8_t cap_len;
	uint8_t cfg_type;
	uint8_t bar;
	uint8_t id;
	uint8_t padding[2];
	uint32_t offset;
	uint32_t length;
};
#define VIRTIO_PCI_CAP_CFG_TYPE		offsetof(struct virtio_pci_cap, cfg_type)
#define VIRTIO_PCI_CAP_BAR		offsetof(struct virtio_pci_cap, bar)
#define VIRTIO_PCI_CAP_OFFSET		offsetof(struct virtio_pci_cap, offset)
#define VIRTIO_PCI_CAP_LENGTH		offsetof(struct virtio_pci_cap, length)
#define VIRTIO_PCI_NOTIFY_MULTIPLIER	sizeof(struct virtio_pci_cap)

struct virtio_pci_common_cfg {
	uint32_t device_feature_select;
	uint32_t device_feature;
	uint32_t driver_feature_select;
	uint32_t driver_feature;
	uint16_t config_msix_vector;
	uint16_t num_queues;
	uint8_t device_status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint16_t queue_size;
	uint16_t queue_msix_vector;
	uint16_t queue_enable;
	uint16_t queue_notify_off;
	uint64_t queue_desc;
	uint64_t queue_driver;
	uint64_t queue_device;
};

#define VIRTIO_MSI_NO_VECTOR		0xffff

/* Legacy I/O BAR 0 (4.1.4.8). With MSI-X enabled two vector registers
 * follow the ISR and the device configuration moves down by 4 bytes. */
#define VIRTIO_LEGACY_HOST_FEATURES	0x00
#define VIRTIO_LEGACY_GUEST_FEATURES	0x04
#define VIRTIO_LEGACY_QUEUE_PFN		0x08
#define VIRTIO_LEGACY_QUEUE_NUM		0x0c
#define VIRTIO_LEGACY_QUEUE_SEL		0x0e
#define VIRTIO_LEGACY_QUEUE_NOTIFY	0x10
#define VIRTIO_LEGACY_STATUS		0x12
#define VIRTIO_LEGACY_ISR		0x13
#define VIRTIO_LEGACY_CONFIG_VECTOR	0x14
#define VIRTIO_LEGACY_QUEUE_VECTOR	0x16
#define VIRTIO_LEGACY_CONFIG		0x14
#define VIRTIO_LEGACY_CONFIG_MSIX	0x18
#define VIRTIO_LEGACY_PFN_SHIFT		12

_Static_assert(sizeof(struct virtio_pci_cap) == 16, "virtio_pci_cap");
_Static_assert(sizeof(struct virtio_pci_common_cfg) == 0x38, "common cfg");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_select) == 0x16,
	       "queue_select");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_desc) == 0x20,
	       "queue_desc");

#endif
