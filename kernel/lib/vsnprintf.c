/* vsnprintf: the one formatter behind printk and every message the kernel
 * builds. Pure (no I/O, no allocation, no floating point) so host tests
 * compare it against the C library case by case. */
#include <keel/printk.h>

#define F_LEFT		0x01	/* '-': pad on the right */
#define F_ZERO		0x02	/* '0': pad with zeros after sign/prefix */
#define F_PLUS		0x04	/* '+': always print a sign */
#define F_SPACE		0x08	/* ' ': blank where a '+' would go */
#define F_ALT		0x10	/* '#': 0x prefix, or leading 0 for octal */

#define FIELD_MAX	4096	/* width/precision cap: keeps int math safe */

enum len_mod { LEN_INT, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

/* The output buffer; pos keeps counting past the end for the C99 return. */
struct out {
	char *buf;
	size_t size;
	size_t pos;
};

/* One parsed conversion: %[flags][width][.prec][length]conv. */
struct spec {
	unsigned flags;
	int width;		/* 0: none */
	int prec;		/* -1: none */
	enum len_mod len;
	char conv;
};

static void
out_char(struct out *o, char c)
{
	if (o->pos + 1 < o->size)
		o->buf[o->pos] = c;
	o->pos++;
}

static void
out_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void
out_mem(struct out *o, const char *s, size_t n)
{
	while (n--)
		out_char(o, *s++);
}

/* Reads a decimal field or '*' argument; saturates rather than overflow. */
static int
parse_field(const char **fmtp, va_list *ap)
{
	const char *f = *fmtp;
	int v = 0;

	if (*f == '*') {
		*fmtp = f + 1;
		return va_arg(*ap, int);
	}
	while (*f >= '0' && *f <= '9') {
		if (v < FIELD_MAX)
			v = v * 10 + (*f - '0');
		f++;
	}
	*fmtp = f;
	return v;
}

static void
parse_flags(const char **fmtp, struct spec *sp)
{
	for (;; (*fmtp)++) {
		switch (**fmtp) {
		case '-': sp->flags |= F_LEFT; break;
		case '0': sp->flags |= F_ZERO; break;
		case '+': sp->flags |= F_PLUS; break;
		case ' ': sp->flags |= F_SPACE; break;
		case '#': sp->flags |= F_ALT; break;
		default: return;
		}
	}
}

static void
parse_length(const char **fmtp, struct spec *sp)
{
	const char *f = *fmtp;

	sp->len = LEN_INT;
	switch (*f) {
	case 'h':
		sp->len = f[1] == 'h' ? LEN_HH : LEN_H;
		break;
	case 'l':
		sp->len = f[1] == 'l' ? LEN_LL : LEN_L;
		break;
	case 'z': sp->len = LEN_Z; break;
	case 't': sp->len = LEN_T; break;
	case 'j': sp->len = LEN_J; break;
	default: return;
	}
	*fmtp = f + ((sp->len == LEN_HH || sp->len == LEN_LL) ? 2 : 1);
}

/* Parses the conversion after '%'; *fmtp is left after the conversion char
 * (or on the NUL if the format ends early). A negative '*' width means '-'
 * and a negative '*' precision means none, as C says. */
static void
parse_spec(const char **fmtp, va_list *ap, struct spec *sp)
{
	sp->flags = 0;
	parse_flags(fmtp, sp);
	sp->width = parse_field(fmtp, ap);
	if (sp->width < 0) {
		sp->flags |= F_LEFT;
		sp->width = sp->width < -FIELD_MAX ? FIELD_MAX : -sp->width;
	}
	sp->prec = -1;
	if (**fmtp == '.') {
		(*fmtp)++;
		sp->prec = parse_field(fmtp, ap);
		if (sp->prec < 0)
			sp->prec = -1;
	}
	sp->width = MIN(sp->width, FIELD_MAX);
	sp->prec = MIN(sp->prec, FIELD_MAX);
	parse_length(fmtp, sp);
	sp->conv = **fmtp;
	if (sp->conv)
		(*fmtp)++;
}

/* Fetches a signed argument of the spec's length, as magnitude and sign. */
static uintmax_t
fetch_signed(const struct spec *sp, va_list *ap, bool *neg)
{
	intmax_t v;

	switch (sp->len) {
	case LEN_HH: v = (signed char)va_arg(*ap, int); break;
	case LEN_H: v = (short)va_arg(*ap, int); break;
	case LEN_L: v = va_arg(*ap, long); break;
	case LEN_LL: v = va_arg(*ap, long long); break;
	case LEN_Z: v = va_arg(*ap, long); break;	/* ssize_t */
	case LEN_T: v = va_arg(*ap, ptrdiff_t); break;
	case LEN_J: v = va_arg(*ap, intmax_t); break;
	default: v = va_arg(*ap, int); break;
	}
	*neg = v < 0;
	/* Negate in unsigned arithmetic so INTMAX_MIN does not overflow. */
	return *neg ? -(uintmax_t)v : (uintmax_t)v;
}

static uintmax_t
fetch_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->len) {
	case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L: return va_arg(*ap, unsigned long);
	case LEN_LL: return va_arg(*ap, unsigned long long);
	case LEN_Z: return va_arg(*ap, size_t);
	case LEN_T: return (uintmax_t)va_arg(*ap, ptrdiff_t);
	case LEN_J: return va_arg(*ap, uintmax_t);
	default: return va_arg(*ap, unsigned int);
	}
}

