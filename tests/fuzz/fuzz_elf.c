/* libFuzzer target for exec/elf_parse.c: any input either is rejected with
 * -ENOEXEC and a reason, or yields a plan that keeps the loader's
 * invariants. ASan and UBSan catch any read outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/elf.h>
#include <keel/errno.h>

static void
check_plan(const struct elf_image *img, size_t len)
{
	uint64_t prev_end = 0;

	if (img->nload == 0 || img->nload > ELF_MAX_LOAD || img->lo >= img->hi ||
	    img->hi > ELF_USER_END || img->hi - img->lo > ELF_MAX_SPAN ||
	    img->interp_len >= ELF_INTERP_MAX ||
	    strlen(img->interp) != img->interp_len)
		abort();
	for (unsigned int i = 0; i < img->nload; i++) {
		const struct elf_segment *s = &img->load[i];

		if (s->filesz > s->memsz || s->offset > len ||
		    s->filesz > len - s->offset || s->vaddr < img->lo ||
		    s->vaddr + s->memsz > img->hi ||
		    (s->vaddr - s->offset) % ELF_PAGE_SIZE != 0 ||
		    (i > 0 && s->vaddr / ELF_PAGE_SIZE < prev_end))
			abort();
		prev_end = (s->vaddr + s->memsz + ELF_PAGE_SIZE - 1) /
			   ELF_PAGE_SIZE;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image img;
	const char *why = NULL;
	int r = elf_parse(data, size, &img, &why);

	if (r == 0)
		check_plan(&img, size);
	else if (r != -ENOEXEC || why == NULL)
		abort();
	return 0;
}
