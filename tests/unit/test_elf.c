/* Host tests for exec/elf_parse.c: real executables (the host's /usr/bin
 * and ld.so, programs built here with gcc and musl-gcc) must parse and agree
 * with readelf; corrupted copies must fail with -ENOEXEC and a reason. */
#include "unit.h"
#include <stdlib.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <keel/elf.h>
#include <keel/errno.h>
#include "../../kernel/exec/elf_format.h"

#define MAX_FIXTURE	(64UL << 20)
#define SWEEP_MAX_FILES	400
#define SWEEP_MAX_SIZE	(8UL << 20)
#define HEAD_SPAN	4096	/* truncate at every length up to here */
#define RANDOM_ROUNDS	20000

/* A file image; each corruption works on a fresh copy. */
struct blob {
	uint8_t *data;
	size_t len;
	const char *name;
};

/* --- fixtures ---------------------------------------------------------- */

static const char fixture_src[] =
	"#include <stdio.h>\n"
	"__thread int tv = 5;\n"
	"int main(void) { printf(\"%d\\n\", tv); return 0; }\n";

/* The ways issue 4 says programs come, each built from fixture_src. */
static const struct {
	const char *name;
	const char *cc;
	uint16_t type;
	int dynamic;
} builds[] = {
	{ "gcc_static", "gcc -static", ET_EXEC, 0 },
	{ "gcc_static_pie", "gcc -static-pie", ET_DYN, 0 },
	{ "gcc_dynamic_pie", "gcc -pie -fpie", ET_DYN, 1 },
	{ "gcc_dynamic_nopie", "gcc -no-pie", ET_EXEC, 1 },
	{ "musl_static", "musl-gcc -static", ET_EXEC, 0 },
};
#define NBUILDS	(sizeof(builds) / sizeof(builds[0]))

static char tmpdir[64];
static struct blob built[NBUILDS];

static int
read_blob(const char *path, size_t max, struct blob *b)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (!f)
		return -1;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > max || st.st_size == 0) {
		fclose(f);
		return -1;
	}
	b->len = st.st_size;
	b->data = malloc(b->len);
	if (fread(b->data, 1, b->len, f) != b->len) {
		free(b->data);
		fclose(f);
		return -1;
	}
	fclose(f);
	b->name = strdup(path);
	return 0;
}

static void
remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_elf: could not remove %s\n", tmpdir);
}

/* Compiles the fixtures once; a missing compiler leaves a hole (data NULL)
 * that the tests report as a skip. */
static void
build_fixtures(void)
{
	static int done;
	char path[128], cmd[512];
	FILE *f;

	if (done++)
		return;
	strcpy(tmpdir, "/tmp/keel-elf-XXXXXX");
	if (!mkdtemp(tmpdir))
		return;
	atexit(remove_tmpdir);
	snprintf(path, sizeof(path), "%s/t.c", tmpdir);
	f = fopen(path, "w");
	fputs(fixture_src, f);
	fclose(f);
	for (size_t i = 0; i < NBUILDS; i++) {
		snprintf(cmd, sizeof(cmd), "%s -O1 -o %s/%s %s 2>/dev/null",
			 builds[i].cc, tmpdir, builds[i].name, path);
		if (system(cmd) != 0) {
			printf("    # skip: cannot build %s\n", builds[i].name);
			continue;
		}
		snprintf(path + strlen(tmpdir), sizeof(path) - strlen(tmpdir),
			 "/%s", builds[i].name);
		read_blob(path, MAX_FIXTURE, &built[i]);
		snprintf(path, sizeof(path), "%s/t.c", tmpdir);
	}
}

static const struct blob *
fixture(const char *name)
{
	build_fixtures();
	for (size_t i = 0; i < NBUILDS; i++)
		if (!strcmp(builds[i].name, name))
			return built[i].data ? &built[i] : NULL;
	return NULL;
}

/* The host program the tests lean on most: a dynamic glibc PIE. */
static const struct blob *
host_true(void)
{
	static struct blob b;
	const char *env = getenv("KEEL_TEST_ELF");

	if (!b.data && read_blob(env ? env : "/usr/bin/true", MAX_FIXTURE, &b))
		CHECK(!"cannot read /usr/bin/true (or $KEEL_TEST_ELF)");
	return b.data ? &b : NULL;
}

