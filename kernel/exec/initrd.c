/* Files straight out of the initrd (a cpio newc archive passed as the first
 * boot module), found by path with symbolic links followed. This serves the
 * program loader until the VFS unpacks the initrd into a ramfs. */
#include <keel/boot.h>
#include <keel/cpio.h>
#include <keel/errno.h>
#include <keel/initrd.h>
#include <keel/page.h>
#include <keel/string.h>

#define S_IFMT		0170000
#define S_IFREG		0100000
#define S_IFLNK		0120000
#define SYMLINK_HOPS	8

/* Finds @path (without leading "/") in the archive. */
static int
initrd_lookup_exact(const char *path, size_t plen, struct cpio_entry *out)
{
	const struct boot_module *m = &boot_info.modules[0];
	const void *buf = phys_to_virt(m->base);
	size_t off = 0, len;
	int r;

	if (boot_info.nmodules == 0)
		return -ENOENT;
	while ((r = cpio_next(buf, m->len, &off, out, NULL)) == 1) {
		const char *name = cpio_entry_path(out, &len);

		if (len == plen && memcmp(name, path, len) == 0)
			return 0;
	}
	return r < 0 ? -EIO : -ENOENT;
}

/* Replaces the last component of @path (length *plen) by a link target. */
static int
initrd_follow(char *path, size_t *plen, const struct cpio_entry *link)
{
	const char *target = link->data;
	size_t dir = *plen, tlen = link->size;

	while (dir > 0 && path[dir - 1] != '/')
		dir--;
	if (tlen > 0 && target[0] == '/') {
		dir = 0;
		target++;
		tlen--;
	}
	if (dir + tlen >= INITRD_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(path + dir, target, tlen);
	*plen = dir + tlen;
	path[*plen] = '\0';
	return 0;
}

int
initrd_open(const char *path, struct initrd_file *f)
{
	char buf[INITRD_PATH_MAX];
	struct cpio_entry e;
	size_t plen;
	int err;

	while (*path == '/')
		path++;
	plen = strlcpy(buf, path, sizeof(buf));
	if (plen >= sizeof(buf))
		return -ENAMETOOLONG;
	for (int hop = 0; hop <= SYMLINK_HOPS; hop++) {
		err = initrd_lookup_exact(buf, plen, &e);
		if (err)
			return err;
		if ((e.mode & S_IFMT) != S_IFLNK) {
			f->data = e.data;
			f->size = e.size;
			f->mode = e.mode;
			return (e.mode & S_IFMT) == S_IFREG ? 0 : -EACCES;
		}
		err = initrd_follow(buf, &plen, &e);
		if (err)
			return err;
	}
	return -ELOOP;
}
