/* The IPv4 layer's internal interface, used by the transports above it and
 * by the link input path below it. */
#ifndef NST_IP_IP_H
#define NST_IP_IP_H

#include <nstack/stack.h>

#include "core/pkt.h"
#include "core/reass_table.h"
#include "core/timer.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"

struct nst_iface {
    int in_use;
    char name[16];
    struct nst_mac mac;
    nst_ip4_t addr;
    uint8_t prefix_len;
    uint32_t mtu;
    uint32_t gso_max;          /* nst_iface_config.gso_max (0 without send_frame) */
    uint32_t gso6_max;         /* nst_iface_config.gso6_max (likewise) */
    struct nst_link_ops ops;
    void *ctx;
};

/* What an upper layer is told about a received datagram. */
struct nst_ip_rx {
    uint8_t family;      /* 4: hdr is valid; 6: hdr6 is (ip6/ip6.h) */
    struct nst_ipv4_repr hdr;
    struct nst_ipv6_repr hdr6;
    int ifindex;
    const uint8_t *ip;   /* the whole datagram, header first (for ICMP quotes) */
    size_t ip_len;       /* header + payload, link padding removed */
};

struct nst_arp_entry;

/* One destination's ICMP error budget, in nanoseconds of credit: each
 * error costs icmp_dst_interval, credit grows with time up to
 * icmp_dst_burst intervals (Linux's inet_peer_xrlim_allow). */
#define NST_ICMP_PEERS 64
struct nst_icmp_peer {
    nst_ip4_t addr;            /* 0: free */
    uint32_t used;             /* icmp_peer_clock when last asked: least recently used goes */
    nst_time_t last;           /* last time credit was added */
    nst_time_t credit;
};

/* A token bucket of ICMP errors (icmp.c): whole tokens, and the credit
 * toward the next one in token/1e9/rate units (each elapsed nanosecond
 * adds icmp_rate_per_sec; 1e9 make a token), so refills are exact however
 * the elapsed time is cut up. One for ICMP, one for ICMPv6. */
struct nst_icmp_bucket {
    uint32_t tokens;
    uint32_t credit;           /* < 1e9 */
    nst_time_t last;
};

struct nst_ip_state {
    struct nst_iface ifaces[NST_MAX_IFACES];
    int n_ifaces;
    struct nst_route *routes;  /* kept sorted: longest prefix first, then metric */
    int n_routes;
    struct nst_arp_entry *arp; /* list, newest first */
    unsigned arp_resolved;     /* entries with a MAC: at most cfg.arp_table_max */
    unsigned arp_incomplete;   /* entries still asking: at most cfg.arp_incomplete_max */
    struct nst_reass_table reass; /* partial datagrams (ip_reass.c) */
    uint16_t next_id;
    /* Datagrams a stack sends to one of its own addresses: delivered from
     * a zero-delay timer, never by recursion from the sending call. */
    struct nst_pktq loopback;
    struct nst_timer loopback_timer;
    /* ICMP error token bucket (RFC 1812 4.3.2.8), below. */
    uint32_t dst_gen;          /* see struct nst_dst; never 0 */
    struct nst_icmp_bucket icmp_bucket;
    /* Per-destination ICMP error buckets, the least recently used one
     * recycled when a new destination needs a slot. */
    struct nst_icmp_peer icmp_peers[NST_ICMP_PEERS];
    uint32_t icmp_peer_clock;
};

/* A connection's remembered way out: interface, next hop's MAC and MTU,
 * valid while gen equals the stack's dst_gen, which every change to the
 * routes, the interfaces or a resolved neighbour bumps. It spares each
 * segment the route lookup and the neighbour search. gen 0: empty. */
struct nst_dst {
    uint32_t gen;
    uint32_t mtu;
    struct nst_mac mac;
    uint8_t ifindex;
    uint8_t gso;                  /* the interface takes TCP frames up to a 64 KB datagram (TSO) */
};

/* Forgets every connection's nst_dst (routes, interfaces or neighbours changed). */
static inline void nst_dst_invalidate_all(struct nst_ip_state *ip)
{
    if (++ip->dst_gen == 0)
        ip->dst_gen = 1;
}

int nst_ip_init(struct nst_stack *st);
void nst_ip_fini(struct nst_stack *st);

