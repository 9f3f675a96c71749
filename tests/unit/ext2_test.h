/* Helpers the ext2 host tests share (defined in test_ext2.c). */
#ifndef KEEL_EXT2_TEST_H
#define KEEL_EXT2_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ext2_fs;
struct host_disk;

struct host_disk *
t_load(const char *img);
/* The inode of absolute @path, 0 if it cannot be found. */
uint32_t
t_path(struct ext2_fs *fs, const char *path);
uint8_t *
t_read_all(struct ext2_fs *fs, uint32_t ino, size_t *len);
bool
t_content_is(struct ext2_fs *fs, const char *path, const char *want);
struct names {
	int n;
	char name[256][64];
};
/* ext2_readdir() callback filling a struct names. */
int
t_collect_name(void *arg, const char *name, size_t len, uint32_t ino,
	       unsigned int type);
int
t_count_entries(struct ext2_fs *fs, uint32_t dir);

#endif
