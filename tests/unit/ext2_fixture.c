/* ext2 test fixtures (see ext2_fixture.h): the tree, mke2fs images and
 * e2fsprogs checks. */
/* Test code uses libc's formatting, not the kernel's (see unit.h). */
#undef snprintf
#undef vsnprintf
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "ext2_fixture.h"

#define CMD_MAX		2048

static char tmpdir[64];
static char slow_target[FIX_SLOW_TARGET_LEN + 1];

/* 1 KiB blocks: 12 + 256 + 65536 blocks before the triple indirect tree;
 * 4 KiB: 12 + 1024 + 1048576 blocks (4.3 GB). */
static const uint64_t offsets_1k[] = { 0, 20000, 300000, 12000000, 80000000 };
static const uint64_t offsets_4k[] = { 0, 20000, 300000, 12000000,
				       80000000, 4400000000ull };

uint8_t
fix_pattern(uint64_t pos)
{
	return (uint8_t)((pos * 131) ^ (pos >> 9) ^ (pos >> 17));
}

const uint64_t *
fix_sparse_offsets(int bs, int *n)
{
	if (bs >= 4096) {
		*n = sizeof(offsets_4k) / sizeof(offsets_4k[0]);
		return offsets_4k;
	}
	*n = sizeof(offsets_1k) / sizeof(offsets_1k[0]);
	return offsets_1k;
}

uint64_t
fix_sparse_size(int bs)
{
	int n;
	const uint64_t *o = fix_sparse_offsets(bs, &n);

	return o[n - 1] + FIX_CHUNK;
}

const char *
fix_slow_target(void)
{
	if (!slow_target[0]) {
		memset(slow_target, 'x', FIX_SLOW_TARGET_LEN);
		memcpy(slow_target, "sub/", 4);
	}
	return slow_target;
}

static void
remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "ext2 fixture: could not remove %s\n", tmpdir);
}

const char *
fix_tmpdir(void)
{
	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/keel-ext2-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
		if (!getenv("KEEL_KEEP_TMP"))
			atexit(remove_tmpdir);
	}
	return tmpdir;
}

int
fix_run(const char *fmt, ...)
{
	char cmd[CMD_MAX];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
write_at(const char *path, uint64_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0 || pwrite(fd, data, len, (off_t)off) != (ssize_t)len)
		abort();
	close(fd);
}

static void
write_pattern(const char *path, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	for (size_t i = 0; i < len; i++)
		buf[i] = fix_pattern(off + i);
	write_at(path, off, buf, len);
	free(buf);
}

static void
make_tree(const char *root, int bs)
{
	char path[512];
	int n;
	const uint64_t *offs = fix_sparse_offsets(bs, &n);

	fix_run("rm -rf '%s' && mkdir -p '%s/sub/dir/deep' '%s/many'", root,
		root, root);
	snprintf(path, sizeof(path), "%s/hello.txt", root);
	write_at(path, 0, "hello, world\n", 13);
	snprintf(path, sizeof(path), "%s/empty", root);
	write_at(path, 0, "", 0);
	snprintf(path, sizeof(path), "%s/sub/dir/deep/file.txt", root);
	write_at(path, 0, "deep file\n", 10);
	snprintf(path, sizeof(path), "%s/sub/data.bin", root);
	write_pattern(path, 0, FIX_DATA_LEN);
	for (int i = 0; i < FIX_MANY; i++) {
		char line[32];

		snprintf(path, sizeof(path), "%s/many/f%03d", root, i);
		snprintf(line, sizeof(line), "file %d\n", i);
		write_at(path, 0, line, strlen(line));
	}
	snprintf(path, sizeof(path), "%s/sparse", root);
	for (int i = 0; i < n; i++)
		write_pattern(path, offs[i], FIX_CHUNK);
	snprintf(path, sizeof(path), "%s/link_fast", root);
	if (symlink("hello.txt", path) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/link_slow", root);
	if (symlink(fix_slow_target(), path) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/sub/dir", root);
	chmod(path, 0750);
}

const char *
fix_image(int bs, const char *extra, const char *tag)
{
	static char path[16][256];
	static char tags[16][64];
	static int n;
	char root[256];
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(tags[i], tag))
			return path[i];
	if (n == 16)
		return NULL;
	snprintf(root, sizeof(root), "%s/root-%d", fix_tmpdir(), bs);
	make_tree(root, bs);
	snprintf(path[n], sizeof(path[n]), "%s/%s.img", fix_tmpdir(), tag);
	if (fix_run("mke2fs -q -F -t ext2 -b %d %s -d '%s' '%s' %s >&2", bs,
		    extra, root, path[n], bs == 1024 ? "8M" : "16M") != 0)
		return NULL;
	snprintf(tags[n], sizeof(tags[n]), "%s", tag);
	return path[n++];
}

int
fix_fsck(const char *img)
{
	int r = fix_run("e2fsck -fn '%s' > '%s.fsck' 2>&1", img, img);

	if (r != 0)
		fix_run("cat '%s.fsck' >&2", img);
	return r;
}

uint8_t *
fix_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

char *
fix_debugfs_cat(const char *img, const char *path, size_t *len)
{
	char out[512];

	snprintf(out, sizeof(out), "%s.cat", img);
	if (fix_run("debugfs -R 'cat %s' '%s' > '%s' 2>/dev/null", path, img,
		    out) != 0)
		return NULL;
	return (char *)fix_read_file(out, len);
}
