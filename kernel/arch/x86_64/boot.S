/* The 32-bit entry points, for PVH (ELF note) and multiboot2 (GRUB), and the
 * switch to 64-bit long mode. Both paths build the same early page tables
 * (identity and direct map of 4 GiB, the kernel image at -2 GiB) and end in
 * boot_main(protocol, info_phys) on the boot stack, in the higher half. */
#include <keel/boot_defs.h>

#define PA(sym)		((sym) - KERNEL_VIRT_BASE_ASM)

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)
#define PTE_P		(1 << 0)
#define PTE_W		(1 << 1)
#define PTE_PS		(1 << 7)
#define CPUID_EXT_LM	(1 << 29)
#define CPUID_EXT_NX	(1 << 20)
#define COM1		0x3f8
#define DEBUG_EXIT_PORT	0xf4
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define KERNEL_PHYS		0x100000
/* hvm_start_info and its memory map (see boot/pvh.c) */
#define HVM_START_MAGIC		0x336ec578
#define HVM_VERSION		4
#define HVM_MEMMAP_VERSION	1
#define HVM_MEMMAP_PADDR	40
#define HVM_MEMMAP_ENTRIES	48
#define HVM_MEMMAP_ENTRY_SIZE	24
#define HVM_MEMMAP_TYPE		16
#define E820_USABLE		1

/* --- multiboot2 header: magic, arch 0 (i386), length, checksum, tags --- */
	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	0
	.long	mb2_header_end - mb2_header
	.long	-(MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	.balign 8
	/* entry address tag: GRUB loads the ELF, then jumps here */
	.short	3, 0
	.long	12
	.long	boot_entry_multiboot2
	.balign 8
	.short	0, 0		/* end tag */
	.long	8
mb2_header_end:

/* --- PVH: the hypervisor enters here in 32-bit protected mode, paging off */
	.section .note.Xen, "a"
	.balign 4
	.long	4
	.long	4
	.long	XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.balign 4
	.long	boot_entry_pvh
	.balign 4

	.section .boot.text, "ax"
	.code32
	.globl	boot_entry_pvh
boot_entry_pvh:
	rdtsc
	movl	%eax, boot_tsc_low
	movl	%edx, boot_tsc_low + 4
	jmp	pvh_check_image_in_ram	/* no stack yet: jumps back */
pvh_image_ok:
	movl	$BOOT_PROTO_PVH, %edi
	movl	%ebx, %esi		/* hvm_start_info */
	jmp	boot_common32

/*
 * A PVH loader copies the image wherever its program headers say, RAM or
 * not: with RAM ending inside the image, its tail is simply not there.
 * Checks the start info's memory map for a usable region holding
 * [KERNEL_PHYS, image end) and fails cleanly if there is none. (With no RAM
 * at 1 MiB at all nothing of the kernel is loaded and nothing can report;
 * see the README.) A malformed start info is left for the C parser.
 */
pvh_check_image_in_ram:
	cmpl	$HVM_START_MAGIC, (%ebx)
	jne	3f
	cmpl	$HVM_MEMMAP_VERSION, HVM_VERSION(%ebx)
	jb	3f
	movl	HVM_MEMMAP_PADDR(%ebx), %esi
	movl	HVM_MEMMAP_ENTRIES(%ebx), %ecx
	testl	%ecx, %ecx
	jz	3f
1:	cmpl	$E820_USABLE, HVM_MEMMAP_TYPE(%esi)
	jne	2f
	cmpl	$0, 4(%esi)		/* base above 4 GiB */
	jne	2f
	movl	0(%esi), %eax
	cmpl	$KERNEL_PHYS, %eax
	ja	2f
	xorl	%edx, %edx
	addl	8(%esi), %eax		/* end = base + size, 64-bit */
	adcl	12(%esi), %edx
	testl	%edx, %edx
	jnz	3f
	cmpl	$PA(_end), %eax
	jae	3f
2:	addl	$HVM_MEMMAP_ENTRY_SIZE, %esi
	decl	%ecx
	jnz	1b
	movl	$msg_no_memory, %ebx
	jmp	boot_fail32
3:	jmp	pvh_image_ok

	.globl	boot_entry_multiboot2
boot_entry_multiboot2:
	movl	%eax, %ecx		/* multiboot2 magic */
	rdtsc
	movl	%eax, boot_tsc_low
	movl	%edx, boot_tsc_low + 4
	movl	$BOOT_PROTO_MULTIBOOT2, %edi
	movl	%ebx, %esi		/* multiboot2 information */
	cmpl	$MB2_BOOTLOADER_MAGIC, %ecx
	je	boot_common32
	movl	$msg_bad_magic, %ebx
	jmp	boot_fail32

boot_common32:
	cli
	cld
	movl	boot_tsc_low, %eax
	movl	%eax, PA(boot_tsc_start)
	movl	boot_tsc_low + 4, %eax
	movl	%eax, PA(boot_tsc_start) + 4
	movl	$PA(boot_stack_top), %esp
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	.Lno_long_mode
	movl	$0x80000001, %eax
	cpuid
	testl	$CPUID_EXT_LM, %edx
	jz	.Lno_long_mode
	movl	%edx, %ebp		/* keep the NX bit for later */

	/* Zero the early tables (a plain loop: emulators run rep-string
	 * instructions one iteration per block), then fill them. */
	movl	$PA(early_pml4), %ebx
	movl	$(EARLY_PT_PAGES * 4096), %ecx
	xorl	%eax, %eax
1:	subl	$16, %ecx
	movl	%eax, 0(%ebx, %ecx)
	movl	%eax, 4(%ebx, %ecx)
	movl	%eax, 8(%ebx, %ecx)
	movl	%eax, 12(%ebx, %ecx)
	jnz	1b

	/* PD k maps GiB k with 2 MiB pages: entry i = (k*512+i)*2 MiB. */
	movl	$PA(early_pd), %ebx
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$(PTE_P | PTE_W | PTE_PS), %eax
	movl	%eax, (%ebx, %ecx, 8)
	movl	%ecx, %eax
	shrl	$11, %eax		/* bits 32+ of (ecx << 21) */
	movl	%eax, 4(%ebx, %ecx, 8)
	incl	%ecx
	cmpl	$(4 * 512), %ecx
	jb	1b

	/* PDPT (low): four PDs. Shared by the identity and direct maps. */
	movl	$PA(early_pdpt_low), %ebx
	movl	$(PA(early_pd) + PTE_P + PTE_W), %eax
	movl	%eax, 0(%ebx)
	addl	$4096, %eax
	movl	%eax, 8(%ebx)
	addl	$4096, %eax
	movl	%eax, 16(%ebx)
	addl	$4096, %eax
	movl	%eax, 24(%ebx)
	/* PDPT (high): -2 GiB -> physical 0, the image's link area. */
	movl	$PA(early_pdpt_high), %ebx
	movl	$(PA(early_pd) + PTE_P + PTE_W), %eax
	movl	%eax, (510 * 8)(%ebx)

	movl	$PA(early_pml4), %ebx
	movl	$(PA(early_pdpt_low) + PTE_P + PTE_W), %eax
	movl	%eax, 0(%ebx)			/* identity */
	movl	%eax, (256 * 8)(%ebx)		/* direct map */
	movl	$(PA(early_pdpt_high) + PTE_P + PTE_W), %eax
	movl	%eax, (511 * 8)(%ebx)		/* kernel image */

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	%ebx, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	testl	$CPUID_EXT_NX, %ebp
	jz	2f
	orl	$EFER_NXE, %eax
2:	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE | CR0_WP), %eax
	movl	%eax, %cr0

	lgdt	early_gdt_desc
	ljmp	$0x08, $boot_long_mode

