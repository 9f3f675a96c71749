/* Power-off with an exit status: QEMU's isa-debug-exit device (iobase 0xf4)
 * makes QEMU exit with (status << 1) | 1; where the device is absent the
 * write is ignored and ACPI S5 turns the machine off (status lost). */
#include <keel/acpi.h>
#include <keel/arch.h>
#include <keel/boot.h>
#include <keel/printk.h>

#define DEBUG_EXIT_PORT	0xf4

void
arch_power_off(int status)
{
	arch_irq_disable();
	outl(DEBUG_EXIT_PORT, (uint32_t)status & 0xff);
	/* Still running: no debug-exit device. ACPI is read only now, so
	 * boots that never need it do not pay for parsing its tables. */
	if (acpi_init(boot_info.rsdp_phys) == 0 && acpi_power_off() == 0)
		for (;;)
			arch_halt();	/* the hypervisor is turning us off */
	printk("keel: no way to power off (no isa-debug-exit, no ACPI S5); "
	       "halted with status %d\n", status);
	for (;;)
		arch_halt();
}