/* Link input: one Ethernet frame from interface ifindex. */
void nst_eth_input(struct nst_stack *st, int ifindex, const uint8_t *frame, size_t len);
void nst_ipv4_input(struct nst_stack *st, int ifindex, const uint8_t *pkt, size_t len);
void nst_arp_input(struct nst_stack *st, int ifindex, const uint8_t *pkt, size_t len);
/* Routes a datagram that is not for us (ipv4_forward.c). */
void nst_ipv4_forward(struct nst_stack *st, int ifindex, const struct nst_ipv4_repr *h, const uint8_t *pkt,
                      size_t len);

/* Sends p (its data is the transport header + payload) to dst. src 0 means
 * "the address of the outgoing interface". ttl 0 means the default. Adds
 * the IP header, fragments if needed (unless df), resolves the next hop.
 * Always consumes p. Returns 0 or -ENETUNREACH / -EMSGSIZE / -ENOMEM. */
int nst_ip_output(struct nst_stack *st, struct nst_pkt *p, nst_ip4_t src, nst_ip4_t dst, uint8_t proto,
                  uint8_t ttl, uint8_t tos, int df);
/* The same, remembering the way out in *dc (a connection's) and taking it
 * from there while it is valid. */
int nst_ip_output_dst(struct nst_stack *st, struct nst_pkt *p, nst_ip4_t src, nst_ip4_t dst, uint8_t proto,
                      uint8_t ttl, uint8_t tos, int df, struct nst_dst *dc);
/* The MAC of a resolved neighbour (ARP entry reachable, stale, being
 * probed, or static): 0, or -ENOENT. */
int nst_arp_lookup(const struct nst_stack *st, int ifindex, nst_ip4_t addr, struct nst_mac *mac);
/* Sends a whole IPv4 datagram (header included) out of ifindex toward
 * next_hop. Consumes p. Used by output and by forwarding. */
int nst_ip_send_datagram(struct nst_stack *st, struct nst_pkt *p, int ifindex, nst_ip4_t next_hop);

/* Timer callback delivering the loopback queue (ipv4_output.c). */
void nst_ip_loopback_run(struct nst_stack *st, struct nst_timer *t);

/* Source address and path MTU the stack would use toward dst. */
int nst_ip_route_src(struct nst_stack *st, nst_ip4_t dst, nst_ip4_t *src, uint32_t *mtu);
/* Nonzero if addr is one of the stack's unicast addresses. */
int nst_ip_is_local(const struct nst_stack *st, nst_ip4_t addr);
/* Nonzero for 0.0.0.0, 255.255.255.255, a directed broadcast of one of
 * our subnets, multicast or class E: addresses no connection may use. */
int nst_ip_is_broadcast_or_multicast(const struct nst_stack *st, nst_ip4_t addr);

/* Sends an ICMP error about the datagram `orig` (header first), subject
 * to the rules of RFC 1122 3.2.2 and the rate limit. */
void nst_icmp_send_error(struct nst_stack *st, uint8_t type, uint8_t code, uint16_t rest_hi, uint16_t rest_lo,
                         const uint8_t *orig, size_t orig_len);
void nst_icmp_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len);
/* The shared error budget: 1 if an error may go (it is charged). */
int nst_icmp_bucket_allows(struct nst_stack *st, struct nst_icmp_bucket *b);
/* One destination's budget (*last, *credit in ns; full when new: see
 * nst_icmp_budget_full): 1 if an error may go (it is charged). Needs
 * cfg.icmp_dst_interval > 0. */
int nst_icmp_budget_allows(struct nst_stack *st, nst_time_t *last, nst_time_t *credit);
nst_time_t nst_icmp_budget_full(const struct nst_stack *st);

/* ARP (arp_cache.c): p is a full IP datagram to send to next_hop on ifindex. */
int nst_arp_output(struct nst_stack *st, int ifindex, nst_ip4_t next_hop, struct nst_pkt *p);
void nst_arp_fini(struct nst_stack *st);
/* Sends an Ethernet frame carrying p (data = L3 packet) to mac on ifindex. Consumes p. */
int nst_eth_output(struct nst_stack *st, int ifindex, const struct nst_mac *dst, uint16_t ethertype,
                   struct nst_pkt *p);

/* Reassembly (ip_reass.c): returns a complete datagram (a new packet, the
 * caller frees it) when frag completes one, else NULL. */
struct nst_pkt *nst_ip_reass(struct nst_stack *st, const struct nst_ipv4_repr *h, const uint8_t *pkt, size_t len);
void nst_ip_reass_init(struct nst_stack *st);
void nst_ip_reass_fini(struct nst_stack *st);

#endif
