# Sources of kernel/drivers.
KERNEL_SRCS += kernel/drivers/acpi.c kernel/drivers/acpi_hw.c
