/* The IPv6 layer's state (struct nst_ip6_state, st->ip6) and the functions
 * its files share. Allocated by nst_ip6_init only when cfg.ipv6 is set;
 * st->ip6 NULL means the stack speaks IPv4 only. Every table is bounded. */
#ifndef NST_IP6_IP6_IMPL_H
#define NST_IP6_IP6_IMPL_H

#include "core/reass_table.h"
#include "core/stack_impl.h"
#include "core/timer.h"
#include "ip6/ip6.h"

/* Multicast groups an interface listens to: all-nodes, all-routers (a
 * router), and one solicited-node group per address (RFC 4291 2.8). */
#define NST_IP6_MAX_GROUPS (NST_IP6_MAX_ADDRS + 2)

struct nst_ip6_addr {
    uint8_t in_use;
    uint8_t state;       /* enum nst_addr6_state */
    uint8_t origin;      /* enum nst_addr6_origin */
    uint8_t prefix_len;
    nst_ip6_t addr;
    int ifindex;
    nst_time_t preferred_until, valid_until; /* NST_TIME_NEVER: infinite */
    unsigned dad_sent;   /* DAD solicitations sent so far */
    uint8_t dad_counter; /* RFC 7217's DAD_Counter of a stable link-local address */
    uint8_t nonce[6];    /* of the last one (RFC 7527: our own, looped back, is no duplicate) */
    struct nst_timer timer; /* DAD steps, then the lifetimes */
};

/* A query's sources kept per group (RFC 3810 6.2 rule 5); a query naming
 * more is answered as if it named the whole group (mld.c). */
#define NST_MLD_MAX_SOURCES 8
#define NST_MLD_ALL_SOURCES 0xff

struct nst_ip6_group {
    nst_ip6_t addr;
    unsigned refs;       /* 0: free, unless an MLD leave is still being reported */
    /* MLD (mld.c). A slot with refs 0 and mld_change_left > 0 is a group
     * left whose leave is still being reported. */
    uint8_t mld_listening;   /* in the interface's reported state (announced) */
    uint8_t mld_change;      /* the pending state-change record type (NST_MLD_CHANGE_TO_*), 0: none */
    uint8_t mld_change_left; /* transmissions of it still owed */
    uint8_t mld_n_sources;   /* a pending query's sources; NST_MLD_ALL_SOURCES: the whole group */
    nst_time_t mld_query_due; /* a pending answer to a query about this group; NST_TIME_NEVER: none */
    nst_ip6_t mld_sources[NST_MLD_MAX_SOURCES];
};

struct nst_ip6_iface {
    int up;
    struct nst_ip6_addr addrs[NST_IP6_MAX_ADDRS];
    struct nst_ip6_group groups[NST_IP6_MAX_GROUPS];
    uint8_t hop_limit;         /* CurHopLimit (an RA may change it) */
    uint32_t mtu;              /* the link MTU IPv6 uses (an RA's MTU option may lower it) */
    nst_time_t base_reachable; /* BaseReachableTime */
    nst_time_t reachable;      /* ReachableTime: base * 0.5..1.5, drawn anew when base changes */
    nst_time_t retrans;        /* RetransTimer */
    nst_time_t reachable_drawn; /* when ReachableTime was last drawn (RFC 4861 6.3.4) */
    /* MLD (mld.c): one timer at the earliest of these */
    struct nst_timer mld_timer;
    nst_time_t mld_general_due;  /* the answer to a General Query; NST_TIME_NEVER: none */
    nst_time_t mld_change_due;   /* the next state-change report; NST_TIME_NEVER: none */
    nst_time_t mld_v1_until;     /* Older Version Querier Present until (RFC 3810 8.2.1); 0: none */
    uint8_t mld_robustness;      /* the Robustness Variable: the querier's QRV, else 2 */
};

/* One path MTU learnt from a Packet Too Big (RFC 8201). */
#define NST_IP6_PMTU_SLOTS 64
struct nst_ip6_pmtu {
    nst_ip6_t dst;
    uint32_t mtu;        /* 0: free */
    nst_time_t expires;  /* RFC 8201 4: tried larger again after 10 minutes */
};

