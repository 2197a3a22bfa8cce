/* nstack — a stack instance, its interfaces and its routing table.
 *
 * There is no global state: everything hangs off a struct nst_stack. One
 * stack is driven by one thread at a time. The caller owns time: it feeds
 * frames in with nst_stack_input(), runs due timers with nst_stack_poll(),
 * and asks nst_stack_next_deadline() when to call poll again. API calls made
 * between those use the most recent `now` the stack was given.
 *
 * Errors are negative errno codes (-EINVAL, -EADDRNOTAVAIL, ...). */
#ifndef NSTACK_STACK_H
#define NSTACK_STACK_H

#include "types.h"
#include "api.h"

NST_API_BEGIN

#define NST_TCP_MAX_SOURCE_ADDRS 8

/* TCP knobs (src/tcp/). nst_tcp_config_default() fills in the defaults;
 * nst_stack_config_default() calls it. Times in ns, sizes in bytes. */
struct nst_tcp_config {
    nst_time_t msl;             /* maximum segment lifetime: TIME_WAIT lasts 2*MSL, 30 s */
    nst_time_t rto_initial;     /* RTO before any RTT sample, 1 s (RFC 6298 2.1) */
    nst_time_t rto_min;         /* lower bound of the RTO, 200 ms */
    nst_time_t rto_max;         /* upper bound of the RTO and of its backoff, 120 s */
    nst_time_t delack;          /* delayed ACK timer, 40 ms (at most 200 ms; RFC 9293 3.8.6.3: < 500 ms) */
    nst_time_t persist_min;     /* zero-window probe interval bounds, 200 ms .. 60 s */
    nst_time_t persist_max;
    nst_time_t fin_wait2_timeout; /* an orphaned FIN_WAIT_2 connection is dropped after, 60 s */
    nst_time_t keepidle;        /* SO_KEEPALIVE defaults: idle 2 h (RFC 1122 4.2.3.6), */
    nst_time_t keepintvl;       /* 75 s between probes, */
    unsigned keepcnt;           /* 9 unanswered probes */
    unsigned syn_retries;       /* SYN retransmissions before connect fails, 6 */
    unsigned synack_retries;    /* SYN-ACK retransmissions of an embryonic connection, 5 */
    unsigned data_retries;      /* RTO retransmissions before the connection is dropped, 15 */
    unsigned initial_window;    /* initial cwnd in segments; 0: RFC 6928's min(10*MSS, max(2*MSS, 14600)) */
    size_t sndbuf;              /* default send buffer, 256 KiB */
    size_t rcvbuf;              /* default receive buffer, 256 KiB */
    size_t buf_max;             /* upper limit for SO_SNDBUF/SO_RCVBUF, 16 MiB */
    size_t wscale_space;        /* receive space the window scale shift is sized for when larger
                                 * than the buffer (RFC 7323 2.2 leaves the shift to the receiver);
                                 * 0, the default: the buffer itself. Linux sizes it for tcp_rmem's
                                 * maximum, FreeBSD for kern.ipc.maxsockbuf */
    unsigned max_backlog;       /* listen() backlog is clamped to this, 4096 */
    unsigned max_timewait;      /* TIME_WAIT records held at once, 262144 (beyond: closed at once) */
    unsigned challenge_ack_limit; /* RFC 5961 7: stack-wide cap on challenge ACKs, 1000: each
                                 * second's budget is drawn at random from [limit/2,
                                 * limit*3/2) (CVE-2016-5696); 0: no stack-wide cap. Each
                                 * connection also sends at most one per 500 ms. */
    int syncookies;             /* 1: answer SYNs with cookies when the SYN queue is full */
    int timestamps;             /* 1: offer RFC 7323 timestamps */
    int window_scaling;         /* 1: offer RFC 7323 window scaling */
    int sack;                   /* 1: offer RFC 2018 SACK */
    int frto;                   /* 1 (the default, as Linux's tcp_frto): RFC 5682 F-RTO detects
                                 * spurious retransmission timeouts (the SACK-enhanced variant
                                 * when SACK is in use); 0: every timeout goes back N */
    int rack;                   /* 1 (the default, as Linux's tcp_recovery = 1): RFC 8985 RACK-TLP
                                 * decides losses by time and probes a lost tail (TLP) on SACK
                                 * connections; 0: RFC 6675's DupThresh rule (per socket:
                                 * NST_TCP_RACK) */
    int fastopen;               /* RFC 7413 TCP Fast Open, as Linux's tcp_fastopen: bit 0 (1, the
                                 * default) the client may use it (NST_TCP_FASTOPEN_CONNECT,
                                 * NST_MSG_FASTOPEN), bit 1 (2) listeners may (NST_TCP_FASTOPEN) */
    char congestion[16];        /* default congestion control: "cubic" or "newreno" */
    unsigned max_orphans;       /* connections closed by the application but not finished, 65536;
                                 * beyond, close() aborts with a RST */
    /* Stack-wide TCP memory (Linux's tcp_mem): bytes of send and receive
     * ring storage held by all connections (docs/ARCHITECTURE.md, "Bounded
     * memory"). Above mem_pressure (192 MiB) TCP is under memory pressure
     * until it falls below mem_low (128 MiB): receive windows offer no more
     * than the storage held, send buffers stop growing, out-of-order data
     * that needs more storage is dropped. mem_high (256 MiB, about a
     * thousand full 256 KiB buffers) is never exceeded: storage beyond it is
     * refused (data dropped, the peer retransmits; nst_send takes less), and
     * orphans holding unsent data are then reset. 0: the default. */
    size_t mem_low, mem_pressure, mem_high;
    /* Ports and connections (docs/ARCHITECTURE.md, "Ports"). */
    nst_time_t close_wait_leak; /* a connection in CLOSE_WAIT this long is flagged as a leak
                                 * (counter tcp.close_wait_leaks, `nstack ss`), 30 s; 0: off */
    int tw_reuse;               /* default of NST_TCP_TW_REUSE for new sockets (Linux's
                                 * net.ipv4.tcp_tw_reuse = 1), 0 */
    /* Source addresses an unbound connect() takes turns with (round robin),
     * moving on to the next one when an address has no free port left
     * toward the destination; each must be one of the stack's addresses.
     * Empty (the default): the address of the route's interface. */
    nst_ip4_t source_addrs[NST_TCP_MAX_SOURCE_ADDRS];
    unsigned n_source_addrs;
    /* Explicit Congestion Notification (RFC 3168), as Linux's tcp_ecn:
     * 0 off; 1 ask for it in our SYNs and accept it when asked; 2 (the
     * default) accept it when a peer's SYN asks, never ask. */
    int ecn;
    /* RFC 1191: the smallest path MTU an ICMP "fragmentation needed"
     * may set, 552 (Linux's min_pmtu); lower reports are raised to it and
     * counted (tcp.pmtu_clamped), so a forged one cannot make us send
     * tiny segments. At least 68 (RFC 791, RFC 1191 3). */
    unsigned pmtu_min;
    /* 1 (the default, as Linux's CUBIC): HyStart++ (RFC 9406, which RFC
     * 9438 4.10 recommends) ends CUBIC's initial slow start when the RTT
     * grows, before the queue overflows; 0: RFC 5681 slow start until loss. */
    int hystart;
    /* Path MTU discovery without ICMP (RFC 4821, RFC 8899), as Linux's
     * tcp_mtu_probing: 0 (the default) RFC 1191 alone; 1 black-hole
     * detection: after two timeouts in a row of segments larger than
     * base_mss, segments fall to base_mss (tcp.pmtu_blackholes) and
     * packetization-layer probing finds the path's MTU from there; 2
     * probing from the start, segments beginning at base_mss. */
    int mtu_probing;
    unsigned base_mss;          /* 1024 bytes of payload (RFC 4821 7.2, Linux's tcp_base_mss) */
    nst_time_t mtu_probe_interval; /* a finished search starts again after 600 s */
    /* RFC 7413 4.1.2: the Fast Open server changes its secret now and then.
     * Every interval the primary key becomes the backup (cookies made under
     * it are still taken, and replaced) and a new primary is drawn from the
     * stack's generator; a cookie two rotations old no longer verifies.
     * 0 (the default, as Linux): the keys change only through
     * nst_tcp_fastopen_set_keys. */
    nst_time_t fastopen_key_rotation;
};

