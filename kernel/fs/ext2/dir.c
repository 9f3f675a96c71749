/* ext2 directories: linked lists of variable-length entries inside each
 * directory block. Every entry is checked (rec_len, name_len, inode
 * number) before it is used; finding, adding (into slack or a new block),
 * removing (merging into the previous entry) and readdir with a cookie. */
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "ext2_internal.h"

/* d_type values (Linux dirent), indexed by EXT2_FT_* */
static const uint8_t ft_to_dtype[EXT2_FT_MAX] = {
	[EXT2_FT_UNKNOWN] = 0, [EXT2_FT_REG_FILE] = 8, [EXT2_FT_DIR] = 4,
	[EXT2_FT_CHRDEV] = 2, [EXT2_FT_BLKDEV] = 6, [EXT2_FT_FIFO] = 1,
	[EXT2_FT_SOCK] = 12, [EXT2_FT_SYMLINK] = 10,
};

uint8_t
ext2_mode_to_ft(uint32_t mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:	return EXT2_FT_REG_FILE;
	case EXT2_S_IFDIR:	return EXT2_FT_DIR;
	case EXT2_S_IFCHR:	return EXT2_FT_CHRDEV;
	case EXT2_S_IFBLK:	return EXT2_FT_BLKDEV;
	case EXT2_S_IFIFO:	return EXT2_FT_FIFO;
	case EXT2_S_IFSOCK:	return EXT2_FT_SOCK;
	case EXT2_S_IFLNK:	return EXT2_FT_SYMLINK;
	default:		return EXT2_FT_UNKNOWN;
	}
}

static uint32_t
entry_name_len(const struct ext2_fs *fs, const struct ext2_dir_entry *e)
{
	/* Without the filetype feature the length is 16 bits. */
	return fs->filetype ? e->name_len :
	       e->name_len | (uint32_t)e->file_type << 8;
}

/* The entry at @off of directory block @b, or NULL (reported) if it does
 * not fit in the block or names an impossible inode. */
static struct ext2_dir_entry *
entry_at(struct ext2_fs *fs, const struct ext2_node *dir,
	 struct bcache_buf *b, uint32_t off)
{
	struct ext2_dir_entry *e = (struct ext2_dir_entry *)(b->data + off);

	if (off + EXT2_DIR_ENTRY_HDR > fs->block_size ||
	    e->rec_len < EXT2_DIR_REC_LEN(0) ||
	    e->rec_len % EXT2_DIR_ALIGN ||
	    e->rec_len > fs->block_size - off ||
	    entry_name_len(fs, e) > EXT2_NAME_LEN ||
	    EXT2_DIR_REC_LEN(entry_name_len(fs, e)) > e->rec_len ||
	    (e->inode && entry_name_len(fs, e) == 0) ||
	    e->inode > fs->sb.s_inodes_count) {
		EXT2_ERR(fs, "directory %u: bad entry at block %llu offset %u",
			 dir->ino, (unsigned long long)b->blockno, off);
		return NULL;
	}
	return e;
}

/* Holds directory block @lblk of @dir; a hole in a directory is corrupt. */
static int
get_dir_block(struct ext2_fs *fs, struct ext2_node *dir, uint64_t lblk,
	      struct bcache_buf **out)
{
	uint32_t pblk;
	int r = ext2_bmap(fs, dir, lblk, false, &pblk, NULL);

	if (r < 0)
		return r;
	if (pblk == 0) {
		EXT2_ERR(fs, "directory %u has a hole at block %llu", dir->ino,
			 (unsigned long long)lblk);
		return -EIO;
	}
	return bcache_get_block(fs->cache, pblk, out);
}

