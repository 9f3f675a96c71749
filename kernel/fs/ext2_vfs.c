/* ext2 in the VFS: a mounted ext2 file system's inodes as vnodes. Each
 * inode looked up gets one vnode, kept in a hash by inode number for the
 * life of the mount (lookups hand out vnodes without references, so none
 * is evicted); an unlinked inode goes with its last open file. Attributes
 * are copied into the vnode after every change so stat needs no I/O.
 * File data goes through the page cache: a regular file's size in the
 * vnode runs ahead of its inode's until its dirty pages are written back
 * (always before ext2_fsync/ext2_sync, so data still precedes metadata).
 * Runs under the tree lock, which serializes every call into ext2. */
#include <keel/blkdev.h>
#include <keel/errno.h>
#include <keel/ext2.h>
#include <keel/heap.h>
#include <keel/pagecache.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "ext2_vfs.h"
#include "fs_internal.h"

#define EXT2_MAGIC		0xEF53	/* statfs f_type, as Linux reports it */

/* d_type values as ext2_readdir reports them. */
#define DT_FIFO		1
#define DT_CHR		2
#define DT_DIR		4
#define DT_BLK		6
#define DT_REG		8
#define DT_LNK		10
#define DT_SOCK		12

static const struct vnode_ops ext2_vnode_ops;

/* @v got a (new) name: its next fsync must make the name durable too. */
static void
named(struct vnode *v)
{
	container_of(v, struct ext2_vnode, vnode)->named_gen =
		mount_of(v)->sync_gen + 1;
}

/* A whole ordered sync of @m; opens a new sync generation. */
static int
sync_whole(struct ext2_mount *m)
{
	uint64_t gen = m->sync_gen;
	int err = ext2_sync(m->fs);

	if (!err)
		m->sync_gen = gen + 1;
	return err;
}

static void
attr_to_vnode(struct vnode *v, const struct ext2_attr *a)
{
	v->mode = a->mode;
	v->nlink = a->nlink;
	v->uid = a->uid;
	v->gid = a->gid;
	v->rdev = a->rdev;
	v->size = a->size;
	v->atime_ns = a->atime_ns;
	v->mtime_ns = a->mtime_ns;
	v->ctime_ns = a->ctime_ns;
}

/* Copies @v's inode attributes from ext2 after a change; a cached file
 * keeps its own size (the inode's lags until write-back). */
int
ext2v_refresh(struct vnode *v)
{
	uint64_t size = v->size;
	struct ext2_attr a;
	int err = ext2_getattr(fs_of(v), ino_of(v), &a);

	if (!err)
		attr_to_vnode(v, &a);
	if (!err && v->pcache)
		v->size = size;
	return err;
}

static struct ext2_vnode **
bucket(struct ext2_mount *m, uint32_t ino)
{
	return &m->hash[ino % INODE_HASH_BUCKETS];
}

static struct vnode *
cached(struct ext2_mount *m, uint32_t ino)
{
	for (struct ext2_vnode *e = *bucket(m, ino); e; e = e->hash_next)
		if (ino_of(&e->vnode) == ino)
			return &e->vnode;
	return NULL;
}

/* The vnode of inode @ino, made on first use; NULL with *err. */
static struct vnode *
iget(struct ext2_mount *m, uint32_t ino, int *err)
{
	struct vnode *v = cached(m, ino);
	struct ext2_vnode *e;
	struct ext2_attr a;

	if (v)
		return v;
	*err = ext2_getattr(m->fs, ino, &a);
	if (*err)
		return NULL;
	e = kzalloc(sizeof(*e));
	if (!e) {
		*err = -ENOMEM;
		return NULL;
	}
	vnode_init(&e->vnode, a.mode);
	attr_to_vnode(&e->vnode, &a);
	e->vnode.ino = ino;
	e->vnode.ops = &ext2_vnode_ops;
	e->vnode.mnt = &m->mount;
	e->hash_next = *bucket(m, ino);
	*bucket(m, ino) = e;
	return &e->vnode;
}

static void
uncache(struct ext2_mount *m, struct vnode *v)
{
	struct ext2_vnode **p = bucket(m, ino_of(v));

	for (; *p; p = &(*p)->hash_next) {
		if (&(*p)->vnode == v) {
			*p = (*p)->hash_next;
			return;
		}
	}
}

static void
ext2v_release(struct vnode *v)
{
	int err = ext2_inode_release(fs_of(v), ino_of(v));

	if (err)
		printk("keel: ext2: freeing inode %u: error %d\n", ino_of(v), err);
	uncache(mount_of(v), v);
	if (v->pcache)
		pcache_free(v->pcache);	/* a deleted file's pages: dropped */
	kfree(container_of(v, struct ext2_vnode, vnode));
}

/* Inode @orphan lost its last name: free it now unless a file has it
 * open (then it goes with the last one, through ext2v_release). */
