/* Symbol lookup over the table scripts/gen_ksyms.py emits: addresses sorted
 * ascending, each with an offset into one string blob; binary search. */
#include <keel/ksyms.h>
#include <keel/printk.h>

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const uint32_t ksyms_name_offsets[];
extern const char ksyms_names[];
extern const char _text[], _etext[];

const char *
ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count;

	if (addr < (uint64_t)_text || addr >= (uint64_t)_etext || hi == 0)
		return NULL;
	/* Find the last symbol whose address is <= addr. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksyms_addrs[lo] > addr)
		return NULL;
	*offset = addr - ksyms_addrs[lo];
	return &ksyms_names[ksyms_name_offsets[lo]];
}

void
ksym_format(uint64_t addr, char *buf, size_t size)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		snprintf(buf, size, "%s+%#lx", name, off);
	else
		snprintf(buf, size, "%#lx", addr);
}

void
ksym_format_return(uint64_t ret, char *buf, size_t size)
{
	uint64_t off;
	/* The return address points after the call: the function is the one
	 * holding ret - 1 (a noreturn call may be its last instruction), and
	 * the offset printed is ret's own, so it matches the address shown. */
	const char *name = ksym_lookup(ret - 1, &off);

	if (name)
		snprintf(buf, size, "%s+%#lx", name, off + 1);
	else
		snprintf(buf, size, "%#lx", ret);
}