static int
dir_blocks(struct ext2_fs *fs, const struct ext2_node *dir, uint64_t *n)
{
	uint64_t size = ext2_node_size(dir), blocks = size / fs->block_size;

	if ((dir->in.i_mode & EXT2_S_IFMT) != EXT2_S_IFDIR)
		return -ENOTDIR;
	/* No holes in a directory: each block is a distinct allocated one. */
	if (size % fs->block_size || blocks > fs->sb.s_blocks_count ||
	    blocks > dir->in.i_blocks / ext2_block_sectors(fs)) {
		EXT2_ERR(fs, "directory %u has a bad size %llu", dir->ino,
			 (unsigned long long)size);
		return -EIO;
	}
	*n = blocks;
	return 0;
}

/* Calls @fn on each entry of @dir from byte @start on; @fn returns 1 to
 * stop there (the walk returns 1), 0 to go on, or an error. */
typedef int (*entry_fn)(struct ext2_fs *fs, struct bcache_buf *b,
			struct ext2_dir_entry *e, struct ext2_dirpos *pos,
			void *arg);

static int
walk_entries(struct ext2_fs *fs, struct ext2_node *dir, uint64_t start,
	     entry_fn fn, void *arg, struct ext2_dirpos *pos)
{
	uint64_t nblocks;
	int r = dir_blocks(fs, dir, &nblocks);

	for (uint64_t l = start / fs->block_size; r == 0 && l < nblocks; l++) {
		struct bcache_buf *b;
		uint32_t off = 0, prev = 0;

		r = get_dir_block(fs, dir, l, &b);
		if (r < 0)
			break;
		while (r == 0 && off < fs->block_size) {
			struct ext2_dir_entry *e = entry_at(fs, dir, b, off);

			if (!e) {
				r = -EIO;
				break;
			}
			pos->lblk = l;
			pos->off = off;
			pos->prev = prev;
			if (l * fs->block_size + off >= start)
				r = fn(fs, b, e, pos, arg);
			prev = off;
			off += e->rec_len;
		}
		bcache_put_block(fs->cache, b);
	}
	return r;
}

struct find_arg {
	const char *name;
	size_t len;
};

static int
find_fn(struct ext2_fs *fs, struct bcache_buf *b, struct ext2_dir_entry *e,
	struct ext2_dirpos *pos, void *arg)
{
	struct find_arg *f = arg;

	(void)b;
	if (e->inode == 0 || entry_name_len(fs, e) != f->len ||
	    memcmp(e->name, f->name, f->len) != 0)
		return 0;
	pos->ino = e->inode;
	pos->type = fs->filetype ? e->file_type : EXT2_FT_UNKNOWN;
	return 1;
}

int
ext2_dir_find(struct ext2_fs *fs, struct ext2_node *dir, const char *name,
	      size_t len, struct ext2_dirpos *pos)
{
	struct find_arg f = { name, len };
	int r;

	if (len == 0 || len > EXT2_NAME_LEN)
		return len ? -ENAMETOOLONG : -ENOENT;
	r = walk_entries(fs, dir, 0, find_fn, &f, pos);
	return r == 1 ? 0 : r == 0 ? -ENOENT : r;
}

int
ext2_lookup(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
	    uint32_t *ino)
{
	struct ext2_node d;
	struct ext2_dirpos pos;
	int r = ext2_node_load(fs, dir, &d);

	if (r == 0)
		r = ext2_dir_find(fs, &d, name, len, &pos);
	if (r == 0) {
		if (pos.ino == 0 || pos.ino > fs->sb.s_inodes_count)
			return -EIO;
		*ino = pos.ino;
	}
	return r;
}

struct readdir_arg {
	ext2_filldir_fn fn;
	void *arg;
	uint64_t *cookie;
};

static int
readdir_fn(struct ext2_fs *fs, struct bcache_buf *b, struct ext2_dir_entry *e,
	   struct ext2_dirpos *pos, void *arg)
{
	struct readdir_arg *a = arg;
	uint8_t ft = fs->filetype && e->file_type < EXT2_FT_MAX ?
		     e->file_type : EXT2_FT_UNKNOWN;

