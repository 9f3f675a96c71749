/* Reading cpio "newc" archives (the initramfs format): one entry at a time,
 * straight out of the archive's memory, nothing copied or allocated. */
#ifndef KEEL_CPIO_H
#define KEEL_CPIO_H

#include <stddef.h>
#include <stdint.h>

#define CPIO_NAME_MAX	4096	/* name bytes including the NUL (PATH_MAX) */

/* One archive member. name and data point into the archive. */
struct cpio_entry {
	const char *name;	/* NUL-terminated, as stored ("./bin/sh") */
	size_t namelen;		/* strlen(name) */
	uint32_t mode;		/* st_mode: S_IFMT type bits and permissions */
	uint32_t uid;
	uint32_t gid;
	uint32_t nlink;
	uint32_t mtime;
	uint32_t ino;
	uint32_t devmajor;	/* device holding the file on the packer */
	uint32_t devminor;
	uint32_t rdevmajor;	/* for device nodes */
	uint32_t rdevminor;
	const void *data;	/* file contents, or a symlink's target */
	size_t size;		/* bytes at data; a target is not terminated */
};

/*
 * Reads the entry at *offset of the archive buf[0, len) into *e and moves
 * *offset past it and its padding. Returns 1 for an entry, 0 at the
 * "TRAILER!!!" entry (with *offset after it, where a concatenated archive
 * may follow), or -EINVAL with a short static reason in *why (why may be
 * NULL). Never reads outside buf. Pure: any context, no locks.
 */
int cpio_next(const void *buf, size_t len, size_t *offset,
	      struct cpio_entry *e, const char **why);

/*
 * The entry's name without leading "/" and "./" prefixes, so "./bin/sh",
 * "/bin/sh" and "bin/sh" all give "bin/sh", and "." gives "" (the root).
 * Returns a suffix of e->name (still NUL-terminated) and its length in
 * *len. Other components (".." included) are left for the caller to judge.
 */
const char *cpio_entry_path(const struct cpio_entry *e, size_t *len);

#endif
