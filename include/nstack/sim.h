/* nstack — the simulated network.
 *
 * A world owns a virtual clock, an event queue and a seeded generator.
 * Hosts and routers are ordinary nst_stacks. Links are point-to-point
 * Ethernet segments with latency, jitter, bandwidth, a bounded queue (which
 * may CE-mark ECN-capable packets, RFC 3168), an MTU and impairments (loss,
 * duplication, reordering, corruption). The same seed
 * gives the same packets at the same virtual times, every run. */
#ifndef NSTACK_SIM_H
#define NSTACK_SIM_H

#include "stack.h"
#include "api.h"

NST_API_BEGIN

struct nst_link_params {
    nst_time_t latency;     /* one-way propagation delay */
    nst_time_t jitter;      /* extra delay drawn uniformly in [0, jitter] (never reorders by itself) */
    uint64_t bandwidth_bps; /* 0: infinite (no serialisation delay) */
    unsigned queue_limit;   /* frames waiting for the wire per direction; 0: unbounded */
    uint32_t mtu;           /* IP MTU of both ends, 1500 */
    double loss;            /* probability a frame is dropped, 0..1 */
    double duplicate;       /* probability a frame is delivered twice */
    double reorder;         /* probability a frame is held back by reorder_delay */
    nst_time_t reorder_delay; /* 0: latency / 2 + 1 ms (the default) */
    double corrupt;         /* probability one random bit of the frame is flipped */
    /* Explicit Congestion Notification (RFC 3168 5): an ECN-capable IPv4
     * datagram (ECT(0) or ECT(1)) that finds at least this many frames
     * waiting in the queue is marked CE instead of waiting its turn to be
     * dropped: a step at K, as DCTCP's switches do, deterministic. Not-ECT
     * frames are never marked; every frame is still tail-dropped at
     * queue_limit. 0: no marking (the default). */
    unsigned ecn_mark_threshold;
    /* An ICMP black hole (RFC 2923 2.1, RFC 4821 1): the IP MTU the wire
     * really carries, below `mtu` (what the ends' interfaces are told).
     * A longer frame vanishes without a word: no ICMP "fragmentation
     * needed" comes back, as behind a tunnel or a firewall that eats
     * ICMP. Counted in `blackholed`. 0: none (the default). */
    uint32_t silent_mtu;
};

/* latency 1 ms, no jitter, infinite bandwidth, queue_limit 1000, mtu 1500,
 * no impairments. */
void nst_link_params_default(struct nst_link_params *p);

/* Per direction counters of a link. */
struct nst_sim_link_stats {
    uint64_t offered;       /* frames handed to the link by the sender */
    uint64_t delivered;     /* frames handed to the receiving stack (duplicates included) */
    uint64_t lost;          /* dropped by the loss model */
    uint64_t queue_drops;   /* dropped because the queue was full */
    uint64_t too_big;       /* dropped because longer than MTU + 14 */
    uint64_t duplicated;
    uint64_t reordered;
    uint64_t corrupted;
    uint64_t bytes_delivered;
    uint64_t ce_marked;     /* ECT datagrams marked CE (ecn_mark_threshold) */
    uint64_t box_drops;     /* dropped by a middlebox in the wire (nst_idle_box) */
    uint64_t blackholed;    /* longer than silent_mtu + 14: dropped without a trace */
};

/* A new world at time 0 whose randomness all derives from seed. NULL on
 * ENOMEM. */
struct nst_world *nst_world_new(uint64_t seed);
void nst_world_free(struct nst_world *w); /* frees its stacks too */

/* Creates a stack owned by the world. cfg may be NULL for defaults; its seed
 * is replaced by one derived from the world's seed and the host's index. */
struct nst_stack *nst_world_add_host(struct nst_world *w, const char *name, const struct nst_stack_config *cfg);
struct nst_stack *nst_world_find_host(struct nst_world *w, const char *name);

/* Joins a and b with a new link, adding an interface on each with the
 * given address/prefix (and its connected route). The interfaces get MAC
 * addresses derived from the world's counters. Returns NULL on error. */
struct nst_sim_link *nst_world_connect(struct nst_world *w, struct nst_stack *a, nst_ip4_t a_addr, uint8_t a_prefix,
                                       struct nst_stack *b, nst_ip4_t b_addr, uint8_t b_prefix,
                                       const struct nst_link_params *params);

/* IPv6 on a link (both families may share one topology: a link made by
 * nst_world_connect with IPv4 addresses can get IPv6 ones too). The
 * stacks need cfg.ipv6 = 1: each interface then has its EUI-64 link-local
 * address from the start, and runs duplicate address detection (RFC 4862
 * 5.4) on every address before using it.
 *
 * nst_sim_link_addr6 gives the end `side` (0: a, 1: b) of l the static
 * address "ADDR/LEN" (e.g. "2001:db8:1::2/64") and its on-link prefix.
 * 0, -EINVAL (not ADDR/LEN, bad side) or as nst_iface_addr6_add
 * (-EAFNOSUPPORT: the stack has no IPv6). Routes are the stacks' own:
 * nst_route6_add. */
