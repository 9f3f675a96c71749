/* ELF64 file layouts (System V gABI, x86-64 psABI): the file header, the
 * program header and the constants the loader reads. Fixed-width types and
 * no kernel includes, so host tests and fuzzers include it unchanged. */
#ifndef KEEL_EXEC_ELF_FORMAT_H
#define KEEL_EXEC_ELF_FORMAT_H

#include <stdint.h>

/* e_ident[] indices and values. */
#define EI_MAG0		0
#define EI_MAG1		1
#define EI_MAG2		2
#define EI_MAG3		3
#define EI_CLASS	4
#define EI_DATA		5
#define EI_VERSION	6
#define EI_OSABI	7
#define EI_NIDENT	16

#define ELFMAG0		0x7f
#define ELFMAG1		'E'
#define ELFMAG2		'L'
#define ELFMAG3		'F'
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1

/* e_type */
#define ET_REL		1
#define ET_EXEC		2
#define ET_DYN		3
#define ET_CORE		4

/* e_machine */
#define EM_X86_64	62

/* e_phnum escape: the real count lives in section header 0. */
#define PN_XNUM		0xffff

/* p_type */
#define PT_NULL		0
#define PT_LOAD		1
#define PT_DYNAMIC	2
#define PT_INTERP	3
#define PT_NOTE		4
#define PT_PHDR		6
#define PT_TLS		7
#define PT_GNU_EH_FRAME	0x6474e550
#define PT_GNU_STACK	0x6474e551
#define PT_GNU_RELRO	0x6474e552
#define PT_GNU_PROPERTY	0x6474e553

/* p_flags */
#define PF_X		0x1
#define PF_W		0x2
#define PF_R		0x4

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;	/* program header table, file offset */
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;	/* must be sizeof(struct elf64_phdr) */
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;	/* file offset of the first byte */
	uint64_t p_vaddr;	/* link address of the first byte */
	uint64_t p_paddr;	/* unused by user programs */
	uint64_t p_filesz;	/* bytes taken from the file */
	uint64_t p_memsz;	/* bytes in memory; the rest is zero */
	uint64_t p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 file header size");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header size");

#endif