.Lno_long_mode:
	movl	$msg_no_long_mode, %ebx
	/* fall through */

/* Print the string at %ebx on COM1 and exit with status 2 (debug-exit). */
boot_fail32:
	movw	$COM1, %dx
1:	movb	(%ebx), %al
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	incl	%ebx
	jmp	1b
2:	movw	$DEBUG_EXIT_PORT, %dx
	movl	$BOOT_ERROR_STATUS, %eax
	outl	%eax, %dx
3:	hlt
	jmp	3b

	.code64
boot_long_mode:
	xorl	%eax, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movabsq	$boot_high, %rax
	jmp	*%rax

	.section .boot.data, "a"
	.balign 8
early_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 64-bit code, DPL 0 */
	.quad	0x00cf92000000ffff	/* data */
early_gdt_desc:
	.short	early_gdt_desc - early_gdt - 1
	.long	early_gdt
msg_bad_magic:
	.asciz	"keel: error: entered through multiboot2 without its magic\n"
msg_no_long_mode:
	.asciz	"keel: error: this CPU has no 64-bit long mode\n"
msg_no_memory:
	.asciz	"keel: error: not enough memory: the kernel image does not fit in RAM\n"
	.balign	8
boot_tsc_low:			/* TSC at the first instruction */
	.quad	0

/* --- 64-bit, higher half --- */
	.text
boot_high:
	movabsq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp
	/* boot_main(protocol = %edi, info_phys = %esi) */
	movl	%esi, %esi
	call	boot_main
1:	hlt
	jmp	1b

	.data
	.balign 8
	.globl	boot_tsc_start
boot_tsc_start:
	.quad	0

	.bss
	.balign 4096
early_pml4:
	.skip	4096
early_pdpt_low:
	.skip	4096
early_pdpt_high:
	.skip	4096
early_pd:
	.skip	4 * 4096
	/* The page under the boot stack stays unmapped once the final page
	 * tables are in: an overflow faults instead of corrupting .bss. */
	.globl	boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
	.skip	4096
boot_stack_bottom:
	.skip	BOOT_STACK_SIZE
boot_stack_top:
