/* Router discovery, SLAAC and redirects of one interface as a state
 * machine (RFC 4861 6.2 - 6.3 and 8, RFC 4862 5.5): it is driven by parsed
 * messages (struct nst_nd_repr) and times, and everything it does to the
 * rest of the stack (routes, neighbours, addresses, link parameters,
 * messages out) goes through struct nst_ndra_env. nd_router_stack.c binds
 * that to the IPv6 layer; the unit tests bind it to a recorder, so every
 * rule is checked without a network.
 *
 *   nd_router.c   RS schedule, RA processing (default routers, on-link
 *                 prefixes, link parameters), redirects, the router's
 *                 advertisement schedule
 *   slaac.c       addresses formed from advertised prefixes and their
 *                 lifetimes (RFC 4862 5.5.3, 5.5.4)
 *
 * Every list is an array bounded by struct nst_ndra_limits: what does not
 * fit is counted and ignored, so an RA flood costs bounded memory, and each
 * message costs time linear in those bounds. */
#ifndef NST_IP6_NDRA_H
#define NST_IP6_NDRA_H

#include <nstack/ip6_router.h>
#include <nstack/stats.h>
#include <nstack/types.h>

#include "core/rng.h"
#include "wire/ndp.h"

/* RFC 7217 6: an address failing DAD is tried again with DAD_Counter + 1,
 * this many times at most. */
#define NST_IDGEN_RETRIES 3

/* RFC 4861 10: the protocol constants. */
#define NST_MAX_RTR_SOLICITATION_DELAY NST_SEC(1)
#define NST_RTR_SOLICITATION_INTERVAL NST_SEC(4)
#define NST_MAX_RTR_SOLICITATIONS 3
#define NST_MAX_INITIAL_RTR_ADVERT_INTERVAL NST_SEC(16)
#define NST_MAX_INITIAL_RTR_ADVERTISEMENTS 3
#define NST_MIN_DELAY_BETWEEN_RAS NST_SEC(3)
#define NST_MAX_RA_DELAY_TIME NST_MSEC(500)
/* RFC 4861 8.2: "A router MUST limit the rate at which Redirect messages
 * are sent" (no figure given): a bucket of 10 per interface, refilled at
 * one per 100 ms. */
#define NST_REDIRECT_BURST 10
#define NST_REDIRECT_INTERVAL NST_MSEC(100)
/* RFC 4862 5.5.3 (e): the valid lifetime an unauthenticated RA cannot cut below. */
#define NST_SLAAC_TWO_HOURS NST_SEC(7200)

struct nst_ndra_limits {
    unsigned max_routers, max_prefixes, max_addrs, max_redirects;
    nst_time_t redirect_ttl;
    unsigned rtr_solicitations; /* a host's RSs at start, MAX_RTR_SOLICITATIONS; 0: none */
    unsigned max_temps; /* RFC 8981 temporary addresses (the address table bounds them too) */
};

/* What changes the link's parameters (RFC 4861 6.3.4); 0: unchanged. */
struct nst_ndra_link_params {
    uint8_t cur_hop_limit;
    uint32_t reachable_ms, retrans_ms, mtu;
};

/* The engine's effects. ctx is the binding's; every callback is required. */
struct nst_ndra_env {
    void *ctx;
    struct nst_rng *rng;
    struct nst_stats *stats;
    /* The default route ::/0 (origin RA) via router, or none (NULL). */
    void (*default_route)(void *ctx, int ifindex, const nst_ip6_t *router);
    /* An on-link prefix's connected route (origin RA): add or remove. */
    void (*prefix_route)(void *ctx, int ifindex, const nst_ip6_t *prefix, uint8_t len, int add);
    /* A /128 route (origin REDIRECT) to dest via target (NULL: on-link):
     * add (replacing one to dest) or remove (target ignored). */
    void (*redirect_route)(void *ctx, int ifindex, const nst_ip6_t *dest, const nst_ip6_t *target, int add);
    /* The neighbour addr has link-layer address mac (created STALE, or
     * STALE if mac differs, RFC 4861 6.3.4, 6.2.6, 8.3; mac NULL: none
     * given, nothing created); is_router: 1 or 0 sets IsRouter, -1 leaves it. */
    void (*neighbour)(void *ctx, int ifindex, const nst_ip6_t *addr, const struct nst_mac *mac, int is_router);
    void (*link_params)(void *ctx, int ifindex, const struct nst_ndra_link_params *p);
    /* The router the stack sends to dest through now (its route's gateway),
     * 0; or -ENETUNREACH (no route, or an on-link one). */
    int (*first_hop)(void *ctx, int ifindex, const nst_ip6_t *dest, nst_ip6_t *router);
    /* A SLAAC address: added TENTATIVE (DAD runs), deprecated or preferred
     * again, removed. addr_add returns 0 or -errno. */
    int (*addr_add)(void *ctx, int ifindex, const nst_ip6_t *addr, uint8_t prefix_len, nst_time_t preferred_until,
                    nst_time_t valid_until);
    void (*addr_lifetimes)(void *ctx, int ifindex, const nst_ip6_t *addr, nst_time_t preferred_until,
                           nst_time_t valid_until, int deprecated);
    void (*addr_del)(void *ctx, int ifindex, const nst_ip6_t *addr);
    /* Messages out: an RS to all-routers; an RA to dst. 0 or -errno. */
    int (*send_rs)(void *ctx, int ifindex);
    int (*send_ra)(void *ctx, int ifindex, const nst_ip6_t *dst, const struct nst_nd_repr *ra);
    /* Is the neighbour addr known or likely reachable (RFC 4861 6.3.6: an
     * entry in any state but INCOMPLETE)? Optional: NULL means every
     * router is. */
    int (*probably_reachable)(void *ctx, int ifindex, const nst_ip6_t *addr);
    /* RFC 7217: the address of prefix with the interface's stable opaque
     * identifier for *dad_counter (which it may raise), 0; or -1 for the
     * modified EUI-64 of the MAC. Optional: NULL means EUI-64. */
    int (*stable_addr)(void *ctx, int ifindex, const nst_ip6_t *prefix, unsigned *dad_counter, nst_ip6_t *out);
    /* RFC 8981: as addr_add, for a temporary address. Optional: NULL
     * means no temporary address is ever made. */
    int (*temp_addr_add)(void *ctx, int ifindex, const nst_ip6_t *addr, nst_time_t preferred_until,
                         nst_time_t valid_until);
};