/* --- helpers ----------------------------------------------------------- */

/* Parses exactly len bytes from a heap copy, so ASan sees any overread. */
static int
parse_copy(const uint8_t *data, size_t len, struct elf_image *img,
	   const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, data, len);
	*why = NULL;
	r = elf_parse(copy, len, img, why);
	free(copy);
	return r;
}

/* What every accepted plan must satisfy, whatever the input was. */
static void
check_plan(const struct elf_image *img, size_t len)
{
	CHECK(img->type == ET_EXEC || img->type == ET_DYN);
	CHECK(img->nload >= 1 && img->nload <= ELF_MAX_LOAD);
	CHECK(img->lo < img->hi && img->hi <= ELF_USER_END);
	CHECK(img->hi - img->lo <= ELF_MAX_SPAN);
	CHECK(img->lo % ELF_PAGE_SIZE == 0 && img->hi % ELF_PAGE_SIZE == 0);
	for (unsigned int i = 0; i < img->nload; i++) {
		const struct elf_segment *s = &img->load[i];

		CHECK(s->filesz <= s->memsz);
		CHECK(s->offset <= len && s->filesz <= len - s->offset);
		CHECK(s->vaddr >= img->lo && s->vaddr + s->memsz <= img->hi);
		CHECK((s->vaddr - s->offset) % ELF_PAGE_SIZE == 0);
		if (i > 0)
			CHECK(s->vaddr / ELF_PAGE_SIZE >
			      (img->load[i - 1].vaddr + img->load[i - 1].memsz -
			       1) / ELF_PAGE_SIZE);
	}
	CHECK(img->interp_len < ELF_INTERP_MAX);
	CHECK(strlen(img->interp) == img->interp_len);
	CHECK(img->entry >= img->lo && img->entry < img->hi);
}

static struct elf64_ehdr
get_eh(const uint8_t *data)
{
	struct elf64_ehdr eh;

	memcpy(&eh, data, sizeof(eh));
	return eh;
}

static struct elf64_phdr
get_ph(const uint8_t *data, unsigned int i)
{
	struct elf64_ehdr eh = get_eh(data);
	struct elf64_phdr ph;

	memcpy(&ph, data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
	return ph;
}

static void
put_ph(uint8_t *data, unsigned int i, const struct elf64_phdr *ph)
{
	struct elf64_ehdr eh = get_eh(data);

	memcpy(data + eh.e_phoff + i * sizeof(*ph), ph, sizeof(*ph));
}

/* Index of the n-th (from 0) program header of type, or -1. */
static int
find_ph(const uint8_t *data, uint32_t type, int n)
{
	struct elf64_ehdr eh = get_eh(data);

	for (unsigned int i = 0; i < eh.e_phnum; i++)
		if (get_ph(data, i).p_type == type && n-- == 0)
			return i;
	return -1;
}

/* --- acceptance -------------------------------------------------------- */

/* Compares the plan with readelf's view of the same file's PT_LOADs. */
static void
check_against_readelf(const struct blob *b, const struct elf_image *img)
{
	char cmd[256], line[512], flags[16];
	unsigned long off, va, fsz, msz;
	unsigned int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -lW '%s' 2>/dev/null", b->name);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, " LOAD %lx %lx %*x %lx %lx %15[RWE ]", &off,
			   &va, &fsz, &msz, flags) != 5 || msz == 0)
			continue;
		CHECK(n < img->nload);
		if (n >= img->nload)
			break;
		CHECK_EQ(img->load[n].offset, off);
		CHECK_EQ(img->load[n].vaddr, va);
		CHECK_EQ(img->load[n].filesz, fsz);
		CHECK_EQ(img->load[n].memsz, msz);
		CHECK_EQ(!!(img->load[n].prot & ELF_PROT_WRITE),
			 strchr(flags, 'W') != NULL);
		CHECK_EQ(!!(img->load[n].prot & ELF_PROT_EXEC),
			 strchr(flags, 'E') != NULL);
		n++;
	}
	pclose(p);
	CHECK_EQ(n, img->nload);
}

