/* Private to the ext2 VFS glue (ext2_vfs.c: names and metadata;
 * ext2_vfs_file.c: file data through the page cache). */
#ifndef KEEL_FS_EXT2_VFS_H
#define KEEL_FS_EXT2_VFS_H

#include <keel/ext2.h>
#include <keel/vfs.h>

#define INODE_HASH_BUCKETS	256

struct ext2_vnode {
	struct vnode vnode;
	struct ext2_vnode *hash_next;
	uint64_t named_gen;	/* last given a name during this sync generation */
	bool written_back;	/* pages went to ext2: its times need restoring */
};

/* ext2_fsync() writes a file's data and inode but not the directory entry
 * naming it; an application that creates a file, writes it and fsyncs it
 * expects to find it after a crash (ext4 and most others give that). So a
 * file named since the last whole sync is fsynced by a whole ordered sync:
 * sync_gen counts those. */
struct ext2_mount {
	struct mount mount;
	struct ext2_fs *fs;
	struct ext2_vnode *hash[INODE_HASH_BUCKETS];
	uint64_t sync_gen;
};

static inline struct ext2_mount *
mount_of(const struct vnode *v)
{
	return container_of(v->mnt, struct ext2_mount, mount);
}

static inline struct ext2_fs *
fs_of(const struct vnode *v)
{
	return mount_of(v)->fs;
}

static inline uint32_t
ino_of(const struct vnode *v)
{
	return (uint32_t)v->ino;
}

/* Copies @v's inode attributes from ext2 after a change; a cached file
 * keeps its own size (the inode's lags until write-back). */
int
ext2v_refresh(struct vnode *v);

/* File data (ext2_vfs_file.c), under the tree lock. */
struct pcache *
ext2v_cache(struct vnode *v, bool write, int *err);
long
ext2v_read(struct vnode *v, char *kbuf, size_t len, uint64_t off);
long
ext2v_write(struct vnode *v, const char *kbuf, size_t len, uint64_t off);
int
ext2v_truncate(struct vnode *v, uint64_t size);
/* Dirty pages of @v reach ext2 (not yet the disk), and the inode gets
 * back the times of the writes themselves. */
int
ext2v_writeback(struct vnode *v);
/* ext2v_writeback for every cached file of @m; the first error. */
int
ext2v_writeback_all(struct ext2_mount *m);

#endif
