/* Keel's boot sequence, in order, one step per line: from the first C
 * instruction (both boot paths land in boot_main) to the boot report, then
 * self-tests or the application. Each step is timed for --verbose. */
#include <keel/acpi.h>
#include <keel/apic.h>
#include <keel/arch.h>
#include <keel/boot.h>
#include <keel/boot_defs.h>
#include <keel/clock.h>
#include <keel/cmdline.h>
#include <keel/errno.h>
#include <keel/file.h>
#include <keel/page.h>
#include <keel/vfs.h>
#include <keel/exec.h>
#include <keel/fpu.h>
#include <keel/ioapic.h>
#include <keel/pci.h>
#include <keel/ktest.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/random.h>
#include <keel/shutdown.h>
#include <keel/sched.h>
#include <keel/thread.h>
#include <keel/vdso.h>
#include <keel/serial.h>
#include <keel/syscall.h>
#include <keel/virtio.h>

#define BOOT_MAX_PHASES		16

extern uint64_t boot_tsc_start;	/* boot.S: TSC at the first instruction */

static struct {
	const char *name;
	uint64_t tsc;
} phases[BOOT_MAX_PHASES];
static int nphases;
static struct cmdline cmdline;

static void
boot_phase(const char *name)
{
	clock_calibration_checkpoint();
	if (nphases < BOOT_MAX_PHASES)
		phases[nphases++] = (typeof(phases[0])){ name, arch_read_tsc() };
}

static __noreturn void
boot_fail(const char *fmt, const char *detail)
{
	printk("keel: error: ");
	printk(fmt, detail);
	printk("\n");
	arch_power_off(BOOT_ERROR_STATUS);
}

static void
boot_report(void)
{
	uint64_t now = arch_read_tsc(), prev = boot_tsc_start;

	printk("keel: booted in %lu us\n",
	       clock_tsc_to_ns(now - boot_tsc_start) / NSEC_PER_USEC);
	if (!cmdline.verbose)
		return;
	for (int i = 0; i < nphases; i++) {
		printk("keel:   %-10s %6lu us\n", phases[i].name,
		       clock_tsc_to_ns(phases[i].tsc - prev) / NSEC_PER_USEC);
		prev = phases[i].tsc;
	}
	printk("keel: memory %lu KiB free of %lu KiB; clock %s (%lu kHz), "
	       "wall clock %s; %s%s\n",
	       pmm_free_page_count() * 4, pmm_total_page_count() * 4,
	       clock_source_name(), clock_tsc_hz() / 1000,
	       clock_wall_source_name(), apic_is_x2apic() ? "x2APIC" : "xAPIC",
	       apic_has_tsc_deadline() ? ", TSC-deadline timer" : "");
	printk("keel: FPU state %s, %zu bytes, XCR0 %#lx\n", fpu_mode_name(),
	       fpu_state_size(), fpu_xcr0());
	printk("keel: command line: %s\n", boot_info.cmdline);
}

static void
boot_read_loader_info(uint32_t protocol, uint64_t info_phys)
{
	int err = protocol == BOOT_PROTO_PVH ? boot_parse_pvh(info_phys)
					     : boot_parse_multiboot2(info_phys);
	if (err)
		boot_fail("%s", boot_error_msg);
	if (boot_info.cmdline_truncated)
		boot_fail("command line longer than %s bytes", "4095");
}

static void
boot_parse_cmdline(void)
{
	/* Parsing splits words in place: keep boot_info.cmdline intact. */
	static char words[BOOT_CMDLINE_MAX];
	char err[CMDLINE_ERR_LEN];

	__builtin_memcpy(words, boot_info.cmdline, sizeof(words));
	if (cmdline_parse(words, &cmdline, err))
		boot_fail("%s", err);
}

/* Runs the program named on the command line; the boot thread then waits
 * for the application's last thread to exit (a call to exit_group ends it
 * from wherever it is made). */