/* Writes v's digits backwards into the end of buf; returns the start. */
static char *
format_digits(char *end, uintmax_t v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	do {
		*--end = digits[v % base];
		v /= base;
	} while (v);
	return end;
}

static unsigned
conv_base(char conv)
{
	if (conv == 'o')
		return 8;
	if (conv == 'x' || conv == 'X')
		return 16;
	return 10;
}

/*
 * Lays out [pad][prefix][zeros][digits][pad]. C's rules: precision is the
 * minimum digit count and cancels '0'; precision 0 prints no digits for 0;
 * '#' octal forces a leading 0; '#' hex adds 0x only for nonzero values.
 */
static void
emit_int(struct out *o, const struct spec *sp, uintmax_t v, const char *prefix)
{
	char buf[24];		/* 64-bit octal is 22 digits */
	char *end = buf + sizeof(buf);
	char *s = format_digits(end, v, conv_base(sp->conv), sp->conv == 'X');
	int ndig = end - s, nzero, npre = 0, pad;

	while (prefix[npre])
		npre++;
	if (sp->prec == 0 && v == 0)
		ndig = 0;
	nzero = sp->prec > ndig ? sp->prec - ndig : 0;
	if (sp->conv == 'o' && (sp->flags & F_ALT) && nzero == 0 &&
	    (ndig == 0 || *s != '0'))
		nzero = 1;
	pad = sp->width - (npre + nzero + ndig);
	if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->prec < 0) {
		nzero += pad > 0 ? pad : 0;
		pad = 0;
	}
	if (!(sp->flags & F_LEFT))
		out_repeat(o, ' ', pad);
	out_mem(o, prefix, npre);
	out_repeat(o, '0', nzero);
	out_mem(o, end - ndig, ndig);
	if (sp->flags & F_LEFT)
		out_repeat(o, ' ', pad);
}

static void
format_int(struct out *o, struct spec *sp, va_list *ap)
{
	const char *prefix = "";
	bool neg = false;
	uintmax_t v;

	if (sp->conv == 'd' || sp->conv == 'i') {
		v = fetch_signed(sp, ap, &neg);
		if (neg)
			prefix = "-";
		else if (sp->flags & F_PLUS)
			prefix = "+";
		else if (sp->flags & F_SPACE)
			prefix = " ";
	} else if (sp->conv == 'p') {
		/* Always 0x-prefixed, even for NULL: "0x0". */
		v = (uintptr_t)va_arg(*ap, void *);
		sp->conv = 'x';
		prefix = "0x";
	} else {
		v = fetch_unsigned(sp, ap);
		if ((sp->flags & F_ALT) && v != 0 && sp->conv != 'o')
			prefix = sp->conv == 'X' ? "0X" : "0x";
	}
	emit_int(o, sp, v, prefix);
}

static void
emit_padded(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	int pad = sp->width > (int)n ? sp->width - (int)n : 0;

	if (!(sp->flags & F_LEFT))
		out_repeat(o, ' ', pad);
	out_mem(o, s, n);
	if (sp->flags & F_LEFT)
		out_repeat(o, ' ', pad);
}

/* %s reads at most prec bytes, so an unterminated array with a precision
 * is safe, as C allows. */
static void
format_str(struct out *o, const struct spec *sp, const char *s)
{
	size_t n = 0;

	if (!s)
		s = "(null)";
	while ((sp->prec < 0 || n < (size_t)sp->prec) && s[n])
		n++;
	emit_padded(o, sp, s, n);
}

static void
format_one(struct out *o, struct spec *sp, va_list *ap)
{
	char c;

	switch (sp->conv) {
	case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'p':
		format_int(o, sp, ap);
		break;
	case 's':
		format_str(o, sp, va_arg(*ap, const char *));
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		emit_padded(o, sp, &c, 1);
		break;
	case '%':
		out_char(o, '%');
		break;
	case '\0':		/* format ended inside a conversion */
		out_char(o, '%');
		break;
	default:		/* unknown: show it rather than hide it */
		out_char(o, '%');
		out_char(o, sp->conv);
		break;
	}
}

int
vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size, .pos = 0 };
	struct spec sp;
	va_list aq;

	/* A copy, so helpers can take its address portably. */
	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt++;
		parse_spec(&fmt, &aq, &sp);
		format_one(&o, &sp, &aq);
	}
	va_end(aq);
	if (size > 0)
		buf[MIN(o.pos, size - 1)] = '\0';
	return o.pos > INT32_MAX ? INT32_MAX : (int)o.pos;
}

int
snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
