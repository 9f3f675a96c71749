/* The program loader: finds argv[0] in the file tree, checks it with
 * elf_parse(), maps its segments (at their link address, or at a random
 * base for PIEs) and its interpreter's for dynamic programs, builds the
 * initial stack (exec_stack.c) and starts it on the application's first
 * thread. */
#include <keel/arch.h>
#include <keel/arch_context.h>
#include <keel/elf.h>
#include <keel/errno.h>
#include <keel/exec.h>
#include <keel/fpu.h>
#include <keel/waitq.h>
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/printk.h>
#include <keel/random.h>
#include <keel/shutdown.h>
#include <keel/string.h>
#include <keel/thread.h>
#include <keel/user_map.h>
#include <keel/vfs.h>
#include <keel/vm.h>
#include "elf_format.h"
#include "exec_internal.h"
#include "../fs/fs_internal.h"

/* Static PIEs go somewhere in [PIE_BASE_MIN, PIE_BASE_MIN + PIE_SPREAD). */
#define PIE_BASE_MIN	0x0000555500000000ULL
#define PIE_SPREAD	(1ULL << 32)
#define LINUX_MAIN_TID	1	/* the first thread's id is the pid */
/* Interpreters go 64 GiB above where PIEs may land, as on Linux. */
#define INTERP_BASE_MIN	(PIE_BASE_MIN + (1ULL << 36))

#define LINUX_FIRST_THREAD_TID	2
/* Statuses from here up lose their top bit in QEMU's exit code. */
#define EXIT_STATUS_DEBUG_EXIT_LIMIT	128

/* The application's threads: how many live (and which, for tgkill), the
 * last exit status. done's lock guards live and threads. */
static struct {
	struct waitq done;
	int live;
	struct list_node threads;	/* struct thread, by app_node */
	int status;
	int next_tid;
	bool ready;
} app;

struct segment_fill {
	const struct elf_segment *seg;
	const uint8_t *file;
	uint64_t bias;
};

/* Copies the file bytes that belong in the page at @page_va. */
static void
fill_segment_page(void *page, uint64_t page_va, void *arg)
{
	const struct segment_fill *f = arg;
	uint64_t start = f->seg->vaddr + f->bias;
	uint64_t lo = MAX(page_va, start);
	uint64_t hi = MIN(page_va + PAGE_SIZE, start + f->seg->filesz);

	if (lo < hi)
		memcpy((uint8_t *)page + (lo - page_va),
		       f->file + f->seg->offset + (lo - start), hi - lo);
}

static int
load_segments(const struct elf_image *img, const void *file, uint64_t bias)
{
	for (unsigned i = 0; i < img->nload; i++) {
		const struct elf_segment *s = &img->load[i];
		struct segment_fill f = { s, file, bias };
		uint64_t lo = ALIGN_DOWN(s->vaddr + bias, PAGE_SIZE);
		uint64_t hi = ALIGN_UP(s->vaddr + bias + s->memsz, PAGE_SIZE);
		int err = user_map(lo, hi - lo, s->prot, fill_segment_page, &f);

		if (!err)
			err = vm_add_populated(lo, hi, s->prot);
		if (err)
			return err;
	}
	return 0;
}

static int
exec_fail(const char *prog, const char *why, int status)
{
	printk("keel: error: cannot run %s: %s\n", prog, why);
	return status;
}

/* The application thread's first code: jump to the program. */
static void
app_thread_main(void *arg)
{
	struct exec_start_regs regs = *(struct exec_start_regs *)arg;

	kfree(arg);
	arch_enter_app(regs.entry, regs.sp);
}

static void
app_state_init(void)
{
	if (app.ready)
		return;
	waitq_init(&app.done, "application threads");
	list_init(&app.threads);
	app.next_tid = LINUX_FIRST_THREAD_TID;
	app.ready = true;
}

struct thread *
thread_new_app(const char *name, void (*fn)(void *), void *arg)
{
	struct thread *t = thread_create_suspended(name, fn, arg,
						   THREAD_USES_FPU);

	if (IS_ERR(t))
		return t;
	/* A clone starts with its parent's FPU state, as on Linux; the
	 * registers hold the running application thread's state. */
	if (thread_current()->fpu_state)
		fpu_save(t->fpu_state);
	t->linux_tid = __atomic_fetch_add(&app.next_tid, 1, __ATOMIC_RELAXED);
	t->detached = true;
	return t;
}

void
exec_thread_start(struct thread *t)
{
	unsigned long flags = waitq_lock(&app.done);

	app.live++;
	list_push_back(&app.threads, &t->app_node);
	waitq_unlock(&app.done, flags);
	thread_start_suspended(t);
}

void
exec_thread_exiting(int code)
{
	unsigned long flags = waitq_lock(&app.done);

	app.status = code;
	list_remove(&thread_current()->app_node);
	if (--app.live == 0)
		waitq_wake_all_locked(&app.done);
	waitq_unlock(&app.done, flags);
}

bool
exec_tid_alive(int tid)
{
	unsigned long flags = waitq_lock(&app.done);
	struct list_node *n;
	bool found = false;

	list_for_each(n, &app.threads) {
		if (list_entry(n, struct thread, app_node)->linux_tid == tid) {
			found = true;
			break;
		}
	}
	waitq_unlock(&app.done, flags);
	return found;
}

void
exec_power_off(int status)
{
	if (status >= EXIT_STATUS_DEBUG_EXIT_LIMIT)
		printk("keel: program exited with status %d\n", status);
	kernel_shutdown(status);
}

int
exec_wait(void)
{
	unsigned long flags = waitq_lock(&app.done);

	while (app.live > 0)
		waitq_wait_locked(&app.done, WAIT_FOREVER);
	waitq_unlock(&app.done, flags);
	return app.status;
}

