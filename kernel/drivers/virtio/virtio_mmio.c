/* The virtio-mmio transport (spec 4.2), version 2 and legacy version 1
 * register files, as QEMU's microvm provides them: devices named by
 * virtio_mmio.device= command-line entries (acpi=off), else found by a
 * bounded probe of microvm's fixed slots. Interrupts arrive edge
 * triggered on a GSI through the I/O APIC. */
#include <keel/acpi.h>
#include <keel/arch.h>
#include <keel/cmdline.h>
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/ioapic.h>
#include <keel/ioremap.h>
#include <keel/irq.h>
#include <keel/page.h>
#include <keel/printk.h>
#include <keel/virtio.h>
#include "virtio_mmio_reg.h"
#include "virtio_reg.h"

#define VMMIO_RESET_POLLS	1000000	/* bound on waiting for status 0 */

struct virtio_mmio {
	struct virtio_dev vdev;
	volatile uint8_t *regs;
	uint32_t version;
	uint32_t gsi;
};

static struct virtio_mmio *
to_vm(struct virtio_dev *vdev)
{
	return vdev->transport;
}

static uint32_t
vmmio_read(struct virtio_dev *vdev, unsigned reg)
{
	return *(volatile uint32_t *)(to_vm(vdev)->regs + reg);
}

static void
vmmio_write(struct virtio_dev *vdev, unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(to_vm(vdev)->regs + reg) = v;
}

static void
vmmio_reset(struct virtio_dev *vdev)
{
	vmmio_write(vdev, VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; i < VMMIO_RESET_POLLS &&
	     vmmio_read(vdev, VIRTIO_MMIO_STATUS); i++)
		arch_cpu_relax();
	if (to_vm(vdev)->version == VIRTIO_MMIO_VERSION_LEGACY)
		vmmio_write(vdev, VIRTIO_MMIO_GUEST_PAGE_SIZE, PAGE_SIZE);
}

static uint8_t
vmmio_get_status(struct virtio_dev *vdev)
{
	return (uint8_t)vmmio_read(vdev, VIRTIO_MMIO_STATUS);
}

static void
vmmio_set_status(struct virtio_dev *vdev, uint8_t status)
{
	vmmio_write(vdev, VIRTIO_MMIO_STATUS, status);
}

