/* System-call dispatch: the table built from syscalls.def, --strace
 * output, and -ENOSYS for everything else, each unimplemented call named
 * once on the console so a missing one is obvious. */
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/uaccess.h>
#include <keel/vfs.h>
#include "syscall_names.h"	/* generated: syscall_names[], from the UAPI */

#define STRACE_STRING_MAX	48
#define NR_BITS			64

typedef long (*syscall_fn)(const struct syscall_args *);

struct syscall_entry {
	syscall_fn fn;
	const char *kinds;
};

static const struct syscall_entry syscall_table[SYSCALL_TABLE_SIZE] = {
#define SYSCALL(nr, name, k) [nr] = { sys_##name, k },
#include "syscalls.def"
#undef SYSCALL
};

static bool strace_on;
static uint64_t enosys_reported[(SYSCALL_TABLE_SIZE + NR_BITS - 1) / NR_BITS];

static const char *
syscall_name(uint64_t nr)
{
	return nr < SYSCALL_TABLE_SIZE && syscall_names[nr] ? syscall_names[nr]
							     : "unknown";
}

static void
strace_arg(char kind, uint64_t v)
{
	char s[STRACE_STRING_MAX];
	long n;

	switch (kind) {
	case 'd':
		printk("%ld", (long)v);
		break;
	case 'f':
		printk("%d", (int)v);	/* an int: AT_FDCWD is -100 */
		break;
	case 'u':
		printk("%lu", v);
		break;
	case 's':
		n = strncpy_from_user(s, (const char __user *)v, sizeof(s));
		if (n >= 0)
			printk("\"%s\"", s);
		else
			printk("%#lx", v);
		break;
	default:
		printk("%#lx", v);
	}
}

static void
strace_call(uint64_t nr, const struct syscall_args *args, const char *kinds,
	    long ret)
{
	struct thread *t = thread_current();

	/* Application threads by the id they know themselves by. */
	printk("[%d] %s(", t->linux_tid ? t->linux_tid : t->tid,
	       syscall_name(nr));
	for (int i = 0; kinds && kinds[i]; i++) {
		if (i)
			printk(", ");
		strace_arg(kinds[i], args->a[i]);
	}
	printk(") = %ld\n", ret);
}

static long
syscall_unimplemented(uint64_t nr)
{
	uint64_t bit = 1ULL << (nr % NR_BITS);

	if (nr >= SYSCALL_TABLE_SIZE)
		printk("keel: system call %lu does not exist: -ENOSYS\n", nr);
	else if (!(__atomic_fetch_or(&enosys_reported[nr / NR_BITS], bit,
				     __ATOMIC_RELAXED) & bit))
		printk("keel: system call %s (%lu) is not implemented: "
		       "-ENOSYS\n", syscall_name(nr), nr);
	return -ENOSYS;
}

long
syscall_dispatch(struct syscall_frame *f)
{
	struct syscall_args args = { { f->rdi, f->rsi, f->rdx, f->r10, f->r8,
				       f->r9 } };
	uint64_t nr = f->rax;
	const struct syscall_entry *e =
		nr < SYSCALL_TABLE_SIZE ? &syscall_table[nr] : NULL;
	struct thread *self = thread_current();
	long ret;

	self->syscall_frame = f;	/* for clone() */
	ret = e && e->fn ? e->fn(&args) : syscall_unimplemented(nr);
	if (self->call_nholds)
		vfs_release_call_holds();

	if (strace_on)
		strace_call(nr, &args, e && e->fn ? e->kinds : NULL, ret);
	return ret;
}

void
syscall_set_strace(bool on)
{
	strace_on = on;
}
