/* File mappings, case by case, printed as KTAP; exit status is the number
 * of failed cases. Each case runs in every directory given (default: the
 * initrd's ramfs "/" and the /tmp tmpfs): MAP_SHARED writes seen by read()
 * and write() seen through mappings, two mappings of one file, MAP_PRIVATE
 * staying private, msync's flags and errors, data kept after munmap,
 * ftruncate then map, pages past the end, mprotect and mremap of shared
 * mappings, and a mapping outliving its file's name.
 * "filemap DIR... --leave FILE" also writes FILE through a shared mapping
 * and msyncs it; "--hold" after it then waits forever (the host cuts the
 * power and looks at the disk). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ktap.h"

#define PAGE		4096L
#define LEAVE_PAGES	3
#define NCASES		15	/* run_cases' list */
#define FIXED_MTIME	1000000000	/* 2001-09-09: set by a case */

static const char *dir;		/* where the current cases make files */
static const char *dir_prefix;	/* dir, or "" for "/" */
static char path_buf[512];

static const char *
path(const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/filemap.%s", dir_prefix, name);
	return path_buf;
}

/* A new file @name of @len bytes, byte i being 'a' + i % 26; its fd. */
static int
make_file(const char *name, long len)
{
	int fd = open(path(name), O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[PAGE];

	if (fd < 0)
		return -1;
	for (long off = 0; off < len; off += PAGE) {
		long n = len - off < PAGE ? len - off : PAGE;

		for (long i = 0; i < n; i++)
			buf[i] = (char)('a' + (off + i) % 26);
		if (pwrite(fd, buf, (size_t)n, off) != n) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static char *
map(int fd, long len, int prot, int flags, long off)
{
	void *p = mmap(NULL, (size_t)len, prot, flags, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

static char
byte_at(int fd, long off)
{
	char c = 0;

	return pread(fd, &c, 1, off) == 1 ? c : (char)-1;
}

static int
shared_write_visible_to_read(void)
{
	int fd = make_file("shw", 2 * PAGE);
	char *p = fd < 0 ? NULL : map(fd, 2 * PAGE, PROT_READ | PROT_WRITE,
				      MAP_SHARED, 0);
	struct stat st;
	int ok;

	if (!p)
		return 0;
	ok = p[0] == 'a' && p[PAGE + 1] == 'a' + (PAGE + 1) % 26;
	memcpy(p + 10, "MAPPED", 6);
	p[PAGE + 100] = 'Z';
	ok = ok && byte_at(fd, 10) == 'M' && byte_at(fd, 15) == 'D' &&
	     byte_at(fd, PAGE + 100) == 'Z';
	ok = ok && fstat(fd, &st) == 0 && st.st_size == 2 * PAGE;
	return ok && munmap(p, 2 * PAGE) == 0 && close(fd) == 0;
}

static int
write_visible_through_mapping(void)
{
	int fd = make_file("wvm", PAGE + 100);
	char *p = fd < 0 ? NULL : map(fd, 2 * PAGE, PROT_READ, MAP_SHARED, 0);
	int ok;

	if (!p)
		return 0;
	ok = p[5] == 'f';
	ok = ok && pwrite(fd, "written", 7, 5) == 7 && memcmp(p + 5, "written", 7) == 0;
	ok = ok && pwrite(fd, "tail", 4, PAGE + 50) == 4 &&
	     memcmp(p + PAGE + 50, "tail", 4) == 0;
	return ok && munmap(p, 2 * PAGE) == 0 && close(fd) == 0;
}

static int
two_shared_mappings_see_each_other(void)
{
	int fd = make_file("two", 3 * PAGE), fd2 = open(path("two"), O_RDWR);
	char *a = fd < 0 ? NULL : map(fd, 3 * PAGE, PROT_READ | PROT_WRITE,
				      MAP_SHARED, 0);
	char *b = fd2 < 0 ? NULL : map(fd2, 2 * PAGE, PROT_READ | PROT_WRITE,
				       MAP_SHARED, PAGE);	/* pages 1-2 */
	int ok;

	if (!a || !b)
		return 0;
	ok = a != b && b[0] == a[PAGE];
	a[PAGE + 7] = '!';
	b[PAGE + 9] = '?';	/* file page 2 */
	ok = ok && b[7] == '!' && a[2 * PAGE + 9] == '?';
	return ok && munmap(a, 3 * PAGE) == 0 && munmap(b, 2 * PAGE) == 0 &&
	       close(fd) == 0 && close(fd2) == 0;
}

static int
private_mapping_is_private(void)
{
	int fd = make_file("prv", 3 * PAGE);
	char *s = fd < 0 ? NULL : map(fd, 3 * PAGE, PROT_READ, MAP_SHARED, 0);
	char *p = fd < 0 ? NULL : map(fd, 3 * PAGE, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE, 0);
	int ok;

	if (!s || !p)
		return 0;
	ok = p[3] == 'd' && p[2 * PAGE] == s[2 * PAGE];
	p[3] = 'P';
	p[PAGE] = 'Q';
	ok = ok && byte_at(fd, 3) == 'd' && s[3] == 'd' && s[PAGE] != 'Q';
	/* Later writes to the file: a page stored to keeps the private
	 * bytes; one only read still shows the file, as on Linux. */
	ok = ok && pwrite(fd, "X", 1, 3) == 1 && p[3] == 'P' && s[3] == 'X';
	ok = ok && pwrite(fd, "Y", 1, 2 * PAGE) == 1 && p[2 * PAGE] == 'Y';
	/* Dropping the private pages reads the file again. */
	ok = ok && madvise(p, PAGE, MADV_DONTNEED) == 0 && p[3] == 'X';
	return ok && munmap(p, 3 * PAGE) == 0 && munmap(s, 3 * PAGE) == 0 &&
	       close(fd) == 0;
}

/* A private mapping of a read-only descriptor may be written and made
 * writable: the stores are the process's own. */
static int
private_mapping_of_read_only_file(void)
{
	int rw = make_file("pro", 2 * PAGE), fd = open(path("pro"), O_RDONLY);
	char *p = fd < 0 ? NULL : map(fd, 2 * PAGE, PROT_READ, MAP_PRIVATE, 0);
	int ok;

	if (!p || rw < 0)
		return 0;
	ok = mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE) == 0;
	p[PAGE + 1] = '#';
	ok = ok && p[PAGE + 1] == '#' && byte_at(fd, PAGE + 1) != '#' &&
	     mprotect(p, 2 * PAGE, PROT_READ) == 0 && p[PAGE + 1] == '#';
	return ok && munmap(p, 2 * PAGE) == 0 && close(fd) == 0 &&
	       close(rw) == 0;
}

static int
msync_errno(void *addr, size_t len, int flags)
{
	return msync(addr, len, flags) == -1 ? errno : 0;
}

static int
msync_flags_and_errors(void)
{
	int fd = make_file("ms", 2 * PAGE);
	char *p = fd < 0 ? NULL : map(fd, 2 * PAGE, PROT_READ | PROT_WRITE,
				      MAP_SHARED, 0);
	char *anon = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	int ok;

	if (!p || anon == MAP_FAILED)
		return 0;
	p[0] = 'S';
	ok = msync_errno(p, 2 * PAGE, MS_SYNC) == 0 &&
	     msync_errno(p, 1, MS_ASYNC) == 0 &&
	     msync_errno(p + PAGE, PAGE, MS_INVALIDATE) == 0 &&
	     msync_errno(p, 2 * PAGE, MS_SYNC | MS_INVALIDATE) == 0 &&
	     msync_errno(p, 0, MS_SYNC) == 0 &&
	     msync_errno(anon, PAGE, MS_SYNC) == 0;
	ok = ok && msync_errno(p, PAGE, MS_SYNC | MS_ASYNC) == EINVAL &&
	     msync_errno(p, PAGE, 8) == EINVAL &&
	     msync_errno(p + 1, PAGE, MS_SYNC) == EINVAL;
	ok = ok && byte_at(fd, 0) == 'S' && munmap(p + PAGE, PAGE) == 0 &&
	     msync_errno(p, 2 * PAGE, MS_SYNC) == ENOMEM &&
	     msync_errno((void *)(1L << 47), PAGE, MS_SYNC) == ENOMEM;
	return ok && munmap(p, PAGE) == 0 && munmap(anon, PAGE) == 0 &&
	       close(fd) == 0;
}

static int
munmap_then_reopen_shows_data(void)
{
	int fd = make_file("reo", PAGE);
	char *p = fd < 0 ? NULL : map(fd, PAGE, PROT_READ | PROT_WRITE,
				      MAP_SHARED, 0);
	char buf[8] = { 0 };
	int ok;

	if (!p)
		return 0;
	memcpy(p + 100, "kept", 4);
	ok = munmap(p, PAGE) == 0 && close(fd) == 0;
	fd = open(path("reo"), O_RDONLY);
	ok = ok && fd >= 0 && pread(fd, buf, 4, 100) == 4 &&
	     strcmp(buf, "kept") == 0;
	return ok && close(fd) == 0;
}

static int
ftruncate_then_map_extends_file(void)
{
	int fd = make_file("ext", 0);
	char *p;
	struct stat st;
	int ok;

	if (fd < 0 || ftruncate(fd, 3 * PAGE) != 0)
		return 0;
	p = map(fd, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	if (!p)
		return 0;
	ok = p[0] == 0 && p[3 * PAGE - 1] == 0;
	for (long i = 0; i < 3 * PAGE; i++)
		p[i] = (char)('A' + i % 26);
	ok = ok && munmap(p, 3 * PAGE) == 0;
	ok = ok && byte_at(fd, 2 * PAGE + 1) == 'A' + (2 * PAGE + 1) % 26 &&
	     fstat(fd, &st) == 0 && st.st_size == 3 * PAGE;
	return ok && close(fd) == 0;
}

/* No SIGBUS here: bytes past the end read zeros and stores there do not
 * reach the file. */
static int
mapping_past_end_reads_zeros(void)
{
	int fd = make_file("eof", 100);
	char *p = fd < 0 ? NULL : map(fd, 2 * PAGE, PROT_READ | PROT_WRITE,
				      MAP_SHARED, 0);
	struct stat st;
	int ok;

	if (!p)
		return 0;
	ok = p[99] == 'a' + 99 % 26 && p[100] == 0 && p[PAGE - 1] == 0;
	p[200] = 'x';
	ok = ok && fstat(fd, &st) == 0 && st.st_size == 100 &&
	     msync(p, PAGE, MS_SYNC) == 0;
	/* Growing the file shows zeros where nothing was stored (what a
	 * stray store past the end becomes differs between Linux's file
	 * systems; here it is zeros). */
	ok = ok && ftruncate(fd, 300) == 0 && byte_at(fd, 250) == 0 &&
	     p[250] == 0 && byte_at(fd, 99) == 'a' + 99 % 26;
	return ok && munmap(p, 2 * PAGE) == 0 && close(fd) == 0;
}

static int
shrink_zeroes_the_mapped_tail(void)
{
	int fd = make_file("shr", 2 * PAGE);
	char *p = fd < 0 ? NULL : map(fd, 2 * PAGE, PROT_READ, MAP_SHARED, 0);
	int ok;

	if (!p)
		return 0;
	ok = p[PAGE + 10] != 0 && ftruncate(fd, 10) == 0 && p[9] == 'j' &&
	     p[10] == 0 && p[PAGE - 1] == 0;
	return ok && munmap(p, 2 * PAGE) == 0 && close(fd) == 0;
}

static int
bad_file_mappings_are_refused(void)
{
	int rw = make_file("bad", PAGE), ro = open(path("bad"), O_RDONLY);
	int wo = open(path("bad"), O_WRONLY), d = open(dir, O_RDONLY);
	void *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	int ok = priv != MAP_FAILED && munmap(priv, PAGE) == 0;

	ok = ok && mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0)
		   == MAP_FAILED && errno == EACCES;
	ok = ok && mmap(NULL, PAGE, PROT_READ, MAP_SHARED, wo, 0) == MAP_FAILED &&
	     errno == EACCES;
	ok = ok && mmap(NULL, PAGE, PROT_READ, MAP_SHARED, rw, 100) ==
		   MAP_FAILED && errno == EINVAL;
	ok = ok && mmap(NULL, PAGE, PROT_READ, MAP_SHARED, d, 0) == MAP_FAILED &&
	     errno == ENODEV;
	/* Read-only descriptor: the mapping cannot be made writable later. */
	priv = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0);
	ok = ok && priv != MAP_FAILED &&
	     mprotect(priv, PAGE, PROT_READ | PROT_WRITE) == -1 &&
	     errno == EACCES && munmap(priv, PAGE) == 0;
	return ok && close(rw) == 0 && close(ro) == 0 && close(wo) == 0 &&
	       close(d) == 0;
}

static int
mprotect_and_mremap_keep_sharing(void)
{
	int fd = make_file("mpr", 2 * PAGE);
	char *p = fd < 0 ? NULL : map(fd, PAGE, PROT_READ, MAP_SHARED, 0), *q;
	int ok;

	if (!p || mprotect(p, PAGE, PROT_READ | PROT_WRITE) != 0)
		return 0;
	p[1] = '1';
	ok = byte_at(fd, 1) == '1';
	q = mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return 0;
	q[PAGE + 2] = '2';
	ok = ok && q[1] == '1' && byte_at(fd, PAGE + 2) == '2';
	return ok && munmap(q, 2 * PAGE) == 0 && close(fd) == 0;
}

static int
mapping_outlives_unlink_and_close(void)
{
	int fd = make_file("unl", PAGE);
	char *p = fd < 0 ? NULL : map(fd, PAGE, PROT_READ | PROT_WRITE,
				      MAP_SHARED, 0);
	int ok;

	if (!p)
		return 0;
	ok = unlink(path("unl")) == 0 && close(fd) == 0;
	p[0] = 'U';
	ok = ok && p[0] == 'U' && p[1] == 'b' &&
	     msync(p, PAGE, MS_SYNC) == 0;
	return ok && munmap(p, PAGE) == 0 &&
	       access(path("unl"), F_OK) == -1;
}

/* A time set after writing stays when the pages are written back (the
 * ext2 test reads it from the disk). */
static int
mtime_set_after_writes_is_kept(void)
{
	int fd = make_file("mt", 3 * PAGE);
	struct timespec ts[2] = { { FIXED_MTIME, 0 }, { FIXED_MTIME, 0 } };
	struct stat st;
	int ok;

	if (fd < 0)
		return 0;
	ok = futimens(fd, ts) == 0 && fsync(fd) == 0 && fstat(fd, &st) == 0 &&
	     st.st_mtime == FIXED_MTIME && st.st_size == 3 * PAGE;
	return ok && close(fd) == 0;
}

/* A store through a mapping changes the file's times by the next msync;
 * an msync without one leaves them. */
static int
msync_after_a_store_moves_mtime(void)
{
	int fd = make_file("mst", PAGE);
	struct timespec ts[2] = { { FIXED_MTIME, 0 }, { FIXED_MTIME, 0 } };
	char *p = fd < 0 ? NULL : map(fd, PAGE, PROT_READ | PROT_WRITE,
				      MAP_SHARED, 0);
	struct stat st;
	int ok;

	if (!p || futimens(fd, ts) != 0)
		return 0;
	ok = msync(p, PAGE, MS_SYNC) == 0 && fstat(fd, &st) == 0 &&
	     st.st_mtime == FIXED_MTIME;
	p[0] = 's';
	ok = ok && msync(p, PAGE, MS_SYNC) == 0 && fstat(fd, &st) == 0 &&
	     st.st_mtime > FIXED_MTIME;
	return ok && munmap(p, PAGE) == 0 && close(fd) == 0;
}

static void
run_cases(const char *where)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} cases[] = {
		{ "shared_write_visible_to_read", shared_write_visible_to_read },
		{ "write_visible_through_mapping", write_visible_through_mapping },
		{ "two_shared_mappings_see_each_other",
		  two_shared_mappings_see_each_other },
		{ "private_mapping_is_private", private_mapping_is_private },
		{ "private_mapping_of_read_only_file",
		  private_mapping_of_read_only_file },
		{ "msync_flags_and_errors", msync_flags_and_errors },
		{ "munmap_then_reopen_shows_data", munmap_then_reopen_shows_data },
		{ "ftruncate_then_map_extends_file",
		  ftruncate_then_map_extends_file },
		{ "mapping_past_end_reads_zeros", mapping_past_end_reads_zeros },
		{ "shrink_zeroes_the_mapped_tail", shrink_zeroes_the_mapped_tail },
		{ "bad_file_mappings_are_refused", bad_file_mappings_are_refused },
		{ "mprotect_and_mremap_keep_sharing",
		  mprotect_and_mremap_keep_sharing },
		{ "mapping_outlives_unlink_and_close",
		  mapping_outlives_unlink_and_close },
		{ "mtime_set_after_writes_is_kept",
		  mtime_set_after_writes_is_kept },
		{ "msync_after_a_store_moves_mtime",
		  msync_after_a_store_moves_mtime },
	};
	char name[128];

	dir = where;
	dir_prefix = strcmp(where, "/") == 0 ? "" : where;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "%s_in_%s", cases[i].name,
			 *dir_prefix ? dir_prefix + 1 : "root");
		report(name, cases[i].fn());
	}
}

