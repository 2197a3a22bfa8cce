/* A router and a host on one simulated link, for the router discovery
 * and SLAAC tests (tests/sim/test_ip6_slaac.c, test_ip6_router.c): every
 * frame on the link recorded, crafted Neighbor Discovery messages injected
 * into either stack. DAD runs without its random delay, so every time is
 * exact. */
#ifndef NST_TEST_RA_UTIL_H
#define NST_TEST_RA_UTIL_H

#include <nstack/ip6_router.h>
#include <nstack/nstack.h>

#include "support/ip6_util.h"

#define RA_MAXF 512

struct ra_seen {
    nst_time_t at;
    int dir; /* 0: router to host; 1: host to router */
    size_t len;
    uint8_t data[256];
};

struct ra_net {
    struct nst_world *w;
    struct nst_stack *r, *h; /* the router (forwarding), the host */
    struct nst_sim_link *l;
    struct nst_mac mr, mh;
    nst_ip6_t llr, llh;
    size_t n;
    struct ra_seen f[RA_MAXF];
};

/* host_cfg: changes to the host's configuration, or NULL. The net is big:
 * allocate it (ra_net_new) rather than put it on the stack. */
struct ra_net *ra_net_new(void (*host_cfg)(struct nst_stack_config *c));
void ra_net_free(struct ra_net *n);

/* 2001:db8:1::/64, on-link and autonomous, valid 3600 s, preferred 1800 s;
 * the other fields RFC 4861 6.2.1's defaults. */
struct nst_ra_config ra_config(void);
/* The host's SLAAC address in 2001:db8:1::/64 (EUI-64 of its MAC). */
nst_ip6_t ra_host_global(const struct ra_net *n);
/* The state of address a of st's interface 0 (out: its entry), or -1. */
int ra_addr_info(struct nst_stack *st, const nst_ip6_t *a, struct nst_addr6_info *out);
/* st's neighbour entry for a (out: it), its state; or -1. */
int ra_neigh(struct nst_stack *st, const nst_ip6_t *a, struct nst_neigh6_info *out);
/* The recorded frames of one ICMPv6 type in one direction, in order. */
size_t ra_frames_of(const struct ra_net *n, int dir, uint8_t type, const struct ra_seen **out, size_t max);
/* A crafted ND message from src to dst with that hop limit, handed to `to`
 * (the router or the host) now. */
void ra_inject(struct ra_net *n, struct nst_stack *to, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t hop_limit,
               const struct nst_nd_repr *r);

#endif
