/* The file system layer: vnodes (files, directories, symbolic links and
 * devices) in one tree rooted at "/", path lookup with "..", symbolic links
 * and a working directory, and open files shared by the descriptor table.
 * The tree is a ramfs, filled from the initrd at boot; devices sit in /dev. */
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
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m)	(((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m)	(((m) & S_IFMT) == S_IFCHR)
#define S_ISFIFO(m)	(((m) & S_IFMT) == S_IFIFO)

struct vnode;
struct pollq;

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

struct vnode {
	uint32_t mode;			/* type and permissions */
	uint32_t nlink;
	uint32_t uid, gid;
	uint32_t flock_shared;		/* flock(): holders of the shared lock */
	bool flock_excl;		/* flock(): the exclusive lock is held */		/* kept for chown and stat; all runs as root */
	uint64_t ino;
	uint64_t size;			/* bytes (files, link targets) */
	uint64_t mtime_ns, ctime_ns, atime_ns;
	int refs;			/* open files and lookups holding it */
	struct vnode *parent;		/* directories: for ".." */
	struct list_node children;	/* directories: struct vfs_dirent */
	uint8_t *data;			/* files and links: contents */
	size_t capacity;		/* bytes allocated at data; 0: borrowed */
	const struct vnode_dev_ops *dev;	/* devices */
	uint32_t rdev;			/* devices: major << 8 | minor */
};

struct vfs_dirent {
	struct list_node node;
	struct vnode *vnode;
	char name[];			/* NUL-terminated */
};

/* Boot: the root directory, /dev with its devices, /tmp; then the initrd
 * archive unpacked into the tree. Returns 0 or a negative errno (a corrupt
 * archive is reported and the rest of the tree stays usable). */
int
vfs_init(void);
int
vfs_unpack_cpio(const void *archive, size_t len);

struct vnode *
vfs_root(void);
struct vnode *
vfs_cwd(void);
void
vfs_set_cwd(struct vnode *dir);

#define LOOKUP_NOFOLLOW	0x1	/* the last component may be a link */
#define LOOKUP_PARENT	0x2	/* stop at the last component's directory */

/* Resolves @path from @start (NULL: the working directory). Returns the
 * vnode, or NULL with *err: -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG.
 * With LOOKUP_PARENT, returns the parent and copies the last name into
 * @last (VFS_NAME_MAX + 1 bytes). */
struct vnode *
vfs_lookup(struct vnode *start, const char *path, int flags, char *last,
	   int *err);

/* Directory operations on the ramfs. */
struct vnode *
vfs_dir_find(struct vnode *dir, const char *name);
struct vnode *
vfs_create(struct vnode *dir, const char *name, uint32_t mode, int *err);
int
vfs_unlink(struct vnode *dir, const char *name, bool rmdir);
/* Moves @oname of @odir to @nname of @ndir, replacing what is there
 * (same kind only), as rename(2). */
int
vfs_rename(struct vnode *odir, const char *oname, struct vnode *ndir,
	   const char *nname);
int
vfs_symlink_set(struct vnode *link, const char *target, size_t len);

/* File contents. */
long
vfs_read(struct vnode *v, char *kbuf, size_t len, uint64_t off);
long
vfs_write(struct vnode *v, const char *kbuf, size_t len, uint64_t off);
int
vfs_truncate(struct vnode *v, uint64_t size);

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
