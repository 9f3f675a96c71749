/* The in-memory file system (ramfs, and the tmpfs, devfs and proc trees
 * built from it): directories are lists of named entries, link targets
 * byte buffers, and files live in the page cache with no backing store,
 * so shared mappings see the very pages read() and write() use. Files
 * unpacked from the initrd show the archive's bytes in place until first
 * changed. Its room is physical memory, which is what statfs reports. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/page.h>
#include <keel/pagecache.h>
#include <keel/pmm.h>
#include <keel/string.h>
#include <keel/vfs.h>
#include "fs_internal.h"

#define MIN_CAPACITY	64
#define RAMFS_BLOCK	4096

struct ramfs {
	struct mount mount;
	uint64_t magic;			/* statfs f_type */
};

static const struct vnode_ops ramfs_vnode_ops;

static struct vfs_dirent *
dir_entry(struct vnode *dir, const char *name)
{
	struct list_node *n;

	list_for_each(n, &dir->children) {
		struct vfs_dirent *d = list_entry(n, struct vfs_dirent, node);

		if (strcmp(d->name, name) == 0)
			return d;
	}
	return NULL;
}

static struct vnode *
ramfs_lookup(struct vnode *dir, const char *name, int *err)
{
	struct vfs_dirent *d;

	if (strcmp(name, ".") == 0)
		return dir;
	if (strcmp(name, "..") == 0)
		return dir->parent ? dir->parent : dir;
	d = dir_entry(dir, name);
	if (!d)
		*err = -ENOENT;
	return d ? d->vnode : NULL;
}

static int
dir_link(struct vnode *dir, const char *name, struct vnode *v)
{
	size_t len = strnlen(name, VFS_NAME_MAX + 1);
	struct vfs_dirent *d;

	if (len == 0 || len > VFS_NAME_MAX)
		return len ? -ENAMETOOLONG : -ENOENT;
	if (dir_entry(dir, name))
		return -EEXIST;
	d = kmalloc(sizeof(*d) + len + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d->name, name, len + 1);
	d->vnode = v;
	list_push_back(&dir->children, &d->node);
	v->parent = dir;
	if (S_ISDIR(v->mode))
		dir->nlink++;
	dir->mtime_ns = dir->ctime_ns = clock_realtime_ns();
	return 0;
}

static struct vnode *
ramfs_vnode_new(struct mount *m, uint32_t mode)
{
	struct vnode *v = vnode_new(mode);

	if (v) {
		v->ops = &ramfs_vnode_ops;
		v->mnt = m;
	}
	return v;
}

static struct vnode *
ramfs_create(struct vnode *dir, const char *name, uint32_t mode, int *err)
{
	struct vnode *v;

	if (dir_entry(dir, name)) {
		*err = -EEXIST;
		return NULL;
	}
	v = ramfs_vnode_new(dir->mnt, mode);
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = dir_link(dir, name, v);
	if (*err) {
		kfree(v);
		return NULL;
	}
	return v;
}

static void
vnode_put_data(struct vnode *v)
{
	if (v->capacity)
		kfree(v->data);
	v->data = NULL;
	v->capacity = 0;
}

static void
ramfs_release(struct vnode *v)
{
	if (v->pcache)
		pcache_free(v->pcache);
	vnode_put_data(v);
	kfree(v);
}

/* Makes room for @size bytes, copying borrowed contents on first write. */
static int
vnode_reserve(struct vnode *v, uint64_t size)
{
	size_t cap = v->capacity ? v->capacity : MIN_CAPACITY;
	uint8_t *data;

	if (v->capacity >= size && v->capacity)
		return 0;
	while (cap < size)
		cap *= 2;
	data = kmalloc(cap);
	if (!data)
		return -ENOMEM;
	if (v->size)
		memcpy(data, v->data, v->size);
	vnode_put_data(v);
	v->data = data;
	v->capacity = cap;
	return 0;
}

static int
ramfs_symlink(struct vnode *dir, const char *name, const char *target,
	      size_t len)
{
	int err;
	struct vnode *v = ramfs_create(dir, name, S_IFLNK | 0777, &err);

	if (!v)
		return err;
	err = vnode_reserve(v, len + 1);
	if (err) {
		ramfs_vnode_ops.unlink(dir, name, false);
		return err;
	}
	memcpy(v->data, target, len);
	v->data[len] = '\0';
	v->size = len;
	return 0;
}

