# Sources of kernel/drivers.
KERNEL_SRCS += kernel/drivers/serial.c
KERNEL_SRCS += kernel/drivers/acpi.c kernel/drivers/acpi_hw.c \
	kernel/drivers/acpi_mmio_devices.c
KERNEL_SRCS += kernel/drivers/pci.c kernel/drivers/pci_msix.c
KERNEL_SRCS += kernel/drivers/blkdev.c kernel/drivers/partition.c \
	kernel/drivers/partition_scan.c kernel/drivers/blk_ktest.c
include kernel/drivers/virtio/sources.mk