/* Fills c with the defaults written beside each field. */
void nst_tcp_config_default(struct nst_tcp_config *c);

/* TCP Fast Open server keys (RFC 7413 4.1.2; Linux's TCP_FASTOPEN_KEY and
 * net.ipv4.tcp_fastopen_key, which take a primary and a backup key). A
 * listener's cookies are made under the primary key and taken under the
 * primary or the backup: servers behind one name share keys, and a key
 * is retired in two steps (the old one set as backup first) without
 * costing clients their 0-RTT. Until set, the primary is derived from the
 * stack's secret (which it does not reveal) and there is no backup.
 * keys: NST_TCP_FASTOPEN_KEY_LEN bytes (a primary alone, the backup
 * dropped) or twice that (primary, then backup). Returns 0 or -EINVAL. */
#define NST_TCP_FASTOPEN_KEY_LEN 16
int nst_tcp_fastopen_set_keys(struct nst_stack *st, const uint8_t *keys, size_t len);
/* Copies the primary key, then the backup if there is one, to out (room
 * for 2 * NST_TCP_FASTOPEN_KEY_LEN bytes), after any rotation due
 * (cfg.tcp.fastopen_key_rotation). Returns the bytes copied: 16 or 32. */
int nst_tcp_fastopen_get_keys(struct nst_stack *st, uint8_t *out);

