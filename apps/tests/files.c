/* The file calls on Keel's tree (initrd files, /tmp, /dev), case by case
 * as KTAP; exit status is the number of failed cases. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ktap.h"


static int
initrd_file_reads_back(void)
{
	char buf[64] = "";
	int fd = open("/etc/greeting", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	return n == 12 && strcmp(buf, "hello files\n") == 0 && close(fd) == 0;
}

static int
tmp_file_write_seek_read(void)
{
	char buf[16] = "";
	struct stat st;
	int fd = open("/tmp/a", O_RDWR | O_CREAT | O_EXCL, 0644);

	if (fd < 0 || write(fd, "0123456789", 10) != 10)
		return 0;
	if (lseek(fd, 3, SEEK_SET) != 3 || read(fd, buf, 4) != 4 ||
	    strcmp(buf, "3456"))
		return 0;
	if (fstat(fd, &st) || st.st_size != 10 || !S_ISREG(st.st_mode))
		return 0;
	if (pwrite(fd, "xy", 2, 20) != 2 || fstat(fd, &st) || st.st_size != 22)
		return 0;
	return close(fd) == 0 &&
	       open("/tmp/a", O_CREAT | O_EXCL | O_RDWR, 0644) == -1 &&
	       errno == EEXIST;
}

static int
append_and_truncate(void)
{
	struct stat st;
	int fd = open("/tmp/b", O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0 || write(fd, "ab", 2) != 2)
		return 0;
	lseek(fd, 0, SEEK_SET);
	if (write(fd, "cd", 2) != 2 || stat("/tmp/b", &st) || st.st_size != 4)
		return 0;
	close(fd);
	fd = open("/tmp/b", O_WRONLY | O_TRUNC);
	return fd >= 0 && stat("/tmp/b", &st) == 0 && st.st_size == 0 &&
	       close(fd) == 0;
}

static int
directories(void)
{
	int seen = 0;
	struct dirent *e;
	DIR *d;

	if (mkdir("/tmp/d", 0755) || mkdir("/tmp/d/e", 0755) ||
	    close(open("/tmp/d/f", O_CREAT | O_WRONLY, 0644)))
		return 0;
	d = opendir("/tmp/d");
	while (d && (e = readdir(d)))
		seen += !strcmp(e->d_name, "e") || !strcmp(e->d_name, "f") ||
			!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	if (!d || closedir(d) || seen != 4)
		return 0;
	if (rmdir("/tmp/d") != -1 || errno != ENOTEMPTY)
		return 0;
	return unlink("/tmp/d/f") == 0 && rmdir("/tmp/d/e") == 0 &&
	       rmdir("/tmp/d") == 0 && access("/tmp/d", F_OK) == -1 &&
	       errno == ENOENT;
}

static int
links_and_cwd(void)
{
	char buf[64] = "", cwd[64] = "";
	struct stat st, lst;

	if (readlink("/etc/link", buf, sizeof(buf)) != 8 ||
	    strncmp(buf, "greeting", 8))
		return 0;
	if (stat("/etc/link", &st) || lstat("/etc/link", &lst) ||
	    !S_ISREG(st.st_mode) || !S_ISLNK(lst.st_mode))
		return 0;
	if (chdir("/etc") || !getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/etc"))
		return 0;
	return access("greeting", R_OK) == 0 && chdir("/") == 0 &&
	       access("/etc/greeting/x", F_OK) == -1 && errno == ENOTDIR;
}

/* Relative names from the working directory through every *at() door
 * the libcs use: glibc passes AT_FDCWD as a 32-bit int, upper half zero. */
