# Sources of kernel/syscall: the table and one file per call family.
KERNEL_SRCS += kernel/syscall/table.c kernel/syscall/sys_fs.c \
	kernel/syscall/sys_fs_path.c kernel/syscall/sys_statfs.c \
	kernel/syscall/sys_owner.c kernel/syscall/sys_sync.c kernel/syscall/sys_size.c \
	kernel/syscall/sys_lock.c \
	kernel/syscall/sys_time.c kernel/syscall/sys_misc.c \
	kernel/syscall/sys_thread.c kernel/syscall/sys_ioctl.c kernel/syscall/sys_mm.c \
	kernel/syscall/sys_futex.c kernel/syscall/sys_signal.c \
	kernel/syscall/sys_ident.c \
	kernel/syscall/sys_poll.c kernel/syscall/sys_epoll.c \
	kernel/syscall/sys_eventfd.c kernel/syscall/sys_timerfd.c \
	kernel/syscall/syscall_ktest.c
