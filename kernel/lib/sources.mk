# Sources of kernel/lib.
