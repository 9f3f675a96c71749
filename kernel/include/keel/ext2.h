/* ext2: a read-write implementation of the second extended file system on
 * a block device, addressed by inode number; the VFS glue maps vnodes onto
 * it. Locking: none inside. The caller serializes every call on one
 * mounted fs with one lock (calls on different mounts are independent).
 * Every call may sleep (block I/O). Errors are negative errno values; a
 * corrupt structure on disk is reported on the console and gives -EIO.
 *
 * Lifetime: an inode whose last name goes (unlink, rmdir, rename over it)
 * stays allocated until ext2_inode_release(): the VFS calls it when the
 * last open file or reference goes, so open-but-unlinked files work. */
#ifndef KEEL_EXT2_H
#define KEEL_EXT2_H

#include <keel/compiler.h>

struct blkdev;
struct ext2_fs;

#define EXT2_ROOT_INODE		2
#define EXT2_MOUNT_RDONLY	0x1

struct ext2_attr {
	uint32_t ino;
	uint32_t mode;			/* type and permissions, st_mode bits */
	uint32_t nlink;
	uint32_t uid, gid;
	uint32_t rdev;			/* devices: major << 8 | minor */
	uint64_t size;
	uint64_t blocks;		/* 512-byte units allocated */
	uint64_t atime_ns, mtime_ns, ctime_ns;
};

/* ext2_setattr(): which fields of struct ext2_attr to set. */
#define EXT2_ATTR_MODE		0x01	/* permission bits only */
#define EXT2_ATTR_UID		0x02
#define EXT2_ATTR_GID		0x04
#define EXT2_ATTR_ATIME		0x08
#define EXT2_ATTR_MTIME		0x10
#define EXT2_ATTR_CTIME		0x20

struct ext2_statfs {
	uint32_t block_size;
	uint64_t blocks, blocks_free, blocks_avail;	/* avail: non-root */
	uint64_t files, files_free;
	uint32_t name_max;
};

/* Called by ext2_readdir() for each entry; a non-zero return stops the
 * walk before this entry is consumed. @type is a DT_* value (EXT2_FT_*
 * mapped to dirent d_type numbers; 0 when unknown). @name is not
 * NUL-terminated. It runs with a cache block held: it must not call back
 * into the same fs. */
typedef int (*ext2_filldir_fn)(void *arg, const char *name, size_t len,
			       uint32_t ino, unsigned int type);

/* Validates the superblock and group descriptors and mounts @bd. Read-only
 * when asked, when the device is, or when the fs has read-only-compatible
 * features we do not know; refuses unknown incompatible features and a
 * journal that needs recovery. A read-write mount marks the fs not clean
 * until unmount. */
int
ext2_mount(struct blkdev *bd, int flags, struct ext2_fs **out);
/* Writes everything back, marks the fs clean and frees it (also on error,
 * which is returned). Release orphans (ext2_inode_release) first: one left
 * behind is found and freed by the next e2fsck. */
int
ext2_unmount(struct ext2_fs *fs);
/* Writes every dirty block back in crash-safe order, then flushes. */
int
ext2_sync(struct ext2_fs *fs);
bool
ext2_is_read_only(const struct ext2_fs *fs);
/* drop_caches: forgets the clean cached blocks (the next reads go to the
 * disk); dirty ones stay until written. */
void
ext2_drop_clean(struct ext2_fs *fs);
void
ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *out);

int
ext2_getattr(struct ext2_fs *fs, uint32_t ino, struct ext2_attr *out);
/* Sets the fields @valid names from @attr; ctime becomes now unless given. */
int
ext2_setattr(struct ext2_fs *fs, uint32_t ino, const struct ext2_attr *attr,
	     uint32_t valid);

/* The inode @name names in directory @dir: -ENOENT, -ENOTDIR. */
int
ext2_lookup(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	    uint32_t *ino);
/* Calls @fn for the entries of @dir from *@cookie on ("." and ".."
 * included); *@cookie is left at the first entry not consumed (0 starts,
 * a later call resumes even if the directory changed in between). */
int
ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *cookie,
	     ext2_filldir_fn fn, void *arg);

/* File contents: bytes done (short at end of file), or a negative errno.
 * Holes read as zeros; writing allocates blocks near the inode. */
long
ext2_read(struct ext2_fs *fs, uint32_t ino, void *buf, size_t len,
	  uint64_t off);
/* ext2_read of @count pages from page-aligned @off into @pages[] (each
 * PAGE_SIZE bytes; the rest of the last block past the end of the file
 * may be zeroed, the pages after it are left alone): one inode load,
 * readahead decision and atime update for the run, and blocks the block
 * cache does not hold go from the device straight into the pages. */
long
ext2_read_pages(struct ext2_fs *fs, uint32_t ino, void *const *pages,
		size_t count, uint64_t off);
long
ext2_write(struct ext2_fs *fs, uint32_t ino, const void *buf, size_t len,
	   uint64_t off);
/* Shrinking frees blocks; growing leaves a hole. */
int
ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size);
/* The file's data, then its inode and the metadata they need, reach the
 * disk, then the device's cache is flushed. */
int
ext2_fsync(struct ext2_fs *fs, uint32_t ino);

/* New inodes named @name in @dir: -EEXIST if taken. ext2_create makes
 * regular files, fifos, sockets and device nodes (@rdev). */
int
ext2_create(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	    uint32_t mode, uint32_t rdev, uint32_t uid, uint32_t gid,
	    uint32_t *ino);
int
ext2_mkdir(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	   uint32_t mode, uint32_t uid, uint32_t gid, uint32_t *ino);
int
ext2_symlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	     const char *target, size_t tlen, uint32_t uid, uint32_t gid,
	     uint32_t *ino);
/* The target of link @ino, not NUL-terminated: its length or -errno. */
long
ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t size);
/* A new name for @ino (not a directory). */
int
ext2_link(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	  uint32_t ino);

/* Removing names. *@orphan is set to the inode whose link count reached
 * zero (0 if none): release it with ext2_inode_release() when unused. */
int
ext2_unlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	    uint32_t *orphan);
int
ext2_rmdir(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	   uint32_t *orphan);
/* rename(2): replaces an existing target atomically (the new name never
 * disappears), moves directories with their "..", refuses to move a
 * directory under itself (-EINVAL). *@orphan: a replaced inode left
 * without links. */
int
ext2_rename(struct ext2_fs *fs, uint32_t odir, const char *oname,
	    size_t olen, uint32_t ndir, const char *nname, size_t nlen,
	    uint32_t *orphan);
/* Frees inode @ino and its blocks if it has no links left; else nothing. */
int
ext2_inode_release(struct ext2_fs *fs, uint32_t ino);

#endif
