/* /proc and /sys, the entries C libraries and common programs read: each
 * file is generated whole at every read (small texts), and read from the
 * requested offset. /proc/self is the one process; its exe link is set
 * when the program starts. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/pagecache.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/thread.h>
#include <keel/vfs.h>
#include <keel/vm.h>
#include "fs_internal.h"

#define PROC_TEXT_MAX	8192
#define KIB_PER_PAGE	4

typedef int (*proc_gen)(char *buf, size_t size);

static int
gen_meminfo(char *buf, size_t size)
{
	uint64_t total = pmm_total_page_count() * KIB_PER_PAGE;
	uint64_t free = pmm_free_page_count() * KIB_PER_PAGE;
	struct pcache_stats pc;

	pcache_get_stats(&pc);
	return snprintf(buf, size, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\n"
			"MemAvailable:   %8lu kB\nBuffers:               0 kB\n"
			"Cached:         %8lu kB\nSwapTotal:             0 kB\n"
			"SwapFree:              0 kB\nDirty:          %8lu kB\n",
			total, free, free, pc.pages * KIB_PER_PAGE,
			pc.dirty * KIB_PER_PAGE);
}

static int
gen_cpuinfo(char *buf, size_t size)
{
	uint32_t regs[12] = { 0 };

	for (uint32_t i = 0; i < 3; i++)
		__asm__ __volatile__("cpuid" : "=a"(regs[4 * i]), "=b"(regs[4 * i + 1]),
				     "=c"(regs[4 * i + 2]), "=d"(regs[4 * i + 3])
				     : "a"(0x80000002 + i), "c"(0));
	return snprintf(buf, size, "processor\t: 0\nmodel name\t: %.48s\n"
			"cpu MHz\t\t: %lu.000\ncpu cores\t: 1\n\n", (char *)regs,
			clock_tsc_hz() / 1000000);
}

static int
gen_uptime(char *buf, size_t size)
{
	uint64_t cs = clock_monotonic_ns() / 10000000ULL;	/* centiseconds */

	return snprintf(buf, size, "%lu.%02lu 0.00\n", cs / 100, cs % 100);
}

static int
gen_stat(char *buf, size_t size)
{
	uint64_t boot = (clock_realtime_ns() - clock_monotonic_ns()) / 1000000000ULL;

	return snprintf(buf, size, "cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n"
			"btime %lu\nprocesses 1\nprocs_running 1\n", boot);
}

static int
gen_mounts(char *buf, size_t size)
{
	int n;

	vfs_tree_lock();	/* proc files are read without it */
	n = vfs_format_mounts(buf, size);
	vfs_tree_unlock();
	return n;
}

static int
gen_status(char *buf, size_t size)
{
	return snprintf(buf, size, "Name:\t%s\nState:\tR (running)\nTgid:\t1\nPid:\t1\n"
			"PPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
			thread_current()->name);
}

static int
gen_maps(char *buf, size_t size)
{
	return (int)vm_format_maps(buf, size);
}

static char proc_cmdline[PROC_TEXT_MAX];
static size_t proc_cmdline_len;

/* The program's arguments, each NUL-terminated, as Linux shows them. */
static int
gen_cmdline(char *buf, size_t size)
{
	size_t n = MIN(proc_cmdline_len, size);

	memcpy(buf, proc_cmdline, n);
	return (int)n;
}

static int
gen_cpu_online(char *buf, size_t size)
{
	return snprintf(buf, size, "0\n");
}

/* Which generator a proc vnode runs: kept in its rdev field. */
static const proc_gen generators[] = {
	gen_meminfo, gen_cpuinfo, gen_uptime, gen_stat, gen_mounts,
	gen_status, gen_maps, gen_cpu_online, gen_cmdline,
};

static long
proc_read(struct vnode *v, char *kbuf, size_t len, uint64_t off)
{
	char *text = kmalloc(PROC_TEXT_MAX);
	long n;

	if (!text)
		return -ENOMEM;
	n = generators[v->rdev](text, PROC_TEXT_MAX);
	n = MIN(n, PROC_TEXT_MAX);
	if (off >= (uint64_t)n) {
		n = 0;
	} else {
		n = (long)MIN(len, (uint64_t)n - off);
		memcpy(kbuf, text + off, (size_t)n);
	}
	kfree(text);
	return n;
}

