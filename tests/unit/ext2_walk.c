/* A bounded walk over a mounted ext2 tree (see ext2_host.h), for the
 * corruption tests and the fuzz target: exercises lookup, readdir,
 * getattr, read and readlink on whatever the image holds. */
#include <stdlib.h>
#include <string.h>
#include <keel/ext2.h>
#include <keel/errno.h>
#include "ext2_host.h"

#define WALK_MAX_DEPTH		16
#define WALK_MAX_ENTRIES	256	/* per directory */
#define WALK_MAX_VISITS		2048
#define WALK_READ_LEN		8192
#define WALK_LINK_LEN		4096

struct walk_dir {
	uint32_t ino[WALK_MAX_ENTRIES];
	char name[WALK_MAX_ENTRIES][256];
	size_t len[WALK_MAX_ENTRIES];
	int n;
};

struct walk {
	struct ext2_fs *fs;
	long visits, errors;
};

static int
collect(void *arg, const char *name, size_t len, uint32_t ino,
	unsigned int type)
{
	struct walk_dir *d = arg;

	(void)type;
	if (d->n == WALK_MAX_ENTRIES)
		return 1;
	if (len > 255)
		abort();	/* ext2 promised names of at most 255 bytes */
	memcpy(d->name[d->n], name, len);
	d->len[d->n] = len;
	d->ino[d->n++] = ino;
	return 0;
}

static void
visit_file(struct walk *w, uint32_t ino, const struct ext2_attr *a)
{
	static char buf[WALK_READ_LEN];
	long r;

	r = ext2_read(w->fs, ino, buf, sizeof(buf), 0);
	if (r < 0 || r > (long)sizeof(buf))
		w->errors++;
	if (a->size > sizeof(buf)) {
		r = ext2_read(w->fs, ino, buf, sizeof(buf), a->size - 100);
		if (r < 0 || r > 100)
			w->errors++;
	}
}

static void walk_dir(struct walk *w, uint32_t dir, int depth);

static void
visit(struct walk *w, uint32_t ino, int depth)
{
	static char target[WALK_LINK_LEN];
	struct ext2_attr a;
	long r;

	if (++w->visits > WALK_MAX_VISITS)
		return;
	if (ext2_getattr(w->fs, ino, &a) < 0) {
		w->errors++;
		return;
	}
	switch (a.mode & 0170000) {
	case 0040000:
		if (depth < WALK_MAX_DEPTH)
			walk_dir(w, ino, depth + 1);
		break;
	case 0100000:
		visit_file(w, ino, &a);
		break;
	case 0120000:
		r = ext2_readlink(w->fs, ino, target, sizeof(target));
		if (r < 0 || r > (long)sizeof(target))
			w->errors++;
		break;
	}
}

static void
walk_dir(struct walk *w, uint32_t dir, int depth)
{
	struct walk_dir *d = calloc(1, sizeof(*d));
	uint64_t cookie = 0;
	uint32_t ino;

	if (ext2_readdir(w->fs, dir, &cookie, collect, d) < 0)
		w->errors++;
	for (int i = 0; i < d->n; i++) {
		if ((d->len[i] == 1 && d->name[i][0] == '.') ||
		    (d->len[i] == 2 && !memcmp(d->name[i], "..", 2)))
			continue;
		if (ext2_lookup(w->fs, dir, d->name[i], d->len[i], &ino) < 0)
			w->errors++;
		visit(w, d->ino[i], depth);
	}
	free(d);
}

long
host_ext2_walk(struct ext2_fs *fs, long *errors)
{
	struct walk w = { fs, 0, 0 };

	visit(&w, EXT2_ROOT_INODE, 0);
	*errors = w.errors;
	return w.visits;
}
