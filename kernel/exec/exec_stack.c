/* The initial stack of a program, as Linux lays it out: strings at the
 * top, then 16 random bytes (AT_RANDOM), then -- 16-byte aligned from the
 * bottom -- argc, argv[], NULL, envp[], NULL and the auxiliary vector. The
 * stack's place is randomized. */
#include <keel/errno.h>
#include <keel/fpu.h>
#include <keel/page.h>
#include <keel/random.h>
#include <keel/string.h>
#include <keel/vdso.h>
#include <keel/vm.h>
#include "exec_internal.h"

#define STACK_SIZE		(8 * MiB(1))
#define STACK_TOP_MAX		0x00007ffffffff000ULL
#define STACK_SPREAD		(1ULL << 34)	/* 16 GiB of placement */
#define STRINGS_MAX		(128 * KiB(1))
#define AUXV_MAX		24
#define RANDOM_BYTES		16
#define STACK_WORDS_MAX		256	/* argv or envp entries */
#define CPUID_LEAF1		1
#define MINSIGSTKSZ_BASE	2048

/* auxv keys (Linux elf.h) */
#define AT_NULL		0
#define AT_PHDR		3
#define AT_PHENT	4
#define AT_PHNUM	5
#define AT_PAGESZ	6
#define AT_BASE		7
#define AT_FLAGS	8
#define AT_ENTRY	9
#define AT_UID		11
#define AT_EUID		12
#define AT_GID		13
#define AT_EGID		14
#define AT_PLATFORM	15
#define AT_HWCAP	16
#define AT_CLKTCK	17
#define AT_SECURE	23
#define AT_RANDOM	25
#define AT_HWCAP2	26
#define AT_EXECFN	31
#define AT_SYSINFO_EHDR	33
#define AT_MINSIGSTKSZ	51
#define CLOCK_TICKS_PER_SEC	100

struct stack_builder {
	uint64_t top;		/* strings grow down from here */
	uint64_t bottom;	/* lowest mapped byte */
};

/* Pushes @len bytes at the string end; returns their address or 0. */
static uint64_t
push_bytes(struct stack_builder *b, const void *data, size_t len)
{
	if (b->top - b->bottom < len + PAGE_SIZE)
		return 0;
	b->top -= len;
	memcpy((void *)b->top, data, len);
	return b->top;
}

static uint64_t
cpu_hwcap(void)
{
	uint32_t a, bx, c, d;

	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(bx), "=c"(c), "=d"(d)
			     : "a"(CPUID_LEAF1), "c"(0));
	return d;	/* Linux reports CPUID.1:EDX as AT_HWCAP on x86 */
}

static int
push_strings(struct stack_builder *b, char *const v[], uint64_t *addrs, int max)
{
	int n = 0;

	for (; v && v[n]; n++) {
		if (n == max)
			return -E2BIG;
		addrs[n] = push_bytes(b, v[n], strlen(v[n]) + 1);
		if (!addrs[n])
			return -E2BIG;
	}
	return n;
}

static int
fill_auxv(uint64_t *aux, const struct elf_image *img, uint64_t bias,
	  uint64_t interp_base, uint64_t execfn, uint64_t platform,
	  uint64_t random)
{
	long vdso = vdso_map();
	uint64_t pairs[][2] = {
		/* Without a vDSO the C library makes the system calls. */
		{ vdso > 0 ? AT_SYSINFO_EHDR : AT_FLAGS, vdso > 0 ? (uint64_t)vdso : 0 },
		{ AT_PHDR, img->phdr_vaddr ? img->phdr_vaddr + bias : 0 },
		{ AT_PHENT, img->phentsize }, { AT_PHNUM, img->phnum },
		{ AT_PAGESZ, PAGE_SIZE }, { AT_BASE, interp_base }, { AT_FLAGS, 0 },
		{ AT_ENTRY, img->entry + bias },
		{ AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
		{ AT_PLATFORM, platform }, { AT_HWCAP, cpu_hwcap() },
		/* No HWCAP2_FSGSBASE: a program writing FS itself would
		 * bypass the kernel's record of its FS base. */
		{ AT_HWCAP2, 0 }, { AT_CLKTCK, CLOCK_TICKS_PER_SEC },
		{ AT_SECURE, 0 }, { AT_RANDOM, random }, { AT_EXECFN, execfn },
		{ AT_MINSIGSTKSZ, MINSIGSTKSZ_BASE + fpu_state_size() },
		{ AT_NULL, 0 },
	};

	memcpy(aux, pairs, sizeof(pairs));
	return (int)(sizeof(pairs) / sizeof(uint64_t));
}

int
exec_build_stack(const struct elf_image *img, uint64_t bias,
		 uint64_t interp_base, char *const argv[], char *const envp[],
		 uint64_t *sp)
{
	static uint64_t argp[STACK_WORDS_MAX], envpp[STACK_WORDS_MAX];
	uint64_t top = STACK_TOP_MAX -
		       ALIGN_DOWN(random_early_u64() % STACK_SPREAD, PAGE_SIZE);
	struct stack_builder b = { top, top - STACK_SIZE };
	uint64_t rnd[RANDOM_BYTES / 8] = { random_early_u64(), random_early_u64() };
	uint64_t aux[2 * AUXV_MAX], execfn, platform, random, *p;
	int argc, envc, nwords;
	long mapped;

	/* Pages come on first touch; the strings below are the first. */
	/* PT_GNU_STACK asks for an executable stack only when it must. */
	mapped = vm_map_anon(b.bottom, STACK_SIZE, VM_PROT_READ | VM_PROT_WRITE |
			     (img->stack_exec ? VM_PROT_EXEC : 0), false, true);
	if (mapped < 0)
		return (int)mapped;
	argc = push_strings(&b, argv, argp, STACK_WORDS_MAX);
	envc = push_strings(&b, envp, envpp, STACK_WORDS_MAX);
	execfn = argc > 0 ? argp[0] : 0;
	platform = push_bytes(&b, "x86_64", sizeof("x86_64"));
	random = push_bytes(&b, rnd, sizeof(rnd));
	if (argc < 0 || envc < 0 || !platform || !random)
		return -E2BIG;
	nwords = 1 + argc + 1 + envc + 1 +
		 fill_auxv(aux, img, bias, interp_base, execfn, platform, random);
	/* rsp must be 16-byte aligned at the entry point. */
	p = (uint64_t *)ALIGN_DOWN(b.top - nwords * sizeof(uint64_t), 16);
	if ((uint64_t)p < b.bottom + PAGE_SIZE)
		return -E2BIG;
	*sp = (uint64_t)p;
	*p++ = (uint64_t)argc;
	for (int i = 0; i < argc; i++)
		*p++ = argp[i];
	*p++ = 0;
	for (int i = 0; i < envc; i++)
		*p++ = envpp[i];
	*p++ = 0;
	memcpy(p, aux, (nwords - argc - envc - 3) * sizeof(uint64_t));
	return 0;
}
