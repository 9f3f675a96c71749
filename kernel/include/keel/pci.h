/* PCI: enumeration of bus functions at boot, configuration space (ECAM
 * from the MCFG where present, else ports 0xcf8/0xcfc), BARs, the
 * capability list and MSI-X. Drivers look devices up with pci_for_each. */
#ifndef KEEL_PCI_H
#define KEEL_PCI_H

#include <keel/compiler.h>
#include <keel/list.h>

struct pci_bar {
	uint64_t base;		/* physical (memory) or port (I/O); 0: none */
	uint64_t size;
	bool is_io;
	void *mmio;		/* memory BARs: the ioremap()ed window */
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_id;
	uint8_t class, subclass, revision;
	struct pci_bar bars[6];	/* valid once bars_sized */
	bool bars_sized;
	int msix_cap;		/* config offset of MSI-X, 0 if none */
	uint16_t msix_size;	/* table entries */
	volatile uint8_t *msix_table;
	struct list_node node;
};

/* Scans every bus and records each function found. Boot only. */
int
pci_init(void);

/* Calls @fn for each function found, in bus/device/function order. */
void
pci_for_each(void (*fn)(struct pci_dev *pdev, void *arg), void *arg);

uint32_t pci_read_config32(struct pci_dev *pdev, unsigned off);
uint16_t pci_read_config16(struct pci_dev *pdev, unsigned off);
uint8_t pci_read_config8(struct pci_dev *pdev, unsigned off);
void pci_write_config32(struct pci_dev *pdev, unsigned off, uint32_t v);
void pci_write_config16(struct pci_dev *pdev, unsigned off, uint16_t v);

/* Offset of the first capability @id at or after list entry @from (0:
 * the list's start; else an offset returned before, to find the next),
 * or 0 if none. The walk is bounded against looped lists. */
int
pci_find_cap(struct pci_dev *pdev, uint8_t id, int from);

/* Enables decoding of the function's BARs and bus mastering (DMA). */
void
pci_enable_device(struct pci_dev *pdev);

/* BAR @bar (0-5), sized on first use, or NULL for a bad index. Its
 * base is 0 when the function does not implement it. */
const struct pci_bar *
pci_get_bar(struct pci_dev *pdev, int bar);

/* Memory BAR @bar mapped uncached (kept for later calls), or NULL when
 * it is absent or an I/O BAR. */
void *
pci_map_bar(struct pci_dev *pdev, int bar);

/* Maps the MSI-X table and enables MSI-X with every entry masked.
 * Returns the number of entries, or -ENODEV without MSI-X. */
int
pci_msix_enable(struct pci_dev *pdev);

/* Points entry @entry at @vector on this CPU and unmasks it. */
int
pci_msix_set_vector(struct pci_dev *pdev, unsigned entry, unsigned vector);

#endif
