# Sources of kernel/arch/x86_64.
KERNEL_SRCS += kernel/arch/x86_64/boot.S
KERNEL_SRCS += kernel/arch/x86_64/isr.S kernel/arch/x86_64/gdt.c \
	kernel/arch/x86_64/idt.c kernel/arch/x86_64/traps.c \
	kernel/arch/x86_64/extable.c kernel/arch/x86_64/backtrace.c \
	kernel/arch/x86_64/random.c
KERNEL_SRCS += kernel/arch/x86_64/power.c
KERNEL_SRCS += kernel/arch/x86_64/pit.c kernel/arch/x86_64/tsc.c kernel/arch/x86_64/kvmclock.c kernel/arch/x86_64/rtc.c kernel/arch/x86_64/apic.c \
	kernel/arch/x86_64/ioapic.c
KERNEL_SRCS += kernel/arch/x86_64/switch.S kernel/arch/x86_64/context.c
KERNEL_SRCS += kernel/arch/x86_64/fpu.c kernel/arch/x86_64/fpu_ktest.c
KERNEL_SRCS += kernel/arch/x86_64/uaccess.c kernel/arch/x86_64/syscall_entry.S kernel/arch/x86_64/syscall_msr.c
