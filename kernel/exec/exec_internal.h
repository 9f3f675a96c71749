/* Shared by the loader's files (kernel/exec). */
#ifndef KEEL_EXEC_INTERNAL_H
#define KEEL_EXEC_INTERNAL_H

#include <keel/elf.h>

struct exec_start_regs {
	uint64_t entry;
	uint64_t sp;
};

/* Maps the stack and lays out argc, argv, envp and the auxiliary vector
 * the System V ABI describes (AT_BASE = @interp_base, 0 for a static
 * program); returns the initial rsp in *sp. Returns 0,
 * -ENOMEM, or -E2BIG when the strings do not fit. */
int
exec_build_stack(const struct elf_image *img, uint64_t bias,
		 uint64_t interp_base, char *const argv[], char *const envp[],
		 uint64_t *sp);

#endif