/* One destination's ICMPv6 error budget (as IPv4's struct nst_icmp_peer). */
struct nst_icmp6_peer {
    nst_ip6_t addr;
    uint8_t in_use;
    uint32_t used;
    nst_time_t last;
    nst_time_t credit;
};

struct nst_nd_entry;

struct nst_ip6_state {
    struct nst_ip6_iface ifs[NST_MAX_IFACES];
    struct nst_route6 *routes; /* sorted: longest prefix first, then metric */
    int n_routes;
    /* The neighbour cache (nd_cache.c): a list, newest first. */
    struct nst_nd_entry *nd;
    unsigned nd_resolved, nd_incomplete;
    /* Reassembly (ip6_reass.c) */
    struct nst_reass_table reass;
    /* Path MTUs (ip6_pmtu.c) */
    struct nst_ip6_pmtu pmtu[NST_IP6_PMTU_SLOTS];
    unsigned pmtu_used;          /* slots holding an MTU: with none (no Packet Too Big
                                  * believed) a lookup is free, not a scan of the table */
    /* Packets to our own addresses, delivered from a zero-delay timer. */
    struct nst_pktq loopback;
    struct nst_timer loopback_timer;
    /* ICMPv6 error rate limit (icmp6.c): RFC 4443 2.4 (f). */
    struct nst_icmp_bucket icmp_bucket;
    struct nst_icmp6_peer icmp_peers[NST_ICMP_PEERS];
    uint32_t icmp_peer_clock;
    /* The frame being delivered came to a link-layer multicast address
     * (RFC 4443 2.4 (e.3): no errors about it); set by Ethernet input. */
    uint8_t rx_link_mcast;
};

#define NST_IP6_INFINITE 0xffffffffu /* a lifetime of all ones (RFC 4861 4.6.2) */

static inline struct nst_ip6_iface *nst_ip6_if(struct nst_stack *st, int ifindex) { return &st->ip6->ifs[ifindex]; }

/* ---- ip6.c ---- */
/* Adds the link-local address of ifindex: fe80::/64 and its EUI-64, or
 * with cfg.ip6_stable_iids the RFC 7217 identifier for dad_counter. */
int nst_ip6_link_local_add(struct nst_stack *st, int ifindex, unsigned dad_counter);
/* Draws ReachableTime anew from base (RFC 4861 6.3.2: uniformly in
 * [0.5, 1.5) * base). */
void nst_ip6_set_base_reachable(struct nst_stack *st, int ifindex, nst_time_t base);
/* ReachableTime for an entry becoming REACHABLE now: drawn anew first when
 * the last draw is ip6_reachable_redraw old (RFC 4861 6.3.4). */
nst_time_t nst_ip6_reachable_time(struct nst_stack *st, int ifindex);

/* ---- ip6_addr.c ---- */
/* Adds an address of any origin. valid/preferred in seconds
 * (NST_IP6_INFINITE: forever). Starts DAD. 0 or -errno. */
int nst_ip6_addr_add(struct nst_stack *st, int ifindex, const nst_ip6_t *a, uint8_t prefix_len, int origin,
                     uint32_t valid, uint32_t preferred);
/* New lifetimes for an address (SLAAC, RFC 4862 5.5.3 e). -ENOENT. */
int nst_ip6_addr_set_lifetimes(struct nst_stack *st, int ifindex, const nst_ip6_t *a, uint32_t valid,
                               uint32_t preferred);
struct nst_ip6_addr *nst_ip6_addr_find(struct nst_stack *st, int ifindex, const nst_ip6_t *a);
/* Any interface's unicast address a (any state). */
struct nst_ip6_addr *nst_ip6_addr_find_any(struct nst_stack *st, const nst_ip6_t *a);
/* Is the interface listening to this multicast group? */
int nst_ip6_in_group(const struct nst_stack *st, int ifindex, const nst_ip6_t *group);
int nst_ip6_group_join(struct nst_stack *st, int ifindex, const nst_ip6_t *group);
void nst_ip6_group_leave(struct nst_stack *st, int ifindex, const nst_ip6_t *group);
/* Counts a listener of group for receiving only, without announcing it
 * (a tentative address's solicited-node group: mld.c reports it when DAD
 * starts, RFC 4862 5.4.2). */
