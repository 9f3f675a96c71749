/* Helpers the ext2 host tests share: paths, whole-file reads, entry
 * counts (see ext2_test.h). */
#include "unit.h"
#include <stdlib.h>
#include <keel/errno.h>
#include <keel/ext2.h>
#include "ext2_host.h"
#include "ext2_test.h"

struct host_disk *
t_load(const char *img)
{
	struct host_disk *d = host_disk_load(img);

	CHECK(d != NULL);
	return d;
}

uint32_t
t_path(struct ext2_fs *fs, const char *path)
{
	uint32_t ino = EXT2_ROOT_INODE;
	char buf[512], *save, *part;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		int r = ext2_lookup(fs, ino, part, strlen(part), &ino);

		if (r < 0)
			return 0;
	}
	return ino;
}

uint8_t *
t_read_all(struct ext2_fs *fs, uint32_t ino, size_t *len)
{
	struct ext2_attr a;
	uint8_t *buf;
	long r;

	if (ext2_getattr(fs, ino, &a) < 0)
		return NULL;
	buf = malloc(a.size + 1);
	r = ext2_read(fs, ino, buf, a.size, 0);
	CHECK_EQ(r, (long)a.size);
	*len = a.size;
	return buf;
}

bool
t_content_is(struct ext2_fs *fs, const char *path, const char *want)
{
	size_t len;
	uint32_t ino = t_path(fs, path);
	uint8_t *got = ino ? t_read_all(fs, ino, &len) : NULL;
	bool ok = got && len == strlen(want) && !memcmp(got, want, len);

	free(got);
	return ok;
}

int
t_collect_name(void *arg, const char *name, size_t len, uint32_t ino,
	     unsigned int type)
{
	struct names *s = arg;

	(void)ino, (void)type;
	if (s->n == 256 || len >= 64)
		return 1;
	memcpy(s->name[s->n], name, len);
	s->name[s->n++][len] = '\0';
	return 0;
}

static int
count_one(void *arg, const char *name, size_t len, uint32_t ino,
	  unsigned int type)
{
	(void)name, (void)len, (void)ino, (void)type;
	++*(int *)arg;
	return 0;
}

int
t_count_entries(struct ext2_fs *fs, uint32_t dir)
{
	uint64_t cookie = 0;
	int n = 0;

	if (ext2_readdir(fs, dir, &cookie, count_one, &n) < 0)
		return -1;
	return n;
}
