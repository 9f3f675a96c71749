/* The mount table as a program sees it: each pseudo file system on its
 * directory with its own device and statfs type, ".." across mount
 * points, no renames or links between them, /proc/mounts and
 * /proc/self/fd. KTAP; exit status is the number of failed cases. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "ktap.h"

#define RAMFS_MAGIC	0x858458f6
#define TMPFS_MAGIC	0x01021994
#define PROC_MAGIC	0x9fa0
#define SYSFS_MAGIC	0x62656572

static int
read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

static int
proc_mounts_lists_each(void)
{
	char text[1024];

	return read_text("/proc/mounts", text, sizeof(text)) > 0 &&
	       strstr(text, "rootfs / rootfs rw 0 0\n") == text &&
	       strstr(text, "devtmpfs /dev devtmpfs rw 0 0\n") &&
	       strstr(text, "proc /proc proc rw 0 0\n") &&
	       strstr(text, "sysfs /sys sysfs rw 0 0\n") &&
	       strstr(text, "tmpfs /tmp tmpfs rw 0 0\n");
}

static int
statfs_type_is(const char *path, long type)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == type;
}

static int
each_mount_is_its_own_fs(void)
{
	struct stat root, tmp, dev, greeting;

	return stat("/", &root) == 0 && stat("/tmp", &tmp) == 0 &&
	       stat("/dev/null", &dev) == 0 && stat("/etc/greeting", &greeting) == 0 &&
	       root.st_dev != tmp.st_dev && root.st_dev != dev.st_dev &&
	       tmp.st_dev != dev.st_dev && greeting.st_dev == root.st_dev &&
	       statfs_type_is("/", RAMFS_MAGIC) && statfs_type_is("/tmp", TMPFS_MAGIC) &&
	       statfs_type_is("/dev", TMPFS_MAGIC) &&
	       statfs_type_is("/proc/self", PROC_MAGIC) &&
	       statfs_type_is("/sys/devices", SYSFS_MAGIC);
}

static int
dotdot_crosses_mount_points(void)
{
	struct stat root, up, tmp_up;
	char cwd[64];

	if (stat("/", &root) || stat("/tmp/..", &tmp_up) ||
	    stat("/proc/self/../..", &up))
		return 0;
	if (chdir("/tmp") || !getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/tmp"))
		return 0;
	if (mkdir("/tmp/sub", 0755) || chdir("sub") || !getcwd(cwd, sizeof(cwd)) ||
	    strcmp(cwd, "/tmp/sub") || chdir("../..") || !getcwd(cwd, sizeof(cwd)) ||
	    strcmp(cwd, "/"))
		return 0;
	return tmp_up.st_ino == root.st_ino && tmp_up.st_dev == root.st_dev &&
	       up.st_ino == root.st_ino && rmdir("/tmp/sub") == 0;
}

/* rename(2) and link(2) never move data between file systems (mv copies);
 * a mount point cannot be removed or renamed while mounted. */
static int
no_renames_across_mounts(void)
{
	int fd = open("/tmp/moved", O_CREAT | O_WRONLY, 0644);

	if (fd < 0 || close(fd))
		return 0;
	return rename("/tmp/moved", "/moved") == -1 && errno == EXDEV &&
	       link("/tmp/moved", "/hard") == -1 && errno == EXDEV &&
	       rename("/etc/greeting", "/tmp/greeting") == -1 && errno == EXDEV &&
	       rmdir("/tmp") == -1 && errno == EBUSY &&
	       rename("/proc", "/proc2") == -1 && errno == EBUSY &&
	       access("/etc/greeting", F_OK) == 0 && unlink("/tmp/moved") == 0;
}

static int
fd_link_is(int fd, const char *want)
{
	char path[64], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return want[strlen(want) - 1] == '*' ?
	       strncmp(target, want, strlen(want) - 1) == 0 : strcmp(target, want) == 0;
}

/* Lists the descriptors in /proc/self/fd: true if @fd is there. */
static int
fd_dir_lists(int fd)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = 0;

	while (d && (e = readdir(d)) != NULL)
		if (e->d_type == DT_LNK && atoi(e->d_name) == fd)
			found = 1;
	return d && closedir(d) == 0 && found;
}

static int
proc_self_fd_names_open_files(void)
{
	int fd = open("/etc/greeting", O_RDONLY), p[2], dir, again;
	char buf[16] = { 0 }, path[32];

	if (fd < 0 || pipe(p))
		return 0;
	if (!fd_link_is(fd, "/etc/greeting") || !fd_link_is(p[0], "pipe:[*") ||
	    !fd_link_is(1, "/dev/console") || !fd_dir_lists(fd) || !fd_dir_lists(p[1]))
		return 0;
	/* Opening the link opens the file it names. */
	snprintf(buf, sizeof(buf), "%d", fd);
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	again = openat(dir, buf, O_RDONLY);
	if (dir < 0 || again < 0 || read(again, buf, 5) != 5 || memcmp(buf, "hello", 5))
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", again);
	if (close(again) || close(dir) || close(p[0]) || close(p[1]))
		return 0;
	return readlink(path, buf, sizeof(buf)) == -1 && errno == ENOENT &&
	       close(fd) == 0;
}

/* Generated files cannot be mapped (Linux: ENODEV), and reading one
 * while the tree is busy elsewhere does not wedge anything. */
static int
proc_files_cannot_be_mapped(void)
{
	int fd = open("/proc/mounts", O_RDONLY);
	void *p = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);

	return fd >= 0 && p == MAP_FAILED && errno == ENODEV && close(fd) == 0;
}

/* A removed working directory still answers "." but takes no new names,
 * and getcwd says it is gone, as on Linux. */
static int
removed_cwd(void)
{
	char buf[64];
	struct stat st;

	if (mkdir("/tmp/gone", 0755) || chdir("/tmp/gone") || rmdir("/tmp/gone"))
		return 0;
	return stat(".", &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink == 0 &&
	       getcwd(buf, sizeof(buf)) == NULL && errno == ENOENT &&
	       open("new", O_CREAT | O_WRONLY, 0644) == -1 && errno == ENOENT &&
	       mkdir("sub", 0755) == -1 && errno == ENOENT &&
	       chdir("/") == 0 && getcwd(buf, sizeof(buf)) && strcmp(buf, "/") == 0;
}

int
main(void)
{
	printf("KTAP version 1\n1..7\n");
	report("proc_mounts_lists_each", proc_mounts_lists_each());
	report("each_mount_is_its_own_fs", each_mount_is_its_own_fs());
	report("dotdot_crosses_mount_points", dotdot_crosses_mount_points());
	report("no_renames_across_mounts", no_renames_across_mounts());
	report("proc_self_fd_names_open_files", proc_self_fd_names_open_files());
	report("proc_files_cannot_be_mapped", proc_files_cannot_be_mapped());
	report("removed_cwd", removed_cwd());
	printf("# %d failed\n", ktap_failed);
	return ktap_failed;
}
