/* ELF validation: turns an executable's bytes in memory into a load plan
 * (struct elf_image), rejecting anything a loader could trip on. Pure: it
 * reads only the buffer it is given and calls nothing but memcpy/strnlen. */
#include <keel/compiler.h>
#include <keel/elf.h>
#include <keel/errno.h>
#include <keel/string.h>
#include "elf_format.h"

#define ELF_PHDR_SIZE	sizeof(struct elf64_phdr)
#define ELF_MAGIC	"\177ELF"
#define ELF_MAGIC_LEN	4

static int
elf_reject(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -ENOEXEC;
}

/* Whether [off, off + size) lies inside a file of len bytes; no overflow. */
static bool
elf_in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* Whether [addr, addr + size) lies inside the image's pages [lo, hi). */
static bool
elf_in_image(const struct elf_image *img, uint64_t addr, uint64_t size)
{
	return addr >= img->lo && addr <= img->hi && size <= img->hi - addr;
}

/* 0 and 1 mean "no constraint"; anything else must be a power of two. */
static bool
elf_align_ok(uint64_t align)
{
	return (align & (align - 1)) == 0;
}

static int
elf_check_ehdr(const struct elf64_ehdr *eh, size_t len, const char **why)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return elf_reject(why, "not a 64-bit ELF file");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return elf_reject(why, "not little-endian");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_version != EV_CURRENT)
		return elf_reject(why, "unknown ELF version");
	if (eh->e_machine != EM_X86_64)
		return elf_reject(why, "not x86_64");
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return elf_reject(why, "not an executable");
	if (eh->e_phentsize != ELF_PHDR_SIZE)
		return elf_reject(why, "bad program header size");
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
		return elf_reject(why, "bad program header count");
	if (!elf_in_file(eh->e_phoff, (uint64_t)eh->e_phnum * ELF_PHDR_SIZE,
			 len))
		return elf_reject(why, "truncated program headers");
	return 0;
}

static unsigned int
elf_prot(uint32_t flags)
{
	return ((flags & PF_R) ? ELF_PROT_READ : 0) |
	       ((flags & PF_W) ? ELF_PROT_WRITE : 0) |
	       ((flags & PF_X) ? ELF_PROT_EXEC : 0);
}

/* Segments must ascend without sharing a page: the loader maps whole pages
 * with one protection each, so a shared page would need two. */
static int
elf_add_load(struct elf_image *img, const struct elf64_phdr *ph, size_t len,
	     const char **why)
{
	struct elf_segment *seg;
	uint64_t start;

	if (ph->p_memsz == 0)
		return 0;	/* maps nothing */
	if (ph->p_filesz > ph->p_memsz)
		return elf_reject(why, "segment file size exceeds memory size");
	if (!elf_in_file(ph->p_offset, ph->p_filesz, len))
		return elf_reject(why, "segment outside the file");
	if (ph->p_vaddr + ph->p_memsz < ph->p_vaddr)
		return elf_reject(why, "segment wraps the address space");
	if (ph->p_vaddr + ph->p_memsz > ELF_USER_END)
		return elf_reject(why, "segment above the user address space");
	if (!elf_align_ok(ph->p_align) ||
	    (ph->p_vaddr - ph->p_offset) % ELF_PAGE_SIZE != 0)
		return elf_reject(why, "bad alignment");
	start = ALIGN_DOWN(ph->p_vaddr, ELF_PAGE_SIZE);
	if (img->nload > 0 && start < img->hi)
		return elf_reject(why, "overlapping segments");
	if (img->nload == ELF_MAX_LOAD)
		return elf_reject(why, "too many loadable segments");
	if (img->nload == 0)
		img->lo = start;
	img->hi = ALIGN_UP(ph->p_vaddr + ph->p_memsz, ELF_PAGE_SIZE);
	seg = &img->load[img->nload++];
	seg->vaddr = ph->p_vaddr;
	seg->memsz = ph->p_memsz;
	seg->offset = ph->p_offset;
	seg->filesz = ph->p_filesz;
	seg->prot = elf_prot(ph->p_flags);
	return 0;
}

/* The path is copied so the plan outlives the buffer. Like Linux, the path
 * ends at its first NUL but the segment's last byte must be one. */
static int
elf_set_interp(struct elf_image *img, const struct elf64_phdr *ph,
	       const uint8_t *buf, size_t len, const char **why)
{
	const char *path;
	size_t n;

	if (img->interp_len > 0)
		return elf_reject(why, "two interpreters");
	if (!elf_in_file(ph->p_offset, ph->p_filesz, len))
		return elf_reject(why, "interpreter path outside the file");
	if (ph->p_filesz == 0 || ph->p_filesz > ELF_INTERP_MAX)
		return elf_reject(why, "bad interpreter path length");
	path = (const char *)buf + ph->p_offset;
	if (path[ph->p_filesz - 1] != '\0')
		return elf_reject(why, "interpreter path not terminated");
	n = strnlen(path, ph->p_filesz);
	if (n == 0)
		return elf_reject(why, "empty interpreter path");
	memcpy(img->interp, path, n);
	img->interp[n] = '\0';
	img->interp_len = n;
	return 0;
}

