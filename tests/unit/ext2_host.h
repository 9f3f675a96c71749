/* Host stand-ins the ext2 and block cache code needs outside the kernel:
 * kmalloc on malloc, the wall clock, and a RAM disk implementing
 * blkdev_read/write/flush with injectable errors, a write log and a log
 * of every request (to count multi-block requests), loaded
 * from and saved to image files. Shared by test_ext2, test_bcache and
 * the ext2 fuzz target. */
#ifndef KEEL_EXT2_HOST_H
#define KEEL_EXT2_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <keel/blkdev.h>

#define HOST_DISK_LOG_MAX	65536
#define HOST_LOG_FLUSH		UINT64_MAX	/* a flush in the write log */
#define HOST_REQ_MAX		16384

/* One request as the device saw it: 'R'ead, 'W'rite (only those that
 * reached the disk, as in log) or 'F'lush, and the sectors it spanned. */
struct host_req {
	char op;
	uint64_t lba;
	uint32_t count;
};

struct host_disk {
	struct blkdev bd;
	uint8_t *mem;
	size_t len;
	uint64_t fail_lba;	/* reads or writes touching it fail ... */
	bool fail_reads, fail_writes;	/* ... when these are set */
	uint64_t log[HOST_DISK_LOG_MAX];	/* first LBA of each write */
	size_t nlog;
	struct host_req req[HOST_REQ_MAX];	/* every request, in order */
	size_t nreq;
	uint64_t nreads, nwrites;
	uint64_t cut_after;	/* power cut: later writes silently vanish */
	/* Non-zero: the write the cut falls on is torn, its first half (in
	 * units of this many sectors) reaching the disk, as a multi-block
	 * request may on real hardware. */
	uint32_t tear_align;
};

/* A disk holding @len bytes of @data (copied); @len is rounded down to
 * whole sectors. */
struct host_disk *
host_disk_new(const void *data, size_t len);
struct host_disk *
host_disk_load(const char *path);
int
host_disk_save(const struct host_disk *d, const char *path);
void
host_disk_free(struct host_disk *d);



struct ext2_fs;
/* Visits the whole tree under the root: every directory read, every
 * file's first and last bytes, every link target; bounded in depth and
 * entries, so a corrupt image cannot make it run forever. Returns the
 * number of inodes visited, counting errors in *@errors. */
long
host_ext2_walk(struct ext2_fs *fs, long *errors);
#endif
