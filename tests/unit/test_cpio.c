/* Host tests for exec/cpio.c: archives written by the real GNU cpio (newc
 * and its crc variant) read back to match the files they came from; every
 * truncation and corrupted field fails with -EINVAL and a reason. */
#include "unit.h"
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <keel/cpio.h>
#include <keel/errno.h>

#define HDR_LEN		110
#define FIELD(i)	(6 + 8 * (i))	/* offset of the i-th hex field */
#define NFIELDS		13
#define F_FILESIZE	6
#define F_NAMESIZE	11
#define LONG_NAME_LEN	200
#define DATA_LEN	1001
#define RANDOM_ROUNDS	20000
#define MAX_ENTRIES	1000

struct archive {
	uint8_t *data;
	size_t len;
};

static char tmpdir[64];
static char root[96];
static struct archive newc, crc;
static int nfiles;	/* entries find(1) listed, "." included */

/* --- fixtures ---------------------------------------------------------- */

static void
write_file(const char *rel, const void *data, size_t len, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
	chmod(path, mode);
}

static void
remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_cpio: could not remove %s\n", tmpdir);
}

static void
make_tree(void)
{
	char data[DATA_LEN], name[LONG_NAME_LEN + 8], path[512];

	for (int i = 0; i < DATA_LEN; i++)
		data[i] = (char)(i * 7);
	snprintf(root, sizeof(root), "%s/root", tmpdir);
	mkdir(root, 0755);
	write_file("hello.txt", "hello, world\n", 13, 0644);
	write_file("empty", "", 0, 0600);
	write_file("run.sh", "#!/bin/sh\n", 10, 0755);
	snprintf(path, sizeof(path), "%s/sub", root);
	mkdir(path, 0750);
	write_file("sub/data", data, DATA_LEN, 0644);
	memset(name, 'n', sizeof(name));
	memcpy(name, "sub/", 4);
	name[LONG_NAME_LEN] = '\0';
	write_file(name, "x", 1, 0644);
	snprintf(path, sizeof(path), "%s/link", root);
	CHECK(symlink("hello.txt", path) == 0);
	nfiles = 8;
}

static void
read_archive(const char *path, struct archive *a)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	CHECK(f != NULL);
	if (!f)
		return;
	fstat(fileno(f), &st);
	a->len = st.st_size;
	a->data = malloc(a->len);
	CHECK(fread(a->data, 1, a->len, f) == a->len);
	fclose(f);
}

/* Packs the tree with GNU cpio once, in both formats. */
static int
fixtures(void)
{
	static int done;
	char cmd[512], path[128];

	if (done++)
		return newc.data != NULL;
	strcpy(tmpdir, "/tmp/keel-cpio-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 0;
	atexit(remove_tmpdir);
	make_tree();
	for (int i = 0; i < 2; i++) {
		const char *fmt = i ? "crc" : "newc";

		snprintf(cmd, sizeof(cmd), "cd '%s' && find . | LC_ALL=C sort | "
			 "cpio -o -H %s --quiet > ../a.%s", root, fmt, fmt);
		if (system(cmd) != 0) {
			CHECK(!"cpio -o failed (is the cpio package installed?)");
			return 0;
		}
		snprintf(path, sizeof(path), "%s/a.%s", tmpdir, fmt);
		read_archive(path, i ? &crc : &newc);
	}
	return newc.data != NULL && crc.data != NULL;
}

/* --- helpers ----------------------------------------------------------- */

/* Reads every entry of a[0, len) from a heap copy of exactly len bytes, so
 * ASan sees any overread. Returns the last cpio_next() result. */
static int
walk(const uint8_t *data, size_t len, int *entries, const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct cpio_entry e;
	size_t off = 0, plen;
	int r;

	memcpy(copy, data, len);
	*entries = 0;
	*why = NULL;
	while ((r = cpio_next(copy, len, &off, &e, why)) == 1 &&
	       *entries < MAX_ENTRIES) {
		const uint8_t *d = e.data;

		CHECK(d >= copy && e.size <= len - (size_t)(d - copy));
		CHECK(off <= len);
		CHECK(strlen(e.name) == e.namelen);
		CHECK(strlen(cpio_entry_path(&e, &plen)) == plen);
		(*entries)++;
	}
	CHECK(r == 1 || r == 0 || (r == -EINVAL && *why != NULL));
	free(copy);
	return r;
}

/* Offset of the header of the entry named name, or -1. */
static long
find_entry(const struct archive *a, const char *name)
{
	struct cpio_entry e;
	size_t off = 0, at;
	const char *why;

	for (at = off; cpio_next(a->data, a->len, &off, &e, &why) == 1;
	     at = off)
		if (!strcmp(e.name, name))
			return (long)at;
	return -1;
}

/* Writes 8 hex digits into field i of the header at hdr. */
static void
put_field(uint8_t *hdr, int i, const char *hex8)
{
	memcpy(hdr + FIELD(i), hex8, 8);
}

/* Copies a, lets edit change the copy at the header of entry name, and
 * expects the walk to fail with reason. */
static void
expect_walk_error(const struct archive *a, const char *name, int field,
		  const char *hex8, const char *reason)
{
	uint8_t *copy = malloc(a->len);
	long at = find_entry(a, name);
	const char *why;
	int n;

	CHECK(at >= 0);
	if (at < 0) {
		free(copy);
		return;
	}
	memcpy(copy, a->data, a->len);
	if (field >= 0)
		put_field(copy + at, field, hex8);
	else
		memcpy(copy + at, hex8, 6);	/* the magic */
	CHECK_EQ(walk(copy, a->len, &n, &why), -EINVAL);
	CHECK_STR(why, reason);
	free(copy);
}

/* --- reading real archives --------------------------------------------- */

/* Compares one entry with the file it was made from. */
static void
check_entry(const struct cpio_entry *e)
{
	char path[512], target[64];
	size_t plen;
	const char *rel = cpio_entry_path(e, &plen);
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	CHECK(lstat(path, &st) == 0);
	CHECK_EQ(e->mode, st.st_mode);
	CHECK_EQ(e->uid, st.st_uid);
	CHECK_EQ(e->gid, st.st_gid);
	CHECK_EQ(e->mtime, (uint32_t)st.st_mtime);
	CHECK_EQ(e->nlink, st.st_nlink);
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target));
		CHECK_EQ(e->size, n);
		CHECK(n > 0 && !memcmp(e->data, target, n));
	} else if (S_ISREG(st.st_mode)) {
		FILE *f = fopen(path, "rb");
		char *buf = malloc(st.st_size + 1);

		CHECK_EQ(e->size, st.st_size);
		CHECK(fread(buf, 1, st.st_size, f) == (size_t)st.st_size);
		CHECK(!memcmp(buf, e->data, st.st_size));
		free(buf);
		fclose(f);
	} else {
		CHECK(S_ISDIR(st.st_mode));
		CHECK_EQ(e->size, 0);
	}
}