struct nst_stack_config {
    const char *name;           /* for logs and inspection; copied */
    /* Randomness. By default every stack draws its secrets from getrandom():
     * the key of ISNs (RFC 6528) and SYN cookies, the ephemeral port offsets
     * (RFC 6056), hash table keys, IP IDs. deterministic = 1 derives them
     * all from `seed` instead, so a run repeats exactly: for the simulator
     * and tests ONLY. Whoever knows or guesses the seed predicts every ISN
     * and port, so never set it on a stack that faces a real network. */
    int deterministic;          /* 0: OS entropy (the default); 1: from `seed` */
    uint64_t seed;              /* used only with deterministic = 1; 1 */
    int forwarding;             /* 1: act as a router between interfaces */
    uint8_t default_ttl;        /* 64 */

    /* ARP (RFC 826) */
    nst_time_t arp_entry_ttl;   /* a confirmed entry turns stale after, and a stale
                                 * one unused is forgotten after, 60 s */
    nst_time_t arp_retry;       /* interval between requests and probes, 1 s */
    unsigned arp_max_retries;   /* requests (or unicast probes) before giving up, 3 */
    unsigned arp_queue_max;     /* packets held per unresolved entry, 64 */
    unsigned arp_table_max;     /* resolved entries (static ones included), 256 */
    unsigned arp_incomplete_max; /* unresolved entries, the oldest recycled, 64 */

    /* IPv4 reassembly (RFC 791, RFC 815) */
    nst_time_t reass_timeout;   /* 30 s */
    size_t reass_mem_max;       /* bytes held by all partial datagrams, 256 KiB */
    unsigned reass_max_datagrams; /* partial datagrams at once, 64 */

    /* ICMP errors are rate limited (RFC 1812 4.3.2.8, RFC 1122 3.2.2) twice,
     * as Linux does: a token bucket shared by all destinations, and one per
     * destination (a bounded table) so errors drawn toward one host cannot
     * use up, and so reveal, the budget of another (SAD DNS, CVE-2020-25705). */
    unsigned icmp_rate_per_sec; /* shared bucket: tokens a second, 1000 */
    unsigned icmp_burst;        /* shared bucket: size, 50 */
    int icmp_random_cost;       /* 1: each error costs 0, 1 or 2 shared tokens at
                                 * random (mean 1) so the budget cannot be counted;
                                 * 0: exactly 1 (tests of the bucket itself) */
    nst_time_t icmp_dst_interval; /* per destination: one error per interval, 1 s;
                                   * 0: no per-destination limit */
    unsigned icmp_dst_burst;    /* per destination: errors in a burst, 6 */

    /* Ports (RFC 6056) */
    uint16_t ephemeral_lo;      /* 49152 */
    uint16_t ephemeral_hi;      /* 65535 */
    /* Flow steering, for one stack per NIC receive queue (<nstack/rss.h>):
     * if set, an ephemeral port chosen for a known destination must also
     * make port_steer(port_steer_arg, ...) true: the NIC's hash sends the
     * peer's replies to this stack's queue. NULL: any free port. */
    int (*port_steer)(void *arg, uint8_t proto, nst_ip4_t laddr, uint16_t lport, nst_ip4_t raddr, uint16_t rport);
    void *port_steer_arg;

    unsigned max_sockets;       /* descriptors per stack, 1 << 20 */
    size_t udp_rcvbuf;          /* default SO_RCVBUF of a UDP socket, 208 KiB: bounds the
                                 * truesize of its queued datagrams (buffer and header) */