static void
accept_blob(const struct blob *b, struct elf_image *img)
{
	const char *why;
	int r = parse_copy(b->data, b->len, img, &why);

	if (r)
		printf("    # %s: %s\n", b->name, why);
	CHECK_EQ(r, 0);
	if (r)
		return;
	check_plan(img, b->len);
	check_against_readelf(b, img);
}

TEST(accepts_host_dynamic_pie)
{
	const struct blob *b = host_true();
	struct elf_image img;

	if (!b)
		return;
	accept_blob(b, &img);
	CHECK_EQ(img.type, ET_DYN);
	CHECK_EQ(img.lo, 0);
	CHECK_STR(img.interp, "/lib64/ld-linux-x86-64.so.2");
	CHECK(img.has_relro);
	CHECK(!img.stack_exec);
	CHECK_EQ(img.phdr_vaddr, get_ph(b->data, find_ph(b->data, PT_PHDR, 0))
				 .p_vaddr);
	CHECK_EQ(img.phnum, get_eh(b->data).e_phnum);
	CHECK_EQ(img.phentsize, sizeof(struct elf64_phdr));
	CHECK(img.note == NULL);
}

TEST(accepts_host_interpreter)
{
	struct blob b;
	struct elf_image img;

	if (read_blob("/lib64/ld-linux-x86-64.so.2", MAX_FIXTURE, &b)) {
		printf("    # skip: no /lib64/ld-linux-x86-64.so.2\n");
		return;
	}
	accept_blob(&b, &img);
	CHECK_EQ(img.type, ET_DYN);
	CHECK_EQ(img.interp_len, 0);
	CHECK_EQ(img.lo, 0);
	free(b.data);
	free((char *)b.name);
}

/* Each build variant parses, with the type and interpreter it should. */
TEST(accepts_built_programs)
{
	struct elf_image img;

	for (size_t i = 0; i < NBUILDS; i++) {
		const struct blob *b = fixture(builds[i].name);

		/* gcc is a build dependency; musl-gcc may be missing. */
		if (!b && strncmp(builds[i].cc, "gcc", 3) == 0)
			CHECK(!"gcc could not build a fixture");
		if (!b)
			continue;
		accept_blob(b, &img);
		CHECK_EQ(img.type, builds[i].type);
		CHECK_EQ(img.interp_len > 0, builds[i].dynamic);
		CHECK(img.has_tls);
		CHECK(img.tls.memsz >= sizeof(int));
		CHECK(img.phdr_vaddr != 0);
		if (img.type == ET_EXEC)
			CHECK(img.lo >= 0x400000);
	}
}

/* Every x86_64 executable in /usr/bin parses: the rules are not stricter
 * than the toolchains that made a real system. */
TEST(accepts_every_host_executable)
{
	DIR *d = opendir("/usr/bin");
	struct dirent *de;
	struct elf_image img;
	char path[512];
	int swept = 0;

	if (!d)
		return;
	while ((de = readdir(d)) && swept < SWEEP_MAX_FILES) {
		struct blob b;
		struct elf64_ehdr eh;
		const char *why;

		snprintf(path, sizeof(path), "/usr/bin/%s", de->d_name);
		if (read_blob(path, SWEEP_MAX_SIZE, &b))
			continue;
		if (b.len >= sizeof(eh))
			eh = get_eh(b.data);
		if (b.len >= sizeof(eh) && !memcmp(b.data, "\177ELF", 4) &&
		    eh.e_machine == EM_X86_64 && eh.e_entry != 0 &&
		    (eh.e_type == ET_EXEC || eh.e_type == ET_DYN)) {
			int r = parse_copy(b.data, b.len, &img, &why);

			if (r)
				printf("    # %s: %s\n", path, why);
			CHECK_EQ(r, 0);
			swept++;
		}
		free(b.data);
		free((char *)b.name);
	}
	closedir(d);
	printf("    # %d host executables parsed\n", swept);
	CHECK(swept > 0);
}

/* --- corruption -------------------------------------------------------- */