/* RFC 8981 3.8: a temporary address whose DAD fails is made again with a
 * new identifier, this many times at most. */
#define NST_TEMP_IDGEN_RETRIES 3

/* RFC 8981 temporary addresses of one interface (slaac_temp.c). */
struct nst_slaac_temp_config {
    int mode;                  /* cfg.ip6_temp_addrs: 0 none, 1 or 2 made */
    nst_time_t valid;          /* TEMP_VALID_LIFETIME */
    nst_time_t preferred;      /* TEMP_PREFERRED_LIFETIME */
    nst_time_t regen_advance;  /* REGEN_ADVANCE (3.8) */
    nst_time_t desync;         /* this interface's DESYNC_FACTOR (3.8) */
    int gave_up;               /* TEMP_IDGEN_RETRIES identifiers failed DAD: none more (3.4) */
};

struct nst_ndra_router {
    nst_ip6_t addr;
    nst_time_t expires;
};

struct nst_ndra_prefix {
    nst_ip6_t prefix;
    uint8_t len;
    nst_time_t expires;
};

enum nst_slaac_state {
    NST_SLAAC_PREFERRED,  /* (or still TENTATIVE in the address layer) */
    NST_SLAAC_DEPRECATED, /* preferred lifetime over (RFC 4862 5.5.4) */
    NST_SLAAC_DUPLICATE,  /* DAD failed (5.4.5): kept, unused, so RAs do not retry it */
};

struct nst_slaac_addr {
    nst_ip6_t addr;
    uint8_t prefix_len;
    uint8_t state; /* enum nst_slaac_state */
    uint8_t stable;      /* an RFC 7217 identifier (else EUI-64) */
    uint8_t dad_counter; /* its DAD_Counter; of a temporary: identifiers tried before it */
    uint8_t regenerated; /* a temporary whose successor was made (RFC 8981 3.6) */
    nst_time_t preferred_until, valid_until;
    nst_time_t created;  /* a temporary's birth: its lifetimes are capped from it (3.4) */
};

struct nst_ndra_redirect {
    nst_ip6_t dest, target;
    nst_time_t expires;
};

struct nst_ndra_iface {
    int ifindex;
    int is_router;      /* forwarding: no host behaviour (RS, RA, redirects) */
    struct nst_mac mac;
    uint32_t link_mtu;  /* the link's own MTU: an MTU option above it is refused */
    struct nst_ndra_limits lim;
    const struct nst_ndra_env *env;

    /* Host (6.3.7): solicitations sent, and when the next is due. */
    unsigned rs_sent;
    nst_time_t rs_next; /* NST_TIME_NEVER: none */

    struct nst_ndra_router *routers; /* in order of arrival */
    unsigned n_routers;
    nst_ip6_t dflt;      /* the default router ::/0 points at (6.3.6) */
    int has_dflt;
    struct nst_ndra_prefix *prefixes;
    unsigned n_prefixes;
    struct nst_slaac_addr *addrs;
    unsigned n_addrs;
    /* RFC 8981 temporary addresses (slaac_temp.c), at most lim.max_temps. */
    struct nst_slaac_temp_config temp;
    struct nst_slaac_addr *temps;
    unsigned n_temps;
    struct nst_ndra_redirect *redirects;
    unsigned n_redirects;