static int
ramfs_link(struct vnode *dir, const char *name, struct vnode *v)
{
	int err = dir_link(dir, name, v);

	if (!err) {
		v->nlink++;
		v->ctime_ns = clock_realtime_ns();
	}
	return err;
}

/* Drops the entry @d of @dir (checked by the caller). */
static void
dir_drop(struct vnode *dir, struct vfs_dirent *d)
{
	struct vnode *v = d->vnode;

	list_remove(&d->node);
	kfree(d);
	dir->mtime_ns = dir->ctime_ns = clock_realtime_ns();
	if (S_ISDIR(v->mode)) {
		dir->nlink--;
		v->nlink = 0;
	} else {
		v->nlink--;
	}
	vfs_vnode_unused(v);
}

static int
ramfs_unlink(struct vnode *dir, const char *name, bool rmdir)
{
	struct vfs_dirent *d = dir_entry(dir, name);

	if (!d)
		return -ENOENT;
	if (rmdir && !S_ISDIR(d->vnode->mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(d->vnode->mode))
		return -EISDIR;
	if (rmdir && !list_empty(&d->vnode->children))
		return -ENOTEMPTY;
	dir_drop(dir, d);
	return 0;
}

/* The VFS checked kinds and ancestry; the target name never disappears:
 * the new entry is linked before the old one goes. */
static int
ramfs_rename(struct vnode *odir, const char *oname, struct vnode *ndir,
	     const char *nname)
{
	struct vfs_dirent *from = dir_entry(odir, oname);
	struct vfs_dirent *to = dir_entry(ndir, nname);
	struct vnode *v = from->vnode;
	int err;

	if (to && S_ISDIR(to->vnode->mode) && !list_empty(&to->vnode->children))
		return -ENOTEMPTY;
	if (to) {
		struct vnode *old = to->vnode;

		to->vnode = v;	/* replace in place: the name stays */
		v->parent = ndir;
		if (S_ISDIR(v->mode)) {
			/* ndir swaps old's ".." for v's; odir loses v's. */
			old->nlink = 0;
			odir->nlink--;
		} else {
			old->nlink--;
		}
		list_remove(&from->node);
		kfree(from);
		vfs_vnode_unused(old);
		return 0;
	}
	err = dir_link(ndir, nname, v);
	if (err)
		return err;
	list_remove(&from->node);
	kfree(from);
	if (S_ISDIR(v->mode))
		odir->nlink--;
	odir->mtime_ns = clock_realtime_ns();
	return 0;
}

/* Positions: 0 is ".", 1 "..", then entry k at k + 2. */
static int
ramfs_readdir(struct vnode *dir, uint64_t *pos, struct vfs_dirent_info *out)
{
	struct list_node *n;
	uint64_t k = 2;

	if (*pos < 2) {
		struct vnode *up = *pos && dir->parent ? dir->parent : dir;

		strlcpy(out->name, *pos ? ".." : ".", sizeof(out->name));
		out->ino = up->ino;
		out->type = S_IFDIR;
		(*pos)++;
		return 1;
	}
	list_for_each(n, &dir->children) {
		struct vfs_dirent *d = list_entry(n, struct vfs_dirent, node);

		if (k++ != *pos)
			continue;
		strlcpy(out->name, d->name, sizeof(out->name));
		out->ino = d->vnode->ino;
		out->type = d->vnode->mode & S_IFMT;
		(*pos)++;
		return 1;
	}
	return 0;
}

/* A page of a file: the initrd's bytes while it shows them, else zeros
 * (a page never written). */
static int
ramfs_fill(void *owner, uint64_t index, void *page)
{
	struct vnode *v = owner;
	uint64_t off = index * PAGE_SIZE;

	if (v->data && off < v->size)
		memcpy(page, v->data + off,
		       MIN((uint64_t)PAGE_SIZE, v->size - off));
	return 0;
}

static const struct pcache_ops ramfs_pcache_ops = { .fill = ramfs_fill };

/* The file's cache; before a change (@write) it takes in whatever initrd
 * bytes it shows, which stop being shown. */
static struct pcache *
ramfs_cache(struct vnode *v, bool write, int *err)
{
	*err = 0;
	if (!v->pcache)
		v->pcache = pcache_new(&ramfs_pcache_ops, v);
	if (!v->pcache) {
		*err = -ENOMEM;
		return NULL;
	}
	if (write && v->data) {
		*err = pcache_populate(v->pcache, 0,
				       ALIGN_UP(v->size, PAGE_SIZE) / PAGE_SIZE,
				       v->size);
		if (*err)
			return NULL;
		v->data = NULL;
	}
	return v->pcache;
}

static long
ramfs_read(struct vnode *v, char *kbuf, size_t len, uint64_t off)
{
	int err;

	if (v->data) {		/* unchanged initrd bytes */
		if (off >= v->size)
			return 0;
		len = MIN(len, v->size - off);
		memcpy(kbuf, v->data + off, len);
		return (long)len;
	}
	if (!ramfs_cache(v, false, &err))
		return err;
	return pcache_read(v->pcache, kbuf, len, off, v->size);
}

static long
ramfs_write(struct vnode *v, const char *kbuf, size_t len, uint64_t off)
{
	long n;
	int err;

	if (!ramfs_cache(v, true, &err))
		return err;
	n = pcache_write(v->pcache, kbuf, len, off, &v->size);
	if (n > 0)
		v->mtime_ns = v->ctime_ns = clock_realtime_ns();
	return n;
}

static int
ramfs_truncate(struct vnode *v, uint64_t size)
{
	int err;

	if (!ramfs_cache(v, true, &err))
		return err;
	pcache_resize(v->pcache, v->size, size);
	v->size = size;
	v->mtime_ns = v->ctime_ns = clock_realtime_ns();
	return 0;
}

static long
ramfs_readlink(struct vnode *v, char *buf, size_t len)
{
	len = MIN(len, v->size);
	memcpy(buf, v->data, len);
	return (long)len;
}

static const void *
ramfs_contents(struct vnode *v)
{
	return v->data;
}

static const struct vnode_ops ramfs_vnode_ops = {
	.lookup = ramfs_lookup, .create = ramfs_create, .symlink = ramfs_symlink,
	.link = ramfs_link, .unlink = ramfs_unlink, .rename = ramfs_rename,
	.readdir = ramfs_readdir, .read = ramfs_read, .write = ramfs_write,
	.truncate = ramfs_truncate, .readlink = ramfs_readlink,
	.release = ramfs_release, .contents = ramfs_contents,
	.cache = ramfs_cache,
};

int
ramfs_borrow(struct vnode *v, const void *data, size_t size)
{
	if (v->ops != &ramfs_vnode_ops || !S_ISREG(v->mode) || v->size)
		return -EINVAL;
	v->data = (uint8_t *)data;	/* capacity 0: borrowed */
	v->size = size;
	return 0;
}

/* Inode counts stay 0, as on Linux's ramfs: there is no inode table to
 * run out of. */
static int
ramfs_statfs(struct mount *m, struct vfs_statfs *out)
{
	out->magic = container_of(m, struct ramfs, mount)->magic;
	out->block_size = RAMFS_BLOCK;
	out->blocks = pmm_total_page_count();
	out->blocks_free = out->blocks_avail = pmm_free_page_count();
	return 0;
}

static const struct mount_ops ramfs_mount_ops = { .statfs = ramfs_statfs };

struct mount *
ramfs_new(const char *source, const char *type, uint64_t magic)
{
	struct ramfs *fs = kzalloc(sizeof(*fs));

	if (!fs)
		return NULL;
	fs->magic = magic;
	fs->mount.ops = &ramfs_mount_ops;
	strlcpy(fs->mount.source, source, sizeof(fs->mount.source));
	strlcpy(fs->mount.type, type, sizeof(fs->mount.type));
	fs->mount.root = ramfs_vnode_new(&fs->mount, S_IFDIR | 0755);
	if (!fs->mount.root) {
		kfree(fs);
		return NULL;
	}
	return &fs->mount;
}
