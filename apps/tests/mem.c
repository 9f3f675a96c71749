/* The memory system calls, case by case, printed as KTAP; exit status is
 * the number of failed cases. brk, anonymous mmap, MAP_FIXED and
 * MAP_FIXED_NOREPLACE, a large PROT_NONE reservation, mprotect, munmap,
 * MADV_DONTNEED reading back zeros, malloc's large blocks, and mremap
 * (shrink, grow, move, MREMAP_FIXED, MREMAP_DONTUNMAP). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include "ktap.h"

#define MIB		(1024UL * 1024)
#define PAGE		4096UL
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#define MREMAP_UNKNOWN	8	/* no such flag */
#define LARGE_MOVE_SLACK	(4 * MIB)	/* page tables, not pages */


static void *
anon(void *addr, size_t len, int prot, int extra)
{
	return mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
}

static int
brk_grows_and_shrinks(void)
{
	char *start = (char *)syscall(SYS_brk, 0);
	char *end = (char *)syscall(SYS_brk, start + 3 * PAGE + 5);

	if (end != start + 3 * PAGE + 5)
		return 0;
	memset(start, 0x5a, 3 * PAGE + 5);
	return (char *)syscall(SYS_brk, start) == start &&
	       (char *)syscall(SYS_brk, 0) == start;
}

static int
anonymous_mapping_is_zeroed_and_private(void)
{
	unsigned char *p = anon(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, 0);
	unsigned char *q = anon(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
	int ok = p != MAP_FAILED && q != MAP_FAILED &&
		 ((uintptr_t)p % PAGE) == 0 && p[0] == 0 && p[5 * PAGE - 1] == 0;

	if (ok) {
		memset(p, 1, 5 * PAGE);
		ok = q[0] == 0 && (q + PAGE <= p || q >= p + 5 * PAGE);
	}
	return ok && munmap(p, 5 * PAGE) == 0 && munmap(q, PAGE) == 0;
}

static int
fixed_replaces_and_noreplace_refuses(void)
{
	char *p = anon(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, 0), *r;

	if (p == MAP_FAILED)
		return 0;
	p[0] = 7;
	r = anon(p, PAGE, PROT_READ | PROT_WRITE, MAP_FIXED);
	if (r != p || p[0] != 0)
		return 0;
	r = anon(p, PAGE, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE);
	return r == MAP_FAILED && errno == EEXIST && munmap(p, 2 * PAGE) == 0;
}

static int
huge_prot_none_reservation_then_use(void)
{
	char *p = anon(NULL, 512 * MIB, PROT_NONE, MAP_NORESERVE);

	if (p == MAP_FAILED)
		return 0;
	if (mprotect(p + 100 * MIB, 2 * PAGE, PROT_READ | PROT_WRITE))
		return 0;
	p[100 * MIB] = 1;
	p[100 * MIB + 2 * PAGE - 1] = 2;
	return munmap(p, 512 * MIB) == 0;
}

static int
dontneed_reads_back_zeros(void)
{
	char *p = anon(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, 0);

	if (p == MAP_FAILED)
		return 0;
	memset(p, 0x77, 4 * PAGE);
	if (madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED))
		return 0;
	return p[0] == 0x77 && p[PAGE] == 0 && p[3 * PAGE - 1] == 0 &&
	       p[3 * PAGE] == 0x77 && munmap(p, 4 * PAGE) == 0;
}

static int
bad_requests_are_refused(void)
{
	void *f = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 3, 0);
	int f_ok = f == MAP_FAILED && errno == EBADF;
	void *z = anon(NULL, 0, PROT_READ, 0);
	int z_ok = z == MAP_FAILED && errno == EINVAL;
	int u = mprotect((void *)(64 * MIB), PAGE, PROT_READ);
	int u_ok = u == -1 && errno == ENOMEM;
	char *p = anon(NULL, PAGE, PROT_READ, 0);
	int m_ok = p != MAP_FAILED && madvise(p + 1, 1, MADV_NORMAL) == -1 &&
		   errno == EINVAL && madvise(p, PAGE, MADV_DONTNEED) == 0;

	return f_ok && z_ok && u_ok && m_ok && munmap(p, PAGE) == 0;
}

