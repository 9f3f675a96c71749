/* State shared by the two virtio-pci transports (virtio_pci.c for 1.x
 * capabilities, virtio_pci_legacy.c for the legacy I/O BAR). */
#ifndef KEEL_VIRTIO_PCI_H
#define KEEL_VIRTIO_PCI_H

#include <keel/pci.h>
#include <keel/virtio.h>

struct virtio_pci {
	struct virtio_dev vdev;
	struct pci_dev *pdev;
	/* Modern: the structures the vendor capabilities point at. */
	volatile struct virtio_pci_common_cfg *common;
	volatile uint8_t *notify_base;
	uint32_t notify_mult;
	volatile uint8_t *device_cfg;
	/* Legacy: the I/O BAR. */
	uint16_t io_base;
};

/* Sets @vp up as a legacy device on its I/O BAR 0; -ENODEV if it has
 * none. */
int
virtio_pci_legacy_setup(struct virtio_pci *vp);

/* MSI-X entry 0, on a fresh vector, interrupts for every queue. */
int
virtio_pci_setup_msix(struct virtio_dev *vdev);

#define VIRTIO_PCI_MSIX_ENTRY	0

#endif
