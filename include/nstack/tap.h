/* nstack — the Linux TAP link driver.
 *
 * A TAP device is an Ethernet interface whose other end is a file
 * descriptor: every frame the kernel sends on it can be read(), every frame
 * written is received by the kernel. With it a stack talks to the Linux
 * kernel (and through it to real hosts). nstack opens the device with
 * IFF_TAP | IFF_NO_PI (and IFF_VNET_HDR: see vnet_hdr below), non-blocking.
 *
 * The driver never reads a clock: whoever drives it (the run loop,
 * <nstack/runloop.h>) passes `now` in, as with the stack itself.
 *
 * Optionally, per direction, it impairs the traffic (loss, a fixed delay,
 * duplication, reordering) with its own seeded generator: what the kernel's
 * netem would do, for kernels without it. And it can write a pcap of what
 * crossed the device.
 *
 * Errors are negative errno codes; nst_tap_open also explains them in words. */
#ifndef NSTACK_TAP_H
#define NSTACK_TAP_H

#include "stack.h"
#include "api.h"

NST_API_BEGIN

/* One direction's impairment. Per frame, in this order, a draw is taken
 * only for a probability > 0 (so a clean direction uses no randomness):
 * lost? duplicated? reordered? A frame leaves `delay` after it arrived; a
 * reordered one `reorder_delay` later still, so the frames behind it pass. */
struct nst_tap_impair {
    double loss;              /* probability a frame is dropped, 0..1 */
    double duplicate;         /* probability a frame is sent twice */
    double reorder;           /* probability a frame is held back by reorder_delay */
    nst_time_t delay;         /* added to every frame, >= 0 */
    nst_time_t reorder_delay; /* 0: delay / 2 + 1 ms (as the simulator's links) */
};

struct nst_tap_config {
    const char *ifname;       /* device to attach to or create; NULL or "": the kernel names it (tapN) */
    unsigned batch;           /* most frames read by one nst_tap_receive(), 64 */
    unsigned hold_max;        /* frames held back (delay, reorder) per direction, 1024; beyond: dropped */
    const char *pcap_path;    /* write what crosses the device here; NULL: no capture (received
                                 GSO frames appear as the segments cut from them, with checksums
                                 finished: what the stack was given) */
    nst_time_t pcap_offset;   /* added to capture timestamps (e.g. REALTIME - MONOTONIC: wall-clock times) */
    uint64_t pcap_max_frames; /* the capture ends (file closed) after this many frames; 0: no limit */
    uint64_t seed;            /* the impairment generator's seed, 1 */
    struct nst_tap_impair tx; /* stack -> kernel */
    struct nst_tap_impair rx; /* kernel -> stack */
    /* 1 (the default): open the device with IFF_VNET_HDR and ask the kernel
     * for checksum and TCP/IPv4 segmentation offloads (TUNSETOFFLOAD
     * TUN_F_CSUM | TUN_F_TSO4). The kernel then hands over up to 64 KB of a
     * TCP stream per read (a GSO frame), and frames whose checksum it left
     * for the device to finish; the driver cuts the former into MTU-sized
     * segments and finishes the latter, so the stack sees ordinary frames.
     * Frames sent carry an empty header (checksums complete, no GSO). If the
     * kernel refuses, the device works without (nst_tap_vnet() says which).
     * 0: plain frames, one per read, checksums always complete. */
    int vnet_hdr;
    /* With the vnet header: TCP may send new data in TSO frames of up to
     * 64 KB that the kernel cuts (default 1). 0: one segment per frame, as
     * a reader of the device (tcpdump, a raw socket on the kernel's side)
     * sees the segments themselves, before any GSO cutting. */
    int tso;
    /* One stack per queue: 1 opens the device with IFF_MULTI_QUEUE (create
     * it so: `ip tuntap add dev X mode tap multi_queue`), one descriptor, so
     * one queue, per stack. The kernel sends a flow to the queue it last
     * received the flow from (tun's automatic flow steering), else picks a
     * queue by the flow's hash: a connection stays with the stack that
     * opened it or got its SYN. The TAPs of one device share `group`
     * (nst_tap_group_new) so that ARP, which comes on one queue, reaches
     * every stack; group_slot is this one's queue number. */
    int multi_queue;
    struct nst_tap_group *group;
    unsigned group_slot;
};

