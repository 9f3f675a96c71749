/* The ext2 on-disk format: superblock, group descriptor, inode and
 * directory entry layouts with their feature bits and constants. Only
 * fixed-width types and no kernel includes, so host tests use it as is.
 * All fields are little-endian, as is the only CPU Keel runs on. */
#ifndef KEEL_EXT2_FORMAT_H
#define KEEL_EXT2_FORMAT_H

#include <stdint.h>

#define EXT2_SUPER_MAGIC		0xEF53
#define EXT2_SUPER_OFFSET		1024	/* bytes from the fs start */
#define EXT2_SUPER_SIZE			1024
#define EXT2_MIN_BLOCK_LOG		10	/* 1 KiB */
#define EXT2_MAX_BLOCK_LOG		12	/* 4 KiB: the sizes we accept */

#define EXT2_GOOD_OLD_REV		0	/* no features */
#define EXT2_DYNAMIC_REV		1
#define EXT2_GOOD_OLD_INODE_SIZE	128
#define EXT2_GOOD_OLD_FIRST_INO		11

/* s_state */
#define EXT2_VALID_FS			0x0001	/* unmounted cleanly */
#define EXT2_ERROR_FS			0x0002

/* s_feature_compat: safe to ignore, even writing */
#define EXT2_FEATURE_COMPAT_HAS_JOURNAL	0x0004
#define EXT2_FEATURE_COMPAT_DIR_INDEX	0x0020
/* s_feature_incompat: a reader must understand them all */
#define EXT2_FEATURE_INCOMPAT_FILETYPE	0x0002
#define EXT2_FEATURE_INCOMPAT_RECOVER	0x0004	/* journal needs replay */
#define EXT2_FEATURE_INCOMPAT_FLEX_BG	0x0200	/* only moves metadata */
#define EXT2_FEATURE_INCOMPAT_SUPP \
	(EXT2_FEATURE_INCOMPAT_FILETYPE | EXT2_FEATURE_INCOMPAT_FLEX_BG)
/* s_feature_ro_compat: a writer must understand them all */
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER	0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE	0x0002
#define EXT2_FEATURE_RO_COMPAT_SUPP \
	(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | \
	 EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

struct ext2_super_block {
	uint32_t s_inodes_count;
	uint32_t s_blocks_count;
	uint32_t s_r_blocks_count;	/* reserved for root */
	uint32_t s_free_blocks_count;
	uint32_t s_free_inodes_count;
	uint32_t s_first_data_block;	/* 1 with 1 KiB blocks, else 0 */
	uint32_t s_log_block_size;	/* block size = 1024 << this */
	uint32_t s_log_frag_size;
	uint32_t s_blocks_per_group;
	uint32_t s_frags_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;		/* last mount */
	uint32_t s_wtime;		/* last write */
	uint16_t s_mnt_count;
	int16_t s_max_mnt_count;
	uint16_t s_magic;
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;
	uint16_t s_def_resgid;
	/* EXT2_DYNAMIC_REV only */
	uint32_t s_first_ino;		/* first non-reserved inode */
	uint16_t s_inode_size;
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	uint32_t s_algorithm_usage_bitmap;
	uint8_t s_prealloc_blocks;
	uint8_t s_prealloc_dir_blocks;
	uint16_t s_reserved_gdt_blocks;
	uint8_t s_journal_uuid[16];
	uint32_t s_journal_inum;
	uint32_t s_journal_dev;
	uint32_t s_last_orphan;
	uint32_t s_hash_seed[4];
	uint8_t s_def_hash_version;
	uint8_t s_jnl_backup_type;
	uint16_t s_desc_size;
	uint32_t s_default_mount_opts;
	uint32_t s_first_meta_bg;
	uint32_t s_mkfs_time;
	uint8_t s_rest[EXT2_SUPER_SIZE - 268];	/* kept as read */
};
_Static_assert(sizeof(struct ext2_super_block) == EXT2_SUPER_SIZE,
	       "ext2 superblock is 1024 bytes");

struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;	/* first block of the group's inodes */
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_flags;
	uint8_t bg_reserved[12];
};
_Static_assert(sizeof(struct ext2_group_desc) == 32,
	       "ext2 group descriptor is 32 bytes");