/* A mutation of a copy of b, parsed; the result and reason are checked. */
static void
expect_reject(const struct blob *b, void (*mutate)(uint8_t *, void *),
	      void *arg, const char *reason)
{
	uint8_t *copy = malloc(b->len);
	struct elf_image img;
	const char *why = NULL;
	int r;

	memcpy(copy, b->data, b->len);
	mutate(copy, arg);
	r = elf_parse(copy, b->len, &img, &why);
	CHECK_EQ(r, -ENOEXEC);
	CHECK_STR(why, reason);
	free(copy);
}

struct field_edit {
	size_t at;	/* byte offset in the file */
	size_t size;	/* 1, 2, 4 or 8 */
	uint64_t val;
};

static void
mut_field(uint8_t *data, void *arg)
{
	const struct field_edit *e = arg;

	memcpy(data + e->at, &e->val, e->size);	/* little endian host */
}

static void
reject_field(const struct blob *b, size_t at, size_t size, uint64_t val,
	     const char *reason)
{
	struct field_edit e = { at, size, val };

	expect_reject(b, mut_field, &e, reason);
}

#define EH_AT(f)	offsetof(struct elf64_ehdr, f)
#define EH_SZ(f)	sizeof(((struct elf64_ehdr *)0)->f)
#define REJECT_EH(b, f, v, why)	reject_field(b, EH_AT(f), EH_SZ(f), v, why)

TEST(rejects_bad_file_header)
{
	const struct blob *b = host_true();

	if (!b)
		return;
	reject_field(b, EI_MAG1, 1, 'e', "not an ELF file");
	reject_field(b, EI_CLASS, 1, 1, "not a 64-bit ELF file");
	reject_field(b, EI_DATA, 1, 2, "not little-endian");
	reject_field(b, EI_VERSION, 1, 0, "unknown ELF version");
	REJECT_EH(b, e_version, 2, "unknown ELF version");
	REJECT_EH(b, e_machine, 3, "not x86_64");	/* EM_386 */
	REJECT_EH(b, e_machine, 183, "not x86_64");	/* EM_AARCH64 */
	REJECT_EH(b, e_type, ET_REL, "not an executable");
	REJECT_EH(b, e_type, ET_CORE, "not an executable");
	REJECT_EH(b, e_phentsize, 32, "bad program header size");
	REJECT_EH(b, e_phnum, 0, "bad program header count");
	REJECT_EH(b, e_phnum, PN_XNUM, "bad program header count");
	REJECT_EH(b, e_phnum, ELF_MAX_PHNUM + 1, "bad program header count");
	REJECT_EH(b, e_phoff, b->len - 8, "truncated program headers");
	REJECT_EH(b, e_phoff, b->len + 1, "truncated program headers");
	REJECT_EH(b, e_phoff, ~0ULL, "truncated program headers");
	REJECT_EH(b, e_phoff, ~0ULL - 55, "truncated program headers");
	REJECT_EH(b, e_entry, 0x10, "entry point outside the image");
	REJECT_EH(b, e_entry, 0x7fffffffffffULL,
		  "entry point outside the image");
	REJECT_EH(b, e_entry, ~0ULL, "entry point outside the image");
}

/* Edits field f of the n-th program header of type t. */
struct ph_edit {
	uint32_t type;
	int n;
	size_t at;
	uint64_t val;
};

static void
mut_ph(uint8_t *data, void *arg)
{
	const struct ph_edit *e = arg;
	int i = find_ph(data, e->type, e->n);
	struct elf64_phdr ph = get_ph(data, i);
	uint8_t *raw = (uint8_t *)&ph;

	if (e->at == offsetof(struct elf64_phdr, p_type) ||
	    e->at == offsetof(struct elf64_phdr, p_flags))
		memcpy(raw + e->at, &e->val, 4);
	else
		memcpy(raw + e->at, &e->val, 8);
	put_ph(data, i, &ph);
}

#define PH_AT(f)	offsetof(struct elf64_phdr, f)

static void
reject_ph(const struct blob *b, uint32_t type, int n, size_t at,
	  uint64_t val, const char *reason)
{
	struct ph_edit e = { type, n, at, val };

	if (find_ph(b->data, type, n) < 0) {
		CHECK(!"fixture lacks the program header to corrupt");
		return;
	}
	expect_reject(b, mut_ph, &e, reason);
}