static void
read_back(const struct archive *a)
{
	struct cpio_entry e;
	size_t off = 0;
	const char *why = NULL;
	int r, n = 0, kinds = 0;

	while ((r = cpio_next(a->data, a->len, &off, &e, &why)) == 1) {
		check_entry(&e);
		kinds |= S_ISREG(e.mode) << 0 | S_ISDIR(e.mode) << 1 |
			 S_ISLNK(e.mode) << 2 | (e.size == 0) << 3 |
			 (e.namelen >= LONG_NAME_LEN) << 4;
		n++;
	}
	CHECK_EQ(r, 0);
	if (r)
		printf("    # %s\n", why);
	CHECK_STR(e.name, "TRAILER!!!");
	CHECK_EQ(n, nfiles);
	CHECK_EQ(kinds, 0x1f);
	CHECK(off <= a->len && off % 4 == 0);
}

TEST(reads_newc_archive)
{
	if (fixtures())
		read_back(&newc);
}

TEST(reads_crc_archive)
{
	if (fixtures())
		read_back(&crc);
	CHECK(crc.data && !memcmp(crc.data, "070702", 6));
}

TEST(reads_uppercase_hex)
{
	uint8_t *copy;
	struct cpio_entry e, ref;
	size_t off = 0;
	const char *why;

	if (!fixtures())
		return;
	copy = malloc(newc.len);
	memcpy(copy, newc.data, newc.len);
	for (int i = 6; i < HDR_LEN; i++)
		if (copy[i] >= 'a' && copy[i] <= 'f')
			copy[i] -= 'a' - 'A';
	CHECK_EQ(cpio_next(copy, newc.len, &off, &e, &why), 1);
	off = 0;
	CHECK_EQ(cpio_next(newc.data, newc.len, &off, &ref, &why), 1);
	CHECK_EQ(e.ino, ref.ino);
	CHECK_EQ(e.mtime, ref.mtime);
	CHECK_EQ(e.mode, ref.mode);
	free(copy);
}

TEST(entry_path_normalizes_prefixes)
{
	static const struct { const char *raw, *path; } cases[] = {
		{ ".", "" }, { "./", "" }, { "/", "" }, { "", "" },
		{ "./bin/sh", "bin/sh" }, { "/bin/sh", "bin/sh" },
		{ "bin/sh", "bin/sh" }, { ".//./etc", "etc" },
		{ "../x", "../x" }, { "..", ".." }, { ".hidden", ".hidden" },
		{ "./.", "" },
	};
	struct cpio_entry e;
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.name = cases[i].raw;
		e.namelen = strlen(cases[i].raw);
		CHECK_STR(cpio_entry_path(&e, &len), cases[i].path);
		CHECK_EQ(len, strlen(cases[i].path));
	}
}