static int
exec_launch(const char *prog, uint64_t entry, uint64_t sp)
{
	struct exec_start_regs *regs = kmalloc(sizeof(*regs));
	struct thread *t;

	if (!regs)
		return exec_fail(prog, "out of memory", EXEC_STATUS_NOT_EXECUTABLE);
	regs->entry = entry;
	regs->sp = sp;
	t = thread_new_app(prog, app_thread_main, regs);
	if (IS_ERR(t)) {
		kfree(regs);
		return exec_fail(prog, "out of memory", EXEC_STATUS_NOT_EXECUTABLE);
	}
	t->linux_tid = LINUX_MAIN_TID;
	/* The first thread starts with a clean FPU, not the kernel's. */
	fpu_state_init(t->fpu_state);
	exec_thread_start(t);
	return 0;
}

static const char *
open_error(int err)
{
	switch (err) {
	case -ENOENT:
		return "no such file";
	case -EACCES:
		return "not a regular file";
	case -ELOOP:
		return "too many levels of symbolic links";
	case -ENAMETOOLONG:
		return "path too long";
	case -ENOTDIR:
		return "a path component is not a directory";
	}
	return "cannot open it";
}

/* An executable's bytes while it is being loaded. */
struct exec_file {
	const void *data;
	size_t size;
	bool owned;		/* read into an allocation: free it after */
};

/* The program's file: a regular file found by path from the root, its
 * contents in place where its file system keeps them in memory (the
 * initrd), else read whole. */
static int
exec_find(const char *prog, struct exec_file *file)
{
	struct vnode *v;
	int err;

	file->owned = false;
	vfs_tree_lock();
	v = vfs_lookup(vfs_root(), prog, 0, NULL, &err);
	if (v && (!S_ISREG(v->mode) || v->dev))
		err = -EACCES;
	else if (v)
		err = vfs_read_whole(v, &file->data, &file->size, &file->owned);
	vfs_tree_unlock();
	return v && !err ? 0 : err;
}

static void
exec_file_put(struct exec_file *file)
{
	if (file->owned)
		kfree((void *)file->data);
	file->owned = false;
}

/* A random base for a position-independent image in [min, min + spread). */
static uint64_t
random_base(uint64_t min, const struct elf_image *img)
{
	return min + ALIGN_DOWN(random_early_u64() % PIE_SPREAD, PAGE_SIZE) -
	       img->lo;
}

/* Loads the program's interpreter (ld.so), as Linux does for PT_INTERP;
 * returns its entry point in *entry and its base in *base. */
static int
exec_load_interp(const char *prog, const struct elf_image *img,
		 uint64_t *entry, uint64_t *base)
{
	struct exec_file file;
	const char *why = NULL;
	struct elf_image interp;
	int err = exec_find(img->interp, &file);

	if (err) {
		printk("keel: error: cannot run %s: its interpreter %s: %s\n",
		       prog, img->interp, open_error(err));
		return err == -ENOENT ? EXEC_STATUS_NOT_FOUND
				      : EXEC_STATUS_NOT_EXECUTABLE;
	}
	if (elf_parse(file.data, file.size, &interp, &why) ||
	    interp.type != ET_DYN || interp.interp_len) {
		printk("keel: error: cannot run %s: its interpreter %s: %s\n",
		       prog, img->interp, why ? why : "not a shared object");
		exec_file_put(&file);
		return EXEC_STATUS_NOT_EXECUTABLE;
	}
	*base = random_base(INTERP_BASE_MIN, &interp);
	err = load_segments(&interp, file.data, *base);
	exec_file_put(&file);
	if (err)
		return exec_fail(prog, "out of memory", EXEC_STATUS_NOT_EXECUTABLE);
	*entry = interp.entry + *base;
	*base += interp.lo;	/* AT_BASE: where its first page went */
	return 0;
}

/* Loads the program in @file and its interpreter, builds its stack and
 * starts it. */
static int
exec_image(char *const argv[], char *const envp[], const struct exec_file *file)
{
	const char *prog = argv[0], *why = NULL;
	struct elf_image img;
	uint64_t bias = 0, sp, entry, interp_base = 0;
	int err;

	if (elf_parse(file->data, file->size, &img, &why))
		return exec_fail(prog, why, EXEC_STATUS_NOT_EXECUTABLE);
	if (img.type == ET_DYN)
		bias = random_base(PIE_BASE_MIN, &img);
	err = load_segments(&img, file->data, bias);
	if (err)
		return exec_fail(prog, "out of memory", EXEC_STATUS_NOT_EXECUTABLE);
	/* The heap (brk) starts after the program's last segment. */
	vm_brk_init(img.hi + bias);
	if (prog[0] == '/') {
		vfs_tree_lock();
		procfs_set_exe(prog);
		vfs_tree_unlock();
	}
	procfs_set_cmdline(argv);
	entry = img.entry + bias;
	if (img.interp_len) {
		err = exec_load_interp(prog, &img, &entry, &interp_base);
		if (err)
			return err;
	}
	err = exec_build_stack(&img, bias, interp_base, argv, envp, &sp);
	if (err)
		return exec_fail(prog, err == -E2BIG ? "arguments too long" :
				 "out of memory", EXEC_STATUS_NOT_EXECUTABLE);
	return exec_launch(prog, entry, sp);
}

int
exec_start(char *const argv[], char *const envp[])
{
	struct exec_file file;
	int err;

	app_state_init();
	err = exec_find(argv[0], &file);
	if (err)
		return exec_fail(argv[0], open_error(err), err == -ENOENT ?
				 EXEC_STATUS_NOT_FOUND : EXEC_STATUS_NOT_EXECUTABLE);
	err = exec_image(argv, envp, &file);
	exec_file_put(&file);
	return err;
}
