# Sources of kernel/boot.