static int
mremap_grows_and_moves(void)
{
	char *p = anon(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, 0), *q, *block;

	if (p == MAP_FAILED)
		return 0;
	p[0] = 'a';
	p[2 * PAGE - 1] = 'b';
	block = anon(p + 2 * PAGE, PAGE, PROT_READ, MAP_FIXED_NOREPLACE);
	q = mremap(p, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);	/* must move */
	if (q == MAP_FAILED || q[0] != 'a' || q[2 * PAGE - 1] != 'b' ||
	    q[8 * PAGE - 1] != 0)
		return 0;
	q = mremap(q, 8 * PAGE, PAGE, 0);			/* shrink */
	return q != MAP_FAILED && q[0] == 'a' && munmap(q, PAGE) == 0 &&
	       (block == MAP_FAILED || munmap(block, PAGE) == 0);
}

/* mremap straight through the system call: the libcs differ in how they
 * pass the fifth argument. */
static char *
remap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return (char *)syscall(SYS_mremap, old, old_len, new_len, flags,
			       new_addr);
}

/* True if nothing is mapped at [p, p+len): a NOREPLACE map succeeds. */
static int
unmapped(char *p, size_t len)
{
	char *r = anon(p, len, PROT_READ, MAP_FIXED_NOREPLACE);

	return r == p && munmap(r, len) == 0;
}

static char *
filled(size_t pages, char first)
{
	char *p = anon(NULL, pages * PAGE, PROT_READ | PROT_WRITE, 0);

	if (p != MAP_FAILED)
		for (size_t i = 0; i < pages; i++)
			p[i * PAGE] = (char)(first + i);
	return p == MAP_FAILED ? NULL : p;
}