    /* Router (6.2): the configuration and the advertisement schedule. */
    struct nst_ra_config ra;
    int started;         /* the interface has its link-local address */
    unsigned ra_count;   /* multicast RAs sent since advertising began */
    nst_time_t ra_next;  /* the next multicast RA; NST_TIME_NEVER: none */
    nst_time_t ra_last;  /* the last one sent; NST_TIME_NEVER: none yet */
    /* Router: the Redirects it may still send (8.2), as of redirect_at. */
    unsigned redirect_tokens;
    nst_time_t redirect_at;
};

/* 0 or -ENOMEM. The env must outlive the interface. */
int nst_ndra_iface_init(struct nst_ndra_iface *ifc, int ifindex, const struct nst_mac *mac, uint32_t link_mtu,
                        const struct nst_ndra_limits *lim, const struct nst_ndra_env *env);
void nst_ndra_iface_fini(struct nst_ndra_iface *ifc);

/* The interface is up with its link-local address: a host starts
 * soliciting, a router advertising. */
void nst_ndra_start(struct nst_ndra_iface *ifc, nst_time_t now);
/* Messages in, validated by nst_nd_parse: src is the IPv6 source. */
void nst_ndra_rs_input(struct nst_ndra_iface *ifc, nst_time_t now, const nst_ip6_t *src, const struct nst_nd_repr *rs);
void nst_ndra_ra_input(struct nst_ndra_iface *ifc, nst_time_t now, const nst_ip6_t *src, const struct nst_nd_repr *ra);
/* The neighbour addr proved unreachable (its resolution or probes failed,
 * RFC 4861 7.3.3): when it is the default router another is chosen
 * (6.3.6). */
void nst_ndra_router_unreachable(struct nst_ndra_iface *ifc, const nst_ip6_t *addr);
void nst_ndra_redirect_input(struct nst_ndra_iface *ifc, nst_time_t now, const nst_ip6_t *src,
                             const struct nst_nd_repr *rd);
/* Advertising on or off (c validated by nst_ra_config_check). */
void nst_ndra_configure(struct nst_ndra_iface *ifc, nst_time_t now, const struct nst_ra_config *c);
int nst_ra_config_check(const struct nst_ra_config *c, uint32_t link_mtu);
/* A forwarding router may send one more Redirect now (8.2's rate limit):
 * 1 (a token taken) or 0 (counted). */
int nst_ndra_redirect_permit(struct nst_ndra_iface *ifc, nst_time_t now);
/* Does what is due at now; returns the next deadline (NST_TIME_NEVER). */
nst_time_t nst_ndra_run(struct nst_ndra_iface *ifc, nst_time_t now);
nst_time_t nst_ndra_next(const struct nst_ndra_iface *ifc);

/* SLAAC (slaac.c). */
void nst_slaac_prefix_input(struct nst_ndra_iface *ifc, nst_time_t now, const struct nst_nd_prefix *p);
/* 1 if addr was a SLAAC address of ifc (now DUPLICATE), else 0. */
int nst_slaac_mark_duplicate(struct nst_ndra_iface *ifc, const nst_ip6_t *addr);
void nst_slaac_run(struct nst_ndra_iface *ifc, nst_time_t now);
nst_time_t nst_slaac_next(const struct nst_ndra_iface *ifc);
/* Removes every SLAAC address (interface going away). */
void nst_slaac_clear(struct nst_ndra_iface *ifc);

/* RFC 8981 temporary addresses (slaac_temp.c). After the public address
 * pub of a prefix was formed or updated by an RA (3.4). */
void nst_slaac_temp_prefix(struct nst_ndra_iface *ifc, nst_time_t now, const struct nst_slaac_addr *pub);
/* 1 if addr was a temporary address of ifc (removed, another tried). */
int nst_slaac_temp_duplicate(struct nst_ndra_iface *ifc, nst_time_t now, const nst_ip6_t *addr);
void nst_slaac_temp_run(struct nst_ndra_iface *ifc, nst_time_t now);
nst_time_t nst_slaac_temp_next(const struct nst_ndra_iface *ifc);
void nst_slaac_temp_clear(struct nst_ndra_iface *ifc);
/* REGEN_ADVANCE (RFC 8981 3.8): 2 s + TEMP_IDGEN_RETRIES * DupAddrTransmits * RetransTimer. */
static inline nst_time_t nst_slaac_regen_advance(unsigned dad_transmits, nst_time_t retrans)
{
    return NST_SEC(2) + (nst_time_t)NST_TEMP_IDGEN_RETRIES * dad_transmits * retrans;
}

/* A lifetime in seconds from an RA as a deadline (0xffffffff: never). */
static inline nst_time_t nst_ndra_deadline(nst_time_t now, uint32_t seconds)
{
    return seconds == 0xffffffffu ? NST_TIME_NEVER : now + NST_SEC(seconds);
}

#define NST_NDRA_INC(ifc, name) ((ifc)->env->stats->ndra_##name++)

#endif