static void
orphaned(struct ext2_mount *m, uint32_t orphan)
{
	struct vnode *v;

	if (!orphan)
		return;
	v = cached(m, orphan);
	if (!v) {
		ext2_inode_release(m->fs, orphan);
		return;
	}
	v->nlink = 0;
	vfs_vnode_unused(v);
}

static struct vnode *
ext2v_lookup(struct vnode *dir, const char *name, int *err)
{
	struct vnode *v;
	uint32_t ino;

	if (strcmp(name, ".") == 0)
		return dir;
	*err = ext2_lookup(fs_of(dir), ino_of(dir), name, strlen(name), &ino);
	if (*err)
		return NULL;
	v = iget(mount_of(dir), ino, err);
	if (v && !S_ISDIR(v->mode))
		v->parent = dir;	/* for /proc/self/fd paths */
	return v;
}

static struct vnode *
ext2v_create(struct vnode *dir, const char *name, uint32_t mode, int *err)
{
	struct ext2_fs *fs = fs_of(dir);
	struct vnode *v;
	uint32_t ino;

	if (S_ISDIR(mode))
		*err = ext2_mkdir(fs, ino_of(dir), name, strlen(name), mode, 0, 0, &ino);
	else
		*err = ext2_create(fs, ino_of(dir), name, strlen(name), mode, 0, 0, 0,
				   &ino);
	if (*err)
		return NULL;
	ext2v_refresh(dir);
	v = iget(mount_of(dir), ino, err);
	if (v) {
		v->parent = dir;
		named(v);
	}
	return v;
}

static int
ext2v_symlink(struct vnode *dir, const char *name, const char *target,
	      size_t len)
{
	uint32_t ino;
	int err = ext2_symlink(fs_of(dir), ino_of(dir), name, strlen(name), target,
			       len, 0, 0, &ino);

	if (!err)
		ext2v_refresh(dir);
	return err;
}

static int
ext2v_link(struct vnode *dir, const char *name, struct vnode *v)
{
	int err = ext2_link(fs_of(dir), ino_of(dir), name, strlen(name), ino_of(v));

	if (!err) {
		ext2v_refresh(v);
		ext2v_refresh(dir);
		v->parent = dir;
		named(v);
	}
	return err;
}

static int
ext2v_unlink(struct vnode *dir, const char *name, bool rmdir)
{
	struct ext2_fs *fs = fs_of(dir);
	uint32_t orphan = 0, ino;
	struct vnode *v;
	int err;

	err = ext2_lookup(fs, ino_of(dir), name, strlen(name), &ino);
	if (err)
		return err;
	if (rmdir)
		err = ext2_rmdir(fs, ino_of(dir), name, strlen(name), &orphan);
	else
		err = ext2_unlink(fs, ino_of(dir), name, strlen(name), &orphan);
	if (err)
		return err;
	ext2v_refresh(dir);
	v = cached(mount_of(dir), ino);
	if (v && ino != orphan)
		ext2v_refresh(v);		/* still linked elsewhere */
	orphaned(mount_of(dir), orphan);
	return 0;
}

static int
ext2v_rename(struct vnode *odir, const char *oname, struct vnode *ndir,
	     const char *nname)
{
	uint32_t orphan = 0, ino;
	struct vnode *v;
	int err = ext2_lookup(fs_of(odir), ino_of(odir), oname, strlen(oname), &ino);

	if (!err)
		err = ext2_rename(fs_of(odir), ino_of(odir), oname, strlen(oname),
				  ino_of(ndir), nname, strlen(nname), &orphan);
	if (err)
		return err;
	ext2v_refresh(odir);
	if (ndir != odir)
		ext2v_refresh(ndir);
	v = cached(mount_of(odir), ino);
	if (v) {
		ext2v_refresh(v);
		v->parent = ndir;
		named(v);
	}
	orphaned(mount_of(odir), orphan);
	return 0;
}

static uint32_t
dtype_to_mode(unsigned type)
{
	switch (type) {
	case DT_FIFO: return S_IFIFO;
	case DT_CHR: return S_IFCHR;
	case DT_DIR: return S_IFDIR;
	case DT_BLK: return S_IFBLK;
	case DT_REG: return S_IFREG;
	case DT_LNK: return S_IFLNK;
	case DT_SOCK: return S_IFSOCK;
	}
	return 0;
}

/* Takes the first entry offered and stops before the second. */
struct one_entry {
	struct vfs_dirent_info *out;
	bool got;
};

static int
take_one(void *arg, const char *name, size_t len, uint32_t ino, unsigned type)
{
	struct one_entry *one = arg;

	if (one->got)
		return 1;
	len = MIN(len, (size_t)VFS_NAME_MAX);
	memcpy(one->out->name, name, len);
	one->out->name[len] = '\0';
	one->out->ino = ino;
	one->out->type = dtype_to_mode(type);
	one->got = true;
	return 0;
}

