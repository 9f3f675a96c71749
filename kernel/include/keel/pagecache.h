/* The page cache: a file's data as whole physical pages keyed by page
 * index, shared by read()/write() and by shared mappings (it implements
 * the VM's pager interface). Write-back: dirty pages reach their backing
 * store through the owner's ops on fsync, sync, unmount, past a bounded
 * dirty count and under memory pressure. A cache without a write-back op
 * (ramfs) is the file's only storage and is never evicted. */
#ifndef KEEL_PAGECACHE_H
#define KEEL_PAGECACHE_H

#include <keel/compiler.h>
#include <keel/vm.h>

/* What a cache's owner (a file system's file) does for it. Both run with
 * the tree lock held and may sleep. */
struct pcache_ops {
	/* Reads page @index of the file into @page (a whole page; zeros
	 * past the end of the file). NULL: absent pages are zeros. */
	int (*fill)(void *owner, uint64_t index, void *page);
	/* Optional: reads pages [@index, @index + @count) into @pages[] in
	 * one go, so the owner pays its per-call costs (inode, block map,
	 * readahead state) once per run rather than once per page. */
	int (*fill_run)(void *owner, uint64_t index, size_t count,
			void *const *pages);
	/* Writes page @index back, as much of it as lies inside the file.
	 * NULL: no backing store -- the pages are the file. */
	int (*writeback)(void *owner, uint64_t index, const void *page);
};

struct pcache;

/* A new empty cache for @owner, or NULL. Caller holds the tree lock. */
struct pcache *
pcache_new(const struct pcache_ops *ops, void *owner);
/* The owner goes: its pages are dropped (not written back), except that
 * mapped pages stay until their last mapping goes. Tree lock held. */
void
pcache_free(struct pcache *pc);

/* File contents through the cache, for a file of @size bytes (the owner
 * keeps the size; a write moves *size past each page as it lands, so a
 * write-back meanwhile sees the data). Return bytes done or a negative
 * errno. Tree lock held; may sleep (fills, write-back under pressure). */
long
pcache_read(struct pcache *pc, void *buf, size_t len, uint64_t off,
	    uint64_t size);
long
pcache_write(struct pcache *pc, const void *buf, size_t len, uint64_t off,
	     uint64_t *size);
/* The file goes from @old_size to @new_size bytes: cached bytes between
 * them become zeros; pages wholly past the end are dropped unless mapped.
 * Tree lock held. */
void
pcache_resize(struct pcache *pc, uint64_t old_size, uint64_t new_size);
/* Writes every dirty page back through ops->writeback; the first error.
 * Pages mapped writable stay dirty: a store through the mapping leaves no
 * trace, so they are written again each time until unmapped. */
int
pcache_writeback(struct pcache *pc);
/* Reads pages [first, first + count) that lie below @size into the cache
 * so that a mapping can fault them in without sleeping. Tree lock held. */
int
pcache_populate(struct pcache *pc, uint64_t first, uint64_t count,
		uint64_t size);

/* The file @pc caches, or NULL once it went. Tree lock held. */
void *
pcache_owner(struct pcache *pc);

/* The pager a shared file mapping uses; its object is a struct pcache. */
extern const struct vm_pager_ops pcache_pager_ops;

struct pcache_stats {
	uint64_t pages;			/* cached, all caches */
	uint64_t dirty;			/* dirty and not mapped writable */
};
void
pcache_get_stats(struct pcache_stats *out);
/* drop_caches: writes back and frees every page of files with a backing
 * store that no mapping uses. Tree lock held. */
void
pcache_drop_unmapped(void);

#endif
