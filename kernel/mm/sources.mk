# Sources of kernel/mm.
KERNEL_SRCS += kernel/mm/pagetable.c kernel/mm/ioremap.c
KERNEL_SRCS += kernel/mm/pmm.c kernel/mm/heap.c
KERNEL_SRCS += kernel/mm/pmm_ktest.c kernel/mm/heap_ktest.c
KERNEL_SRCS += kernel/mm/mm_init.c
KERNEL_SRCS += kernel/mm/paging_ktest.c
KERNEL_SRCS += kernel/mm/kstack.c
KERNEL_SRCS += kernel/mm/vma.c kernel/mm/vma_remap.c kernel/mm/vma_pager.c
KERNEL_SRCS += kernel/mm/pagecache.c kernel/mm/pagecache_tree.c