int nst_sim_link_addr6(struct nst_sim_link *l, int side, const char *addr);
/* Joins a and b with a link whose ends have IPv6 addresses only ("ADDR/LEN"
 * each). NULL on error. */
struct nst_sim_link *nst_world_connect6(struct nst_world *w, struct nst_stack *a, const char *a_addr,
                                        struct nst_stack *b, const char *b_addr, const struct nst_link_params *params);

/* Changes a link's parameters from now on (frames in flight keep theirs). */
void nst_sim_link_set_params(struct nst_sim_link *l, const struct nst_link_params *p);
/* Writes every frame that crosses the link (both directions, at the time it
 * enters the link) to a pcap file. 0 or -errno. */
int nst_sim_link_pcap(struct nst_sim_link *l, const char *path);
/* Watching a link in the program: fn is called when a frame is offered to
 * the link (as the capture sees it) and when it is handed to the receiver.
 * dir 0: from a to b. NULL fn stops it. */
enum nst_sim_frame_event { NST_SIM_OFFERED, NST_SIM_DELIVERED };
typedef void (*nst_sim_observer_fn)(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now,
                                    const uint8_t *frame, size_t len);
void nst_sim_link_observe(struct nst_sim_link *l, nst_sim_observer_fn fn, void *arg);

/* dir 0: from a to b; dir 1: from b to a. */
const struct nst_sim_link_stats *nst_sim_link_stats(const struct nst_sim_link *l, int dir);
int nst_sim_link_ifindex(const struct nst_sim_link *l, int side);
/* Frames waiting for the wire in direction dir now (the bottleneck queue). */
unsigned nst_sim_link_queue_len(struct nst_sim_link *l, int dir);

/* The world's virtual time (ns since it was made). */
nst_time_t nst_world_now(const struct nst_world *w);
/* Runs events and stack timers in time order up to and including `until`. */
void nst_world_run_until(struct nst_world *w, nst_time_t until);
void nst_world_run_for(struct nst_world *w, nst_time_t duration);
/* Runs until pred(arg) returns nonzero (checked after every event) or
 * `deadline` passes. Returns 1 if pred became true, 0 on deadline. */
int nst_world_run_until_cond(struct nst_world *w, int (*pred)(void *arg), void *arg, nst_time_t deadline);
/* Runs until descriptor fd of st has any of the NST_EV_* events in mask, or
 * until `deadline`. Returns 1 if it has them, 0 on deadline. */
int nst_world_run_until_events(struct nst_world *w, struct nst_stack *st, int fd, int mask, nst_time_t deadline);
/* Earliest pending event or stack deadline, NST_TIME_NEVER if none. */
nst_time_t nst_world_next_event(const struct nst_world *w);

/* ---- An idle-timeout middlebox ------------------------------------------
 *
 * A box in a link's wire that tracks TCP flows (any, IPv4) and drops a
 * flow idle (no segment either way) for idle_timeout, as real networks do:
 *   NST_IDLE_RST     a load balancer: at exactly idle_timeout it sends
 *                    each end a RST with the sequence number that end
 *                    expects (RFC 9293 3.10.7.4 / RFC 5961 accept it), and
 *                    forgets the flow;
 *   NST_IDLE_SILENT  a NAT or firewall: it forgets the flow without a word;
 *                    its later segments are dropped, so the ends learn
 *                    only by sending (retransmissions, then TCP's timeout).
 * A segment without SYN of a flow the box does not know is dropped in both
 * modes (counted). The flow table is bounded: a SYN finding it full is
 * dropped. It sits right after the sending side's capture point. */
enum nst_idle_box_mode { NST_IDLE_RST, NST_IDLE_SILENT };

struct nst_idle_box_config {
    nst_time_t idle_timeout; /* 60 s */
    int mode;                /* enum nst_idle_box_mode; NST_IDLE_RST */
    unsigned max_flows;      /* 1024 */
};
void nst_idle_box_config_default(struct nst_idle_box_config *c);

struct nst_idle_box_stats {
    uint64_t flows_seen;      /* flows that entered the table (a SYN) */
    uint64_t flows_closed;    /* left after FIN both ways or a RST */
    uint64_t flows_expired;   /* dropped for idleness */
    uint64_t rsts_sent;       /* NST_IDLE_RST: two per expired flow */
    uint64_t unknown_dropped; /* segments of flows not in the table (forgotten ones) */
    uint64_t table_full;      /* SYNs dropped because the table was full */
    uint64_t active;          /* flows in the table now */
};

struct nst_idle_box;
/* Puts a box into link l (the link owns it). NULL on ENOMEM. */
struct nst_idle_box *nst_idle_box_attach(struct nst_sim_link *l, const struct nst_idle_box_config *c);
const struct nst_idle_box_stats *nst_idle_box_stats(const struct nst_idle_box *b);

NST_API_END

#endif