    /* IPv6 (RFC 8200, RFC 4861, RFC 4862; src/ip6/, docs/IPV6.md). Off by
     * default: the stack then speaks IPv4 only, exactly as before. */
    int ipv6;                   /* 1: IPv6 on every interface (link-local address, DAD), 0 */
    uint8_t ip6_hop_limit;      /* default hop limit of our packets, 64 (RFC 8200 3) */
    unsigned ip6_dad_transmits; /* DupAddrDetectTransmits, 1 (RFC 4862 5.1); 0: no DAD */
    nst_time_t ip6_dad_delay;   /* the first DAD solicitation waits a random time below
                                 * this, 1 s (RFC 4862 5.4.2, MAX_RTR_SOLICITATION_DELAY);
                                 * 0: at once */
    nst_time_t ip6_retrans_timer; /* RetransTimer, 1 s (RFC 4861 10) */
    nst_time_t ip6_reachable_time; /* BaseReachableTime, 30 s; each interface's
                                 * ReachableTime is drawn from 0.5..1.5 times it (6.3.2) */
    unsigned ip6_nd_table_max;  /* resolved neighbour entries, 256 */
    unsigned ip6_nd_incomplete_max; /* unresolved neighbour entries, the oldest recycled, 64 */
    unsigned ip6_nd_queue_max;  /* packets held per unresolved neighbour, 16 */
    nst_time_t ip6_reass_timeout; /* 60 s (RFC 8200 4.5) */
    size_t ip6_reass_mem_max;   /* bytes held by all partial datagrams, 256 KiB */
    unsigned ip6_reass_max_datagrams; /* partial datagrams at once, 64 */

    /* IPv6 router discovery and SLAAC (RFC 4861 6, 8; RFC 4862 5.5;
     * src/ip6/nd_router.c). Every list is bounded per interface: what does
     * not fit is counted (stats group ndra) and ignored, so a flood of
     * Router Advertisements costs bounded memory and time. */
    unsigned nd_rtr_solicitations; /* Router Solicitations a host sends when an interface
                                 * comes up, MAX_RTR_SOLICITATIONS 3 (RFC 4861 10; Linux's
                                 * router_solicitations); 0: none */
    unsigned nd_max_routers;    /* default routers, 8 */
    unsigned nd_max_prefixes;   /* on-link prefixes, 16 */
    unsigned nd_max_slaac;      /* addresses formed by SLAAC, 4 (the address table
                                 * holds NST_IP6_MAX_ADDRS per interface in all) */
    unsigned nd_max_redirects;  /* redirected destinations, 64 */
    nst_time_t nd_redirect_ttl; /* a redirect route is forgotten after, 600 s */

    /* IPv6: MLD, router choice and stable addresses (RFC 3810, RFC 4861
     * 6.3.4, RFC 7217; src/ip6/mld.c, slaac.c; docs/IPV6.md "MLD, router
     * choice and stable addresses"). */
    int ip6_mld;                /* 1 (default, as Linux): report the groups each
                                 * interface listens to (MLDv2, MLDv1 toward an older
                                 * querier), so that switches snooping MLD forward our
                                 * solicited-node traffic; 0: none (tests that count
                                 * every frame) */
    nst_time_t ip6_reachable_redraw; /* ReachableTime is drawn anew when it is used
                                 * and this old, 2 h (RFC 4861 6.3.4: "at least once
                                 * every few hours"); 0: only when BaseReachableTime changes */
    int ip6_stable_iids;        /* 1: SLAAC addresses get RFC 7217 stable, opaque
                                 * interface identifiers; 0: modified EUI-64 (default,
                                 * as Linux's addr_gen_mode 0) */
    uint8_t ip6_iid_secret[16]; /* RFC 7217's secret key; all zero: one derived from
                                 * the stack's hash key (random per stack, or its seed) */
    uint8_t ip6_net_id[32];     /* RFC 7217's optional Network_ID (an SSID, say) */
    uint8_t ip6_net_id_len;     /* its length, 0: none */

    /* IPv6 temporary addresses (RFC 8981; src/ip6/slaac_temp.c;
     * docs/IPV6.md "Temporary addresses (RFC 8981)"), as Linux's
     * use_tempaddr. REGEN_ADVANCE is 2 s + 3 (TEMP_IDGEN_RETRIES) *
     * DupAddrTransmits * RetransTimer; each interface draws its
     * DESYNC_FACTOR in whole seconds below 0.4 * the preferred lifetime. */
    int ip6_temp_addrs;         /* 0 (default, as use_tempaddr 0): none; 1: beside each
                                 * SLAAC address a temporary one, public addresses
                                 * preferred as source; 2: temporary ones preferred
                                 * (RFC 6724 5 rule 7) */
    nst_time_t ip6_temp_valid_lifetime;     /* TEMP_VALID_LIFETIME, 2 days */
    nst_time_t ip6_temp_preferred_lifetime; /* TEMP_PREFERRED_LIFETIME, 1 day (whole
                                 * seconds, more than REGEN_ADVANCE, at most the valid one) */

    struct nst_tcp_config tcp;  /* TCP (src/tcp/) */
};

/* Fills cfg with the defaults written beside each field (TCP's too). */
void nst_stack_config_default(struct nst_stack_config *cfg);

/* Returns NULL on bad config or out of memory. */
struct nst_stack *nst_stack_new(const struct nst_stack_config *cfg);
void nst_stack_free(struct nst_stack *st);
const char *nst_stack_name(const struct nst_stack *st);

/* Runs every timer due at or before `now`. Returns 0. */
int nst_stack_poll(struct nst_stack *st, nst_time_t now);
/* Earliest time a timer is due, or NST_TIME_NEVER. */
nst_time_t nst_stack_next_deadline(const struct nst_stack *st);
/* The time the stack was last given. */
nst_time_t nst_stack_now(const struct nst_stack *st);
/* Fills buf with bytes from the stack's own generator (seeded like its
 * ISNs: OS entropy, or `seed` when deterministic), for applications that
 * need unpredictable bytes without a clock or global state (WebSocket
 * masking keys, RFC 6455 5.3). */
void nst_stack_random(struct nst_stack *st, void *buf, size_t len);

/* ---- Links and interfaces ---------------------------------------------- */

/* A frame handed to a link in pieces (scatter-gather): the headers, then
 * up to two spans of payload borrowed from a TCP send buffer, valid only
 * during the call. With csum_partial set, the TCP checksum is left for the
 * link to finish, as virtio-net's NEEDS_CSUM and a NIC's checksum offload
 * do: the field at csum_start + csum_offset holds the folded pseudo-header
 * sum (RFC 9293 3.1), and the link stores there the complement of the
 * ones'-complement sum (RFC 1071) of the bytes from csum_start to the end. */
struct nst_frame {
    const uint8_t *head; /* Ethernet + IPv4 + TCP headers */
    size_t head_len;
    const uint8_t *frag[2];
    size_t frag_len[2];
    size_t len;            /* head_len + frag_len[0] + frag_len[1] */
    uint8_t csum_partial;  /* 1: finish the checksum as above */
    uint16_t csum_start;   /* offset of the TCP header in the frame */
    uint16_t csum_offset;  /* of the checksum field from csum_start (16) */
    uint16_t head_sum;     /* the folded sum of head[csum_start..head_len), that
                              field included: the link need not read the header */
    uint16_t gso_size;     /* 0, or a TCP frame larger than the MTU that the
                              link cuts into segments of gso_size payload bytes
                              (TSO: only to a link whose interface has gso_max,
                              gso6_max for IPv6; the family is the ethertype's) */
};

/* What a link driver provides. send() is given one whole Ethernet frame
 * (without FCS); it must copy what it keeps. Returns 0 or -errno.
 * send_frame() is optional: a link that has it is given data segments in
 * pieces (struct nst_frame) and finishes their checksums, so the stack
 * neither copies nor sums their payload; nst_frame_copy() does both in one
 * pass for a link that copies frames anyway. Without it, the stack hands
 * send() whole frames, checksums complete. */
struct nst_link_ops {
    int (*send)(void *ctx, const uint8_t *frame, size_t len);
    int (*send_frame)(void *ctx, const struct nst_frame *f);
};

/* Copies the f->len bytes of f to out, contiguous, finishing a partial
 * checksum in the same pass (what a link's send_frame can do with a frame
 * it keeps). */
void nst_frame_copy(const struct nst_frame *f, uint8_t *out);

