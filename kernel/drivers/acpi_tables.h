/* ACPI table layouts as firmware lays them out in memory (ACPI 6.5, ch. 5):
 * fixed-width, packed, little-endian, no kernel includes, so host tests
 * build fake tables from the same definitions acpi.c parses. */
#ifndef KEEL_ACPI_TABLES_H
#define KEEL_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_PACKED	__attribute__((packed))

/* Root System Description Pointer, ACPI 1.0 part: found by signature. */
struct acpi_rsdp {
	char signature[8];	/* "RSD PTR " */
	uint8_t checksum;	/* covers these 20 bytes */
	char oem_id[6];
	uint8_t revision;	/* 0: ACPI 1.0; 2: ACPI 2.0+ */
	uint32_t rsdt_address;
} ACPI_PACKED;

/* ACPI 2.0+ extension, valid only when revision >= 2. */
struct acpi_rsdp2 {
	struct acpi_rsdp v1;
	uint32_t length;	/* of the whole structure */
	uint64_t xsdt_address;
	uint8_t ext_checksum;	/* covers `length` bytes */
	uint8_t reserved[3];
} ACPI_PACKED;

/* Common header of every table but the FACS. */
struct acpi_sdt_header {
	char signature[4];
	uint32_t length;	/* whole table, header included */
	uint8_t revision;
	uint8_t checksum;	/* all `length` bytes sum to zero */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} ACPI_PACKED;

/* The root tables: arrays of physical table addresses after the header. */
struct acpi_rsdt {
	struct acpi_sdt_header hdr;
	uint32_t entry[];
} ACPI_PACKED;

struct acpi_xsdt {
	struct acpi_sdt_header hdr;
	uint64_t entry[];	/* only 4-byte aligned in memory */
} ACPI_PACKED;

/* Generic Address Structure: where a register lives. */
struct acpi_gas {
	uint8_t space_id;	/* ACPI_GAS_SPACE_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;	/* 0 undefined, 1 byte .. 4 qword */
	uint64_t address;
} ACPI_PACKED;

#define ACPI_GAS_SPACE_MEMORY	0
#define ACPI_GAS_SPACE_IO	1

/* Fixed ACPI Description Table ("FACP"). Older revisions are shorter:
 * fields past the table's length read as zero. */
struct acpi_fadt {
	struct acpi_sdt_header hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;	/* port; 0 when ACPI mode is always on */
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;	/* port */
	uint32_t pm1b_cnt_blk;	/* port; 0 if absent */
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;		/* ACPI_FADT_* */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;	/* HW-reduced platforms */
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} ACPI_PACKED;

#define ACPI_FADT_HW_REDUCED	(1u << 20)

/* PM1 control register bits (legacy fixed hardware). */
#define ACPI_PM1_SCI_EN		(1u << 0)
#define ACPI_PM1_SLP_TYP_SHIFT	10
#define ACPI_PM1_SLP_TYP_MASK	(7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN		(1u << 13)

/* Sleep control register bits (HW-reduced ACPI, 4.8.3.7). */
#define ACPI_SLEEP_SLP_TYP_SHIFT	2
#define ACPI_SLEEP_SLP_EN		(1u << 5)

/* Multiple APIC Description Table ("APIC"): a header, then entries. */
struct acpi_madt {
	struct acpi_sdt_header hdr;
	uint32_t lapic_address;
	uint32_t flags;
} ACPI_PACKED;

struct acpi_madt_entry {
	uint8_t type;		/* ACPI_MADT_* */
	uint8_t length;		/* whole entry */
} ACPI_PACKED;

#define ACPI_MADT_LAPIC			0
#define ACPI_MADT_IOAPIC		1
#define ACPI_MADT_ISO			2
#define ACPI_MADT_LAPIC_OVERRIDE	5
#define ACPI_MADT_X2APIC		9

/* LAPIC / x2APIC flags. */
#define ACPI_MADT_CPU_ENABLED		(1u << 0)
#define ACPI_MADT_CPU_ONLINE_CAPABLE	(1u << 1)

struct acpi_madt_lapic {
	struct acpi_madt_entry h;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} ACPI_PACKED;

struct acpi_madt_ioapic {
	struct acpi_madt_entry h;
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} ACPI_PACKED;

/* Interrupt source override: ISA IRQ `source` arrives on `gsi`. */
struct acpi_madt_iso {
	struct acpi_madt_entry h;
	uint8_t bus;		/* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;		/* polarity bits 0-1, trigger bits 2-3 */
} ACPI_PACKED;

struct acpi_madt_lapic_override {
	struct acpi_madt_entry h;
	uint16_t reserved;
	uint64_t address;
} ACPI_PACKED;

struct acpi_madt_x2apic {
	struct acpi_madt_entry h;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t processor_uid;
} ACPI_PACKED;

/* IA-PC High Precision Event Timer table ("HPET"). */
struct acpi_hpet {
	struct acpi_sdt_header hdr;
	uint32_t event_timer_block_id;
	struct acpi_gas base_address;
	uint8_t hpet_number;
	uint16_t min_tick;
	uint8_t page_protection;
} ACPI_PACKED;

/* PCI Express memory-mapped configuration ("MCFG"). */
struct acpi_mcfg_alloc {
	uint64_t base_address;
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
} ACPI_PACKED;

struct acpi_mcfg {
	struct acpi_sdt_header hdr;
	uint64_t reserved;
	struct acpi_mcfg_alloc alloc[];
} ACPI_PACKED;

_Static_assert(sizeof(struct acpi_rsdp) == 20, "RSDP v1 is 20 bytes");
_Static_assert(sizeof(struct acpi_rsdp2) == 36, "RSDP v2 is 36 bytes");
_Static_assert(offsetof(struct acpi_rsdp2, xsdt_address) == 24, "XSDT ptr");
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header");
_Static_assert(sizeof(struct acpi_rsdt) == 36, "RSDT header");
_Static_assert(sizeof(struct acpi_xsdt) == 36, "XSDT header");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");
_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT DSDT");
_Static_assert(offsetof(struct acpi_fadt, smi_cmd) == 48, "FADT SMI_CMD");
_Static_assert(offsetof(struct acpi_fadt, acpi_enable) == 52, "ACPI_ENABLE");
_Static_assert(offsetof(struct acpi_fadt, pm1a_cnt_blk) == 64, "PM1a_CNT");
_Static_assert(offsetof(struct acpi_fadt, pm1b_cnt_blk) == 68, "PM1b_CNT");
_Static_assert(offsetof(struct acpi_fadt, pm1_cnt_len) == 89, "PM1_CNT_LEN");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "minor");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "X_PM1a_CNT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1b_cnt_blk) == 184, "X_PM1b_CNT");
_Static_assert(offsetof(struct acpi_fadt, x_gpe1_blk) == 232, "X_GPE1_BLK");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244,
	       "SLEEP_CONTROL_REG");
_Static_assert(offsetof(struct acpi_fadt, sleep_status_reg) == 256,
	       "SLEEP_STATUS_REG");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT (ACPI 6)");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT header");
_Static_assert(sizeof(struct acpi_madt_entry) == 2, "MADT entry header");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC");
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO");
_Static_assert(sizeof(struct acpi_madt_lapic_override) == 12, "MADT LAPIC ovr");
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC");
_Static_assert(offsetof(struct acpi_hpet, base_address) == 40, "HPET base");
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET");
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG allocation");
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG header");

#endif
