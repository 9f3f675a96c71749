/* cpio "newc" reader: decodes one 110-byte ASCII header at a time, checks
 * every field and length against the archive's bounds, and hands back
 * pointers into the archive. Pure: reads only the buffer it is given. */
#include <keel/compiler.h>
#include <keel/cpio.h>
#include <keel/errno.h>
#include <keel/string.h>

/* The newc header: 6 magic bytes and 13 fields of 8 hex digits, no NUL.
 * The name follows, then padding to 4 bytes; then the data, padded too. */
struct cpio_newc_header {
	char c_magic[6];
	char c_ino[8];
	char c_mode[8];
	char c_uid[8];
	char c_gid[8];
	char c_nlink[8];
	char c_mtime[8];
	char c_filesize[8];
	char c_devmajor[8];
	char c_devminor[8];
	char c_rdevmajor[8];
	char c_rdevminor[8];
	char c_namesize[8];	/* including the NUL */
	char c_check[8];	/* "070702" only: sum of the data bytes */
};

_Static_assert(sizeof(struct cpio_newc_header) == 110, "newc header size");

#define CPIO_MAGIC_NEWC		"070701"
#define CPIO_MAGIC_CRC		"070702"
#define CPIO_MAGIC_LEN		6
#define CPIO_HEX_DIGITS		8
#define CPIO_ALIGN		4
#define CPIO_TRAILER		"TRAILER!!!"
#define CPIO_S_IFMT		0170000	/* c_mode's file type bits */
#define CPIO_S_IFREG		0100000

static int
cpio_reject(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

/* Decodes one 8-digit hex field; false on any non-hex character. */
static bool
cpio_hex(const char *field, uint32_t *val)
{
	uint32_t v = 0;

	for (int i = 0; i < CPIO_HEX_DIGITS; i++) {
		char c = field[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*val = v;
	return true;
}

/* Decodes the numeric fields into *e (namesize/filesize/check apart). */
static bool
cpio_fields(const struct cpio_newc_header *h, struct cpio_entry *e,
	    uint32_t *namesize, uint32_t *filesize, uint32_t *check)
{
	return cpio_hex(h->c_ino, &e->ino) && cpio_hex(h->c_mode, &e->mode) &&
	       cpio_hex(h->c_uid, &e->uid) && cpio_hex(h->c_gid, &e->gid) &&
	       cpio_hex(h->c_nlink, &e->nlink) &&
	       cpio_hex(h->c_mtime, &e->mtime) &&
	       cpio_hex(h->c_filesize, filesize) &&
	       cpio_hex(h->c_devmajor, &e->devmajor) &&
	       cpio_hex(h->c_devminor, &e->devminor) &&
	       cpio_hex(h->c_rdevmajor, &e->rdevmajor) &&
	       cpio_hex(h->c_rdevminor, &e->rdevminor) &&
	       cpio_hex(h->c_namesize, namesize) &&
	       cpio_hex(h->c_check, check);
}

/* Padding is counted from the archive's start; clamped at its end so a
 * final entry whose padding was cut off still reads. */
static size_t
cpio_pad(size_t off, size_t len)
{
	size_t up = ALIGN_UP(off, CPIO_ALIGN);

	return up > len ? len : up;
}

static uint32_t
cpio_sum(const uint8_t *data, size_t size)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < size; i++)
		sum += data[i];
	return sum;
}

/* Reads the name at off (namesize bytes, NUL included) into *e. */
static int
cpio_name(const uint8_t *bytes, size_t len, size_t off, uint32_t namesize,
	  struct cpio_entry *e, const char **why)
{
	if (namesize == 0)
		return cpio_reject(why, "empty name");
	if (namesize > CPIO_NAME_MAX)
		return cpio_reject(why, "name too long");
	if (namesize > len - off)
		return cpio_reject(why, "name past the end");
	e->name = (const char *)bytes + off;
	e->namelen = strnlen(e->name, namesize);
	if (e->namelen != namesize - 1)
		return cpio_reject(why, "name not terminated");
	return 0;
}

int
cpio_next(const void *buf, size_t len, size_t *offset, struct cpio_entry *e,
	  const char **why)
{
	const uint8_t *bytes = buf;
	struct cpio_newc_header h;
	uint32_t namesize, filesize, check;
	size_t off = *offset;
	bool crc;
	int err;

	if (off > len || len - off < sizeof(h))
		return cpio_reject(why, off == len ? "missing trailer" :
				   "truncated header");
	memcpy(&h, bytes + off, sizeof(h));
	crc = !memcmp(h.c_magic, CPIO_MAGIC_CRC, CPIO_MAGIC_LEN);
	if (!crc && memcmp(h.c_magic, CPIO_MAGIC_NEWC, CPIO_MAGIC_LEN))
		return cpio_reject(why, "bad magic");
	if (!cpio_fields(&h, e, &namesize, &filesize, &check))
		return cpio_reject(why, "bad hex field");
	err = cpio_name(bytes, len, off + sizeof(h), namesize, e, why);
	if (err)
		return err;
	off = cpio_pad(off + sizeof(h) + namesize, len);
	if (filesize > len - off)
		return cpio_reject(why, "data past the end");
	e->data = bytes + off;
	e->size = filesize;
	/* GNU cpio sums regular files only; other entries carry 0. */
	if (crc && (e->mode & CPIO_S_IFMT) == CPIO_S_IFREG &&
	    cpio_sum(e->data, e->size) != check)
		return cpio_reject(why, "checksum mismatch");
	*offset = cpio_pad(off + filesize, len);
	return strcmp(e->name, CPIO_TRAILER) ? 1 : 0;
}

const char *
cpio_entry_path(const struct cpio_entry *e, size_t *len)
{
	const char *p = e->name;

	for (;;) {
		if (p[0] == '/')
			p++;
		else if (p[0] == '.' && p[1] == '/')
			p += 2;
		else if (p[0] == '.' && p[1] == '\0')
			p++;
		else
			break;
	}
	*len = e->namelen - (size_t)(p - e->name);
	return p;
}
