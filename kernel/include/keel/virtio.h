/* Virtio devices: the core (feature negotiation, status, driver binding),
 * split virtqueues shared by every transport, and the transport interface
 * that virtio-mmio, modern virtio-pci and legacy virtio-pci implement.
 * Register layouts live in drivers/virtio/virtio*_reg.h. */
#ifndef KEEL_VIRTIO_H
#define KEEL_VIRTIO_H

#include <keel/compiler.h>
#include <keel/spinlock.h>

#define VIRTIO_MAX_QUEUES	2
#define VIRTIO_NAME_MAX		32

struct virtio_dev;
struct virtq;

/* What a transport does for the core. Config space reads are byte-wise
 * copies of the device-specific configuration (little-endian on x86 for
 * legacy and modern alike). */
struct virtio_transport_ops {
	void (*reset)(struct virtio_dev *vdev);
	uint8_t (*get_status)(struct virtio_dev *vdev);
	void (*set_status)(struct virtio_dev *vdev, uint8_t status);
	uint64_t (*get_features)(struct virtio_dev *vdev);
	void (*set_features)(struct virtio_dev *vdev, uint64_t features);
	void (*read_config)(struct virtio_dev *vdev, unsigned off, void *buf,
			    unsigned len);
	/* Largest size of queue @index, 0 if it does not exist. */
	uint16_t (*queue_max)(struct virtio_dev *vdev, unsigned index);
	/* Tells the device where @vq's rings are and enables it. */
	int (*queue_activate)(struct virtio_dev *vdev, struct virtq *vq);
	void (*notify)(struct virtq *vq);
	/* Routes the device's interrupt to virtio_dev_interrupt(). */
	int (*setup_irq)(struct virtio_dev *vdev);
};

struct virtio_dev {
	char name[VIRTIO_NAME_MAX];	/* for messages: "virtio-mmio@0x..." */
	const struct virtio_transport_ops *ops;
	void *transport;		/* the transport's own state */
	uint32_t device_id;		/* VIRTIO_ID_* */
	bool legacy;			/* pre-1.0 interface: no VERSION_1 */
	bool fixed_queue_size;		/* legacy PCI: the device sets sizes */
	uint64_t features;		/* negotiated */
	struct virtq *vqs[VIRTIO_MAX_QUEUES];
	int nvqs;
	void *priv;			/* the device driver's */
};

/* A device driver (virtio-blk, virtio-rng). */
struct virtio_driver {
	const char *name;
	uint32_t device_id;
	uint64_t features;		/* device features it can use */
	/* Called with features negotiated; sets up queues, then calls
	 * virtio_dev_ready() before its first request. May sleep. */
	int (*probe)(struct virtio_dev *vdev);
};

/* Binds @vdev (filled in by a transport) to its driver: reset,
 * negotiation, the driver's probe. A device that fails is reported on
 * the console, marked FAILED and left alone. Boot only; may sleep. */
int
virtio_dev_probe(struct virtio_dev *vdev);

/* The size to give queue @index: @want (a power of two) or less, or the
 * fixed size of a legacy device; 0 if the queue does not exist. */
uint16_t
virtio_queue_size(struct virtio_dev *vdev, unsigned index, uint16_t want);

/* Whether Keel drives devices of type @device_id: transports leave the
 * others untouched. */
bool
virtio_driver_exists(uint32_t device_id);

/* Sets DRIVER_OK: the device may now be used. */
void
virtio_dev_ready(struct virtio_dev *vdev);

static inline bool
virtio_has_feature(const struct virtio_dev *vdev, unsigned bit)
{
	return vdev->features & (1ULL << bit);
}

/* The transport's interrupt handler calls this: runs every queue's
 * callback. Interrupt context. */
void
virtio_dev_interrupt(struct virtio_dev *vdev);

/* Finds the virtio devices of every transport: microvm's MMIO devices
 * (the command line's @mmio entries, else -- when @probe_mmio_slots, on a
 * machine without PCI -- a probe of microvm's slots), then PCI functions.
 * Boot only, after pci_init() and ioapic_init(); may sleep. */
struct cmdline_virtio_mmio;
void
virtio_init(const struct cmdline_virtio_mmio *mmio, int nmmio,
	    bool probe_mmio_slots);
void
virtio_mmio_discover(const struct cmdline_virtio_mmio *mmio, int nmmio,
		     bool probe_slots);
void
virtio_pci_discover(void);

/* ---- split virtqueues (virtqueue.c) ---- */

/* One buffer of a chain: physical, read by the device unless
 * @device_writes. */
struct virtq_seg {
	uint64_t phys;
	uint32_t len;
	bool device_writes;
};

struct virtq {
	struct virtio_dev *vdev;
	unsigned index;
	uint16_t size;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint64_t desc_phys, avail_phys, used_phys;
	uint64_t ring_phys;		/* the one block holding all three */
	unsigned ring_order;
	struct spinlock lock;		/* all of the fields below */
	uint16_t free_head;		/* free descriptors, linked by next */
	uint16_t num_free;
	uint16_t avail_idx;		/* our copy of avail->idx */
	uint16_t last_used;		/* used entries consumed */
	uint16_t kicked_idx;		/* avail_idx at the last notify */
	bool indirect;			/* VIRTIO_F_INDIRECT_DESC */
	bool event_idx;			/* VIRTIO_F_EVENT_IDX */
	void **cookies;			/* per chain head */
	struct virtq_desc **indirect_tables;	/* per head, or NULL */
	void (*callback)(struct virtq *vq);	/* interrupt context */
	uintptr_t notify;		/* transport's: address or port */
};

/* Allocates queue @index of @vdev with @size entries (a power of two) in
 * the legacy layout (works for every transport), and activates it.
 * Returns the queue or an ERR_PTR. Boot only. */
struct virtq *
virtq_create(struct virtio_dev *vdev, unsigned index, uint16_t size,
	     void (*callback)(struct virtq *vq));

/* Adds a chain of @n segments (device-readable ones first) with @cookie,
 * through one indirect descriptor when negotiated and @n > 1. Returns 0,
 * or -ENOSPC when the ring is full. Any context; takes vq->lock. */
int
virtq_add_chain(struct virtq *vq, const struct virtq_seg *segs, unsigned n,
		void *cookie);

/* Notifies the device of added chains unless it asked not to be. */
void
virtq_kick(struct virtq *vq);

/* The cookie of the next completed chain (its length written in @len),
 * or NULL once none is left -- after re-arming the interrupt so none is
 * missed. Any context; takes vq->lock. */
void *
virtq_get_buf(struct virtq *vq, uint32_t *len);

/* The longest chain virtq_add_chain() accepts. */
unsigned
virtq_max_chain(const struct virtq *vq);

#endif
