/* nstack — the AF_XDP link driver (Linux, libxdp and libbpf).
 *
 * AF_XDP moves frames between a network interface's receive/transmit queue
 * and a region of this process's memory (the UMEM) through four rings
 * shared with the kernel: fill (buffers given to the kernel to receive
 * into), RX (buffers filled), TX (buffers to send) and completion (buffers
 * sent). An XDP program on the interface (src/link/xdp_redirect.bpf.c)
 * picks which received frames go to the socket: only nstack's (IPv4 to its
 * address, ARP about it); the rest pass to the kernel, which keeps using the
 * interface for everything else.
 *
 * One driver is one socket bound to one queue of one interface: with
 * several queues, one driver (and one stack) per queue, the NIC's receive
 * hashing (RSS) deciding which queue, so which stack, gets a flow (see
 * <nstack/rss.h> and docs/XDP.md).
 *
 * Zero-copy is asked for first and copy mode taken if the driver has no
 * zero-copy support (veth, most virtual devices): nst_xdp_zerocopy() says
 * which. Frames are received and sent in batches: a receive takes up to
 * `batch` frames off the RX ring and gives their buffers back to the fill
 * ring in one step; frames sent wait in the TX ring until nst_xdp_flush()
 * (the run loop calls it at the end of every turn) wakes the kernel once for
 * all of them.
 *
 * Like the TAP driver it never reads a clock, and it impairs either
 * direction on request (the TAP driver's impairment: struct nst_tap_impair).
 * Errors are negative errno codes; nst_xdp_open also explains them. */
#ifndef NSTACK_XDP_H
#define NSTACK_XDP_H

#include "runloop.h"
#include "stack.h"
#include "tap.h"
#include "api.h"

NST_API_BEGIN

#define NST_XDP_MAX_QUEUES 64 /* the XDP program's socket map */

enum nst_xdp_mode {
    NST_XDP_MODE_AUTO = 0,  /* native (in the driver), else generic */
    NST_XDP_MODE_NATIVE,    /* the XDP program runs in the device's driver */
    NST_XDP_MODE_GENERIC,   /* in the kernel's stack (any device, slower) */
};

struct nst_xdp_config {
    const char *ifname;       /* the interface (required) */
    unsigned queue;           /* its receive/transmit queue */
    nst_ip4_t addr;           /* nstack's address: what the XDP program redirects */
    enum nst_xdp_mode mode;
    int copy;                 /* 1: copy mode even where zero-copy is possible */
    unsigned frames;          /* UMEM buffers (4096 bytes each), 4096: half to receive, half to send */
    unsigned ring;            /* descriptors per ring, 2048 (a power of 2, <= frames / 2) */
    unsigned batch;           /* most frames taken per nst_xdp_receive(), 64 */
    unsigned hold_max;        /* impairment: frames held per direction, 1024 */
    uint64_t seed;            /* impairment generator's seed, 1 */
    struct nst_tap_impair tx; /* stack -> interface */
    struct nst_tap_impair rx; /* interface -> stack */
    /* Several drivers on one interface (one per queue) share one XDP
     * program: the first one opened loads it and the others pass it here
     * (nst_xdp_program). NULL: this driver loads its own. */
    struct nst_xdp_program *program;
};

struct nst_xdp_stats {
    /* frames/bytes/errors and the impairment's counts, per direction, as
     * the TAP driver's; tx.errors counts frames dropped for a full TX ring
     * or an oversized frame. */
    struct nst_tap_dir_stats tx, rx;
    uint64_t kicks;           /* sendto() wake-ups of the kernel's transmit */
    uint64_t tx_ring_full;    /* a send found no free buffer or TX slot (after reclaiming) */
    /* Several stacks on one interface (one per queue): ARP packets this
     * one received and copied to the others, ARP packets it got from them,
     * and posts to it lost because its inbox was full. */
    uint64_t arp_shared, arp_from_others, arp_inbox_drops;
    /* The kernel's own counters (XDP_STATISTICS), read by nst_xdp_stats(). */
    uint64_t k_rx_dropped, k_rx_invalid, k_tx_invalid, k_rx_ring_full, k_fill_empty, k_tx_ring_empty;
};

struct nst_xdp;
struct nst_xdp_program;

/* queue 0, auto mode, 4096 frames, rings of 2048, batch 64, hold_max 1024, seed 1. */
void nst_xdp_config_default(struct nst_xdp_config *c);

/* Loads the XDP program onto the interface (when cfg->program is NULL),
 * creates the UMEM and the socket on cfg->queue, and enters it into the
 * program's map. On failure returns -errno and, if why != NULL, a sentence
 * saying what failed. */
int nst_xdp_open(const struct nst_xdp_config *cfg, struct nst_xdp **out, char *why, size_t why_len);
/* Closes the socket, frees the UMEM and, if this driver loaded it, detaches
 * the XDP program: the interface is the kernel's again. NULL is fine. Close
 * the drivers sharing a program before the one that loaded it. */
void nst_xdp_close(struct nst_xdp *x);

/* The program this driver uses (to share with drivers on other queues). */
struct nst_xdp_program *nst_xdp_program(const struct nst_xdp *x);
/* The socket's descriptor: readable when the RX ring has frames. */
int nst_xdp_fd(const struct nst_xdp *x);
const char *nst_xdp_name(const struct nst_xdp *x);
unsigned nst_xdp_queue(const struct nst_xdp *x);
/* 1 if bound in zero-copy mode, 0 in copy mode. */
int nst_xdp_zerocopy(const struct nst_xdp *x);
/* 1 if the program runs in the device's driver, 0 generic. */
int nst_xdp_native(const struct nst_xdp *x);
/* The interface's own MAC address (what nstack should use on a real NIC:
 * the NIC accepts only frames to it). 0 or -errno. */
int nst_xdp_kernel_mac(const struct nst_xdp *x, struct nst_mac *mac);
/* The interface's MTU, or -errno. */
int nst_xdp_kernel_mtu(const struct nst_xdp *x);

/* Adds an interface to st whose link is this socket (mtu 0: the device's,
 * at most what a UMEM buffer holds). Returns the ifindex or -errno. */
int nst_xdp_attach(struct nst_xdp *x, struct nst_stack *st, const struct nst_iface_config *ifc);

/* Takes up to `batch` frames off the RX ring, hands them to the stack (or
 * the rx impairment) and refills the fill ring. The number taken, or -errno. */
int nst_xdp_receive(struct nst_xdp *x, nst_time_t now);
/* Wakes the kernel to send what the TX ring holds, and takes back the
 * buffers it finished with. */
void nst_xdp_flush(struct nst_xdp *x);
/* The driver's time, and the held frames due by then, both directions. */
void nst_xdp_advance(struct nst_xdp *x, nst_time_t now);
nst_time_t nst_xdp_next_deadline(const struct nst_xdp *x);

/* Drives the driver from a run loop (<nstack/runloop.h>): its frames in,
 * its held frames out on time, its TX ring flushed every turn. */
int nst_runloop_add_xdp(struct nst_runloop *rl, struct nst_xdp *x);

/* The counters, the kernel's read afresh (valid while the driver is open). */
const struct nst_xdp_stats *nst_xdp_stats(struct nst_xdp *x);

NST_API_END

#endif
