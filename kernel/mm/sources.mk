# Sources of kernel/mm.
