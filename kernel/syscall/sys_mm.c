/* Memory calls: brk, mmap -- anonymous (private or shared: one process
 * sees the same pages either way) and private file mappings, filled with
 * a copy of the file (shared writable file mappings are -ENODEV) --
 * munmap, mprotect, madvise, mremap. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/file.h>
#include <keel/page.h>
#include <keel/uaccess.h>
#include <keel/syscall.h>
#include <keel/vm.h>
#include "../fs/fs_internal.h"

#define PROT_READ		0x1
#define PROT_WRITE		0x2
#define PROT_EXEC		0x4
#define MAP_SHARED		0x01
#define MAP_PRIVATE		0x02
#define MAP_SHARED_VALIDATE	0x03
#define MAP_TYPE		0x0f
#define MAP_FIXED		0x10
#define MAP_ANONYMOUS		0x20
#define MAP_FIXED_NOREPLACE	0x100000
#define MAP_KNOWN		(MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | \
				 MAP_FIXED_NOREPLACE | 0x100 /* GROWSDOWN */ | \
				 0x800 /* DENYWRITE */ | 0x1000 /* EXECUTABLE */ | \
				 0x2000 /* LOCKED */ | 0x4000 /* NORESERVE */ | \
				 0x8000 /* POPULATE */ | 0x10000 /* NONBLOCK */ | \
				 0x20000 /* STACK */ | 0x40000 /* HUGETLB */)
#define MADV_NORMAL		0
#define MADV_DONTNEED		4
#define MADV_FREE		8
#define MADV_LAST_KNOWN		100	/* hints up to this are accepted */

long
sys_brk(const struct syscall_args *args)
{
	return (long)vm_brk(args->a[0]);
}

/* Copies [off, off + len) of @v to @addr, a page at a time through a
 * bounce page (the file system reads into kernel memory); the rest of the
 * mapping stays zero. */
static int
mmap_fill(struct vnode *v, uint64_t addr, uint64_t len, uint64_t off)
{
	char *page = kmalloc(PAGE_SIZE);
	int err = 0;

	if (!page)
		return -ENOMEM;
	for (uint64_t done = 0; done < len && !err; done += PAGE_SIZE) {
		long n;

		vfs_tree_lock();
		n = vfs_read(v, page, MIN(PAGE_SIZE, len - done), off + done);
		vfs_tree_unlock();
		if (n <= 0) {
			err = (int)n;
			break;
		}
		err = copy_to_user((void __user *)(addr + done), page, (size_t)n);
	}
	kfree(page);
	return err;
}

/* A private mapping of part of a file: anonymous memory holding a copy of
 * [off, off + len) of it (zeros past its end), then given @prot. */
static long
mmap_file(uint64_t addr, uint64_t len, unsigned prot, uint64_t flags, int fd,
	  uint64_t off)
{
	struct file *f = fd_get(fd);
	long a;
	int err;

	if (!f || (f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (!S_ISREG(f->vnode->mode) || f->vnode->dev)
		return -ENODEV;		/* /proc files are generated, not stored */
	if (!IS_ALIGNED(off, PAGE_SIZE))
		return -EINVAL;
	if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE))
		return -ENODEV;		/* writes would not reach the file */
	a = vm_map_anon(addr, len, prot | PROT_WRITE, flags & MAP_FIXED,
			flags & MAP_FIXED_NOREPLACE);
	if (a < 0)
		return a;
	err = mmap_fill(f->vnode, (uint64_t)a, len, off);
	if (!err && !(prot & PROT_WRITE))
		err = vm_protect((uint64_t)a, ALIGN_UP(len, PAGE_SIZE), prot);
	if (err) {
		vm_unmap((uint64_t)a, len);
		return err;
	}
	return a;
}

long
sys_mmap(const struct syscall_args *args)
{
	uint64_t addr = args->a[0], len = args->a[1], flags = args->a[3];
	unsigned prot = (unsigned)args->a[2];
	unsigned type = flags & MAP_TYPE;

	if (flags & ~(uint64_t)MAP_KNOWN)
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED &&
	    type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return mmap_file(addr, len, prot, flags, (int)args->a[4],
				 args->a[5]);
	return vm_map_anon(addr, len, prot, flags & MAP_FIXED,
			   flags & MAP_FIXED_NOREPLACE);
}

long
sys_munmap(const struct syscall_args *args)
{
	return vm_unmap(args->a[0], args->a[1]);
}

long
sys_mprotect(const struct syscall_args *args)
{
	return vm_protect(args->a[0], args->a[1], (unsigned)args->a[2]);
}

long
sys_madvise(const struct syscall_args *args)
{
	long advice = (int)args->a[2];

	if (!IS_ALIGNED(args->a[0], PAGE_SIZE))
		return -EINVAL;		/* for every advice, as on Linux */
	if (advice == MADV_DONTNEED || advice == MADV_FREE)
		return vm_discard(args->a[0], args->a[1]);
	/* The rest are hints about paging that a RAM-only kernel may ignore. */
	return advice >= MADV_NORMAL && advice <= MADV_LAST_KNOWN ? 0 : -EINVAL;
}

#define MREMAP_MAYMOVE		1
#define MREMAP_FIXED		2
#define MREMAP_DONTUNMAP	4
#define MREMAP_KNOWN		(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)

/* Linux's rules for the flags: FIXED and DONTUNMAP only with MAYMOVE, and
 * DONTUNMAP keeps the size. */
static bool
mremap_flags_valid(uint64_t flags, uint64_t old_len, uint64_t new_len)
{
	if (flags & ~(uint64_t)MREMAP_KNOWN)
		return false;
	if ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) &&
	    !(flags & MREMAP_MAYMOVE))
		return false;
	return !(flags & MREMAP_DONTUNMAP) || old_len == new_len;
}

long
sys_mremap(const struct syscall_args *args)
{
	uint64_t flags = args->a[3];
	unsigned how = 0;

	if (!mremap_flags_valid(flags, args->a[1], args->a[2]))
		return -EINVAL;
	if (flags & MREMAP_MAYMOVE)
		how |= VM_REMAP_MAYMOVE;
	if (flags & MREMAP_FIXED)
		how |= VM_REMAP_FIXED;
	if (flags & MREMAP_DONTUNMAP)
		how |= VM_REMAP_DONTUNMAP;
	return vm_remap(args->a[0], args->a[1], args->a[2], how, args->a[4]);
}
