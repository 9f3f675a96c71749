# Sources of kernel/drivers.