	(void)b;
	if (e->inode != 0 &&
	    a->fn(a->arg, e->name, entry_name_len(fs, e), e->inode,
		  ft_to_dtype[ft]))
		return 1;
	*a->cookie = pos->lblk * fs->block_size + pos->off + e->rec_len;
	return 0;
}

int
ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *cookie,
	     ext2_filldir_fn fn, void *arg)
{
	struct readdir_arg a = { fn, arg, cookie };
	struct ext2_dirpos pos;
	struct ext2_node d;
	int r = ext2_node_load(fs, dir, &d);

	if (r == 0)
		r = walk_entries(fs, &d, *cookie, readdir_fn, &a, &pos);
	if (r == 0)
		*cookie = ext2_node_size(&d);
	return r < 0 ? r : 0;
}

static void
set_entry(struct ext2_fs *fs, struct ext2_dir_entry *e, const char *name,
	  size_t len, uint32_t ino, uint32_t mode)
{
	e->inode = ino;
	e->name_len = (uint8_t)len;
	e->file_type = fs->filetype ? ext2_mode_to_ft(mode) : 0;
	memcpy(e->name, name, len);
}

/* A directory we change loses its hash index: only a linear one is kept
 * right, and e2fsck accepts an unindexed directory. */
static void
dir_touch(struct ext2_node *dir)
{
	dir->in.i_flags &= ~EXT2_INDEX_FL;
	ext2_node_touch(dir, EXT2_TIME_MTIME | EXT2_TIME_CTIME);
}

struct add_arg {
	const char *name;
	size_t len;
	uint32_t ino, mode;
};

/* Uses a free entry or the slack after a live one. */
static int
add_fn(struct ext2_fs *fs, struct bcache_buf *b, struct ext2_dir_entry *e,
       struct ext2_dirpos *pos, void *arg)
{
	struct add_arg *a = arg;
	uint32_t need = EXT2_DIR_REC_LEN(a->len), used;
	struct ext2_dir_entry *ne;

	used = e->inode ? EXT2_DIR_REC_LEN(entry_name_len(fs, e)) : 0;
	if (e->rec_len < used + need)
		return 0;
	if (used) {
		ne = (struct ext2_dir_entry *)(b->data + pos->off + used);
		ne->rec_len = (uint16_t)(e->rec_len - used);
		e->rec_len = (uint16_t)used;
		e = ne;
	}
	set_entry(fs, e, a->name, a->len, a->ino, a->mode);
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_NAMES);
	return 1;
}

/* Appends a block holding one entry. The block is class DATA, as the
 * directory inode points to it; the name in it is new anyway. */
static int
add_block(struct ext2_fs *fs, struct ext2_node *dir, struct add_arg *a)
{
	uint64_t lblk = ext2_node_size(dir) / fs->block_size;
	struct ext2_dir_entry *e;
	struct bcache_buf *b;
	uint32_t pblk;
	int r = ext2_bmap(fs, dir, lblk, true, &pblk, NULL);

	if (r < 0)
		return r;
	r = bcache_get_block(fs->cache, pblk, &b);
	if (r < 0)
		return r;
	e = (struct ext2_dir_entry *)b->data;
	e->rec_len = (uint16_t)fs->block_size;
	set_entry(fs, e, a->name, a->len, a->ino, a->mode);
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_DATA);
	bcache_put_block(fs->cache, b);
	ext2_node_set_size(fs, dir, (lblk + 1) * fs->block_size);
	return 0;
}

int
ext2_dir_add(struct ext2_fs *fs, struct ext2_node *dir, const char *name,
	     size_t len, uint32_t ino, uint32_t mode)
{
	struct add_arg a = { name, len, ino, mode };
	struct ext2_dirpos pos;
	int r;

	if (len == 0 || len > EXT2_NAME_LEN)
		return len ? -ENAMETOOLONG : -ENOENT;
	r = walk_entries(fs, dir, 0, add_fn, &a, &pos);
	if (r == 0)
		r = add_block(fs, dir, &a);
	if (r < 0)
		return r;
	dir_touch(dir);
	return 0;
}

