/* The ELF load plan: what elf_parse() learns from an executable's image
 * after validating every header, so the loader maps pages without reading
 * the file's headers again. Pure data; no allocation, no I/O. */
#ifndef KEEL_ELF_H
#define KEEL_ELF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ELF_MAX_LOAD		16	/* real programs have 2-5 */
#define ELF_MAX_PHNUM		128
#define ELF_INTERP_MAX		256	/* path bytes including the NUL */
#define ELF_PAGE_SIZE		4096UL
#define ELF_USER_MIN		0x1000UL	/* page 0 is never mapped */
#define ELF_USER_END		0x0000800000000000UL
#define ELF_MAX_SPAN		(64UL << 30)	/* bytes from lo to hi */
#define ELF_TLS_MAX_ALIGN	ELF_PAGE_SIZE

/* Segment protections, the values of PROT_READ/WRITE/EXEC. */
#define ELF_PROT_READ		0x1
#define ELF_PROT_WRITE		0x2
#define ELF_PROT_EXEC		0x4

/* One PT_LOAD: file bytes [offset, offset + filesz) appear at vaddr, then
 * zeros up to vaddr + memsz. vaddr and offset agree modulo the page size. */
struct elf_segment {
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t offset;
	uint64_t filesz;
	unsigned int prot;	/* ELF_PROT_* */
};

/* PT_TLS: the initial thread-local image, for the C library to copy. */
struct elf_tls {
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
};

/* PT_GNU_RELRO: made read-only by the dynamic linker after relocation. */
struct elf_relro {
	uint64_t vaddr;
	uint64_t memsz;
};

/*
 * Addresses are link addresses: for ET_DYN the loader adds (base - lo) to
 * each of them. Segments are ascending and do not share a page.
 */
struct elf_image {
	uint16_t type;		/* ET_EXEC (2) or ET_DYN (3) */
	uint64_t entry;		/* inside an executable segment */
	uint64_t phoff;		/* program headers, for AT_PHDR */
	uint16_t phnum;		/* AT_PHNUM */
	uint16_t phentsize;	/* AT_PHENT */
	unsigned int nload;
	struct elf_segment load[ELF_MAX_LOAD];
	uint64_t lo;		/* first loaded page */
	uint64_t hi;		/* end of the last loaded page */
	char interp[ELF_INTERP_MAX];	/* PT_INTERP path, "" if none */
	size_t interp_len;	/* strlen(interp); 0 for a static program */
	bool has_tls;
	struct elf_tls tls;
	bool stack_exec;	/* PT_GNU_STACK asks for PF_X; absent: no */
	bool has_relro;
	struct elf_relro relro;
	/* AT_PHDR before relocation: PT_PHDR's vaddr, else where a PT_LOAD
	 * maps the table; 0 when no segment maps it (note says so). */
	uint64_t phdr_vaddr;
	const char *note;	/* a non-fatal remark, or NULL */
};

/*
 * Validates the ELF image buf[0, len) and describes how to load it in *out.
 * Returns 0, or -ENOEXEC with a short static reason in *why (why may be
 * NULL). Never reads outside buf; *out is undefined on error. Pure: any
 * context, no locks.
 */
int elf_parse(const void *buf, size_t len, struct elf_image *out,
	      const char **why);

#endif
