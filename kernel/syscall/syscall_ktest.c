/* Self-tests of the system-call path, driven the way an application
 * drives it: a thread runs on a stack of its own (its kernel stack left
 * empty) and executes `syscall`. Checks dispatch, results, -ENOSYS, and
 * -EFAULT for bad pointers with the kernel carrying on. */
#include <keel/arch_context.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/ktest.h>
#include <keel/page.h>
#include <keel/paging.h>
#include <keel/pmm.h>
#include <keel/string.h>
#include <keel/thread.h>

/* Application memory for the test: data, then the stack, in the lower half
 * where the copy helpers accept pointers. */
#define APP_BASE		0x0000000040000000UL
#define APP_PAGES		4
#define APP_SIZE		(APP_PAGES * PAGE_SIZE)
#define NR_WRITE		1
#define NR_WRITEV		20
#define NR_GETPID		39
#define NR_UNAME		63
#define NR_ARCH_PRCTL		158
#define NR_CLOCK_GETTIME	228
#define NR_GETRANDOM		318
#define NR_UNIMPLEMENTED	57	/* fork: one process, by design */
#define NR_OUT_OF_RANGE		100000
#define ARCH_SET_FS		0x1002
#define ARCH_GET_FS		0x1003
#define CLOCK_MONOTONIC		1
#define UNMAPPED		0x10UL		/* page 0 is never mapped */
#define KERNEL_POINTER		0xffffffff80100000UL
#define TLS_VALUE		0x00007f0000042000UL

static long
app_syscall(long nr, long a0, long a1, long a2)
{
	long ret;

	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			     : "rcx", "r11", "memory");
	return ret;
}

static struct {
	long write_ok, write_bad, write_kernel_ptr, write_badfd;
	long getpid, enosys, out_of_range;
	long uname, uname_bad, clock, clock_bad;
	long random, random_bad, fs_set, fs_get;
	bool done;
} res;

/* What the application side sees at APP_BASE. */
struct app_data {
	char msg[32];
	char uts[6 * 65];
	int64_t ts[2];
	uint8_t rnd[32];
	uint64_t fs;
};

static void
app_body(void *arg)
{
	struct app_data *d = arg;

	res.write_ok = app_syscall(NR_WRITE, 1, (long)d->msg, strlen(d->msg));
	res.write_bad = app_syscall(NR_WRITE, 1, UNMAPPED, 8);
	res.write_kernel_ptr = app_syscall(NR_WRITE, 1, KERNEL_POINTER, 8);
	res.write_badfd = app_syscall(NR_WRITE, 7, (long)d->msg, 1);
	res.getpid = app_syscall(NR_GETPID, 0, 0, 0);
	res.enosys = app_syscall(NR_UNIMPLEMENTED, 0, 0, 0);
	res.out_of_range = app_syscall(NR_OUT_OF_RANGE, 0, 0, 0);
	res.uname = app_syscall(NR_UNAME, (long)d->uts, 0, 0);
	res.uname_bad = app_syscall(NR_UNAME, UNMAPPED, 0, 0);
	res.clock = app_syscall(NR_CLOCK_GETTIME, CLOCK_MONOTONIC, (long)d->ts, 0);
	res.clock_bad = app_syscall(NR_CLOCK_GETTIME, CLOCK_MONOTONIC, UNMAPPED, 0);
	res.random = app_syscall(NR_GETRANDOM, (long)d->rnd, sizeof(d->rnd), 0);
	res.random_bad = app_syscall(NR_GETRANDOM, UNMAPPED, 16, 0);
	res.fs_set = app_syscall(NR_ARCH_PRCTL, ARCH_SET_FS, TLS_VALUE, 0);
	res.fs_get = app_syscall(NR_ARCH_PRCTL, ARCH_GET_FS, (long)&d->fs, 0);
	app_syscall(NR_ARCH_PRCTL, ARCH_SET_FS, 0, 0);
	res.done = true;
	thread_exit(0);
}

static void
app_launcher(void *unused)
{
	(void)unused;
	arch_run_on_stack(app_body, (void *)APP_BASE, APP_BASE + APP_SIZE);
}

static bool
app_memory_map(uint64_t pages[APP_PAGES])
{
	for (int i = 0; i < APP_PAGES; i++) {
		pages[i] = pmm_alloc_pages(0);
		if (!pages[i] || paging_map_page(APP_BASE + i * PAGE_SIZE, pages[i],
						 PTE_W | PTE_NX))
			return false;
	}
	memset((void *)APP_BASE, 0, APP_SIZE);
	return true;
}

static void
app_memory_unmap(uint64_t pages[APP_PAGES])
{
	for (int i = 0; i < APP_PAGES; i++) {
		if (!pages[i])
			continue;
		paging_unmap_page(APP_BASE + i * PAGE_SIZE);
		pmm_free_pages(pages[i], 0);
	}
}

static void
syscalls_from_application_code(void)
{
	uint64_t pages[APP_PAGES] = { 0 }, zeros = 0;
	struct app_data *d = (struct app_data *)APP_BASE;
	struct thread *t;

	memset(&res, 0, sizeof(res));
	KT_EXPECT(app_memory_map(pages));
	strlcpy(d->msg, "    # hello via write\n", sizeof(d->msg));
	t = thread_create("app-like", app_launcher, NULL);
	KT_EXPECT_EQ(thread_join(t, NULL, WAIT_FOREVER), 0);
	KT_EXPECT(res.done);
	KT_EXPECT_EQ(res.write_ok, 22);
	KT_EXPECT_EQ(res.write_bad, -EFAULT);
	KT_EXPECT_EQ(res.write_kernel_ptr, -EFAULT);
	KT_EXPECT_EQ(res.write_badfd, -EBADF);
	KT_EXPECT_EQ(res.getpid, 1);
	KT_EXPECT_EQ(res.enosys, -ENOSYS);
	KT_EXPECT_EQ(res.out_of_range, -ENOSYS);
	KT_EXPECT_EQ(res.uname, 0);
	KT_EXPECT(memcmp(d->uts, "Linux", 6) == 0);
	KT_EXPECT_EQ(res.uname_bad, -EFAULT);
	KT_EXPECT_EQ(res.clock, 0);
	KT_EXPECT(d->ts[0] > 0 || d->ts[1] > 0);
	KT_EXPECT_EQ(res.clock_bad, -EFAULT);
	KT_EXPECT_EQ(res.random, 32);
	KT_EXPECT(memcmp(d->rnd, &zeros, sizeof(zeros)) != 0);
	KT_EXPECT_EQ(res.random_bad, -EFAULT);
	KT_EXPECT_EQ(res.fs_set, 0);
	KT_EXPECT_EQ(res.fs_get, 0);
	KT_EXPECT_EQ(d->fs, TLS_VALUE);
	app_memory_unmap(pages);
}

KTEST_SUITE(syscall, KTEST_CASE(syscalls_from_application_code));