TEST(rejects_bad_load_segments)
{
	const struct blob *b = host_true();
	struct elf64_phdr l0, l1, last;
	int nl = 0;

	if (!b)
		return;
	while (find_ph(b->data, PT_LOAD, nl) >= 0)
		nl++;
	l0 = get_ph(b->data, find_ph(b->data, PT_LOAD, 0));
	l1 = get_ph(b->data, find_ph(b->data, PT_LOAD, 1));
	last = get_ph(b->data, find_ph(b->data, PT_LOAD, nl - 1));
	reject_ph(b, PT_LOAD, 0, PH_AT(p_filesz), l0.p_memsz + 1,
		  "segment file size exceeds memory size");
	reject_ph(b, PT_LOAD, 1, PH_AT(p_offset), b->len,
		  "segment outside the file");
	reject_ph(b, PT_LOAD, 1, PH_AT(p_offset), ~0ULL - 0xfff,
		  "segment outside the file");
	reject_ph(b, PT_LOAD, 1, PH_AT(p_vaddr), l1.p_vaddr + 1,
		  "bad alignment");
	reject_ph(b, PT_LOAD, 1, PH_AT(p_align), 0x1800, "bad alignment");
	reject_ph(b, PT_LOAD, nl - 1, PH_AT(p_vaddr),
		  ~0ULL - 0xfff + (last.p_vaddr & 0xfff),
		  "segment wraps the address space");
	reject_ph(b, PT_LOAD, nl - 1, PH_AT(p_memsz), ~0ULL - 0x100,
		  "segment wraps the address space");
	reject_ph(b, PT_LOAD, nl - 1, PH_AT(p_vaddr),
		  ELF_USER_END + (last.p_vaddr & 0xfff),
		  "segment above the user address space");
	reject_ph(b, PT_LOAD, nl - 1, PH_AT(p_memsz), ELF_MAX_SPAN + 1,
		  "image too large");
	reject_ph(b, PT_LOAD, 1, PH_AT(p_vaddr),
		  (l0.p_vaddr & ~0xfffULL) + (l1.p_offset & 0xfff),
		  "overlapping segments");
	reject_ph(b, PT_LOAD, 0, PH_AT(p_vaddr), l1.p_vaddr + 0x100000,
		  "overlapping segments");
}

static void
mut_no_loads(uint8_t *data, void *arg)
{
	struct elf64_phdr ph;
	int i;

	(void)arg;
	while ((i = find_ph(data, PT_LOAD, 0)) >= 0) {
		ph = get_ph(data, i);
		ph.p_type = PT_NULL;
		put_ph(data, i, &ph);
	}
}

TEST(rejects_image_without_loads_or_entry)
{
	const struct blob *b = host_true();
	struct elf64_phdr text;

	if (!b)
		return;
	expect_reject(b, mut_no_loads, NULL, "no loadable segment");
	/* The entry in a readable but not executable segment. */
	REJECT_EH(b, e_entry, get_ph(b->data, find_ph(b->data, PT_LOAD, 0))
			      .p_vaddr + 0x10, "entry point outside the image");
	text = get_ph(b->data, find_ph(b->data, PT_LOAD, 1));
	CHECK(text.p_flags & PF_X);
	REJECT_EH(b, e_entry, text.p_vaddr + text.p_filesz,
		  "entry point outside the image");
}

/* A static ET_EXEC: its first page moved to page zero must be refused. */
TEST(rejects_exec_in_page_zero)
{
	const struct blob *b = fixture("musl_static");

	if (!b)
		b = fixture("gcc_static");
	if (!b) {
		printf("    # skip: no static fixture\n");
		return;
	}
	reject_ph(b, PT_LOAD, 0, PH_AT(p_vaddr),
		  get_ph(b->data, find_ph(b->data, PT_LOAD, 0)).p_vaddr & 0xfff,
		  "segment maps page zero");
}

/* Turns the n-th PT_NOTE into a copy of the first header of type t. */
struct dup_edit {
	uint32_t type;
};

static void
mut_dup(uint8_t *data, void *arg)
{
	const struct dup_edit *e = arg;
	struct elf64_phdr ph = get_ph(data, find_ph(data, e->type, 0));

	put_ph(data, find_ph(data, PT_NOTE, 0), &ph);
}