static int
elf_set_tls(struct elf_image *img, const struct elf64_phdr *ph, size_t len,
	    const char **why)
{
	if (img->has_tls)
		return elf_reject(why, "two TLS segments");
	if (ph->p_filesz > ph->p_memsz)
		return elf_reject(why, "TLS file size exceeds memory size");
	if (ph->p_memsz > ELF_MAX_SPAN)
		return elf_reject(why, "TLS segment too large");
	if (!elf_in_file(ph->p_offset, ph->p_filesz, len))
		return elf_reject(why, "TLS segment outside the file");
	if (!elf_align_ok(ph->p_align) || ph->p_align > ELF_TLS_MAX_ALIGN)
		return elf_reject(why, "bad TLS alignment");
	img->has_tls = true;
	img->tls.vaddr = ph->p_vaddr;
	img->tls.filesz = ph->p_filesz;
	img->tls.memsz = ph->p_memsz;
	img->tls.align = ph->p_align;
	return 0;
}

static int
elf_set_relro(struct elf_image *img, const struct elf64_phdr *ph,
	      const char **why)
{
	if (img->has_relro)
		return elf_reject(why, "two RELRO segments");
	img->has_relro = true;
	img->relro.vaddr = ph->p_vaddr;
	img->relro.memsz = ph->p_memsz;
	return 0;
}

/* Records one program header; *seen_phdr notes a PT_PHDR. */
static int
elf_take_phdr(struct elf_image *img, const struct elf64_phdr *ph,
	      const uint8_t *buf, size_t len, bool *seen_phdr,
	      const char **why)
{
	switch (ph->p_type) {
	case PT_LOAD:
		return elf_add_load(img, ph, len, why);
	case PT_INTERP:
		return elf_set_interp(img, ph, buf, len, why);
	case PT_TLS:
		return elf_set_tls(img, ph, len, why);
	case PT_GNU_RELRO:
		return elf_set_relro(img, ph, why);
	case PT_GNU_STACK:
		img->stack_exec = (ph->p_flags & PF_X) != 0;
		return 0;
	case PT_PHDR:
		if (*seen_phdr)
			return elf_reject(why, "two PT_PHDR segments");
		*seen_phdr = true;
		img->phdr_vaddr = ph->p_vaddr;
		return 0;
	default:
		return 0;	/* notes, PT_DYNAMIC, ...: for ld.so */
	}
}

/* The entry must be file-backed code, not zero fill or data. */
static bool
elf_entry_ok(const struct elf_image *img)
{
	for (unsigned int i = 0; i < img->nload; i++) {
		const struct elf_segment *seg = &img->load[i];

		if ((seg->prot & ELF_PROT_EXEC) && img->entry >= seg->vaddr &&
		    img->entry - seg->vaddr < seg->filesz)
			return true;
	}
	return false;
}

/* Without PT_PHDR, AT_PHDR is where a PT_LOAD maps the table (as Linux). */
static void
elf_find_phdr(struct elf_image *img)
{
	uint64_t size = (uint64_t)img->phnum * img->phentsize;

	for (unsigned int i = 0; i < img->nload; i++) {
		const struct elf_segment *seg = &img->load[i];

		if (img->phoff >= seg->offset &&
		    img->phoff - seg->offset <= seg->filesz &&
		    size <= seg->filesz - (img->phoff - seg->offset)) {
			img->phdr_vaddr = seg->vaddr + (img->phoff - seg->offset);
			return;
		}
	}
	img->note = "program headers not mapped; AT_PHDR is 0";
}

/* Checks what the whole set of headers must satisfy together. */
static int
elf_check_image(struct elf_image *img, bool seen_phdr, const char **why)
{
	if (img->nload == 0)
		return elf_reject(why, "no loadable segment");
	if (img->type == ET_EXEC && img->lo < ELF_USER_MIN)
		return elf_reject(why, "segment maps page zero");
	if (img->hi - img->lo > ELF_MAX_SPAN)
		return elf_reject(why, "image too large");
	if (!elf_entry_ok(img))
		return elf_reject(why, "entry point outside the image");
	if (img->has_tls && img->tls.filesz > 0 &&
	    !elf_in_image(img, img->tls.vaddr, img->tls.filesz))
		return elf_reject(why, "TLS image outside the image");
	if (img->has_relro &&
	    !elf_in_image(img, img->relro.vaddr, img->relro.memsz))
		return elf_reject(why, "RELRO outside the image");
	if (seen_phdr && !elf_in_image(img, img->phdr_vaddr,
				       (uint64_t)img->phnum * ELF_PHDR_SIZE))
		return elf_reject(why, "program headers outside the image");
	if (!seen_phdr)
		elf_find_phdr(img);
	return 0;
}

int
elf_parse(const void *buf, size_t len, struct elf_image *out,
	  const char **why)
{
	const uint8_t *bytes = buf;
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	bool seen_phdr = false;
	int err;

	if (len < ELF_MAGIC_LEN || memcmp(bytes, ELF_MAGIC, ELF_MAGIC_LEN))
		return elf_reject(why, "not an ELF file");
	if (len < sizeof(eh))
		return elf_reject(why, "truncated ELF header");
	memcpy(&eh, bytes, sizeof(eh));	/* buf need not be aligned */
	err = elf_check_ehdr(&eh, len, why);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->type = eh.e_type;
	out->entry = eh.e_entry;
	out->phoff = eh.e_phoff;
	out->phnum = eh.e_phnum;
	out->phentsize = eh.e_phentsize;
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, bytes + eh.e_phoff + i * ELF_PHDR_SIZE, sizeof(ph));
		err = elf_take_phdr(out, &ph, bytes, len, &seen_phdr, why);
		if (err)
			return err;
	}
	return elf_check_image(out, seen_phdr, why);
}