/* The initrd's own files show the archive's bytes through a mapping. */
static int
initrd_file_maps_its_bytes(void)
{
	int fd = open("/etc/greeting", O_RDONLY);
	char *p = fd < 0 ? NULL : map(fd, PAGE, PROT_READ, MAP_SHARED, 0);
	int ok;

	if (!p)
		return 0;
	ok = memcmp(p, "hello files\n", 12) == 0 && p[12] == 0;
	return ok && munmap(p, PAGE) == 0 && close(fd) == 0;
}

/* Fills @file's LEAVE_PAGES pages through a shared mapping, msyncs. */
static int
leave(const char *file)
{
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *p;

	if (fd < 0 || ftruncate(fd, LEAVE_PAGES * PAGE) != 0)
		return 0;
	p = map(fd, LEAVE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	if (!p)
		return 0;
	for (long i = 0; i < LEAVE_PAGES * PAGE; i += 64) {
		char line[80];

		snprintf(line, sizeof(line), "mapped line %06ld %-44s\n", i / 64,
			 "");
		memcpy(p + i, line, 64);
	}
	return msync(p, LEAVE_PAGES * PAGE, MS_SYNC) == 0 && close(fd) == 0;
}

int
main(int argc, char **argv)
{
	static const char *defaults[] = { "/", "/tmp" };
	const char **dirs = defaults, *leave_file = NULL;
	int ndirs = 2, hold = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--leave") == 0 && i + 1 < argc)
			leave_file = argv[++i];
		else if (strcmp(argv[i], "--hold") == 0)
			hold = 1;
		else if (dirs == defaults)
			dirs = (const char **)&argv[i], ndirs = 1;
		else
			ndirs++;
	}
	printf("KTAP version 1\n1..%d\n", ndirs * NCASES + (dirs == defaults) +
	       (leave_file != NULL));
	for (int i = 0; i < ndirs; i++)
		run_cases(dirs[i]);
	if (dirs == defaults)
		report("initrd_file_maps_its_bytes", initrd_file_maps_its_bytes());
	if (leave_file)
		report("leave_file_written_through_mapping", leave(leave_file));
	printf("# %d failed\n", ktap_failed);
	fflush(stdout);
	while (hold)
		sleep(1000);
	return ktap_failed;
}
