/* libFuzzer target for fs/ext2 and the block cache: any input is a disk.
 * It is mounted read-only and walked (every directory, file and link),
 * then a copy is mounted read-write, walked and changed. Every step must
 * end in a result or an error code; ASan and UBSan catch the rest. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include <keel/ext2.h>
#include "../unit/ext2_host.h"

/* Console output would only slow the fuzzer down. */
int
printk(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

static uint32_t
lookup(struct ext2_fs *fs, const char *name)
{
	uint32_t ino = 0;

	ext2_lookup(fs, EXT2_ROOT_INODE, name, strlen(name), &ino);
	return ino;
}

static void
churn(struct ext2_fs *fs)
{
	uint32_t root = EXT2_ROOT_INODE, ino = 0, orphan = 0;
	static const char data[3000] = { 1, 2, 3 };
	long errors;

	if (ext2_create(fs, root, "nf", 2, 0100644, 0, 0, 0, &ino) == 0)
		ext2_write(fs, ino, data, sizeof(data), 300000);
	ext2_mkdir(fs, root, "nd", 2, 0755, 0, 0, &ino);
	if (lookup(fs, "dir"))
		ext2_rename(fs, root, "nd", 2, lookup(fs, "dir"), "m", 1,
			    &orphan);
	if (orphan)
		ext2_inode_release(fs, orphan);
	orphan = 0;
	if (ext2_unlink(fs, root, "file", 4, &orphan) == 0 && orphan)
		ext2_inode_release(fs, orphan);
	orphan = 0;
	if (ext2_rename(fs, root, "nf", 2, root, "sparse", 6, &orphan) == 0 &&
	    orphan)
		ext2_inode_release(fs, orphan);
	if (lookup(fs, "sparse"))
		ext2_truncate(fs, lookup(fs, "sparse"), 100);
	ext2_symlink(fs, root, "ns", 2, data, 100, 0, 0, &ino);
	ext2_fsync(fs, ino);
	host_ext2_walk(fs, &errors);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_disk *d = host_disk_new(data, size);
	struct ext2_fs *fs;
	long errors;

	d->bd.read_only = true;
	if (ext2_mount(&d->bd, 0, &fs) == 0) {
		if (!ext2_is_read_only(fs))
			abort();
		host_ext2_walk(fs, &errors);
		ext2_unmount(fs);
	}
	d->bd.read_only = false;
	if (ext2_mount(&d->bd, 0, &fs) == 0) {
		if (!ext2_is_read_only(fs))
			churn(fs);
		ext2_unmount(fs);
	}
	host_disk_free(d);
	return 0;
}
