/* Memory calls: brk, mmap -- anonymous (private or shared: one process
 * sees the same pages either way) and file mappings over the page cache
 * (shared: its own pages; private: copied on first store) -- munmap,
 * mprotect, madvise, mremap, msync. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/file.h>
#include <keel/page.h>
#include <keel/pagecache.h>
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
#define MS_ASYNC		1
#define MS_INVALIDATE		2
#define MS_SYNC			4
#define MADV_NORMAL		0
#define MADV_DONTNEED		4
#define MADV_FREE		8
#define MADV_LAST_KNOWN		100	/* hints up to this are accepted */

long
sys_brk(const struct syscall_args *args)
{
	return (long)vm_brk(args->a[0]);
}

/* A file mapping over the file's page cache: shared, the cache's pages
 * themselves; private, those pages until first stored to, then a copy.
 * The pages inside the file are read in now, so faults never wait for the
 * disk; the reference held meanwhile keeps reclaim off them. Pages past
 * the end of the file read zeros (no SIGBUS: no signals are delivered). */
static long
mmap_cached(struct file *f, uint64_t addr, uint64_t len, unsigned prot,
	    uint64_t flags, uint64_t off)
{
	bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
	unsigned how = (flags & MAP_FIXED ? VM_MAP_FIXED : 0) |
		       (flags & MAP_FIXED_NOREPLACE ? VM_MAP_NOREPLACE : 0) |
		       (shared ? 0 : VM_MAP_PRIVATE);
	struct pcache *pc;
	long a;
	int err;

	if (shared && (prot & PROT_WRITE) && (f->flags & O_ACCMODE) != O_RDWR)
		return -EACCES;
	if (!shared || (f->flags & O_ACCMODE) == O_RDWR)
		how |= VM_MAP_MAYWRITE;
	vfs_tree_lock();
	pc = vfs_map_cache(f->vnode, shared && (prot & PROT_WRITE), &err);
	if (pc) {
		pcache_pager_ops.ref(pc);
		err = pcache_populate(pc, off / PAGE_SIZE,
				      ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE,
				      f->vnode->size);
	}
	vfs_tree_unlock();
	if (!pc)
		return err;
	a = err ? err : vm_map_pager(addr, len, prot, how, &pcache_pager_ops,
				     pc, off / PAGE_SIZE);
	pcache_pager_ops.unref(pc);
	return a;
}

static long
mmap_file(uint64_t addr, uint64_t len, unsigned prot, uint64_t flags, int fd,
	  uint64_t off)
{
	struct file *f = fd_get_ref(fd);	/* a close cannot free it meanwhile */
	long r;

	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		r = -EACCES;
	else if (!S_ISREG(f->vnode->mode) || f->vnode->dev)
		r = -ENODEV;		/* /proc files are generated, not stored */
	else if (!IS_ALIGNED(off, PAGE_SIZE) || !len)
		r = -EINVAL;
	else if (off + ALIGN_UP(len, PAGE_SIZE) < off)
		r = -EOVERFLOW;
	else
		r = mmap_cached(f, addr, len, prot, flags, off);
	file_unref(f);
	return r;
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

/* msync of one mapped cache: MS_SYNC is fsync (pages, then the file
 * system's own ordered sync); MS_ASYNC hands the pages to the file
 * system, which writes them with its next sync; MS_INVALIDATE alone has
 * nothing to do, the cache being the only copy mappings see. */
static int
msync_cache(void *obj, bool stored, void *arg)
{
	uint64_t flags = *(uint64_t *)arg;
	struct vnode *v;
	int err = 0;

	vfs_tree_lock();
	v = pcache_owner(obj);
	/* POSIX: a file written through a mapping has its times changed by
	 * the next msync at the latest. */
	if (v && stored && (flags & (MS_SYNC | MS_ASYNC)))
		v->mtime_ns = v->ctime_ns = clock_realtime_ns();
	if (v && (flags & MS_SYNC))
		err = vfs_fsync(v);
	else if (v && (flags & MS_ASYNC))
		err = pcache_writeback(obj);
	vfs_tree_unlock();
	return err;
}

long
sys_msync(const struct syscall_args *args)
{
	uint64_t addr = args->a[0], len = ALIGN_UP(args->a[1], PAGE_SIZE);
	uint64_t flags = args->a[2];

	if (flags & ~(uint64_t)(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	if (!IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	if (addr + len < addr || (len && !user_range_ok(addr, len)))
		return -ENOMEM;
	if (!len)
		return 0;
	return vm_sync_range(addr, len, msync_cache, &flags);
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

/* A shared file mapping that grows needs its new pages in the cache
 * first, as at mmap time; the reference keeps them there meanwhile. */
static long
mremap_file_aware(uint64_t addr, uint64_t old_len, uint64_t new_len,
		  unsigned how, uint64_t new_addr)
{
	uint64_t old_pages = ALIGN_UP(old_len, PAGE_SIZE) / PAGE_SIZE;
	uint64_t new_pages = ALIGN_UP(new_len, PAGE_SIZE) / PAGE_SIZE, pgoff;
	const struct vm_pager_ops *pager;
	void *obj = new_pages > old_pages ?
		    vm_pager_at(addr, &pager, &pgoff) : NULL;
	struct vnode *v;
	long ret = 0;

	if (obj) {
		vfs_tree_lock();
		v = pcache_owner(obj);
		if (v)
			ret = pcache_populate(obj, pgoff + old_pages,
					      new_pages - old_pages, v->size);
		vfs_tree_unlock();
	}
	if (!ret)
		ret = vm_remap(addr, old_len, new_len, how, new_addr);
	if (obj)
		pager->unref(obj);
	return ret;
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
	return mremap_file_aware(args->a[0], args->a[1], args->a[2], how,
				 args->a[4]);
}
