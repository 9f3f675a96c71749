/* The kernel command line parser: splits words in place (quotes as on
 * Linux), pulls out the virtio_mmio.device= entries QEMU microvm appends,
 * then reads --options up to the program and its arguments. Pure: no
 * allocation, no I/O, so host tests run it unchanged. */
#include <keel/cmdline.h>
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/string.h>

#define VIRTIO_MMIO_KEY	"virtio_mmio.device="

/* Where parsing stands; err is the caller's buffer. */
struct parser {
	struct cmdline *out;
	char *err;
	bool in_args;		/* program seen: every word is an argument */
	bool end_opts;		/* lone "--" seen: next word is the program */
};

static int
fail(struct parser *p, const char *fmt, ...) __printf(2, 3);

static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, CMDLINE_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Cuts the next word out of *cursor, removing quotes and unescaping \", \'
 * and \\ by compacting the word in place (the write position never passes
 * the read position). The escapes count outside quotes too because GRUB
 * re-quotes a multiboot2 command line that way (it writes it's as it\'s).
 * Returns 1 with *word set, 0 at the end, or -EINVAL for an unterminated
 * quote.
 */
static int
next_word(char **cursor, char **word)
{
	char *r = *cursor, *w;
	bool quoted = false;

	while (is_space(*r))
		r++;
	if (*r == '\0')
		return 0;
	*word = w = r;
	for (; *r && (quoted || !is_space(*r)); r++) {
		if (*r == '"') {
			quoted = !quoted;
			continue;
		}
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\' || r[1] == '\''))
			r++;
		*w++ = *r;
	}
	if (quoted)
		return -EINVAL;
	*cursor = *r ? r + 1 : r;	/* step over the separator */
	*w = '\0';
	return 1;
}

/* An unsigned number in base 10, or base 16 after "0x" when hex_ok;
 * overflow fails. */
static bool
parse_u64(const char **sp, uint64_t *v, bool hex_ok)
{
	const char *s = *sp, *start;
	unsigned base = 10, d;
	uint64_t n = 0;

	if (hex_ok && s[0] == '0' && (s[1] | 0x20) == 'x') {
		base = 16;
		s += 2;
	}
	for (start = s;; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			break;
		if (n > (UINT64_MAX - d) / base)
			return false;
		n = n * base + d;
	}
	*sp = s;
	*v = n;
	return s != start;
}

/* A size as Linux's memparse() reads it: a number with an optional K, M or
 * G suffix (either case). */
static bool
parse_size(const char **sp, uint64_t *v)
{
	unsigned shift = 0;

	if (!parse_u64(sp, v, true))
		return false;
	switch (**sp | 0x20) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	}
	if (shift) {
		if (*v > (UINT64_MAX >> shift))
			return false;
		*v <<= shift;
		(*sp)++;
	}
	return true;
}

/* <size>@0x<base>:<irq>, exactly the form microvm appends. */
static bool
parse_virtio_mmio(const char *s, struct cmdline_virtio_mmio *dev)
{
	uint64_t irq;

	if (!parse_size(&s, &dev->size) || dev->size == 0 || *s++ != '@')
		return false;
	if (s[0] != '0' || (s[1] | 0x20) != 'x' ||
	    !parse_u64(&s, &dev->base, true) || *s++ != ':')
		return false;
	if (!parse_u64(&s, &irq, false) || irq > UINT32_MAX || *s != '\0')
		return false;
	dev->irq = irq;
	return true;
}

static int
take_virtio_mmio(struct parser *p, const char *word)
{
	struct cmdline_virtio_mmio dev;

	if (!parse_virtio_mmio(word + sizeof(VIRTIO_MMIO_KEY) - 1, &dev))
		return fail(p, "malformed %s (want <size>@0x<base>:<irq>)",
			    word);
	if (p->out->nvirtio_mmio == CMDLINE_MAX_VIRTIO)
		return fail(p, "too many virtio_mmio.device= entries "
			    "(max %d) at %s", CMDLINE_MAX_VIRTIO, word);
	p->out->virtio_mmio[p->out->nvirtio_mmio++] = dev;
	return 0;
}

/* One dotted-quad byte: 1-3 digits, at most 255, no leading zero (which
 * some parsers would read as octal). */
static bool
parse_octet(const char **sp)
{
	const char *s = *sp;
	unsigned v = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9' && n < 4) {
		v = v * 10 + (*s++ - '0');
		n++;
	}
	if (n == 0 || n > 3 || v > 255 || (n > 1 && **sp == '0'))
		return false;
	*sp = s;
	return true;
}

/* Reads a dotted-quad IPv4 address at *sp, leaving *sp after it. */
static bool
parse_ipv4(const char **sp)
{
	for (int i = 0; i < 4; i++) {
		if (i > 0 && *(*sp)++ != '.')
			return false;
		if (!parse_octet(sp))
			return false;
	}
	return true;
}

static bool
is_ipv4(const char *s)
{
	return parse_ipv4(&s) && *s == '\0';
}

/* IF,ADDR/PREFIX[,GATEWAY] */
static bool
is_static_ip(const char *s)
{
	unsigned prefix = 0;
	const char *start;

	if (*s == ',' || !(s = strchr(s, ',')))
		return false;
	s++;
	if (!parse_ipv4(&s) || *s++ != '/')
		return false;
	for (start = s; *s >= '0' && *s <= '9' && s - start < 3; s++)
		prefix = prefix * 10 + (*s - '0');
	if (s == start || prefix > 32)
		return false;
	if (*s == '\0')
		return true;
	s++;
	return s[-1] == ',' && is_ipv4(s);
}