struct nst_iface_config {
    const char *name;           /* "eth0"; copied */
    struct nst_mac mac;
    nst_ip4_t addr;             /* 0: no address (pure forwarding port) */
    uint8_t prefix_len;
    uint32_t mtu;               /* IP MTU, 1500 */
    struct nst_link_ops ops;
    void *ctx;
    /* 0, or: the link's send_frame() takes TCP segments of IPv4 datagrams up
     * to gso_max bytes and cuts them into MTU-sized ones itself (TCP
     * segmentation offload: the TAP driver hands them to the kernel with a
     * vnet header). TCP then sends up to that much new data as one frame. */
    uint32_t gso_max;
    /* 0, or the same for TCP over IPv6 (RFC 8200 packets of up to a 64 KB
     * payload, no extension header): the TAP driver's GSO_TCPV6. A link
     * setting only gso_max is given IPv6 segments one by one. */
    uint32_t gso6_max;
};

#define NST_MAX_IFACES 16

/* Adds an interface and its connected route. Returns ifindex (>= 0). */
int nst_iface_add(struct nst_stack *st, const struct nst_iface_config *cfg);
/* Hands one received Ethernet frame to the stack. Time advances to `now`. */
void nst_stack_input(struct nst_stack *st, int ifindex, const uint8_t *frame, size_t len, nst_time_t now);

struct nst_iface_info {
    char name[16];
    struct nst_mac mac;
    nst_ip4_t addr;
    uint8_t prefix_len;
    uint32_t mtu;
};
int nst_iface_get(const struct nst_stack *st, int ifindex, struct nst_iface_info *out);
int nst_iface_count(const struct nst_stack *st);

/* ---- Routing table (longest-prefix match) ------------------------------ */

struct nst_route {
    nst_ip4_t dst;
    uint8_t prefix_len;
    nst_ip4_t gateway;          /* 0: directly connected */
    int ifindex;
    uint32_t metric;
};

#define NST_MAX_ROUTES 1024

/* gateway 0 means on-link. Returns 0, -EEXIST, -ENOSPC or -EINVAL. */
int nst_route_add(struct nst_stack *st, nst_ip4_t dst, uint8_t prefix_len, nst_ip4_t gateway, int ifindex,
                  uint32_t metric);
int nst_route_del(struct nst_stack *st, nst_ip4_t dst, uint8_t prefix_len);
/* Longest-prefix match; ties go to the lowest metric. 0 or -ENETUNREACH. */
int nst_route_lookup(const struct nst_stack *st, nst_ip4_t dst, struct nst_route *out);
/* Copies up to max routes, returns how many there are. */
int nst_route_list(const struct nst_stack *st, struct nst_route *out, int max);

/* ---- ARP cache inspection ---------------------------------------------- */
/* An entry's state (src/ip/arp_cache.c tells the life of one). */
enum nst_arp_state {
    NST_ARP_STATE_INCOMPLETE, /* broadcast requests outstanding, packets queued */
    NST_ARP_STATE_REACHABLE,  /* confirmed within arp_entry_ttl */
    NST_ARP_STATE_STALE,      /* unconfirmed: used as is, probed when next used */
    NST_ARP_STATE_PROBE,      /* unicast probes outstanding, still used */
    NST_ARP_STATE_STATIC,
};
struct nst_arp_info {
    nst_ip4_t addr;
    struct nst_mac mac;
    int ifindex;
    int resolved;               /* 0: request outstanding */
    int state;                  /* enum nst_arp_state */
    nst_time_t expires;
    unsigned queued;            /* packets waiting for resolution */
};
/* A permanent entry (like `arp -s`). 0, -EINVAL or -ENOBUFS. */
int nst_arp_add_static(struct nst_stack *st, int ifindex, nst_ip4_t addr, const struct nst_mac *mac);
int nst_arp_list(const struct nst_stack *st, struct nst_arp_info *out, int max);

/* ---- IPv6 addresses, routes and neighbours (cfg.ipv6; src/ip6/) -------- */

/* An address's state (RFC 4862 5.4, 5.5.4). */
enum nst_addr6_state {
    NST_ADDR6_TENTATIVE,  /* duplicate address detection running: not usable yet */
    NST_ADDR6_PREFERRED,
    NST_ADDR6_DEPRECATED, /* preferred lifetime over: kept for existing use, never chosen */
    NST_ADDR6_DUPLICATE,  /* DAD found another node using it: never used */
};
enum nst_addr6_origin { NST_ADDR6_LINK_LOCAL, NST_ADDR6_STATIC, NST_ADDR6_SLAAC, NST_ADDR6_TEMPORARY /* RFC 8981 */ };
struct nst_addr6_info {
    nst_ip6_t addr;
    uint8_t prefix_len;
    int state;                  /* enum nst_addr6_state */
    int origin;                 /* enum nst_addr6_origin */
    nst_time_t preferred_left;  /* NST_TIME_NEVER: infinite */
    nst_time_t valid_left;
};
#define NST_IP6_MAX_ADDRS 8     /* per interface */

