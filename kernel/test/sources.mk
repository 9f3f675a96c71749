# Sources of kernel/test.