/* Drops the entry at @pos: merged into the previous one, or emptied when
 * it is first in its block. */
int
ext2_dir_remove(struct ext2_fs *fs, struct ext2_node *dir,
		const struct ext2_dirpos *pos)
{
	struct ext2_dir_entry *e, *prev;
	struct bcache_buf *b;
	int r = get_dir_block(fs, dir, pos->lblk, &b);

	if (r < 0)
		return r;
	e = entry_at(fs, dir, b, pos->off);
	prev = entry_at(fs, dir, b, pos->prev);
	if (!e || !prev) {
		bcache_put_block(fs->cache, b);
		return -EIO;
	}
	if (pos->prev != pos->off)
		prev->rec_len = (uint16_t)(prev->rec_len + e->rec_len);
	else
		e->inode = 0;
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_NAMES);
	bcache_put_block(fs->cache, b);
	dir_touch(dir);
	return 0;
}

/* Points the entry at @pos to @ino in place: one block write, so the name
 * exists at every moment (rename's atomic replace, ".." of a moved dir). */
int
ext2_dir_set(struct ext2_fs *fs, struct ext2_node *dir,
	     const struct ext2_dirpos *pos, uint32_t ino, uint32_t mode)
{
	struct ext2_dir_entry *e;
	struct bcache_buf *b;
	int r = get_dir_block(fs, dir, pos->lblk, &b);

	if (r < 0)
		return r;
	e = entry_at(fs, dir, b, pos->off);
	if (e) {
		e->inode = ino;
		if (fs->filetype)
			e->file_type = ext2_mode_to_ft(mode);
		bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_NAMES);
		dir_touch(dir);
	}
	bcache_put_block(fs->cache, b);
	return e ? 0 : -EIO;
}

static int
empty_fn(struct ext2_fs *fs, struct bcache_buf *b, struct ext2_dir_entry *e,
	 struct ext2_dirpos *pos, void *arg)
{
	uint32_t len = entry_name_len(fs, e);

	(void)b, (void)pos, (void)arg;
	if (e->inode == 0 || (len == 1 && e->name[0] == '.') ||
	    (len == 2 && e->name[0] == '.' && e->name[1] == '.'))
		return 0;
	return 1;
}

int
ext2_dir_is_empty(struct ext2_fs *fs, struct ext2_node *dir)
{
	struct ext2_dirpos pos;
	int r = walk_entries(fs, dir, 0, empty_fn, NULL, &pos);

	return r < 0 ? r : r == 0;
}

/* A new directory's first block: "." and "..". Class DATA: it must be on
 * the disk before the inode that points to it. */
int
ext2_dir_init(struct ext2_fs *fs, struct ext2_node *dir, uint32_t parent)
{
	struct ext2_dir_entry *e;
	struct bcache_buf *b;
	uint32_t pblk, first = EXT2_DIR_REC_LEN(1);
	int r = ext2_bmap(fs, dir, 0, true, &pblk, NULL);

	if (r < 0)
		return r;
	r = bcache_get_block(fs->cache, pblk, &b);
	if (r < 0)
		return r;
	e = (struct ext2_dir_entry *)b->data;
	e->rec_len = (uint16_t)first;
	set_entry(fs, e, ".", 1, dir->ino, EXT2_S_IFDIR);
	e = (struct ext2_dir_entry *)(b->data + first);
	e->rec_len = (uint16_t)(fs->block_size - first);
	set_entry(fs, e, "..", 2, parent, EXT2_S_IFDIR);
	bcache_mark_dirty(fs->cache, b, BCACHE_ORDER_DATA);
	bcache_put_block(fs->cache, b);
	ext2_node_set_size(fs, dir, fs->block_size);
	return 0;
}