int nst_ip6_group_ref(struct nst_stack *st, int ifindex, const nst_ip6_t *group);
struct nst_ip6_group *nst_ip6_group_find(struct nst_stack *st, int ifindex, const nst_ip6_t *group);
/* The interface's usable link-local address, or NULL. */
const struct nst_ip6_addr *nst_ip6_link_local(struct nst_stack *st, int ifindex);
/* Is the MAC one of the 33:33 addresses of a group the interface joined? */
int nst_ip6_mcast_mac_accepted(const struct nst_stack *st, int ifindex, const struct nst_mac *mac);
/* RFC 6724 (simplified): the best source on ifindex for dst, or NULL. */
const struct nst_ip6_addr *nst_ip6_select_src(struct nst_stack *st, int ifindex, const nst_ip6_t *dst);
/* nd.c tells the address layer what DAD saw. */
void nst_ip6_addr_dad_failed(struct nst_stack *st, struct nst_ip6_addr *a);
void nst_ip6_addrs_fini(struct nst_stack *st);

/* ---- ip6_route.c ---- */
int nst_ip6_route_add(struct nst_stack *st, const nst_ip6_t *dst, uint8_t prefix_len, const nst_ip6_t *gateway,
                      int ifindex, uint32_t metric, int origin);
/* Removes routes matching prefix and gateway (NULL: any) of origin
 * (-1: any) on ifindex (-1: any). Returns how many went. */
int nst_ip6_route_del_match(struct nst_stack *st, const nst_ip6_t *dst, uint8_t prefix_len, const nst_ip6_t *gateway,
                            int ifindex, int origin);
/* Lookup pinned to an interface (ifindex -1: any). */
int nst_ip6_route_lookup_if(const struct nst_stack *st, const nst_ip6_t *dst, int ifindex, struct nst_route6 *out);

/* ---- ipv6_output.c ---- */
/* Prepends the fixed header (payload length: the packet's length now). */
void nst_ip6_push_header(struct nst_stack *st, struct nst_pkt *p, const nst_ip6_t *src, const nst_ip6_t *dst,
                         uint8_t next_header, uint8_t hop_limit, uint8_t tclass);
/* Sends a whole IPv6 packet (header first) out of ifindex toward next_hop
 * (multicast: its 33:33 MAC, no resolution). Consumes p. */
int nst_ip6_send_packet(struct nst_stack *st, struct nst_pkt *p, int ifindex, const nst_ip6_t *next_hop);
void nst_ip6_loopback_run(struct nst_stack *st, struct nst_timer *t);
/* The MTU toward dst out of ifindex: the link's, lowered by a Packet Too Big. */
uint32_t nst_ip6_path_mtu(struct nst_stack *st, int ifindex, const nst_ip6_t *dst);

/* ---- ip6_pmtu.c ---- */
/* RFC 8201 4: a Packet Too Big for dst. Returns 1 if the path MTU fell. */
int nst_ip6_pmtu_update(struct nst_stack *st, const nst_ip6_t *dst, uint32_t mtu);
uint32_t nst_ip6_pmtu_get(struct nst_stack *st, const nst_ip6_t *dst); /* 0: none */

/* ---- ip6_reass.c ---- */
/* A fragment (ext from the walk). Returns the reassembled packet (a new
 * packet with no Fragment header: the caller frees it) or NULL. */
struct nst_pkt *nst_ip6_reass(struct nst_stack *st, int ifindex, const struct nst_ipv6_repr *h,
                              const struct nst_ipv6_ext *ext, const uint8_t *pkt, size_t len);
void nst_ip6_reass_init(struct nst_stack *st);
void nst_ip6_reass_fini(struct nst_stack *st);

/* ---- ip6_forward.c ---- */
void nst_ip6_forward(struct nst_stack *st, int ifindex, const struct nst_ipv6_repr *h, const uint8_t *pkt,
                     size_t len);

/* ---- icmp6.c ---- */
void nst_icmp6_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len,
                     int link_mcast);
/* Sends an ICMPv6 message built in p (its data: the message, checksum
 * filled here) from src (NULL: chosen) to dst. */