/* --- corruption -------------------------------------------------------- */

/* Offset just past the trailer's name: the shortest prefix that reads. */
static size_t
trailer_end(const struct archive *a)
{
	struct cpio_entry e;
	size_t off = 0, at = 0;
	const char *why;

	while (cpio_next(a->data, a->len, &off, &e, &why) == 1)
		at = off;
	return at + HDR_LEN + sizeof("TRAILER!!!");
}

TEST(rejects_every_truncation)
{
	const struct archive *as[] = { &newc, &crc };
	const char *why;
	int n;

	if (!fixtures())
		return;
	for (int k = 0; k < 2; k++) {
		size_t need = trailer_end(as[k]);

		for (size_t len = 0; len <= as[k]->len; len++) {
			int r = walk(as[k]->data, len, &n, &why);

			CHECK_EQ(r, len < need ? -EINVAL : 0);
		}
	}
}

TEST(rejects_bad_magic_and_hex)
{
	static const char *bad[] = { "0000000g", "       1", "-0000001",
				     "0x000001", "0000000\n" };

	if (!fixtures())
		return;
	expect_walk_error(&newc, ".", -1, "070707", "bad magic");
	expect_walk_error(&newc, "hello.txt", -1, "\0\0\0\0\0\0", "bad magic");
	for (int f = 0; f < NFIELDS; f++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			expect_walk_error(&newc, "sub/data", f, bad[i],
					  "bad hex field");
}

TEST(rejects_bad_sizes_and_names)
{
	if (!fixtures())
		return;
	expect_walk_error(&newc, "hello.txt", F_FILESIZE, "FFFFFFFF",
			  "data past the end");
	expect_walk_error(&newc, "hello.txt", F_FILESIZE, "00100000",
			  "data past the end");
	expect_walk_error(&newc, "hello.txt", F_NAMESIZE, "00000000",
			  "empty name");
	expect_walk_error(&newc, "hello.txt", F_NAMESIZE, "00001001",
			  "name too long");
	expect_walk_error(&newc, "hello.txt", F_NAMESIZE, "ffffffff",
			  "name too long");
	/* One byte short: the last name byte is a letter, not the NUL. */
	expect_walk_error(&newc, "hello.txt", F_NAMESIZE, "00000009",
			  "name not terminated");
	/* Longer: a NUL inside the name. */
	expect_walk_error(&newc, "hello.txt", F_NAMESIZE, "0000000c",
			  "name not terminated");
}

TEST(rejects_name_past_end_and_bad_offset)
{
	struct cpio_entry e;
	const char *why;
	size_t off;

	if (!fixtures())
		return;
	off = 0;	/* "." has a 2-byte name; cut inside it */
	CHECK_EQ(cpio_next(newc.data, HDR_LEN + 1, &off, &e, &why), -EINVAL);
	CHECK_STR(why, "name past the end");
	off = newc.len;
	CHECK_EQ(cpio_next(newc.data, newc.len, &off, &e, &why), -EINVAL);
	CHECK_STR(why, "missing trailer");
	off = newc.len + 1;
	CHECK_EQ(cpio_next(newc.data, newc.len, &off, &e, &why), -EINVAL);
	CHECK_STR(why, "truncated header");
	off = 0;
	CHECK_EQ(cpio_next(newc.data, 0, &off, &e, NULL), -EINVAL);
}

TEST(rejects_crc_mismatch)
{
	uint8_t *copy;
	long at;
	const char *why;
	int n;

	if (!fixtures())
		return;
	at = find_entry(&crc, "hello.txt");
	CHECK(at >= 0);
	if (at < 0)
		return;
	copy = malloc(crc.len);
	memcpy(copy, crc.data, crc.len);
	/* The data starts after the header and name, padded to 4. */
	copy[at + ((HDR_LEN + sizeof("hello.txt") + 3) & ~3UL)] ^= 1;
	CHECK_EQ(walk(copy, crc.len, &n, &why), -EINVAL);
	CHECK_STR(why, "checksum mismatch");
	free(copy);
}

/* Random bit flips anywhere: a reason or valid entries, never a crash. */
TEST(random_corruption)
{
	uint8_t *copy;
	const char *why;
	int n, ok = 0;

	if (!fixtures())
		return;
	copy = malloc(newc.len > crc.len ? newc.len : crc.len);
	srand(7);
	for (int round = 0; round < RANDOM_ROUNDS; round++) {
		const struct archive *a = round & 1 ? &crc : &newc;

		memcpy(copy, a->data, a->len);
		for (int i = 0, flips = 1 + rand() % 3; i < flips; i++)
			copy[rand() % a->len] ^= 1u << (rand() % 8);
		ok += walk(copy, a->len, &n, &why) == 0;
	}
	free(copy);
	printf("    # %d of %d corrupted archives still read\n", ok,
	       RANDOM_ROUNDS);
}
