/* The kernel command line: `[--option[=value] ...] /path/to/program [args]`.
 * Parsing is pure (no allocation, no I/O) so host tests run it unchanged. */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include <keel/compiler.h>

#define CMDLINE_MAX_ARGS	64	/* program + arguments */
#define CMDLINE_MAX_ENV		32	/* --env=K=V entries */
#define CMDLINE_MAX_MOUNTS	8	/* --mount=DEV:DIR entries */
#define CMDLINE_MAX_VIRTIO	16	/* virtio_mmio.device= entries */
#define CMDLINE_ERR_LEN		128

/* One --mount=DEV:DIR entry, split at the first ':'. */
struct cmdline_mount {
	const char *dev;
	const char *dir;
};

/* One `virtio_mmio.device=<size>@<base>:<irq>` entry, which QEMU's microvm
 * appends to whatever command line it was given (with acpi=off). */
struct cmdline_virtio_mmio {
	uint64_t size;
	uint64_t base;
	uint32_t irq;
};

/* Everything the command line says. Strings point into the buffer given to
 * cmdline_parse(), which must outlive this struct. */
struct cmdline {
	bool verbose;			/* --verbose: per-phase boot report */
	bool strace;			/* --strace: trace system calls */
	const char *test;		/* --test=NAME, or NULL */
	const char *cwd;		/* --cwd=DIR (absolute), or NULL */
	const char *rootfs;		/* --rootfs=DEV, or NULL */
	const char *ip;			/* --ip=dhcp or --ip=IF,ADDR/PFX,GW */
	const char *dns;		/* --dns=ADDR */
	const char *fpu;		/* --fpu=MODE: FPU state instruction */
	const char *env[CMDLINE_MAX_ENV];	/* "K=V" */
	int nenv;
	struct cmdline_mount mounts[CMDLINE_MAX_MOUNTS];
	int nmounts;
	struct cmdline_virtio_mmio virtio_mmio[CMDLINE_MAX_VIRTIO];
	int nvirtio_mmio;
	char *argv[CMDLINE_MAX_ARGS + 1];	/* NULL-terminated */
	int argc;			/* 0: no program */
};

/*
 * Splits @buf (NUL-terminated, modified in place) into words honouring double
 * quotes and \" inside them, then reads options up to the first word that
 * does not start with "--" (the program). Returns 0, or -EINVAL with a
 * one-line reason (no trailing newline) in @err.
 */
int
cmdline_parse(char *buf, struct cmdline *out, char err[CMDLINE_ERR_LEN]);

#endif
