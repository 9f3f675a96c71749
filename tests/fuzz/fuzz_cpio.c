/* libFuzzer target for exec/cpio.c: walks every entry of any input; each
 * step either fails with -EINVAL and a reason or returns an entry whose
 * name and data lie inside the input. ASan and UBSan catch overreads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/cpio.h>
#include <keel/errno.h>

static void
check_entry(const uint8_t *data, size_t size, const struct cpio_entry *e)
{
	const uint8_t *d = e->data, *n = (const uint8_t *)e->name;
	size_t plen;

	if (d < data || d > data + size || e->size > size - (size_t)(d - data) ||
	    n < data || n + e->namelen >= data + size ||
	    e->namelen >= CPIO_NAME_MAX || strlen(e->name) != e->namelen ||
	    strlen(cpio_entry_path(e, &plen)) != plen)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpio_entry e;
	const char *why = NULL;
	size_t off = 0, prev;
	int r;

	do {
		prev = off;
		r = cpio_next(data, size, &off, &e, &why);
		if (r >= 0)
			check_entry(data, size, &e);
		if (r == 1 && (off <= prev || off > size))
			abort();
	} while (r == 1);
	if (r < 0 && (r != -EINVAL || why == NULL))
		abort();
	return 0;
}
