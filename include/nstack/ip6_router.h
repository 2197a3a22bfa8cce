/* nstack — IPv6 router discovery and SLAAC (RFC 4861 6 and 8, RFC 4862
 * 5.5): making an interface an advertising router, and looking at what a
 * host learnt from the routers of its links (docs/IPV6.md, "Router
 * discovery and SLAAC"). */
#ifndef NSTACK_IP6_ROUTER_H
#define NSTACK_IP6_ROUTER_H

#include "types.h"
#include "api.h"

NST_API_BEGIN

struct nst_stack;

/* The most prefixes one advertisement carries (what a receiver keeps of
 * one RA: NST_ND_MAX_PREFIXES in src/wire/ndp.h). */
#define NST_RA_MAX_PREFIXES 4

/* A prefix to advertise (RFC 4861 4.6.2, 6.2.1 AdvPrefixList). */
struct nst_ra_prefix {
    nst_ip6_t prefix;
    uint8_t len;                /* 64 for SLAAC on Ethernet */
    uint8_t onlink;             /* L: hosts reach the prefix directly, 1 */
    uint8_t autonomous;         /* A: hosts form addresses in it, 1 */
    uint32_t valid_lifetime;    /* s, 2592000 (30 days); 0xffffffff: infinity */
    uint32_t preferred_lifetime; /* s, 604800 (7 days) */
};

/* An interface's advertising configuration (RFC 4861 6.2.1, whose
 * defaults these are). Times in ns, lifetimes of the messages in s. */
struct nst_ra_config {
    int advertise;              /* AdvSendAdvertisements: 0 (a host) */
    nst_time_t max_interval;    /* MaxRtrAdvInterval, 600 s; 4 s .. 1800 s */
    nst_time_t min_interval;    /* MinRtrAdvInterval, 198 s (0.33 Max); 3 s .. 0.75 Max */
    uint8_t managed;            /* AdvManagedFlag (M), 0 */
    uint8_t other;              /* AdvOtherConfigFlag (O), 0 */
    uint32_t link_mtu;          /* AdvLinkMTU: 0 sends no MTU option; else 1280 .. the link's */
    uint32_t reachable_time;    /* AdvReachableTime, ms, 0 (unspecified); at most 3600000 */
    uint32_t retrans_timer;     /* AdvRetransTimer, ms, 0 (unspecified) */
    uint8_t cur_hop_limit;      /* AdvCurHopLimit, 64; 0 unspecified */
    uint16_t default_lifetime;  /* AdvDefaultLifetime, s, 1800 (3 Max); 0: not a default
                                 * router; else Max .. 9000 */
    unsigned n_prefixes;        /* AdvPrefixList, at most NST_RA_MAX_PREFIXES */
    struct nst_ra_prefix prefix[NST_RA_MAX_PREFIXES];
};

/* Fills c with the defaults above. */
void nst_ra_config_default(struct nst_ra_config *c);

/* Makes interface ifindex an advertising router (c->advertise = 1: it
 * sends unsolicited RAs and answers Router Solicitations, 6.2.4 - 6.2.6,
 * and stops acting as a host on it) or stops advertising (one final RA
 * with router lifetime 0, 6.2.5). The stack must have IPv6 on
 * (cfg.ipv6). 0, -EINVAL (a value outside the RFC's bounds), -ENODEV or
 * -ENOMEM. */
int nst_ip6_ra_config(struct nst_stack *st, int ifindex, const struct nst_ra_config *c);

/* A default router a host learnt from an RA (RFC 4861 6.3.4). */
struct nst_ip6_router_info {
    int ifindex;
    nst_ip6_t addr;             /* link-local */
    nst_time_t expires;         /* end of its router lifetime */
    int is_default;             /* the one ::/0 points at */
};
/* An on-link prefix a host learnt (RFC 4861 6.3.4, the L flag). */
struct nst_ip6_prefix_info {
    int ifindex;
    nst_ip6_t prefix;
    uint8_t len;
    nst_time_t expires;         /* NST_TIME_NEVER: infinite */
};
/* Copy up to max entries; return how many there are (all interfaces). */
int nst_ip6_router_list(const struct nst_stack *st, struct nst_ip6_router_info *out, int max);
int nst_ip6_prefix_list(const struct nst_stack *st, struct nst_ip6_prefix_info *out, int max);

NST_API_END

#endif
