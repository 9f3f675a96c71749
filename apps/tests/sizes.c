/* File sizes and syncing: truncate, ftruncate, fallocate (each mode Linux
 * has on tmpfs), fsync, fdatasync, syncfs and sync, with their errors.
 * KTAP; exit status is the number of failed cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ktap.h"

#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE	0x10	/* musl names only the older modes */
#endif

static off_t
size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* All bytes of [off, off + len) of @fd equal @c. */
static int
bytes_are(int fd, off_t off, size_t len, char c)
{
	char buf[256];

	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		if (pread(fd, buf, n, off) != (ssize_t)n)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != c)
				return 0;
		off += (off_t)n;
		len -= n;
	}
	return 1;
}

static int
truncate_grows_and_shrinks(void)
{
	int fd = open("/tmp/t", O_CREAT | O_RDWR | O_TRUNC, 0644);

	if (fd < 0 || write(fd, "abcdef", 6) != 6)
		return 0;
	if (ftruncate(fd, 3) || size_of("/tmp/t") != 3 || !bytes_are(fd, 0, 1, 'a'))
		return 0;
	if (truncate("/tmp/t", 1000) || size_of("/tmp/t") != 1000 ||
	    !bytes_are(fd, 3, 997, 0))
		return 0;
	return ftruncate(fd, -1) == -1 && errno == EINVAL &&
	       truncate("/tmp", 0) == -1 && errno == EISDIR &&
	       truncate("/no/such", 0) == -1 && errno == ENOENT &&
	       ftruncate(99, 0) == -1 && errno == EBADF &&
	       close(fd) == 0 && unlink("/tmp/t") == 0;
}

static int
ftruncate_needs_write_access(void)
{
	int fd = open("/etc/greeting", O_RDONLY), p[2];

	if (fd < 0 || pipe(p))
		return 0;
	return ftruncate(fd, 0) == -1 && errno == EINVAL &&
	       size_of("/etc/greeting") == 12 &&
	       ftruncate(p[1], 0) == -1 && errno == EINVAL &&
	       close(fd) == 0 && close(p[0]) == 0 && close(p[1]) == 0;
}

static int
fallocate_modes(void)
{
	int fd = open("/tmp/f", O_CREAT | O_RDWR | O_TRUNC, 0644);
	char ones[64];

	memset(ones, 1, sizeof(ones));
	if (fd < 0 || fallocate(fd, 0, 0, 4096) || size_of("/tmp/f") != 4096 ||
	    !bytes_are(fd, 0, 4096, 0))
		return 0;
	if (pwrite(fd, ones, sizeof(ones), 100) != sizeof(ones))
		return 0;
	/* A smaller range inside the file changes nothing. */
	if (fallocate(fd, 0, 0, 10) || size_of("/tmp/f") != 4096 ||
	    !bytes_are(fd, 100, 64, 1))
		return 0;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 110, 20) ||
	    !bytes_are(fd, 110, 20, 0) || !bytes_are(fd, 100, 10, 1) ||
	    !bytes_are(fd, 130, 34, 1) || size_of("/tmp/f") != 4096)
		return 0;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE, 4000, 200) ||
	    size_of("/tmp/f") != 4200 || !bytes_are(fd, 4000, 200, 0))
		return 0;
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 1) == -1 &&
	       errno == EOPNOTSUPP &&
	       fallocate(fd, 0, 0, 0) == -1 && errno == EINVAL &&
	       fallocate(fd, 0, -1, 10) == -1 && errno == EINVAL &&
	       fallocate(99, 0, 0, 1) == -1 && errno == EBADF &&
	       close(fd) == 0 && unlink("/tmp/f") == 0;
}

static int
fallocate_rejects_other_files(void)
{
	int ro = open("/etc/greeting", O_RDONLY), p[2];
	int null = open("/dev/null", O_WRONLY);

	if (ro < 0 || null < 0 || pipe(p))
		return 0;
	return fallocate(ro, 0, 0, 1) == -1 && errno == EBADF &&
	       fallocate(p[1], 0, 0, 1) == -1 && errno == ESPIPE &&
	       fallocate(null, 0, 0, 1) == -1 && errno == ENODEV &&
	       close(ro) == 0 && close(null) == 0 && close(p[0]) == 0 &&
	       close(p[1]) == 0;
}

static int
syncing(void)
{
	int fd = open("/tmp/s", O_CREAT | O_RDWR, 0644), p[2];

	if (fd < 0 || pipe(p) || write(fd, "x", 1) != 1)
		return 0;
	sync();
	return fsync(fd) == 0 && fdatasync(fd) == 0 && syncfs(fd) == 0 &&
	       fsync(p[0]) == -1 && errno == EINVAL &&
	       fsync(99) == -1 && errno == EBADF &&
	       syncfs(99) == -1 && errno == EBADF &&
	       bytes_are(fd, 0, 1, 'x') && close(fd) == 0 && close(p[0]) == 0 &&
	       close(p[1]) == 0 && unlink("/tmp/s") == 0;
}

/* drop_caches takes 1, 2 or 3 (after sync) and loses no data: cached
 * file data is written back or kept (tmpfs has nothing behind it). */
static int
drop_caches_keeps_data(void)
{
	int fd = open("/tmp/dc", O_CREAT | O_RDWR | O_TRUNC, 0644);
	int dc = open("/proc/sys/vm/drop_caches", O_RDWR);
	char buf[4] = { 0 };

	if (fd < 0 || dc < 0 || write(fd, "kept", 4) != 4)
		return 0;
	sync();
	return write(dc, "3\n", 2) == 2 && write(dc, "1", 1) == 1 &&
	       write(dc, "7\n", 2) == -1 && errno == EINVAL &&
	       pread(dc, buf, sizeof(buf), 0) == 2 && buf[0] == '0' &&
	       pread(fd, buf, 4, 0) == 4 && memcmp(buf, "kept", 4) == 0 &&
	       close(dc) == 0 && close(fd) == 0 && unlink("/tmp/dc") == 0;
}

static int
bad_pointers(void)
{
	return syscall(SYS_truncate, (void *)16, 0) == -1 && errno == EFAULT;
}

int
main(void)
{
	printf("KTAP version 1\n1..7\n");
	report("truncate_grows_and_shrinks", truncate_grows_and_shrinks());
	report("ftruncate_needs_write_access", ftruncate_needs_write_access());
	report("fallocate_modes", fallocate_modes());
	report("fallocate_rejects_other_files", fallocate_rejects_other_files());
	report("syncing", syncing());
	report("drop_caches_keeps_data", drop_caches_keeps_data());
	report("bad_pointers", bad_pointers());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
