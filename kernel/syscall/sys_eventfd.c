/* eventfd and eventfd2: a counter file from fs/eventfd.c at a new
 * descriptor; reading and writing it go through read(2)/write(2). */
#include <keel/err.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/poll.h>
#include <keel/syscall.h>

#define EFD_SEMAPHORE	EVENTFD_SEMAPHORE
#define EFD_NONBLOCK	O_NONBLOCK
#define EFD_CLOEXEC	O_CLOEXEC

static long
eventfd_install(uint64_t initval, uint64_t flags)
{
	struct file *f;
	long fd;

	if (flags & ~(uint64_t)(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC))
		return -EINVAL;
	/* The initial value is an unsigned int in the ABI. */
	f = eventfd_create_file((uint32_t)initval, flags & EFD_SEMAPHORE,
				(int)(flags & EFD_NONBLOCK));
	if (IS_ERR(f))
		return PTR_ERR(f);
	fd = fd_install(f, 0, flags & EFD_CLOEXEC);
	if (fd < 0)
		file_discard(f);
	return fd;
}

long
sys_eventfd2(const struct syscall_args *args)
{
	return eventfd_install(args->a[0], args->a[1]);
}

long
sys_eventfd(const struct syscall_args *args)
{
	return eventfd_install(args->a[0], 0);
}