/* Grows onto a given address, replacing the mapping that was there. */
static int
mremap_fixed_moves_there(void)
{
	char *p = filled(3, 'a'), *dst = filled(4, 'x'), *q;

	if (!p || !dst)
		return 0;
	q = remap(p, 3 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	return q == dst && q[0] == 'a' && q[PAGE] == 'b' && q[2 * PAGE] == 'c' &&
	       q[3 * PAGE] == 0 && unmapped(p, 3 * PAGE) &&
	       munmap(q, 4 * PAGE) == 0;
}

/* Shrinks while moving: the pages past new_len go away with the rest. */
static int
mremap_fixed_shrinks(void)
{
	char *p = filled(4, 'k'), *dst = anon(NULL, 2 * PAGE, PROT_NONE, 0), *q;

	if (!p || dst == MAP_FAILED || munmap(dst, 2 * PAGE))
		return 0;
	q = remap(p, 4 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	return q == dst && q[0] == 'k' && q[PAGE] == 'l' &&
	       unmapped(p, 4 * PAGE) && munmap(q, 2 * PAGE) == 0;
}

static int
mremap_bad_flags_are_einval(void)
{
	char *p = filled(4, 'a'), *other = filled(1, 'z');
	int ok = p && other;

	/* FIXED or DONTUNMAP without MAYMOVE; an unknown flag; DONTUNMAP
	 * changing the size; a destination overlapping the source. */
	ok = ok && remap(p, PAGE, PAGE, MREMAP_FIXED, other) == MAP_FAILED &&
	     errno == EINVAL;
	ok = ok && remap(p, PAGE, PAGE, MREMAP_DONTUNMAP, 0) == MAP_FAILED &&
	     errno == EINVAL;
	ok = ok && remap(p, PAGE, PAGE, MREMAP_UNKNOWN, 0) == MAP_FAILED &&
	     errno == EINVAL;
	ok = ok && remap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
			 0) == MAP_FAILED && errno == EINVAL;
	ok = ok && remap(p, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			 p + PAGE) == MAP_FAILED && errno == EINVAL;
	ok = ok && remap(p + PAGE, 2 * PAGE, 2 * PAGE,
			 MREMAP_MAYMOVE | MREMAP_FIXED, p) == MAP_FAILED &&
	     errno == EINVAL;
	/* Nothing moved: both mappings are as they were. */
	return ok && p[0] == 'a' && p[3 * PAGE] == 'd' && other[0] == 'z' &&
	       munmap(p, 4 * PAGE) == 0 && munmap(other, PAGE) == 0;
}

static int
mremap_unmapped_source_is_efault(void)
{
	char *p = anon(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, 0);
	char *dst = anon(NULL, 3 * PAGE, PROT_READ, 0);
	int spans_hole, gone;

	if (p == MAP_FAILED || dst == MAP_FAILED || munmap(p + PAGE, PAGE))
		return 0;
	/* [p, p+3 pages) spans a hole: not one mapping to grow or move. */
	spans_hole = remap(p, 3 * PAGE, 4 * PAGE, MREMAP_MAYMOVE, NULL) ==
		     MAP_FAILED && errno == EFAULT;
	if (munmap(p, 3 * PAGE))
		return 0;
	/* Nothing at all there (Linux 6.17+ moves several mappings with
	 * MREMAP_FIXED, but never none). */
	gone = remap(p, 3 * PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		     dst) == MAP_FAILED && errno == EFAULT;
	return spans_hole && gone && dst[0] == 0 && munmap(dst, 3 * PAGE) == 0;
}

/* The pages move; the old range stays mapped and reads zeros. */
static int
mremap_dontunmap_keeps_old_range(void)
{
	char *p = filled(2, 'm'), *q;

	if (!p)
		return 0;
	q = remap(p, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	if (q == MAP_FAILED || q == p || q[0] != 'm' || q[PAGE] != 'n')
		return 0;
	if (p[0] != 0 || p[PAGE] != 0)
		return 0;
	p[0] = 'p';
	return q[0] == 'm' && munmap(p, 2 * PAGE) == 0 &&
	       munmap(q, 2 * PAGE) == 0;
}

static long
free_bytes(void)
{
	struct sysinfo si;

	return sysinfo(&si) ? -1 : (long)(si.freeram * si.mem_unit);
}

/* A move larger than the VM's memory: pages move, nothing is copied and
 * untouched pages are not brought in. */
static int
mremap_large_move_copies_nothing(void)
{
	size_t len = 256 * MIB;
	char *p = anon(NULL, len, PROT_READ | PROT_WRITE, MAP_NORESERVE), *q;
	char *block;
	long before, after;

	if (p == MAP_FAILED)
		return 0;
	p[0] = 1;
	p[len - 1] = 2;
	/* Growing in place must be impossible: something is mapped after. */
	block = anon(p + len, PAGE, PROT_NONE, MAP_FIXED_NOREPLACE);
	if (block == MAP_FAILED && errno != EEXIST)
		return 0;
	before = free_bytes();
	q = remap(p, len, len + PAGE, MREMAP_MAYMOVE, NULL);
	after = free_bytes();
	if (q == MAP_FAILED || q == p || q[0] != 1 || q[len - 1] != 2)
		return 0;
	if (before - after > (long)(LARGE_MOVE_SLACK)) {
		printf("# the move used %ld bytes\n", before - after);
		return 0;
	}
	return munmap(q, len + PAGE) == 0 &&
	       (block == MAP_FAILED || munmap(block, PAGE) == 0);
}

static int
malloc_of_large_blocks(void)
{
	size_t n = 16 * MIB;
	unsigned char *p = malloc(n);

	if (!p)
		return 0;
	memset(p, 3, n);
	for (size_t i = 0; i < n; i += PAGE)
		if (p[i] != 3)
			return 0;
	free(p);
	return 1;
}

int
main(void)
{
	printf("KTAP version 1\n1..14\n");
	report("brk_grows_and_shrinks", brk_grows_and_shrinks());
	report("anonymous_mapping_is_zeroed_and_private",
	       anonymous_mapping_is_zeroed_and_private());
	report("fixed_replaces_and_noreplace_refuses",
	       fixed_replaces_and_noreplace_refuses());
	report("huge_prot_none_reservation_then_use",
	       huge_prot_none_reservation_then_use());
	report("dontneed_reads_back_zeros", dontneed_reads_back_zeros());
	report("bad_requests_are_refused", bad_requests_are_refused());
	report("malloc_of_large_blocks", malloc_of_large_blocks());
	report("mremap_grows_and_moves", mremap_grows_and_moves());
	report("mremap_fixed_moves_there", mremap_fixed_moves_there());
	report("mremap_fixed_shrinks", mremap_fixed_shrinks());
	report("mremap_bad_flags_are_einval", mremap_bad_flags_are_einval());
	report("mremap_unmapped_source_is_efault",
	       mremap_unmapped_source_is_efault());
	report("mremap_dontunmap_keeps_old_range",
	       mremap_dontunmap_keeps_old_range());
	report("mremap_large_move_copies_nothing",
	       mremap_large_move_copies_nothing());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