#define EXT2_NDIR_BLOCKS	12
#define EXT2_IND_BLOCK		12
#define EXT2_DIND_BLOCK		13
#define EXT2_TIND_BLOCK		14
#define EXT2_N_BLOCKS		15
#define EXT2_FAST_LINK_MAX	(EXT2_N_BLOCKS * 4)	/* bytes in i_block */

struct ext2_inode {
	uint16_t i_mode;
	uint16_t i_uid;			/* low 16 bits */
	uint32_t i_size;		/* low 32 bits */
	uint32_t i_atime;
	uint32_t i_ctime;
	uint32_t i_mtime;
	uint32_t i_dtime;		/* deletion time; 0 while in use */
	uint16_t i_gid;			/* low 16 bits */
	uint16_t i_links_count;
	uint32_t i_blocks;		/* 512-byte units, metadata included */
	uint32_t i_flags;
	uint32_t i_osd1;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation;
	uint32_t i_file_acl;		/* extended attribute block */
	uint32_t i_size_high;		/* regular files: high 32 bits */
	uint32_t i_faddr;
	uint8_t i_frag;
	uint8_t i_fsize;
	uint16_t i_blocks_hi;
	uint16_t i_uid_high;
	uint16_t i_gid_high;
	uint32_t i_reserved2;
};
_Static_assert(sizeof(struct ext2_inode) == EXT2_GOOD_OLD_INODE_SIZE,
	       "ext2 inode core is 128 bytes");

/* Past the 128-byte core of a large inode: i_extra_isize says how many
 * bytes of these fields exist (new inodes get all, as Linux gives them).
 * Each *_extra holds nanoseconds << 2 and two more bits of seconds. */
struct ext2_inode_extra {
	uint16_t i_extra_isize;
	uint16_t i_checksum_hi;
	uint32_t i_ctime_extra;
	uint32_t i_mtime_extra;
	uint32_t i_atime_extra;
	uint32_t i_crtime;
	uint32_t i_crtime_extra;
	uint32_t i_version_hi;
	uint32_t i_projid;
};
#define EXT2_INODE_EXTRA_ISIZE		32
_Static_assert(sizeof(struct ext2_inode_extra) == EXT2_INODE_EXTRA_ISIZE,
	       "ext2 large inode fields are 32 bytes");
#define EXT2_EXTRA_EPOCH_BITS		2
#define EXT2_EXTRA_EPOCH_MASK		0x3

#define EXT2_INDEX_FL		0x00001000	/* directory has a hash tree */

/* Reserved inode numbers */
#define EXT2_BAD_INO		1
#define EXT2_ROOT_INO		2

#define EXT2_LINK_MAX		32000

/* Extended attribute block header: magic then a reference count. */
#define EXT2_XATTR_MAGIC	0xEA020000
struct ext2_xattr_header {
	uint32_t h_magic;
	uint32_t h_refcount;
};

/* A directory entry; with the filetype feature the high byte of the old
 * 16-bit name length is the file type. */
struct ext2_dir_entry {
	uint32_t inode;			/* 0: unused */
	uint16_t rec_len;		/* bytes to the next entry */
	uint8_t name_len;
	uint8_t file_type;
	char name[];
};
#define EXT2_DIR_ENTRY_HDR	8
#define EXT2_DIR_ALIGN		4
#define EXT2_NAME_LEN		255
#define EXT2_DIR_REC_LEN(n) \
	((EXT2_DIR_ENTRY_HDR + (n) + EXT2_DIR_ALIGN - 1) & \
	 ~(EXT2_DIR_ALIGN - 1))

#define EXT2_FT_UNKNOWN		0
#define EXT2_FT_REG_FILE	1
#define EXT2_FT_DIR		2
#define EXT2_FT_CHRDEV		3
#define EXT2_FT_BLKDEV		4
#define EXT2_FT_FIFO		5
#define EXT2_FT_SOCK		6
#define EXT2_FT_SYMLINK		7
#define EXT2_FT_MAX		8

/* i_mode file type bits (the same values as st_mode) */
#define EXT2_S_IFMT		0170000
#define EXT2_S_IFSOCK		0140000
#define EXT2_S_IFLNK		0120000
#define EXT2_S_IFREG		0100000
#define EXT2_S_IFBLK		0060000
#define EXT2_S_IFDIR		0040000
#define EXT2_S_IFCHR		0020000
#define EXT2_S_IFIFO		0010000

#endif
