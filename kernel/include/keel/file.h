/* Open files and the descriptor table (one process, one table): a file is
 * a vnode, an offset and the open flags, shared by the descriptors dup()
 * made of it. */
#ifndef KEEL_FILE_H
#define KEEL_FILE_H

#include <keel/vfs.h>

#define FD_MAX		1024	/* RLIMIT_NOFILE's hard default is higher */

/* open(2) flags (Linux values) */
#define O_ACCMODE	0003
#define O_RDONLY	00
#define O_WRONLY	01
#define O_RDWR		02
#define O_CREAT		0100
#define O_EXCL		0200
#define O_NOCTTY	0400
#define O_TRUNC		01000
#define O_APPEND	02000
#define O_NONBLOCK	04000
#define O_DIRECTORY	0200000
#define O_NOFOLLOW	0400000
#define O_CLOEXEC	02000000
#define O_PATH		010000000
#define O_LARGEFILE	0100000

struct file {
	struct vnode *vnode;
	uint64_t offset;
	int flags;		/* O_* as opened, less O_CLOEXEC */
	int refs;		/* descriptors naming it, and fd_get_ref()s */
	uint8_t flock_held;	/* FLOCK_*: what flock() gave this file */
	struct list_node epoll_items;	/* epoll sets watching it (epoll.c) */
};

/* flock(2): what a file holds or asks for. */
#define FLOCK_NONE		0
#define FLOCK_SHARED		1
#define FLOCK_EXCLUSIVE		2

/* Takes (or converts to) @want, or drops the lock for FLOCK_NONE; waits
 * for conflicting holders unless @nonblock (-EAGAIN then). */
int
flock_apply(struct file *f, int want, bool nonblock);
/* The last reference to @f is gone: its lock goes too. */
void
flock_release(struct file *f);
void
flock_init(void);

/* fcntl() byte-range locks. Ranges are inclusive; RECORD_LOCK_EOF as
 * the end covers the file however far it grows. */
#define RECORD_READ		0	/* F_RDLCK */
#define RECORD_WRITE		1	/* F_WRLCK */
#define RECORD_UNLOCK		2	/* F_UNLCK */
#define RECORD_LOCK_EOF		UINT64_MAX

struct record_lock_info {
	int type;		/* in: what would be asked; out: the conflict's */
	uint64_t start, end;
	bool ofd;		/* out: the conflicting lock is an OFD lock */
};

/* Sets (RECORD_READ/WRITE) or clears (RECORD_UNLOCK) [start, end] for
 * the process (POSIX) or for @f (@ofd); waits for conflicting locks if
 * @wait, else -EAGAIN. */
int
record_lock_set(struct file *f, bool ofd, int type, uint64_t start,
		uint64_t end, bool wait);
/* F_GETLK: the first lock that would conflict, or type RECORD_UNLOCK. */
int
record_lock_get(struct file *f, bool ofd, struct record_lock_info *info);
/* A descriptor of @f's file closed: the process's POSIX locks on it go. */
void
record_lock_close(struct file *f);
/* @f's last descriptor closed: its OFD locks go. */
void
record_lock_release(struct file *f);

/* Installs @f at the lowest free descriptor >= @min; returns it or
 * -EMFILE. Takes a reference. */
int
fd_install(struct file *f, int min, bool cloexec);
/* The file at @fd, or NULL. Valid while the descriptor stays open. */
struct file *
fd_get(int fd);
int
fd_close(int fd);
/* The file at @fd with a reference that keeps it open even if the
 * descriptor is closed meanwhile (for calls that sleep on it), or NULL.
 * file_unref() drops it, finishing the file if it was the last. */
struct file *
fd_get_ref(int fd);
/* The same for calls that do I/O: an O_PATH file counts as closed. */
struct file *
fd_get_ref_io(int fd);
void
file_unref(struct file *f);
/* dup2/dup3 semantics: @newfd made a copy of @oldfd. */
int
fd_dup_to(int oldfd, int newfd, bool cloexec);
int
fd_get_cloexec(int fd);
int
fd_set_cloexec(int fd, bool on);

struct file *
file_new(struct vnode *v, int flags);
/* Ends a file no descriptor ever named (fd_install failed). */
void
file_discard(struct file *f);

/* The last reference to @f is going: it leaves every epoll set
 * (epoll.c). May sleep. */
void
epoll_file_release(struct file *f);

/* Boot: descriptors 0, 1 and 2 on the console. */
int
fd_init_console(void);

#endif