static int
relative_paths_from_cwd(void)
{
	char buf[16] = "";
	struct stat st;
	int fd, ok;

	if (chdir("/etc"))
		return 0;
	fd = open("greeting", O_RDONLY);
	ok = fd >= 0 && read(fd, buf, 5) == 5 && !strcmp(buf, "hello") &&
	     close(fd) == 0;
	ok = ok && stat("greeting", &st) == 0 && S_ISREG(st.st_mode) &&
	     fstatat(AT_FDCWD, "link", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	     S_ISLNK(st.st_mode) && faccessat(AT_FDCWD, "greeting", R_OK, 0) == 0;
	ok = ok && chdir("/tmp") == 0 && mkdir("rel", 0755) == 0 &&
	     (fd = open("rel/f", O_CREAT | O_WRONLY, 0644)) >= 0 &&
	     close(fd) == 0 && rename("rel/f", "rel/g") == 0 &&
	     unlink("rel/g") == 0 && rmdir("rel") == 0;
	/* AT_FDCWD as glibc passes it: the upper half of the register 0. */
	fd = (int)syscall(SYS_openat, (long)(unsigned)AT_FDCWD, "/etc/greeting",
			  O_RDONLY);
	ok = ok && fd >= 0 && close(fd) == 0;
	return chdir("/") == 0 && ok;
}

static int
descriptors(void)
{
	int fd = open("/dev/null", O_WRONLY), copy;

	if (fd < 0)
		return 0;
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (copy < 10 || !(fcntl(copy, F_GETFD) & FD_CLOEXEC))
		return 0;
	return dup2(fd, 20) == 20 && close(20) == 0 && close(copy) == 0 &&
	       close(fd) == 0 && close(fd) == -1 && errno == EBADF;
}

static int
devices(void)
{
	char z[8] = "1234567", r[16] = "";
	int zero = open("/dev/zero", O_RDONLY), full = open("/dev/full", O_WRONLY);
	int rnd = open("/dev/urandom", O_RDONLY);

	return read(zero, z, 8) == 8 && z[0] == 0 && z[7] == 0 &&
	       write(full, "a", 1) == -1 && errno == ENOSPC &&
	       read(rnd, r, sizeof(r)) == sizeof(r) &&
	       write(open("/dev/null", O_WRONLY), "a", 1) == 1;
}

static int
rename_and_umask(void)
{
	char buf[8] = "";
	int fd;

	if (close(open("/tmp/r1", O_CREAT | O_WRONLY, 0644)) ||
	    (fd = open("/tmp/r2", O_CREAT | O_WRONLY, 0644)) < 0 ||
	    write(fd, "two", 3) != 3 || close(fd))
		return 0;
	if (rename("/tmp/r2", "/tmp/r1"))	/* replaces r1 */
		return 0;
	fd = open("/tmp/r1", O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != 3 || strcmp(buf, "two") ||
	    close(fd) || access("/tmp/r2", F_OK) != -1 || errno != ENOENT)
		return 0;
	if (mkdir("/tmp/rd", 0755) || rename("/tmp/rd", "/tmp/rd/sub") != -1 ||
	    errno != EINVAL || rmdir("/tmp/rd"))
		return 0;
	umask(077);
	fd = open("/tmp/r3", O_CREAT | O_WRONLY, 0666);
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	       umask(022) == 077 && unlink("/tmp/r1") == 0 && unlink("/tmp/r3") == 0;
}

/* The kernel's struct statx (musl 1.2.3 has no wrapper: raw call). */
struct statx_k {
	unsigned mask, blksize;
	unsigned long long attributes;
	unsigned nlink, uid, gid;
	unsigned short mode, pad1;
	unsigned long long ino, size, blocks, attributes_mask;
	unsigned long long times[8];
	unsigned rdev_major, rdev_minor, dev_major, dev_minor;
	unsigned long long spare[14];
};

static int
statx_matches_stat(void)
{
	struct statx_k sx;
	struct stat st;

	if (syscall(SYS_statx, AT_FDCWD, "/etc/greeting", 0, 0x7ff, &sx) ||
	    stat("/etc/greeting", &st))
		return 0;
	return sx.size == (unsigned long long)st.st_size &&
	       sx.ino == (unsigned long long)st.st_ino &&
	       (sx.mode & S_IFMT) == S_IFREG &&
	       syscall(SYS_statx, AT_FDCWD, "/nope", 0, 0x7ff, &sx) == -1 &&
	       errno == ENOENT;
}

static int
read_whole(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got + 1 < size && (n = read(fd, buf + got, size - got - 1)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	return (int)got;
}

static int
proc_and_sys(const char *argv0)
{
	static char buf[8192];
	char exe[256] = "";

	if (read_whole("/proc/meminfo", buf, sizeof(buf)) <= 0 ||
	    !strstr(buf, "MemTotal:"))
		return 0;
	if (read_whole("/proc/self/maps", buf, sizeof(buf)) <= 0 ||
	    !strstr(buf, "[vdso]") || !strstr(buf, "r-xp"))
		return 0;
	if (read_whole("/sys/devices/system/cpu/online", buf, sizeof(buf)) != 2 ||
	    strcmp(buf, "0\n"))
		return 0;
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) <= 0 ||
	    strcmp(exe, argv0))
		return 0;
	if (read_whole("/proc/self/cmdline", buf, sizeof(buf)) !=
	    (int)strlen(argv0) + 1 || strcmp(buf, argv0))
		return 0;
	return read_whole("/proc/uptime", buf, sizeof(buf)) > 0 &&
	       read_whole("/proc/cpuinfo", buf, sizeof(buf)) > 0 &&
	       strstr(buf, "processor") != NULL;
}

