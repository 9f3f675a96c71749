/* The memory system calls, case by case, printed as KTAP; exit status is
 * the number of failed cases. brk, anonymous mmap, MAP_FIXED and
 * MAP_FIXED_NOREPLACE, a large PROT_NONE reservation, mprotect, munmap,
 * MADV_DONTNEED reading back zeros, and malloc's large blocks. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ktap.h"

#define MIB		(1024UL * 1024)
#define PAGE		4096UL
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif


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

	return f_ok && z_ok && u == -1 && errno == ENOMEM;
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
	printf("KTAP version 1\n1..8\n");
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
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