static int
opt_ip(struct parser *p, const char *name, char *val)
{
	if (strcmp(val, "dhcp") != 0 && !is_static_ip(val))
		return fail(p, "option --%s wants dhcp or "
			    "IF,ADDR/PREFIX[,GATEWAY]: %s", name, val);
	p->out->ip = val;
	return 0;
}

static int
opt_dns(struct parser *p, const char *name, char *val)
{
	if (!is_ipv4(val))
		return fail(p, "option --%s wants an IPv4 address: %s",
			    name, val);
	p->out->dns = val;
	return 0;
}

static int
opt_cwd(struct parser *p, const char *name, char *val)
{
	if (val[0] != '/')
		return fail(p, "option --%s wants an absolute path: %s",
			    name, val);
	p->out->cwd = val;
	return 0;
}

static int
opt_test(struct parser *p, const char *name, char *val)
{
	(void)name;
	p->out->test = val;
	return 0;
}

/* The best instruction thread FPU state may be saved with (fpu.c uses the
 * best the CPU has at or below it). For hypervisors that advertise XSAVE
 * but cannot emulate it. */
static int
opt_fpu(struct parser *p, const char *name, char *val)
{
	static const char *const modes[] = {
		"xsaves", "xsavec", "xsaveopt", "xsave", "fxsave",
	};

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (strcmp(val, modes[i]) == 0) {
			p->out->fpu = val;
			return 0;
		}
	}
	return fail(p, "option --%s wants xsaves, xsavec, xsaveopt, xsave or "
		    "fxsave: %s", name, val);
}

static int
opt_rootfs(struct parser *p, const char *name, char *val)
{
	(void)name;
	p->out->rootfs = val;
	return 0;
}

static int
opt_env(struct parser *p, const char *name, char *val)
{
	if (val[0] == '=' || !strchr(val, '='))
		return fail(p, "option --%s wants K=V with a nonempty K: %s",
			    name, val);
	if (p->out->nenv == CMDLINE_MAX_ENV)
		return fail(p, "too many --%s options (max %d) at %s",
			    name, CMDLINE_MAX_ENV, val);
	p->out->env[p->out->nenv++] = val;
	return 0;
}

/* DEV:DIR, split at the first ':' by cutting the buffer there. */
static int
opt_mount(struct parser *p, const char *name, char *val)
{
	char *colon = strchr(val, ':');
	struct cmdline_mount *m;

	if (!colon || colon == val || colon[1] != '/')
		return fail(p, "option --%s wants DEV:/DIR (absolute): %s",
			    name, val);
	if (p->out->nmounts == CMDLINE_MAX_MOUNTS)
		return fail(p, "too many --%s options (max %d) at %s",
			    name, CMDLINE_MAX_MOUNTS, val);
	*colon = '\0';
	m = &p->out->mounts[p->out->nmounts++];
	m->dev = val;
	m->dir = colon + 1;
	return 0;
}

/* A flag option has no take() and sets the bool at offset flag instead. */
struct option {
	const char *name;
	int (*take)(struct parser *p, const char *name, char *val);
	size_t flag;		/* offset of the bool in struct cmdline */
};

static const struct option options[] = {
	{ "verbose", NULL, offsetof(struct cmdline, verbose) },
	{ "strace", NULL, offsetof(struct cmdline, strace) },
	{ "test", opt_test, 0 },
	{ "cwd", opt_cwd, 0 },
	{ "rootfs", opt_rootfs, 0 },
	{ "ip", opt_ip, 0 },
	{ "dns", opt_dns, 0 },
	{ "env", opt_env, 0 },
	{ "mount", opt_mount, 0 },
	{ "fpu", opt_fpu, 0 },
};

static const struct option *
find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		if (strncmp(options[i].name, name, len) == 0 &&
		    options[i].name[len] == '\0')
			return &options[i];
	}
	return NULL;
}

/* One "--name" or "--name=value" word. */
static int
take_option(struct parser *p, char *word)
{
	char *name = word + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct option *opt = find_option(name, len);

	if (!opt)
		return fail(p, "unknown option --%.*s", (int)len, name);
	if (!opt->take) {
		if (eq)
			return fail(p, "option --%s takes no value", opt->name);
		*(bool *)((char *)p->out + opt->flag) = true;
		return 0;
	}
	if (!eq || eq[1] == '\0')
		return fail(p, "option --%s needs a value", opt->name);
	return opt->take(p, opt->name, eq + 1);
}

static int
take_arg(struct parser *p, char *word)
{
	if (p->out->argc == CMDLINE_MAX_ARGS)
		return fail(p, "too many program arguments (max %d) at %s",
			    CMDLINE_MAX_ARGS, word);
	p->out->argv[p->out->argc++] = word;
	p->in_args = true;
	return 0;
}

/* Routes one word: virtio entry, option, "--", program or argument. */
static int
take_word(struct parser *p, char *word)
{
	if (strncmp(word, VIRTIO_MMIO_KEY, sizeof(VIRTIO_MMIO_KEY) - 1) == 0)
		return take_virtio_mmio(p, word);
	if (p->in_args || p->end_opts || strncmp(word, "--", 2) != 0)
		return take_arg(p, word);
	if (word[2] == '\0') {
		p->end_opts = true;
		return 0;
	}
	return take_option(p, word);
}

int
cmdline_parse(char *buf, struct cmdline *out, char err[CMDLINE_ERR_LEN])
{
	struct parser p = { .out = out, .err = err };
	char *cursor = buf, *word;
	int ret;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	while ((ret = next_word(&cursor, &word)) > 0) {
		ret = take_word(&p, word);
		if (ret < 0)
			return ret;
	}
	if (ret < 0)
		return fail(&p, "unterminated quote in command line");
	out->argv[out->argc] = NULL;
	return 0;
}
