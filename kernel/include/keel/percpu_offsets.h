/* Offsets into struct cpu that assembly code uses (syscall_entry.S); plain
 * defines so assembly can include them, checked against the struct in
 * sched/percpu.c. */
#ifndef KEEL_PERCPU_OFFSETS_H
#define KEEL_PERCPU_OFFSETS_H

#define CPU_OFFSET_KERNEL_STACK_TOP	16
#define CPU_OFFSET_SYSCALL_USER_RSP	24

#endif