static const struct vnode_dev_ops proc_ops = { .read = proc_read };

#define DROP_CACHES_ALL		3	/* the values Linux takes: 1, 2, 3 */

/* /proc/sys/vm/drop_caches: "1" drops clean file pages, "2" clean
 * file-system blocks, "3" both (after a sync, to measure cold reads). */
static long
drop_caches_write(struct vnode *v, const char *kbuf, size_t len, uint64_t off)
{
	int what = len >= 1 ? kbuf[0] - '0' : 0;

	(void)v;
	(void)off;
	if (what < 1 || what > DROP_CACHES_ALL ||
	    (len > 1 && kbuf[1] != '\n' && kbuf[1] != '\0'))
		return -EINVAL;
	vfs_tree_lock();	/* proc files are written without it */
	vfs_drop_caches(what);
	vfs_tree_unlock();
	return (long)len;
}

static long
drop_caches_read(struct vnode *v, char *kbuf, size_t len, uint64_t off)
{
	(void)v;
	if (off >= 2)
		return 0;
	memcpy(kbuf, "0\n" + off, MIN(len, 2 - off));
	return (long)MIN(len, 2 - off);
}

static const struct vnode_dev_ops drop_caches_ops = {
	.read = drop_caches_read, .write = drop_caches_write,
};


static int
proc_file(struct vnode *dir, const char *name, unsigned gen)
{
	int err;
	struct vnode *v = vfs_create(dir, name, S_IFREG | 0444, &err);

	if (!v)
		return err;
	v->dev = &proc_ops;
	v->rdev = gen;
	return 0;
}

static struct vnode *
mkdir_p(struct vnode *dir, const char *name)
{
	int err;
	struct vnode *v = dir ? vfs_dir_find(dir, name) : NULL;

	return v || !dir ? v : vfs_create(dir, name, S_IFDIR | 0555, &err);
}

static int
proc_sys_vm(struct vnode *proc_root)
{
	int err;
	struct vnode *vm = mkdir_p(mkdir_p(proc_root, "sys"), "vm"), *v;

	if (!vm)
		return -ENOMEM;
	v = vfs_create(vm, "drop_caches", S_IFREG | 0644, &err);
	if (!v)
		return err;
	v->dev = &drop_caches_ops;
	return 0;
}

static struct vnode *proc_self;

static int
sysfs_fill(struct mount *sys)
{
	struct vnode *cpu = mkdir_p(mkdir_p(mkdir_p(sys->root, "devices"),
					    "system"), "cpu");

	return cpu ? proc_file(cpu, "online", 7) : -ENOMEM;
}

int
procfs_init(struct mount **proc, struct mount **sys)
{
	static const char *const top[] = { "meminfo", "cpuinfo", "uptime",
					   "stat", "mounts" };
	int err = 0;

	*proc = ramfs_new("proc", "proc", PROC_SUPER_MAGIC);
	*sys = ramfs_new("sysfs", "sysfs", SYSFS_MAGIC);
	if (!*proc || !*sys)
		return -ENOMEM;
	(*proc)->root->mode = (*sys)->root->mode = S_IFDIR | 0555;
	proc_self = mkdir_p((*proc)->root, "self");
	if (!proc_self)
		return -ENOMEM;
	for (unsigned i = 0; i < ARRAY_SIZE(top) && !err; i++)
		err = proc_file((*proc)->root, top[i], i);
	if (!err)
		err = proc_file(proc_self, "status", 5);
	if (!err)
		err = proc_file(proc_self, "maps", 6);
	if (!err)
		err = proc_file(proc_self, "cmdline", 8);
	if (!err)
		err = procfs_fd_init(proc_self);
	if (!err)
		err = proc_sys_vm((*proc)->root);
	return err ? err : sysfs_fill(*sys);
}

void
procfs_set_cmdline(char *const argv[])
{
	size_t len = 0;

	for (int i = 0; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;

		if (len + n > sizeof(proc_cmdline))
			break;
		memcpy(proc_cmdline + len, argv[i], n);
		len += n;
	}
	proc_cmdline_len = len;
}

int
procfs_set_exe(const char *path)
{
	if (!proc_self)
		return -ENOENT;
	vfs_unlink(proc_self, "exe", false);	/* a second exec replaces it */
	return vfs_symlink(proc_self, "exe", path);
}