static int
links_modes_times_locks(void)
{
	struct timespec ts[2] = { { 1000, 0 }, { 2000, 5 } };
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char buf[16] = "";
	struct stat st;
	int fd = open("/tmp/l1", O_CREAT | O_RDWR, 0644);

	if (fd < 0 || write(fd, "data", 4) != 4)
		return 0;
	if (link("/tmp/l1", "/tmp/l2") || stat("/tmp/l2", &st) || st.st_nlink != 2 ||
	    unlink("/tmp/l1") || stat("/tmp/l2", &st) || st.st_nlink != 1)
		return 0;
	if (symlink("l2", "/tmp/s") || readlink("/tmp/s", buf, sizeof(buf)) != 2 ||
	    read_whole("/tmp/s", buf, sizeof(buf)) != 4)
		return 0;
	if (chmod("/tmp/l2", 0600) || stat("/tmp/l2", &st) ||
	    (st.st_mode & 07777) != 0600)
		return 0;
	if (utimensat(AT_FDCWD, "/tmp/l2", ts, 0) || stat("/tmp/l2", &st) ||
	    st.st_mtime != 2000 || st.st_atime != 1000)
		return 0;
	if (fcntl(fd, F_SETLK, &fl) || fcntl(fd, F_GETLK, &fl) ||
	    fl.l_type != F_UNLCK)
		return 0;
	return close(fd) == 0 && unlink("/tmp/s") == 0 && unlink("/tmp/l2") == 0;
}

/* The same answer by path and by descriptor, the type /proc/mounts
 * names (ramfs for the initrd's root, tmpfs for /tmp), and room no larger
 * than memory. */
static int
statfs_reports_the_tree(void)
{
	struct statfs by_path, by_fd, tmp;
	int fd = open("/etc/greeting", O_RDONLY);

	if (fd < 0 || statfs("/etc", &by_path) || fstatfs(fd, &by_fd) ||
	    statfs("/tmp", &tmp))
		return 0;
	return by_path.f_type == 0x858458f6 && by_fd.f_type == by_path.f_type &&
	       tmp.f_type == 0x01021994 &&
	       by_path.f_bsize == 4096 && by_path.f_namelen == 255 &&
	       by_path.f_blocks > 0 && by_path.f_bfree <= by_path.f_blocks &&
	       by_fd.f_blocks == by_path.f_blocks &&
	       statfs("/no/such", &by_path) == -1 && errno == ENOENT &&
	       fstatfs(-1, &by_fd) == -1 && errno == EBADF &&
	       syscall(SYS_statfs, "/tmp", (void *)16) == -1 && errno == EFAULT &&
	       close(fd) == 0;
}

/* Root may give a file to anyone; -1 keeps a field; lchown and
 * AT_SYMLINK_NOFOLLOW change the link, not its target. */
static int
owners_are_kept(void)
{
	struct stat st, lst;
	int fd = open("/tmp/own", O_CREAT | O_RDWR, 0644);

	if (fd < 0 || symlink("own", "/tmp/ownlink"))
		return 0;
	if (chown("/tmp/own", 1000, 100) || stat("/tmp/own", &st) ||
	    st.st_uid != 1000 || st.st_gid != 100)
		return 0;
	if (fchown(fd, (uid_t)-1, 50) || fstat(fd, &st) || st.st_uid != 1000 ||
	    st.st_gid != 50)
		return 0;
	if (lchown("/tmp/ownlink", 7, 8) || lstat("/tmp/ownlink", &lst) ||
	    lst.st_uid != 7 || stat("/tmp/ownlink", &st) || st.st_uid != 1000)
		return 0;
	if (fchownat(AT_FDCWD, "/tmp/ownlink", 9, 9, AT_SYMLINK_NOFOLLOW) ||
	    lstat("/tmp/ownlink", &lst) || lst.st_gid != 9)
		return 0;
	if (fchownat(fd, "", 0, 0, AT_EMPTY_PATH) || fstat(fd, &st) ||
	    st.st_uid != 0 || st.st_gid != 0)
		return 0;
	return chown("/no/such", 0, 0) == -1 && errno == ENOENT &&
	       fchown(-1, 0, 0) == -1 && errno == EBADF &&
	       fchownat(AT_FDCWD, "/tmp/own", 0, 0, 0x8000) == -1 &&
	       errno == EINVAL && close(fd) == 0 && unlink("/tmp/ownlink") == 0 &&
	       unlink("/tmp/own") == 0;
}