static int
ext2v_readdir(struct vnode *dir, uint64_t *pos, struct vfs_dirent_info *out)
{
	struct one_entry one = { out, false };
	int err = ext2_readdir(fs_of(dir), ino_of(dir), pos, take_one, &one);
	struct ext2_attr a;

	if (err < 0)
		return err;
	if (one.got && !out->type && ext2_getattr(fs_of(dir), (uint32_t)out->ino,
						  &a) == 0)
		out->type = a.mode & S_IFMT;	/* no file types on disk */
	return one.got ? 1 : 0;
}

static long
ext2v_readlink(struct vnode *v, char *buf, size_t len)
{
	return ext2_readlink(fs_of(v), ino_of(v), buf, len);
}

static int
ext2v_setattr(struct vnode *v)
{
	struct ext2_attr a = {
		.mode = v->mode, .uid = v->uid, .gid = v->gid,
		.atime_ns = v->atime_ns, .mtime_ns = v->mtime_ns,
		.ctime_ns = v->ctime_ns,
	};

	return ext2_setattr(fs_of(v), ino_of(v), &a,
			    EXT2_ATTR_MODE | EXT2_ATTR_UID | EXT2_ATTR_GID |
			    EXT2_ATTR_ATIME | EXT2_ATTR_MTIME | EXT2_ATTR_CTIME);
}

static int
ext2v_fsync(struct vnode *v)
{
	struct ext2_mount *m = mount_of(v);
	int err = ext2v_writeback(v);

	if (err)
		return err;
	if (container_of(v, struct ext2_vnode, vnode)->named_gen > m->sync_gen ||
	    S_ISDIR(v->mode))
		return sync_whole(m);
	return ext2_fsync(m->fs, ino_of(v));
}

static const struct vnode_ops ext2_vnode_ops = {
	.lookup = ext2v_lookup, .create = ext2v_create, .symlink = ext2v_symlink,
	.link = ext2v_link, .unlink = ext2v_unlink, .rename = ext2v_rename,
	.readdir = ext2v_readdir, .read = ext2v_read, .write = ext2v_write,
	.truncate = ext2v_truncate, .readlink = ext2v_readlink,
	.setattr = ext2v_setattr, .fsync = ext2v_fsync, .release = ext2v_release,
	.cache = ext2v_cache,
};

static int
ext2m_statfs(struct mount *mnt, struct vfs_statfs *out)
{
	struct ext2_statfs st;

	ext2_statfs(container_of(mnt, struct ext2_mount, mount)->fs, &st);
	out->magic = EXT2_MAGIC;
	out->block_size = st.block_size;
	out->blocks = st.blocks;
	out->blocks_free = st.blocks_free;
	out->blocks_avail = st.blocks_avail;
	out->files = st.files;
	out->files_free = st.files_free;
	return 0;
}

/* File data first, then the ordered sync of everything else. */
static int
ext2m_sync(struct mount *mnt)
{
	struct ext2_mount *m = container_of(mnt, struct ext2_mount, mount);
	int err = ext2v_writeback_all(m);

	return sync_whole(m) ?: err;
}

/* Open-but-unlinked inodes are freed first, so the unmount leaves no
 * orphan for e2fsck to find. */
static int
ext2m_unmount(struct mount *mnt)
{
	struct ext2_mount *m = container_of(mnt, struct ext2_mount, mount);
	int err = ext2v_writeback_all(m);

	if (err)
		printk("keel: ext2: writing cached pages back: error %d\n", err);
	for (unsigned i = 0; i < INODE_HASH_BUCKETS; i++) {
		while (m->hash[i]) {
			struct ext2_vnode *e = m->hash[i];

			m->hash[i] = e->hash_next;
			if (e->vnode.nlink == 0)
				ext2_inode_release(m->fs, ino_of(&e->vnode));
		}
	}
	return ext2_unmount(m->fs);
}

static void
ext2m_drop_caches(struct mount *mnt)
{
	ext2_drop_clean(container_of(mnt, struct ext2_mount, mount)->fs);
}

static const struct mount_ops ext2_mount_ops = {
	.statfs = ext2m_statfs, .sync = ext2m_sync, .unmount = ext2m_unmount,
	.drop_caches = ext2m_drop_caches,
};

struct mount *
ext2_vfs_mount(struct blkdev *bd, bool read_only, int *err)
{
	struct ext2_mount *m = kzalloc(sizeof(*m));

	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = ext2_mount(bd, read_only ? EXT2_MOUNT_RDONLY : 0, &m->fs);
	if (*err) {
		kfree(m);
		return NULL;
	}
	m->mount.ops = &ext2_mount_ops;
	m->mount.fs_data = m->fs;
	if (ext2_is_read_only(m->fs))
		m->mount.flags |= MOUNT_READ_ONLY;
	snprintf(m->mount.source, sizeof(m->mount.source), "/dev/%s", bd->name);
	strlcpy(m->mount.type, "ext2", sizeof(m->mount.type));
	m->mount.root = iget(m, EXT2_ROOT_INODE, err);
	if (!m->mount.root) {
		ext2_unmount(m->fs);
		kfree(m);
		return NULL;
	}
	return &m->mount;
}
