# Sources of kernel/drivers.
KERNEL_SRCS += kernel/drivers/serial.c
KERNEL_SRCS += kernel/drivers/acpi.c kernel/drivers/acpi_hw.c