/* flock locks belong to the open file: a second open() of the same file
 * conflicts, a dup() shares, and the last close releases. */
static int
flock_is_per_open_file(void)
{
	int a = open("/tmp/fl", O_CREAT | O_RDWR, 0644);
	int b = open("/tmp/fl", O_RDWR), c = dup(a);

	if (a < 0 || b < 0 || c < 0)
		return 0;
	if (flock(a, LOCK_EX | LOCK_NB) || flock(c, LOCK_EX | LOCK_NB) ||
	    flock(b, LOCK_SH | LOCK_NB) != -1 || errno != EWOULDBLOCK)
		return 0;
	if (flock(a, LOCK_SH | LOCK_NB) || flock(b, LOCK_SH | LOCK_NB) ||
	    flock(a, LOCK_EX | LOCK_NB) != -1 || errno != EWOULDBLOCK)
		return 0;
	if (flock(b, LOCK_UN) || close(a) || close(c) ||
	    flock(b, LOCK_EX | LOCK_NB))
		return 0;
	return flock(b, 99) == -1 && errno == EINVAL &&
	       flock(-1, LOCK_SH) == -1 && errno == EBADF &&
	       close(b) == 0 && unlink("/tmp/fl") == 0;
}

static volatile int flock_waiter_got_it;

static void *
flock_waiter(void *arg)
{
	if (flock(*(int *)arg, LOCK_EX) == 0)
		flock_waiter_got_it = 1;
	return NULL;
}

/* A blocking flock sleeps until the holder's last close, then gets it. */
static int
flock_waits_for_the_holder(void)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int a = open("/tmp/fw", O_CREAT | O_RDWR, 0644), b = open("/tmp/fw", O_RDWR);
	pthread_t t;
	int waited;

	if (a < 0 || b < 0 || flock(a, LOCK_EX) ||
	    pthread_create(&t, NULL, flock_waiter, &b))
		return 0;
	nanosleep(&pause, NULL);
	waited = !flock_waiter_got_it;
	close(a);
	pthread_join(t, NULL);
	return waited && flock_waiter_got_it && close(b) == 0 &&
	       unlink("/tmp/fw") == 0;
}

static int
bad_pointers(void)
{
	int fd = open("/etc/greeting", O_RDONLY), dir = open("/etc", O_RDONLY);

	return syscall(SYS_openat, AT_FDCWD, (void *)16, O_RDONLY) == -1 &&
	       errno == EFAULT &&
	       syscall(SYS_newfstatat, AT_FDCWD, "/etc", (void *)16, 0) == -1 &&
	       errno == EFAULT &&
	       syscall(SYS_read, fd, (void *)16, 4) == -1 && errno == EFAULT &&
	       syscall(SYS_fstat, fd, (void *)16) == -1 && errno == EFAULT &&
	       syscall(SYS_getdents64, dir, (void *)16, 4096) == -1 &&
	       errno == EFAULT &&
	       syscall(SYS_readlink, "/etc/link", (void *)16, 8) == -1 &&
	       errno == EFAULT &&
	       syscall(SYS_getcwd, (void *)16, 64) == -1 && errno == EFAULT &&
	       syscall(SYS_rename, (void *)16, "/tmp/z") == -1 && errno == EFAULT &&
	       close(fd) == 0 && close(dir) == 0;
}

int
main(int argc, char **argv)
{
	(void)argc;
	printf("KTAP version 1\n1..17\n");
	report("initrd_file_reads_back", initrd_file_reads_back());
	report("tmp_file_write_seek_read", tmp_file_write_seek_read());
	report("append_and_truncate", append_and_truncate());
	report("directories", directories());
	report("links_and_cwd", links_and_cwd());
	report("relative_paths_from_cwd", relative_paths_from_cwd());
	report("descriptors", descriptors());
	report("devices", devices());
	report("rename_and_umask", rename_and_umask());
	report("statx_matches_stat", statx_matches_stat());
	report("proc_and_sys", proc_and_sys(argv[0]));
	report("links_modes_times_locks", links_modes_times_locks());
	report("statfs_reports_the_tree", statfs_reports_the_tree());
	report("owners_are_kept", owners_are_kept());
	report("flock_is_per_open_file", flock_is_per_open_file());
	report("flock_waits_for_the_holder", flock_waits_for_the_holder());
	report("bad_pointers", bad_pointers());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
