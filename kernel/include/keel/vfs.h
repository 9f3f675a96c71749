/* The file system layer: mounted file systems joined into one tree rooted
 * at "/", each serving its vnodes (files, directories, symbolic links,
 * devices) through struct vnode_ops; path lookup with "..", symbolic links,
 * mount points and a working directory. */
#ifndef KEEL_VFS_H
#define KEEL_VFS_H

#include <keel/compiler.h>
#include <keel/list.h>

#define VFS_NAME_MAX	255
#define VFS_PATH_MAX	4096
#define VFS_SYMLOOP_MAX	40

/* st_mode bits (Linux values) */
#define S_IFMT		0170000
#define S_IFIFO		0010000
#define S_IFDIR		0040000
#define S_IFCHR		0020000
#define S_IFREG		0100000
#define S_IFLNK		0120000
#define S_IFBLK		0060000
#define S_IFSOCK	0140000
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m)	(((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m)	(((m) & S_IFMT) == S_IFCHR)
#define S_ISFIFO(m)	(((m) & S_IFMT) == S_IFIFO)

struct vnode;
struct mount;
struct pollq;
struct pcache;

/* What a device node (or pipe) does; files and directories have none.
 * read/write get the file offset in @arg, except for pipes and anonymous
 * files (epoll, eventfd, timerfd: no S_IFMT type), which take the open
 * flags there (O_NONBLOCK). They may sleep: no tree lock is held.
 * release runs when the last descriptor of an open file goes.
 * poll (optional; see keel/poll.h) returns the EPOLL* events the object
 * has now for an open file with @flags, and sets *pq to the pollq it
 * notifies on changes; it never sleeps. Without it a file is always
 * ready, and epoll refuses it as Linux does (-EPERM). */
struct vnode_dev_ops {
	long (*read)(struct vnode *v, char *kbuf, size_t len, uint64_t arg);
	long (*write)(struct vnode *v, const char *kbuf, size_t len, uint64_t arg);
	long (*ioctl)(struct vnode *v, unsigned long req, uint64_t arg);
	void (*release)(struct vnode *v, int flags);
	uint32_t (*poll)(struct vnode *v, int flags, struct pollq **pq);
};

/* One directory entry as readdir reports it. */
struct vfs_dirent_info {
	uint64_t ino;
	uint32_t type;			/* S_IFMT bits of the entry */
	char name[VFS_NAME_MAX + 1];
};

/* What a file system does with its vnodes. Called with the tree lock held
 * (vfs_tree_lock), so an implementation may sleep but needs no lock of its
 * own for its metadata. Attributes (mode, uid, gid, size, times, nlink)
 * live in the vnode; setattr stores them after the VFS changed them.
 * Unneeded members may be NULL: the VFS answers -EPERM, -EINVAL or
 * -EROFS as Linux would for a file system without the operation. */
struct vnode_ops {
	/* The entry @name of @dir ("." and ".." included), or NULL with *err. */
	struct vnode *(*lookup)(struct vnode *dir, const char *name, int *err);
	/* A new file, directory or device node; -EEXIST if the name is taken. */
	struct vnode *(*create)(struct vnode *dir, const char *name,
				uint32_t mode, int *err);
	int (*symlink)(struct vnode *dir, const char *name, const char *target,
		       size_t len);
	int (*link)(struct vnode *dir, const char *name, struct vnode *v);
	int (*unlink)(struct vnode *dir, const char *name, bool rmdir);
	/* rename(2): replaces what @nname names (same kind only), atomically. */
	int (*rename)(struct vnode *odir, const char *oname, struct vnode *ndir,
		      const char *nname);
	/* The entry at position *pos into @out and *pos advanced past it:
	 * returns 1, 0 past the last entry, or a negative errno. Positions are
	 * the file system's own cookies; 0 is the first entry. */
	int (*readdir)(struct vnode *dir, uint64_t *pos,
		       struct vfs_dirent_info *out);
	long (*read)(struct vnode *v, char *kbuf, size_t len, uint64_t off);
	long (*write)(struct vnode *v, const char *kbuf, size_t len, uint64_t off);
	int (*truncate)(struct vnode *v, uint64_t size);
	/* A link's target into @buf (not NUL-terminated); its length. */
	long (*readlink)(struct vnode *v, char *buf, size_t len);
	int (*setattr)(struct vnode *v);
	/* The file's data and attributes are on stable storage. */
	int (*fsync)(struct vnode *v);
	/* Nothing names @v and nothing uses it: free it and its storage. */
	void (*release)(struct vnode *v);
	/* The contents as one buffer that stays valid while @v lives, or NULL
	 * (then the caller reads them). Lets exec use an initrd file in place. */
	const void *(*contents)(struct vnode *v);
	/* Regular files: the page cache holding the contents, made on first
	 * use, for a shared mapping (@write: a writable one); NULL with *err
	 * (-ENODEV: the file system cannot map files). */
	struct pcache *(*cache)(struct vnode *v, bool write, int *err);
};

struct vnode {
	uint32_t mode;			/* type and permissions */
	uint32_t nlink;
	uint32_t uid, gid;		/* kept for chown and stat; all runs as root */
	uint32_t flock_shared;		/* flock(): holders of the shared lock */
	bool flock_excl;		/* flock(): the exclusive lock is held */
	uint64_t ino;
	uint64_t size;			/* bytes (files, link targets) */
	uint64_t mtime_ns, ctime_ns, atime_ns;
	int refs;			/* open files holding it */
	const struct vnode_ops *ops;	/* its file system's operations */
	struct mount *mnt;		/* the mount it belongs to */
	struct mount *mounted;		/* directories: a mount hiding it */
	void *fs_data;			/* its file system's */
	struct vnode *parent;		/* directories: for ".."; others: where
					   last linked, for their path */
	struct list_node children;	/* ramfs directories: struct vfs_dirent */
	uint8_t *data;			/* ramfs links: the target; ramfs files:
					   initrd bytes shown in place until
					   first changed, else NULL */
	size_t capacity;		/* bytes allocated at data; 0: borrowed */
	struct pcache *pcache;		/* regular files: cached pages, or NULL */
	const struct vnode_dev_ops *dev;	/* devices */
	uint32_t rdev;			/* devices: major << 8 | minor */
};

struct vfs_dirent {
	struct list_node node;
	struct vnode *vnode;
	char name[];			/* NUL-terminated */
};

/* An attribute change: the members @mask names. */
#define VFS_ATTR_MODE		0x1	/* permission bits only */
#define VFS_ATTR_UID		0x2
#define VFS_ATTR_GID		0x4
#define VFS_ATTR_ATIME		0x8
#define VFS_ATTR_MTIME		0x10
struct vfs_attr {
	unsigned mask;
	uint32_t mode, uid, gid;
	uint64_t atime_ns, mtime_ns;
};

/* statfs(2) figures of one mounted file system. */
struct vfs_statfs {
	uint64_t magic;
	uint64_t block_size;
	uint64_t blocks, blocks_free, blocks_avail;
	uint64_t files, files_free;
};

/* What a mounted file system does as a whole. */
struct mount_ops {
	int (*statfs)(struct mount *m, struct vfs_statfs *out);
	/* Everything written so far reaches stable storage. */
	int (*sync)(struct mount *m);
	/* Last sync and release at power-off; the mount is not used again. */
	int (*unmount)(struct mount *m);
	/* drop_caches: forget clean cached blocks (NULL: nothing cached). */
	void (*drop_caches)(struct mount *m);
};

#define MOUNT_SOURCE_MAX	32
#define MOUNT_TYPE_MAX		16
#define MOUNT_READ_ONLY		0x1

/* One mounted file system: its root and the directory it hides. */
struct mount {
	struct list_node node;
	struct vnode *root;
	struct vnode *covered;		/* NULL for "/" */
	const struct mount_ops *ops;
	void *fs_data;
	uint32_t dev;			/* st_dev of its files */
	unsigned flags;			/* MOUNT_* */
	char source[MOUNT_SOURCE_MAX];	/* as /proc/mounts shows it */
	char type[MOUNT_TYPE_MAX];
};

/* The tree lock: one sleeping lock over every file system's metadata and
 * the mount table. File contents of devices and pipes are not under it. */
void
vfs_tree_lock(void);
void
vfs_tree_unlock(void);

/* Boot: the root file system -- the initrd (@initrd, NULL if none)
 * unpacked into a ramfs, or ext2 on a disk (see vfs_boot.c; @rootfs is
 * --rootfs's value or NULL) -- then the pseudo file systems on /dev,
 * /proc, /sys and /tmp, then each --mount=DEV:DIR. Return 0 or a negative
 * errno, said on the console (a corrupt archive is reported and the rest
 * of the tree stays usable). */
int
vfs_mount_boot_root(const char *rootfs, const void *initrd, size_t initrd_len);
int
vfs_unpack_cpio(const void *archive, size_t len);
int
vfs_mount_pseudo(void);
int
vfs_mount_data(const char *dev, const char *dir);

struct vnode *
vfs_root(void);
struct vnode *
vfs_cwd(void);
void
vfs_set_cwd(struct vnode *dir);

#define LOOKUP_NOFOLLOW	0x1	/* the last component may be a link */
#define LOOKUP_PARENT	0x2	/* stop at the last component's directory */

/* Resolves @path from @start (NULL: the working directory), crossing
 * mount points both ways. Returns the vnode, or NULL with *err: -ENOENT,
 * -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EIO. With LOOKUP_PARENT, returns the
 * parent and copies the last name into @last (VFS_NAME_MAX + 1 bytes). */
struct vnode *
vfs_lookup(struct vnode *start, const char *path, int flags, char *last,
	   int *err);

/* The absolute path of @v (a directory, or a file by the directory it was
 * last linked in), built backwards into the end of @buf: returns the
 * offset where it starts, or -ENOENT (removed), -ERANGE (too long). */
long
vfs_path_of(struct vnode *v, char *buf, size_t size);

/* Directory operations, through the directory's file system. vfs_dir_find
 * does not cross mount points (vfs_lookup does). */
struct vnode *
vfs_dir_find(struct vnode *dir, const char *name);
struct vnode *
vfs_create(struct vnode *dir, const char *name, uint32_t mode, int *err);
int
vfs_symlink(struct vnode *dir, const char *name, const char *target);
int
vfs_link(struct vnode *dir, const char *name, struct vnode *v);
int
vfs_unlink(struct vnode *dir, const char *name, bool rmdir);
/* Moves @oname of @odir to @nname of @ndir, replacing what is there
 * (same kind only), as rename(2); -EXDEV across file systems. */
int
vfs_rename(struct vnode *odir, const char *oname, struct vnode *ndir,
	   const char *nname);
int
vfs_readdir(struct vnode *dir, uint64_t *pos, struct vfs_dirent_info *out);
long
vfs_readlink(struct vnode *v, char *buf, size_t len);

/* File contents and attributes. */
long
vfs_read(struct vnode *v, char *kbuf, size_t len, uint64_t off);
long
vfs_write(struct vnode *v, const char *kbuf, size_t len, uint64_t off);
int
vfs_truncate(struct vnode *v, uint64_t size);
/* Changes the attributes @a names; ctime becomes now. */
int
vfs_setattr(struct vnode *v, const struct vfs_attr *a);
int
vfs_fsync(struct vnode *v);
/* The page cache of regular file @v for a shared mapping (see
 * vnode_ops.cache); -EACCES for a writable one on a read-only mount. */
struct pcache *
vfs_map_cache(struct vnode *v, bool write, int *err);
/* The whole contents of regular file @v: borrowed where the file system
 * keeps them in memory (*owned false), else read into a new allocation
 * the caller frees (*owned true). */
int
vfs_read_whole(struct vnode *v, const void **data, size_t *size, bool *owned);
/* A path lookup's result stays valid for the rest of the system call:
 * held (tree lock held) and let go when the call returns. */
void
vfs_hold_for_call(struct vnode *v);
void
vfs_release_call_holds(void);
/* An open file let go of @v: frees it if nothing names it any more. */
void
vfs_vnode_unused(struct vnode *v);

/* Mounts. */
/* Attaches @m (root, ops, source and type filled in) on directory @dir,
 * or as "/" when @dir is NULL. */
int
vfs_mount(struct mount *m, struct vnode *dir);
/* The mount @v's file system is; st_dev comes from it. */
struct mount *
vfs_mount_of(struct vnode *v);
int
vfs_statfs(struct vnode *v, struct vfs_statfs *out);
/* sync(2): every mounted file system; the first error. */
int
vfs_sync_all(void);
/* Power-off: syncs and unmounts every file system, newest first. */
void
vfs_unmount_all(void);
/* /proc/sys/vm/drop_caches: clean cached file data (VFS_DROP_PAGES) and
 * file-system blocks (VFS_DROP_BLOCKS) forgotten, as Linux's 1 and 2. */
#define VFS_DROP_PAGES		0x1
#define VFS_DROP_BLOCKS		0x2
void
vfs_drop_caches(int what);
/* /proc/mounts' text into @buf; its length. */
int
vfs_format_mounts(char *buf, size_t size);

/* A new empty in-memory file system (ramfs, tmpfs, devfs, proc) of
 * @type, to be passed to vfs_mount. */
struct mount *
ramfs_new(const char *source, const char *type, uint64_t magic);

/* /proc/self/exe: points at @path (the program's absolute path). */
int
procfs_set_exe(const char *path);
/* /proc/self/cmdline: the program's arguments. */
void
procfs_set_cmdline(char *const argv[]);

/* Creates /dev/NAME with @ops. */
int
vfs_mknod(const char *name, uint32_t rdev, const struct vnode_dev_ops *ops);

#endif
