/* MSI-X for PCI functions: the vector table lives in a memory BAR; each
 * entry holds an x86 MSI message (LAPIC address, vector as data). Keel
 * uses MSI-X only, never the shared INTx lines. */
#include <keel/apic.h>
#include <keel/errno.h>
#include <keel/pci.h>
#include "pci_reg.h"

static volatile uint32_t *
pci_msix_entry(struct pci_dev *p, unsigned entry, unsigned reg)
{
	return (volatile uint32_t *)(p->msix_table + entry * PCI_MSIX_ENTRY_SIZE +
				     reg);
}

int
pci_msix_enable(struct pci_dev *p)
{
	int cap = pci_find_cap(p, PCI_CAP_ID_MSIX, 0);
	uint32_t table;
	uint16_t ctrl;
	uint8_t *bar;

	if (!cap)
		return -ENODEV;
	ctrl = pci_read_config16(p, cap + PCI_MSIX_CTRL);
	table = pci_read_config32(p, cap + PCI_MSIX_TABLE);
	bar = pci_map_bar(p, table & PCI_MSIX_BIR_MASK);
	if (!bar)
		return -ENODEV;
	p->msix_cap = cap;
	p->msix_size = (ctrl & PCI_MSIX_CTRL_SIZE_MASK) + 1;
	p->msix_table = bar + (table & ~PCI_MSIX_BIR_MASK);
	for (unsigned i = 0; i < p->msix_size; i++)
		*pci_msix_entry(p, i, PCI_MSIX_ENTRY_CTRL) = PCI_MSIX_ENTRY_MASKED;
	ctrl = (ctrl | PCI_MSIX_CTRL_ENABLE) & ~PCI_MSIX_CTRL_MASKALL;
	pci_write_config16(p, cap + PCI_MSIX_CTRL, ctrl);
	return p->msix_size;
}

int
pci_msix_set_vector(struct pci_dev *p, unsigned entry, unsigned vector)
{
	if (!p->msix_table || entry >= p->msix_size)
		return -EINVAL;
	*pci_msix_entry(p, entry, PCI_MSIX_ENTRY_ADDR_LO) =
		MSI_ADDR_BASE | apic_current_id() << MSI_ADDR_DEST_SHIFT;
	*pci_msix_entry(p, entry, PCI_MSIX_ENTRY_ADDR_HI) = 0;
	*pci_msix_entry(p, entry, PCI_MSIX_ENTRY_DATA) = vector;
	*pci_msix_entry(p, entry, PCI_MSIX_ENTRY_CTRL) = 0;
	return 0;
}