static void
mut_interp_byte(uint8_t *data, void *arg)
{
	struct elf64_phdr ph = get_ph(data, find_ph(data, PT_INTERP, 0));
	const long *pos = arg;

	data[ph.p_offset + (*pos < 0 ? (long)ph.p_filesz + *pos : *pos)] =
		*pos < 0 ? 'x' : '\0';
}

TEST(rejects_bad_interpreter)
{
	const struct blob *b = host_true();
	struct dup_edit dup = { PT_INTERP };
	long last = -1, first = 0;

	if (!b)
		return;
	expect_reject(b, mut_dup, &dup, "two interpreters");
	expect_reject(b, mut_interp_byte, &last,
		      "interpreter path not terminated");
	expect_reject(b, mut_interp_byte, &first, "empty interpreter path");
	reject_ph(b, PT_INTERP, 0, PH_AT(p_filesz), 0,
		  "bad interpreter path length");
	reject_ph(b, PT_INTERP, 0, PH_AT(p_filesz), ELF_INTERP_MAX + 1,
		  "bad interpreter path length");
	reject_ph(b, PT_INTERP, 0, PH_AT(p_offset), b->len - 4,
		  "interpreter path outside the file");
	reject_ph(b, PT_INTERP, 0, PH_AT(p_offset), ~0ULL - 8,
		  "interpreter path outside the file");
	reject_ph(b, PT_INTERP, 0, PH_AT(p_filesz), ~0ULL,
		  "interpreter path outside the file");
}

TEST(rejects_bad_tls_relro_phdr)
{
	const struct blob *b = fixture("gcc_dynamic_pie");
	struct dup_edit dup_tls = { PT_TLS }, dup_relro = { PT_GNU_RELRO };
	struct dup_edit dup_phdr = { PT_PHDR };

	if (!b) {
		printf("    # skip: no gcc_dynamic_pie fixture\n");
		return;
	}
	expect_reject(b, mut_dup, &dup_tls, "two TLS segments");
	expect_reject(b, mut_dup, &dup_relro, "two RELRO segments");
	expect_reject(b, mut_dup, &dup_phdr, "two PT_PHDR segments");
	reject_ph(b, PT_TLS, 0, PH_AT(p_filesz),
		  get_ph(b->data, find_ph(b->data, PT_TLS, 0)).p_memsz + 1,
		  "TLS file size exceeds memory size");
	reject_ph(b, PT_TLS, 0, PH_AT(p_memsz), ~0ULL,
		  "TLS segment too large");
	reject_ph(b, PT_TLS, 0, PH_AT(p_align), 24, "bad TLS alignment");
	reject_ph(b, PT_TLS, 0, PH_AT(p_align), 1 << 20, "bad TLS alignment");
	reject_ph(b, PT_TLS, 0, PH_AT(p_offset), b->len,
		  "TLS segment outside the file");
	reject_ph(b, PT_TLS, 0, PH_AT(p_vaddr), ELF_USER_END,
		  "TLS image outside the image");
	reject_ph(b, PT_GNU_RELRO, 0, PH_AT(p_vaddr), ~0ULL - 16,
		  "RELRO outside the image");
	reject_ph(b, PT_GNU_RELRO, 0, PH_AT(p_memsz), ELF_MAX_SPAN,
		  "RELRO outside the image");
	reject_ph(b, PT_PHDR, 0, PH_AT(p_vaddr), ELF_USER_END - 8,
		  "program headers outside the image");
}

/* Without PT_PHDR, AT_PHDR still comes from the segment that maps them. */
TEST(finds_phdr_without_pt_phdr)
{
	const struct blob *b = host_true();
	struct elf_image img, ref;
	struct elf64_phdr ph;
	uint8_t *copy;
	const char *why;

	if (!b)
		return;
	CHECK_EQ(parse_copy(b->data, b->len, &ref, &why), 0);
	copy = malloc(b->len);
	memcpy(copy, b->data, b->len);
	ph = get_ph(copy, find_ph(copy, PT_PHDR, 0));
	ph.p_type = PT_NULL;
	put_ph(copy, find_ph(copy, PT_PHDR, 0), &ph);
	CHECK_EQ(elf_parse(copy, b->len, &img, &why), 0);
	CHECK_EQ(img.phdr_vaddr, ref.phdr_vaddr);
	CHECK(img.note == NULL);
	free(copy);
}

