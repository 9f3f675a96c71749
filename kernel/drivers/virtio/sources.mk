# Sources of kernel/drivers/virtio: core and ring, transports, devices.
KERNEL_SRCS += kernel/drivers/virtio/virtio.c kernel/drivers/virtio/virtqueue.c
KERNEL_SRCS += kernel/drivers/virtio/virtio_mmio.c \
	kernel/drivers/virtio/virtio_pci.c kernel/drivers/virtio/virtio_pci_legacy.c
KERNEL_SRCS += kernel/drivers/virtio/virtio_blk.c kernel/drivers/virtio/virtio_rng.c