static __noreturn void
boot_run_program(void)
{
	static char *envp[CMDLINE_MAX_ENV + 1];
	int status;

	for (int i = 0; i < cmdline.nenv; i++)
		envp[i] = (char *)cmdline.env[i];
	status = exec_start(cmdline.argv, envp);
	if (status != 0)
		kernel_shutdown(status);
	exec_power_off(exec_wait());
}

static __noreturn void
boot_run(void)
{
	if (cmdline.test) {
		int failed = ktest_run(cmdline.test);

		if (failed == -ENOENT)
			boot_fail("unknown self-test in '%s'", cmdline.test);
		arch_power_off(failed > 255 ? 255 : failed);
	}
	if (cmdline.argc == 0)
		arch_power_off(0);
	boot_run_program();
}

/* The file tree: the root (the initrd -- the first boot module -- or an
 * ext2 disk), /dev, /proc, /sys and /tmp, the --mount data disks;
 * standard input, output and error on the console. */
static void
boot_mount_root(void)
{
	const void *initrd = NULL;
	size_t initrd_len = 0;

	if (boot_info.nmodules > 0) {
		initrd = phys_to_virt(boot_info.modules[0].base);
		initrd_len = boot_info.modules[0].len;
	}
	if (vfs_mount_boot_root(cmdline.rootfs, initrd, initrd_len))
		boot_fail("%s", "no root file system (see above)");
	if (vfs_mount_pseudo() || fd_init_console())
		boot_fail("%s", "out of memory mounting /dev, /proc, /sys and /tmp");
	for (int i = 0; i < cmdline.nmounts; i++)
		if (vfs_mount_data(cmdline.mounts[i].dev, cmdline.mounts[i].dir))
			boot_fail("cannot mount %s (see above)",
				  cmdline.mounts[i].dev);
}

/* Interrupt routing, buses and the virtio devices on them (disks become
 * block devices with their partitions). Needs threads: probing a disk
 * sleeps on its first requests. microvm has no PCI: its virtio-mmio slots
 * are probed when the command line does not list them. */
static void
boot_devices(void)
{
	bool has_pci;

	acpi_init(boot_info.rsdp_phys);	/* -ENODEV: microvm with acpi=off */
	if (ioapic_init())
		printk("keel: no I/O APIC: no device interrupts\n");
	has_pci = pci_init() == 0;
	virtio_init(cmdline.virtio_mmio, cmdline.nvirtio_mmio, !has_pci);
}

static __noreturn void
kmain(uint32_t protocol, uint64_t info_phys)
{
	char why[CMDLINE_ERR_LEN];

	percpu_init_boot();
	clock_calibration_start();
	serial_init();
	arch_trap_init();
	boot_phase("cpu");
	boot_read_loader_info(protocol, info_phys);
	boot_parse_cmdline();
	if (cmdline.fpu)
		fpu_limit_mode(cmdline.fpu);
	fpu_init();
	boot_phase("cmdline");
	if (mm_init(&boot_info, why, sizeof(why)))
		boot_fail("%s", why);
	arch_guard_stacks();
	boot_phase("memory");
	if (clock_init())
		boot_fail("%s", "no clock: cannot calibrate the TSC (no PIT)");
	boot_phase("clock");
	if (apic_init())
		boot_fail("%s", "no local APIC");
	boot_phase("apic");
	sched_init();
	boot_phase("sched");
	boot_devices();
	boot_phase("devices");
	syscall_init(cmdline.strace);
	vdso_init();
	/* Only programs (and the self-tests that play one) need the tree. */
	if (cmdline.argc > 0 || cmdline.test) {
		boot_mount_root();
		boot_phase("files");
	}
	boot_report();
	boot_run();
}

/* The C entry of both boot paths (boot.S). The canary is set before any
 * function that checks it returns, so this frame must carry none. */
__attribute__((no_stack_protector)) __noreturn void
boot_main(uint32_t protocol, uint64_t info_phys)
{
	stack_protector_init();
	kmain(protocol, info_phys);
}