int nst_icmp6_output(struct nst_stack *st, struct nst_pkt *p, const nst_ip6_t *src, const nst_ip6_t *dst,
                     uint8_t hop_limit, int ifindex);
/* Sends an echo request (for ping sockets and tests). */
int nst_icmp6_send_echo(struct nst_stack *st, const nst_ip6_t *dst, int ifindex, uint16_t id, uint16_t seq,
                        const void *data, size_t len);

/* ---- nd_cache.c ---- */
/* Resolves next_hop on ifindex and sends p (a whole IPv6 packet), or
 * queues it while a solicitation is out. Consumes p. */
int nst_nd_output(struct nst_stack *st, int ifindex, const nst_ip6_t *next_hop, struct nst_pkt *p);
int nst_nd_lookup(const struct nst_stack *st, int ifindex, const nst_ip6_t *addr, struct nst_mac *mac);
/* What NS/NA/RS/RA/Redirect say about a neighbour's link-layer address
 * (RFC 4861 7.2.3, 7.2.5, 6.3.4, 8.3). */
struct nst_nd_update {
    const struct nst_mac *lladdr; /* NULL: none given */
    int solicited, override;
    int is_router;               /* -1: not said */
    int create;                  /* make an entry (STALE) if there is none */
};
void nst_nd_neigh_update(struct nst_stack *st, int ifindex, const nst_ip6_t *addr, const struct nst_nd_update *u);
void nst_nd_cache_fini(struct nst_stack *st);
/* Is there an entry (any state) for addr? */
int nst_nd_known(const struct nst_stack *st, int ifindex, const nst_ip6_t *addr);
/* Known or likely reachable: an entry in any state but INCOMPLETE (RFC
 * 4861 6.3.6's test for default routers). */
int nst_nd_probably_reachable(const struct nst_stack *st, int ifindex, const nst_ip6_t *addr);
/* An entry is a router (nd_router.c may ask, RFC 4861 6.3.6). */
int nst_nd_is_router(const struct nst_stack *st, int ifindex, const nst_ip6_t *addr);

/* ---- nd.c ---- */
void nst_nd_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len);
/* Sends any Neighbor Discovery message r (NS, NA, RS, RA, Redirect) from
 * src to dst with hop limit 255: to eth_dst, or with eth_dst NULL through
 * the neighbour cache (a multicast dst maps to its group's MAC). 0 or a
 * negative errno (-ENETDOWN while the stack is being freed). */
int nst_nd_send(struct nst_stack *st, int ifindex, const struct nst_nd_repr *r, const nst_ip6_t *src,
                const nst_ip6_t *dst, const struct nst_mac *eth_dst);
/* Sends a Neighbor Solicitation for target: to dst (NULL: its
 * solicited-node group), from src (NULL: :: for DAD, with nonce). */
int nst_nd_send_ns(struct nst_stack *st, int ifindex, const nst_ip6_t *target, const nst_ip6_t *src,
                   const nst_ip6_t *dst, const struct nst_mac *eth_dst, const uint8_t *nonce);

/* ---- ip6_iid.c (RFC 7217) ---- */
/* The address of prefix (its first 64 bits) with the stable opaque
 * identifier of ifindex for *dad_counter (raised past any identifier RFC
 * 5453 reserves). 0, or -1 when cfg.ip6_stable_iids is off (EUI-64). */
int nst_ip6_stable_addr(const struct nst_stack *st, int ifindex, const nst_ip6_t *prefix, unsigned *dad_counter,
                        nst_ip6_t *out);

/* ---- mld.c (RFC 3810, RFC 2710 for compatibility) ---- */
void nst_mld_iface_up(struct nst_stack *st, int ifindex);
/* The interface now listens to group (already counted in its table):
 * a state-change report goes at once, then is repeated. */
void nst_mld_listen(struct nst_stack *st, int ifindex, struct nst_ip6_group *g);
/* The last listener of g left: its leave is reported. */
void nst_mld_left(struct nst_stack *st, int ifindex, struct nst_ip6_group *g);
/* A Multicast Listener Query, Report or Done (ICMPv6 130-132, 143),
 * checksum verified. */
void nst_mld_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len);
void nst_mld_fini(struct nst_stack *st);

#endif
