/* Virtio 1.x common facts: device status bits, transport-independent
 * feature bits, device types and the split virtqueue layout (spec 2.1,
 * 2.7, 5). Hardware layouts only; driver state is in keel/virtio.h. */
#ifndef KEEL_VIRTIO_REG_H
#define KEEL_VIRTIO_REG_H

#include <keel/compiler.h>

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

/* Reserved feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32

/* Device types (5). */
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_ENTROPY		4

/* Split virtqueue (2.7). */
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_USED_F_NO_NOTIFY		1
#define VIRTQ_ALIGN_LEGACY		4096	/* used ring alignment, legacy */
#define VIRTQ_MAX_SIZE			32768

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Followed by ring[queue size] and, with EVENT_IDX, used_event. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;	/* head of the completed chain */
	uint32_t len;	/* bytes the device wrote */
};

/* Followed by ring[queue size] and, with EVENT_IDX, avail_event. */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc");
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail header");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem");
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used header");

#endif
