/* Interrupt vectors and handlers. Vectors below IRQ_VECTOR_BASE are CPU
 * exceptions; handlers run with interrupts off, on the IRQ stack. */
#ifndef KEEL_IRQ_H
#define KEEL_IRQ_H

#include <keel/compiler.h>

#define IRQ_VECTOR_BASE		32
#define IRQ_VECTOR_PIC_BASE	0x20	/* legacy PIC, remapped and masked */
#define IRQ_VECTOR_DEVICE_FIRST	0x30	/* device vectors (IOAPIC, MSI-X) */
#define IRQ_VECTOR_DEVICE_LAST	0xdf
#define IRQ_VECTOR_TIMER	0xec	/* LAPIC timer */
#define IRQ_VECTOR_SPURIOUS	0xff	/* LAPIC spurious */

typedef void (*irq_handler_fn)(unsigned vector, void *arg);

/* Installs @fn for @vector (>= IRQ_VECTOR_BASE). Returns 0 or -EBUSY. */
int
irq_register(unsigned vector, irq_handler_fn fn, void *arg);

/* Picks a free device vector, installs @fn on it and returns the vector,
 * or -ENOSPC when all are taken. Boot-time device setup; any thread. */
int
irq_alloc_vector(irq_handler_fn fn, void *arg);

#endif
