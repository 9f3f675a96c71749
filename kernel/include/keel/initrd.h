/* Reading files from the initrd archive in place (kernel/exec/initrd.c). */
#ifndef KEEL_INITRD_H
#define KEEL_INITRD_H

#include <keel/compiler.h>

#define INITRD_PATH_MAX	4096

struct initrd_file {
	const void *data;	/* inside the archive, read-only */
	size_t size;
	uint32_t mode;		/* st_mode */
};

/* Finds the regular file at @path, following symbolic links. Returns 0,
 * -ENOENT, -EACCES (not a regular file), -ELOOP, -ENAMETOOLONG or -EIO
 * (corrupt archive). */
int
initrd_open(const char *path, struct initrd_file *f);

#endif
