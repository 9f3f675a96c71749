# Host unit tests: each test_X.c is one binary; UNIT_SRCS_test_X lists the
# real kernel sources it compiles in.
UNIT_TESTS += test_vsnprintf
UNIT_SRCS_test_vsnprintf := kernel/lib/vsnprintf.c
UNIT_TESTS += test_pmm
UNIT_SRCS_test_pmm := kernel/mm/pmm.c
UNIT_TESTS += test_heap
UNIT_SRCS_test_heap := kernel/mm/heap.c kernel/mm/pmm.c tests/unit/arena.c
UNIT_TESTS += test_acpi
UNIT_SRCS_test_acpi := kernel/drivers/acpi.c
# test_string #includes kernel/lib/string.c under k-prefixed names, as its
# functions would clash with libc's.
UNIT_TESTS += test_string
UNIT_SRCS_test_string :=
UNIT_TESTS += test_cmdline
UNIT_SRCS_test_cmdline := kernel/lib/cmdline.c kernel/lib/vsnprintf.c
UNIT_TESTS += test_timerq
UNIT_SRCS_test_timerq := kernel/sched/timerq.c
UNIT_TESTS += test_runq
UNIT_SRCS_test_runq := kernel/sched/runq.c
UNIT_TESTS += test_elf
UNIT_SRCS_test_elf := kernel/exec/elf_parse.c
UNIT_TESTS += test_cpio
UNIT_SRCS_test_cpio := kernel/exec/cpio.c
UNIT_TESTS += test_partition
UNIT_SRCS_test_partition := kernel/drivers/partition.c kernel/lib/crc32.c
UNIT_TESTS += test_virtqueue
UNIT_SRCS_test_virtqueue := kernel/drivers/virtio/virtqueue.c tests/unit/arena.c \
	kernel/mm/heap.c kernel/mm/pmm.c
UNIT_TESTS += test_bcache
UNIT_SRCS_test_bcache := kernel/fs/bcache.c kernel/fs/bcache_run.c \
	tests/unit/ext2_host.c
UNIT_TESTS += test_bcache_run
UNIT_SRCS_test_bcache_run := $(UNIT_SRCS_test_bcache)
EXT2_SRCS := kernel/fs/ext2/super.c kernel/fs/ext2/bitmap.c \
	kernel/fs/ext2/inode.c kernel/fs/ext2/bmap.c kernel/fs/ext2/file.c \
	kernel/fs/ext2/dir.c kernel/fs/ext2/namei.c kernel/fs/ext2/rename.c \
	kernel/fs/ext2/times.c kernel/fs/ext2/readahead.c \
	kernel/fs/bcache.c kernel/fs/bcache_run.c
EXT2_TEST_SRCS := $(EXT2_SRCS) tests/unit/ext2_host.c tests/unit/ext2_walk.c \
	tests/unit/ext2_fixture.c tests/unit/ext2_test.c
UNIT_TESTS += test_ext2
UNIT_SRCS_test_ext2 := $(EXT2_TEST_SRCS)
UNIT_TESTS += test_ext2_write
UNIT_SRCS_test_ext2_write := $(EXT2_TEST_SRCS)
UNIT_TESTS += test_ext2_crash
UNIT_SRCS_test_ext2_crash := $(EXT2_TEST_SRCS)
UNIT_TESTS += test_ext2_readahead
UNIT_SRCS_test_ext2_readahead := $(EXT2_TEST_SRCS)
UNIT_TESTS += test_ext2_corrupt
UNIT_SRCS_test_ext2_corrupt := $(EXT2_TEST_SRCS)
UNIT_TESTS += test_pagecache
UNIT_SRCS_test_pagecache := kernel/mm/pagecache.c kernel/mm/pagecache_tree.c \
	tests/unit/arena.c \
	kernel/mm/heap.c kernel/mm/pmm.c
