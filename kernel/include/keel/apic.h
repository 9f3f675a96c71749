/* The local APIC (x2APIC where the CPU has it): interrupt acknowledgement
 * and the one-shot timer (TSC-deadline mode where present). */
#ifndef KEEL_APIC_H
#define KEEL_APIC_H

#include <keel/compiler.h>

/* Enables the local APIC, masks the legacy PIC, measures the timer rate.
 * Needs the clock. Returns 0 or -ENODEV. */
int
apic_init(void);

void
apic_eoi(void);

/* Arms the one-shot timer to fire IRQ_VECTOR_TIMER at monotonic time
 * @deadline_ns (at once if already past); replaces any armed deadline. */
void
apic_timer_arm(uint64_t deadline_ns);
void
apic_timer_cancel(void);

/* This CPU's local APIC id: where IOAPIC routes and MSI messages go. */
uint32_t
apic_current_id(void);

bool
apic_is_x2apic(void);
bool
apic_has_tsc_deadline(void);

#endif