/* The shortest prefix of b that can parse: past the program headers and
 * every byte a PT_LOAD, PT_INTERP or PT_TLS takes from the file. */
static size_t
needed_len(const struct blob *b)
{
	struct elf64_ehdr eh = get_eh(b->data);
	size_t need = eh.e_phoff + eh.e_phnum * sizeof(struct elf64_phdr);

	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph = get_ph(b->data, i);

		if ((ph.p_type == PT_LOAD && ph.p_memsz) ||
		    ph.p_type == PT_INTERP || ph.p_type == PT_TLS)
			if (ph.p_offset + ph.p_filesz > need)
				need = ph.p_offset + ph.p_filesz;
	}
	return need;
}

static void
truncate_at(const struct blob *b, size_t n, size_t need, size_t phend)
{
	struct elf_image img;
	const char *why;
	int r = parse_copy(b->data, n, &img, &why);

	CHECK_EQ(r, n < need ? -ENOEXEC : 0);
	CHECK(r == 0 || why != NULL);
	if (r && n >= 4 && n < phend)
		CHECK(strstr(why, "truncated") != NULL);
	if (r == 0)
		check_plan(&img, n);
}

/* Truncation at every length in the headers and around every segment's
 * end: a clean reject, never an overread (ASan watches each copy). */
static void
truncate_sweep(const struct blob *b)
{
	struct elf64_ehdr eh = get_eh(b->data);
	size_t phend = eh.e_phoff + eh.e_phnum * sizeof(struct elf64_phdr);
	size_t need = needed_len(b);
	size_t stop = b->len < phend + HEAD_SPAN ? b->len : phend + HEAD_SPAN;

	for (size_t n = 0; n < stop; n++)
		truncate_at(b, n, need, phend);
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph = get_ph(b->data, i);
		size_t end = ph.p_offset + ph.p_filesz;

		for (size_t n = end ? end - 1 : 0; n <= end + 1; n++)
			if (n <= b->len)
				truncate_at(b, n, need, phend);
	}
}

TEST(rejects_every_truncation)
{
	const struct blob *b = host_true();

	if (b)
		truncate_sweep(b);
	for (size_t i = 0; i < NBUILDS; i++)
		if ((b = fixture(builds[i].name)))
			truncate_sweep(b);
}

/* --- synthetic images -------------------------------------------------- */

/* A minimal ET_DYN with n PT_LOADs, one page each, the first executable;
 * the program headers sit in the first page and are mapped by it. */
static size_t
synth(uint8_t *img, unsigned int nload, unsigned int phnum)
{
	struct elf64_ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_DYN, .e_machine = EM_X86_64,
		.e_version = EV_CURRENT, .e_entry = 0x100,
		.e_phoff = sizeof(eh), .e_ehsize = sizeof(eh),
		.e_phentsize = sizeof(struct elf64_phdr), .e_phnum = phnum,
	};
	size_t len = (nload ? nload : 1) * ELF_PAGE_SIZE;

	memset(img, 0, len);
	memcpy(img, &eh, sizeof(eh));
	for (unsigned int i = 0; i < phnum; i++) {
		struct elf64_phdr ph = { .p_type = PT_NOTE };

		if (i < nload)
			ph = (struct elf64_phdr){
				.p_type = PT_LOAD, .p_flags = PF_R | PF_X,
				.p_offset = i * ELF_PAGE_SIZE,
				.p_vaddr = i * ELF_PAGE_SIZE,
				.p_filesz = ELF_PAGE_SIZE,
				.p_memsz = ELF_PAGE_SIZE,
				.p_align = ELF_PAGE_SIZE };
		put_ph(img, i, &ph);
	}
	return len;
}