/* A static address (DAD first: TENTATIVE until it passes) and its
 * connected route. 0, -EINVAL, -ENODEV, -EEXIST, -ENOSPC or -EAFNOSUPPORT
 * (cfg.ipv6 off). */
int nst_iface_addr6_add(struct nst_stack *st, int ifindex, const nst_ip6_t *addr, uint8_t prefix_len);
int nst_iface_addr6_del(struct nst_stack *st, int ifindex, const nst_ip6_t *addr);
/* Copies up to max addresses of the interface, returns how many it has. */
int nst_iface_addr6_list(const struct nst_stack *st, int ifindex, struct nst_addr6_info *out, int max);

enum nst_route6_origin { NST_ROUTE6_CONNECTED, NST_ROUTE6_STATIC, NST_ROUTE6_RA, NST_ROUTE6_REDIRECT };
struct nst_route6 {
    nst_ip6_t dst;
    uint8_t prefix_len;
    nst_ip6_t gateway;          /* ::: on-link */
    int ifindex;
    uint32_t metric;
    int origin;                 /* enum nst_route6_origin */
};
#define NST_MAX_ROUTES6 1024

/* A static route; gateway NULL or ::: on-link. 0, -EEXIST (the same
 * prefix, gateway and interface), -ENOSPC, -EINVAL or -EAFNOSUPPORT. */
int nst_route6_add(struct nst_stack *st, const nst_ip6_t *dst, uint8_t prefix_len, const nst_ip6_t *gateway,
                   int ifindex, uint32_t metric);
/* Removes the routes of that prefix (gateway NULL: whatever their gateway). 0 or -ESRCH. */
int nst_route6_del(struct nst_stack *st, const nst_ip6_t *dst, uint8_t prefix_len, const nst_ip6_t *gateway);
/* Longest-prefix match; ties go to the lowest metric. 0 or -ENETUNREACH. */
int nst_route6_lookup(const struct nst_stack *st, const nst_ip6_t *dst, struct nst_route6 *out);
/* Copies up to max routes, returns how many there are. */
int nst_route6_list(const struct nst_stack *st, struct nst_route6 *out, int max);

/* A neighbour cache entry's state (RFC 4861 7.3.2). */
enum nst_neigh6_state {
    NST_NEIGH6_INCOMPLETE, /* solicitations outstanding, packets queued */
    NST_NEIGH6_REACHABLE,
    NST_NEIGH6_STALE,
    NST_NEIGH6_DELAY,
    NST_NEIGH6_PROBE,
    NST_NEIGH6_PERMANENT,  /* set by hand: never expires, never moved by ND */
};
struct nst_neigh6_info {
    nst_ip6_t addr;
    struct nst_mac mac;
    int ifindex;
    int state;                  /* enum nst_neigh6_state */
    int is_router;
    nst_time_t expires;         /* when the state ends (NST_TIME_NEVER: PERMANENT) */
    unsigned queued;
};
int nst_neigh6_list(const struct nst_stack *st, struct nst_neigh6_info *out, int max);
/* A permanent entry (like `ip -6 neigh add ADDR lladdr MAC nud permanent`,
 * IPv6's nst_arp_add_static): packets to ADDR on the interface go to MAC
 * without Neighbor Discovery; packets waiting for ADDR leave at once. An
 * existing entry is overwritten. 0, -EINVAL (interface, a multicast or the
 * unspecified address), -ENOBUFS (ip6_nd_table_max entries all permanent)
 * or -EAFNOSUPPORT (cfg.ipv6 off). */
int nst_neigh6_add_static(struct nst_stack *st, int ifindex, const nst_ip6_t *addr, const struct nst_mac *mac);
/* Forgets the entry for ADDR on the interface, whatever its state (like
 * `ip -6 neigh del`); packets waiting for it are dropped. 0 or -ENOENT. */
int nst_neigh6_del(struct nst_stack *st, int ifindex, const nst_ip6_t *addr);

NST_API_END

#endif
