# Sources of kernel/arch/x86_64.