TEST(synthetic_limits)
{
	static uint8_t img[(ELF_MAX_LOAD + 1) * ELF_PAGE_SIZE];
	struct elf_image out;
	const char *why;
	size_t len;

	len = synth(img, ELF_MAX_LOAD, ELF_MAX_LOAD);
	CHECK_EQ(parse_copy(img, len, &out, &why), 0);
	CHECK_EQ(out.nload, ELF_MAX_LOAD);
	CHECK_EQ(out.phdr_vaddr, sizeof(struct elf64_ehdr));
	check_plan(&out, len);
	len = synth(img, ELF_MAX_LOAD + 1, ELF_MAX_LOAD + 1);
	CHECK_EQ(parse_copy(img, len, &out, &why), -ENOEXEC);
	CHECK_STR(why, "too many loadable segments");
	len = synth(img, 2, ELF_MAX_PHNUM);
	CHECK_EQ(parse_copy(img, len, &out, &why), 0);
	len = synth(img, 2, ELF_MAX_PHNUM + 1);
	CHECK_EQ(parse_copy(img, len, &out, &why), -ENOEXEC);
	CHECK_STR(why, "bad program header count");
}

TEST(synthetic_edge_cases)
{
	static uint8_t img[4 * ELF_PAGE_SIZE];
	struct elf64_phdr ph;
	struct elf_image out;
	const char *why;
	size_t len = synth(img, 3, 3);

	/* A PT_LOAD with nothing in memory maps nothing and is skipped. */
	ph = get_ph(img, 1);
	ph.p_memsz = ph.p_filesz = 0;
	put_ph(img, 1, &ph);
	CHECK_EQ(parse_copy(img, len, &out, &why), 0);
	CHECK_EQ(out.nload, 2);
	/* Program headers outside every segment: accepted, AT_PHDR 0. */
	ph = get_ph(img, 0);
	ph.p_offset = ph.p_vaddr = 2 * ELF_PAGE_SIZE;
	ph.p_filesz = ph.p_memsz = 0x200;
	put_ph(img, 0, &ph);
	ph = get_ph(img, 2);
	ph.p_offset = ph.p_vaddr = 3 * ELF_PAGE_SIZE;
	ph.p_filesz = 0;
	put_ph(img, 2, &ph);
	memcpy(img + offsetof(struct elf64_ehdr, e_entry),
	       &(uint64_t){ 2 * ELF_PAGE_SIZE }, 8);
	CHECK_EQ(parse_copy(img, len, &out, &why), 0);
	CHECK_EQ(out.phdr_vaddr, 0);
	CHECK(out.note != NULL);
	/* Two segments sharing a page once rounded. */
	ph.p_offset = ph.p_vaddr = 2 * ELF_PAGE_SIZE + 0x800;
	ph.p_filesz = 0x10;
	put_ph(img, 2, &ph);
	CHECK_EQ(parse_copy(img, len, &out, &why), -ENOEXEC);
	CHECK_STR(why, "overlapping segments");
	CHECK_EQ(parse_copy(img, 3, &out, &why), -ENOEXEC);
	CHECK_STR(why, "not an ELF file");
	CHECK_EQ(parse_copy(img, 63, &out, &why), -ENOEXEC);
	CHECK_STR(why, "truncated ELF header");
	CHECK_EQ(elf_parse(img, 3, &out, NULL), -ENOEXEC);
}

/* Random corruption of the headers and interpreter: whatever comes out is
 * either a reject with a reason or a plan that keeps every invariant. */
TEST(random_header_corruption)
{
	const struct blob *b = host_true();
	size_t head;
	uint8_t *copy;
	struct elf_image img;
	const char *why;
	int accepted = 0;

	if (!b)
		return;
	head = b->len < 0x400 ? b->len : 0x400;	/* ehdr, phdrs, interp */
	copy = malloc(b->len);
	srand(4);
	for (int round = 0; round < RANDOM_ROUNDS; round++) {
		int flips = 1 + rand() % 4, r;

		memcpy(copy, b->data, b->len);
		for (int i = 0; i < flips; i++)
			copy[rand() % head] ^= 1u << (rand() % 8);
		why = NULL;
		r = elf_parse(copy, b->len, &img, &why);
		CHECK(r == 0 || (r == -ENOEXEC && why != NULL));
		if (r == 0) {
			check_plan(&img, b->len);
			accepted++;
		}
	}
	free(copy);
	printf("    # %d of %d corrupted copies still valid\n", accepted,
	       RANDOM_ROUNDS);
}