static uint64_t
vmmio_get_features(struct virtio_dev *vdev)
{
	uint64_t f;

	vmmio_write(vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = vmmio_read(vdev, VIRTIO_MMIO_DEVICE_FEATURES);
	if (vdev->legacy)
		return f;
	vmmio_write(vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)vmmio_read(vdev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void
vmmio_set_features(struct virtio_dev *vdev, uint64_t features)
{
	vmmio_write(vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vmmio_write(vdev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	vmmio_write(vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vmmio_write(vdev, VIRTIO_MMIO_DRIVER_FEATURES,
		    (uint32_t)(features >> 32));
}

static void
vmmio_read_config(struct virtio_dev *vdev, unsigned off, void *buf,
		  unsigned len)
{
	volatile uint8_t *cfg = to_vm(vdev)->regs + VIRTIO_MMIO_CONFIG;

	for (unsigned i = 0; i < len; i++)
		((uint8_t *)buf)[i] = cfg[off + i];
}

static uint16_t
vmmio_queue_max(struct virtio_dev *vdev, unsigned index)
{
	uint32_t max;

	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_SEL, index);
	max = vmmio_read(vdev, VIRTIO_MMIO_QUEUE_NUM_MAX);
	return (uint16_t)MIN(max, VIRTQ_MAX_SIZE);
}

static int
vmmio_queue_activate(struct virtio_dev *vdev, struct virtq *vq)
{
	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_SEL, vq->index);
	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_NUM, vq->size);
	if (to_vm(vdev)->version == VIRTIO_MMIO_VERSION_LEGACY) {
		vmmio_write(vdev, VIRTIO_MMIO_QUEUE_ALIGN, VIRTQ_ALIGN_LEGACY);
		vmmio_write(vdev, VIRTIO_MMIO_QUEUE_PFN,
			    (uint32_t)(vq->ring_phys >> PAGE_SHIFT));
		return 0;
	}
	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)vq->desc_phys);
	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_DESC_HIGH, vq->desc_phys >> 32);
	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)vq->avail_phys);
	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, vq->avail_phys >> 32);
	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)vq->used_phys);
	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, vq->used_phys >> 32);
	vmmio_write(vdev, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

static void
vmmio_notify(struct virtq *vq)
{
	vmmio_write(vq->vdev, VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
}

static void
vmmio_irq(unsigned vector, void *arg)
{
	struct virtio_dev *vdev = arg;
	uint32_t status = vmmio_read(vdev, VIRTIO_MMIO_INTERRUPT_STATUS);

	(void)vector;
	vmmio_write(vdev, VIRTIO_MMIO_INTERRUPT_ACK, status);
	if (status & VIRTIO_MMIO_INT_VRING)
		virtio_dev_interrupt(vdev);
}

static int
vmmio_setup_irq(struct virtio_dev *vdev)
{
	int vector = irq_alloc_vector(vmmio_irq, vdev);

	if (vector < 0)
		return vector;
	return ioapic_route_gsi(to_vm(vdev)->gsi, (unsigned)vector,
				IOAPIC_EDGE_HIGH);
}

static const struct virtio_transport_ops virtio_mmio_ops = {
	.reset = vmmio_reset,
	.get_status = vmmio_get_status,
	.set_status = vmmio_set_status,
	.get_features = vmmio_get_features,
	.set_features = vmmio_set_features,
	.read_config = vmmio_read_config,
	.queue_max = vmmio_queue_max,
	.queue_activate = vmmio_queue_activate,
	.notify = vmmio_notify,
	.setup_irq = vmmio_setup_irq,
};

/* Maps the window at @base and binds its device, if one is there:
 * returns false for an empty slot or something that is not virtio. */
static bool
vmmio_probe_one(uint64_t base, uint32_t gsi, bool report_absent)
{
	volatile uint8_t *regs = ioremap(base, MICROVM_MMIO_SLOT_SIZE);
	struct virtio_mmio *vm;
	uint32_t magic, version, id;

	if (!regs)
		return false;
	magic = *(volatile uint32_t *)(regs + VIRTIO_MMIO_MAGIC_VALUE);
	version = *(volatile uint32_t *)(regs + VIRTIO_MMIO_VERSION);
	id = *(volatile uint32_t *)(regs + VIRTIO_MMIO_DEVICE_ID);
	if (magic != VIRTIO_MMIO_MAGIC || id == 0 ||
	    (version != VIRTIO_MMIO_VERSION_LEGACY &&
	     version != VIRTIO_MMIO_VERSION_MODERN)) {
		if (report_absent && magic != VIRTIO_MMIO_MAGIC)
			printk("keel: virtio-mmio@%#lx: no virtio device "
			       "(magic %#x), skipped\n", base, magic);
		iounmap((void *)regs, MICROVM_MMIO_SLOT_SIZE);
		return false;
	}
	if (!virtio_driver_exists(id)) {
		iounmap((void *)regs, MICROVM_MMIO_SLOT_SIZE);
		return true;	/* a device, but not one Keel drives */
	}
	vm = kzalloc(sizeof(*vm));
	if (!vm)
		return false;
	vm->regs = regs;
	vm->version = version;
	vm->gsi = gsi;
	vm->vdev.ops = &virtio_mmio_ops;
	vm->vdev.transport = vm;
	vm->vdev.device_id = id;
	vm->vdev.legacy = version == VIRTIO_MMIO_VERSION_LEGACY;
	snprintf(vm->vdev.name, sizeof(vm->vdev.name), "virtio-mmio@%#lx gsi %u",
		 base, gsi);
	virtio_dev_probe(&vm->vdev);
	return true;
}

/* Without command-line entries: the DSDT's devices (microvm with ACPI,
 * whose GSIs depend on its second I/O APIC), else microvm's slots with
 * their fixed GSIs. Empty slots are skipped silently. */
static void
vmmio_probe_machine(void)
{
	struct acpi_mmio_device devs[MICROVM_MMIO_SLOTS];
	int n = acpi_mmio_devices(devs, MICROVM_MMIO_SLOTS);

	for (int i = 0; i < n; i++)
		vmmio_probe_one(devs[i].base, devs[i].gsi, false);
	if (n > 0)
		return;
	for (unsigned slot = 0; slot < MICROVM_MMIO_SLOTS; slot++)
		vmmio_probe_one(MICROVM_MMIO_BASE +
				slot * MICROVM_MMIO_SLOT_SIZE,
				MICROVM_MMIO_GSI_BASE + slot, false);
}

void
virtio_mmio_discover(const struct cmdline_virtio_mmio *mmio, int nmmio,
		     bool probe_slots)
{
	for (int i = 0; i < nmmio; i++)
		vmmio_probe_one(mmio[i].base, mmio[i].irq, true);
	if (nmmio == 0 && probe_slots)
		vmmio_probe_machine();
}
