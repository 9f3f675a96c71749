/* Fixtures for the ext2 host tests: a source tree with known contents,
 * images made from it by the real mke2fs -d, and the e2fsprogs checks
 * (e2fsck -fn, debugfs cat) run on images the tests wrote. */
#ifndef KEEL_EXT2_FIXTURE_H
#define KEEL_EXT2_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#define FIX_DATA_LEN		50000	/* sub/data.bin: indirect too */
#define FIX_MANY		100	/* many/fNNN: a multi-block dir */
#define FIX_SLOW_TARGET_LEN	120
#define FIX_CHUNK		5000	/* data at each sparse offset */

/* The byte at @pos of sub/data.bin and of the sparse file's chunks. */
uint8_t
fix_pattern(uint64_t pos);
/* Offsets of the sparse file's data chunks; the last ones need double
 * and triple indirect blocks at block size @bs. */
const uint64_t *
fix_sparse_offsets(int bs, int *n);
uint64_t
fix_sparse_size(int bs);
const char *
fix_slow_target(void);

/* A temporary directory removed at exit. */
const char *
fix_tmpdir(void);
/* Makes (once per block size) and returns the image "ext2-<bs>.img" made
 * with @extra mke2fs options; NULL on failure. */
const char *
fix_image(int bs, const char *extra, const char *tag);
/* Runs a shell command; its exit status. */
int
fix_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* e2fsck -fn on @img: 0 when clean; prints its report otherwise. */
int
fix_fsck(const char *img);
/* The contents of @path in @img as debugfs cats them (malloc'd). */
char *
fix_debugfs_cat(const char *img, const char *path, size_t *len);
/* The whole of @path (malloc'd), NULL if missing. */
uint8_t *
fix_read_file(const char *path, size_t *len);

#endif