/* What the driver saw, per direction (0: tx, stack -> kernel; 1: rx). */
struct nst_tap_dir_stats {
    uint64_t frames;          /* tx: written to the device; rx: read from it */
    uint64_t bytes;
    uint64_t errors;          /* read()/write() failures other than "nothing to read" */
    uint64_t truncated;       /* rx: a frame longer than the read buffer (dropped) */
    uint64_t delivered;       /* rx: handed to the stack (duplicates included) */
    uint64_t lost;            /* dropped by the loss impairment */
    uint64_t duplicated;
    uint64_t reordered;
    uint64_t delayed;         /* held back by delay or reorder */
    uint64_t hold_drops;      /* dropped: hold_max frames were already held */
    /* With a vnet header (rx): GSO frames read, the segments cut from them,
     * partial checksums finished, and frames dropped because their header
     * asked for what the driver cannot do (counted in errors too).
     * tx: csum_finished counts the frames written in pieces with their TCP
     * checksum left for the kernel to finish (NEEDS_CSUM), gso_frames the
     * TSO frames the stack sent (larger than the MTU) and gso_segments the
     * segments they made (cut by the kernel, or here when capturing or
     * impairing). */
    uint64_t gso_frames, gso_segments, csum_finished, vnet_bad;
};

struct nst_tap_stats {
    struct nst_tap_dir_stats tx, rx;
    uint64_t pcap_errors;     /* capture writes that failed (the capture then stops) */
    uint64_t pcap_frames;     /* frames written to the capture */
};

enum { NST_TAP_DIR_TX = 0, NST_TAP_DIR_RX = 1 };

struct nst_tap;
struct nst_tap_group;

/* batch 64, hold_max 1024, seed 1, no capture, no impairment, vnet_hdr 1. */
void nst_tap_config_default(struct nst_tap_config *c);

/* Opens (creating if needed) the TAP device. On failure returns -errno and,
 * if why != NULL, writes a sentence saying what failed and what to do
 * (why_len bytes at most). The device is not brought up: that is the
 * kernel side's business (`ip link set dev X up`). */
int nst_tap_open(const struct nst_tap_config *cfg, struct nst_tap **out, char *why, size_t why_len);
/* Closes the device (a persistent device stays), the capture, and frees
 * held frames. NULL is accepted. */
void nst_tap_close(struct nst_tap *tap);

/* The device's descriptor (for a poll loop), owned by the tap. */
int nst_tap_fd(const struct nst_tap *tap);
/* 1 if frames cross with a vnet header and the kernel's offloads are on
 * (see nst_tap_config.vnet_hdr), else 0. */
int nst_tap_vnet(const struct nst_tap *tap);
/* The device's name as the kernel knows it. */
const char *nst_tap_name(const struct nst_tap *tap);
/* The device's MTU as the kernel sees it (SIOCGIFMTU), or -errno. */
int nst_tap_kernel_mtu(const struct nst_tap *tap);
/* Whether the kernel's side transmits: 1 if the device is up and running,
 * 0 if not (yet), -errno; *admin_up (if not NULL) says whether it is up at
 * all (`ip link set dev X up`). A TAP gets its carrier when it is opened, but the kernel turns
 * the carrier on asynchronously (linkwatch, up to a second later); until
 * then what the kernel sends on it (ARP replies, pings) is dropped. */
int nst_tap_kernel_state(const struct nst_tap *tap, int *admin_up);

/* Adds an interface to st whose link is this device (ifc's ops and ctx are
 * filled in; mtu 0 means the device's MTU) and sends what the device
 * receives to it. One stack per device. Returns the ifindex or -errno. */
int nst_tap_attach(struct nst_tap *tap, struct nst_stack *st, const struct nst_iface_config *ifc);

/* Reads up to `batch` frames (until the device has no more), and hands each
 * to the stack (or holds it back, per the rx impairment). Returns the number
 * of frames read, or -errno if reading failed before any frame was read. */
int nst_tap_receive(struct nst_tap *tap, nst_time_t now);
/* Sets the driver's time (the time of frames the stack sends from now on)
 * and releases the held frames due by then, both directions. */
void nst_tap_advance(struct nst_tap *tap, nst_time_t now);
/* When a held frame is next due, NST_TIME_NEVER if none is held. */
nst_time_t nst_tap_next_deadline(const struct nst_tap *tap);

/* The TAPs of one multi-queue device (nst_tap_config.group): NULL on
 * ENOMEM. Free it after closing its TAPs. */
struct nst_tap_group *nst_tap_group_new(void);
void nst_tap_group_free(struct nst_tap_group *g);
/* In a group: a descriptor readable when other TAPs of the group posted
 * ARP packets for this one (the run loop watches it), -1 if not in one;
 * and the call that hands them to the stack. */
int nst_tap_group_fd(const struct nst_tap *tap);
void nst_tap_group_take(struct nst_tap *tap, nst_time_t now);
/* ARP packets this TAP copied to the group, and took from it. */
void nst_tap_group_counts(const struct nst_tap *tap, uint64_t *shared, uint64_t *taken);

/* The device's counters (valid while the tap is open). */
const struct nst_tap_stats *nst_tap_stats(const struct nst_tap *tap);

NST_API_END

#endif
