/* ext2 inode timestamps: seconds in the 128-byte core, and, in large
 * inodes whose i_extra_isize covers them, nanoseconds and two epoch bits
 * (seconds past 2038) in the *_extra fields that follow. */
#include <keel/clock.h>
#include "ext2_internal.h"

#define NSEC_SHIFT	EXT2_EXTRA_EPOCH_BITS

/* The core field and, if the inode has it, the extra field of @which
 * (const-agnostic, as strchr: the getter only reads through them). */
static uint32_t *
time_fields(struct ext2_node *n, unsigned int which, uint32_t **extra)
{
	uint32_t *core, *ext;
	size_t end;

	switch (which) {
	case EXT2_TIME_ATIME:
		core = &n->in.i_atime;
		ext = &n->extra.i_atime_extra;
		break;
	case EXT2_TIME_MTIME:
		core = &n->in.i_mtime;
		ext = &n->extra.i_mtime_extra;
		break;
	default:
		core = &n->in.i_ctime;
		ext = &n->extra.i_ctime_extra;
		break;
	}
	/* Both what the slot holds and what i_extra_isize says is in use. */
	end = (size_t)((uint8_t *)ext - (uint8_t *)&n->extra) + sizeof(*ext);
	*extra = end <= n->extra_len && end <= n->extra.i_extra_isize ?
		 ext : NULL;
	return core;
}

uint64_t
ext2_node_get_time(const struct ext2_node *n, unsigned int which)
{
	uint32_t *extra;
	uint32_t *core = time_fields((struct ext2_node *)n, which, &extra);
	uint64_t sec = *core, nsec = 0;

	if (extra) {
		sec += (uint64_t)(*extra & EXT2_EXTRA_EPOCH_MASK) << 32;
		nsec = *extra >> NSEC_SHIFT;
		if (nsec >= NSEC_PER_SEC)
			nsec = 0;	/* not a valid time: keep the seconds */
	}
	return sec * NSEC_PER_SEC + nsec;
}

void
ext2_node_set_time(struct ext2_node *n, unsigned int which, uint64_t ns)
{
	for (unsigned int bit = EXT2_TIME_ATIME; bit <= EXT2_TIME_CTIME;
	     bit <<= 1) {
		uint64_t sec = ns / NSEC_PER_SEC;
		uint32_t *extra, *core;

		if (!(which & bit))
			continue;
		core = time_fields(n, bit, &extra);
		*core = (uint32_t)sec;
		if (extra)
			*extra = (uint32_t)(ns % NSEC_PER_SEC) << NSEC_SHIFT |
				 ((sec >> 32) & EXT2_EXTRA_EPOCH_MASK);
	}
}

void
ext2_node_touch(struct ext2_node *n, unsigned int which)
{
	ext2_node_set_time(n, which, clock_realtime_ns());
}
