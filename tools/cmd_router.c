/* nstack router: one stack forwarding IPv4 and IPv6 between TAP devices
 * (RFC 1812 5.2, RFC 8200 3), each --tap an interface with the options that
 * follow it; with --advertise, the advertising router (RFC 4861 6.2) of each
 * link it has a global IPv6 prefix on, so that kernel hosts there form
 * their addresses (SLAAC) and take nstack as their default router. It runs
 * until SIGINT/SIGTERM or --seconds, then prints what it forwarded and the
 * ICMP errors it sent (Time Exceeded for traceroute, Fragmentation Needed
 * and Packet Too Big for path MTU discovery). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nstack/control.h>
#include <nstack/ip6_router.h>
#include <nstack/stats.h>

#include "tools/cli.h"
#include "tools/cmd_tap.h"
#include "tools/counters.h"
#include "wire/ipv6.h"

#define ROUTER_MAX_ROUTES 32

/* --route PREFIX/LEN via GW: out of the interface of the --tap it follows. */
struct router_route {
    int iface;                  /* index into router.ifs */
    int family;                 /* NST_AF_INET or NST_AF_INET6 */
    nst_ip4_t dst4, gw4;
    nst_ip6_t dst6, gw6;
    uint8_t len;
};

struct router_iface {
    struct tap_opts o;          /* the options after its --tap */
    struct nst_tap *tap;        /* the first is host.tap */
    int ifindex;
};

struct router {
    struct router_iface ifs[NST_MAX_IFACES];
    int n_ifs;
    struct router_route routes[ROUTER_MAX_ROUTES];
    int n_routes;
    int advertise;              /* --advertise */
    uint64_t seconds;           /* --seconds; 0: until a signal */
    const char *control;        /* --control PATH */
    struct tap_host host;       /* the stack, its run loop, the first TAP */
};

enum {
    ROUTER_OPT_ROUTE = 400,
    ROUTER_OPT_ADVERTISE,
    ROUTER_OPT_SECONDS,
    ROUTER_OPT_CONTROL,
};

static void usage(void)
{
    printf("usage: nstack router --tap IFNAME --addr A.B.C.D/N [--addr6 ADDR/LEN] [--route PREFIX/LEN via GW]...\n"
           "                     --tap IFNAME2 --addr ... [...] [--advertise] [--seconds N] [--control PATH]\n\n"
           "One nstack stack forwarding IPv4 and IPv6 between TAP devices (one interface per --tap, up to\n"
           "%d): TTL and hop limit decremented, Time Exceeded at the end of them (traceroute), Fragmentation\n"
           "Needed for an IPv4 datagram with DF too big for the next link, Packet Too Big for an IPv6 one.\n"
           "Runs until SIGINT/SIGTERM or --seconds, then prints its counters (every one with\n"
           "NSTACK_COUNTERS=1).\n\n"
           "Options of an interface (after its --tap):\n"
           "  --tap IFNAME    the TAP device (created if missing); its MTU is the interface's\n"
           "  --addr A.B.C.D/N  nstack's IPv4 address on it (this, --addr6 or both)\n"
           "  --addr6 ADDR/LEN  nstack's IPv6 address on it (it has a link-local one anyway)\n"
           "  --route PREFIX/LEN via GW  a static route of either family through GW on this link\n"
           "  --gw A.B.C.D, --gw6 ADDR  a default route through a router on this link\n"
           "  --mac MAC       its MAC address (default 02:6e: and the four bytes of --addr)\n"
           "  --pcap FILE, --pcap-max N  capture what crosses this TAP\n"
           "  --no-offload, --no-tso, --loss P, --delay MS, ... --seed N  as for nstack serve\n"
           "Options of the router:\n"
           "  --advertise     send Router Advertisements (RFC 4861 6.2) on each interface with a global\n"
           "                  --addr6: its prefix (autonomous if a /64: SLAAC, RFC 4862) and nstack as\n"
           "                  the default router; a last one with router lifetime 0 when it stops\n"
           "  --seconds N     stop after N seconds\n"
           "  --control PATH  a Unix socket to inspect the router: nstack netstat -s --control PATH,\n"
           "                  nstack ip --control PATH -6 route, nstack ss ...\n",
           NST_MAX_IFACES);
}

/* Whether the option code belongs to one interface (it must follow a --tap). */
static int iface_option(int c) { return c >= TAP_OPT_TAP && c < ROUTER_OPT_ROUTE; }

/* --tap NAME: a new interface. 0 or 2 (message printed). */
static int new_iface(struct router *r, const char *name)
{
    if (r->n_ifs == NST_MAX_IFACES)
        return nst_cli_bad_usage("router", "at most %d --tap (a stack has at most %d interfaces)", NST_MAX_IFACES,
                                 NST_MAX_IFACES);
    for (int i = 0; i < r->n_ifs; i++)
        if (!strcmp(r->ifs[i].o.ifname, name))
            return nst_cli_bad_usage("router", "--tap %s is given twice (one interface per device)", name);
    struct tap_opts *o = &r->ifs[r->n_ifs++].o;
    tap_opts_default(o);
    o->forwarding = 1;
    return tap_opts_parse("router", TAP_OPT_TAP, name, o);
}

/* a's first len bits, the rest zero: the prefix a is in. */
static nst_ip6_t ip6_prefix_of(const nst_ip6_t *a, unsigned len)
{
    nst_ip6_t p;
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = len > 8 * i ? len - 8 * i : 0; /* of this byte's, in the prefix */
        p.b[i] = (uint8_t)(a->b[i] & (0xff00u >> (bits < 8 ? bits : 8)));
    }
    return p;
}

static int ip6_host_bits(const nst_ip6_t *prefix, unsigned len)
{
    nst_ip6_t p = ip6_prefix_of(prefix, len);
    return memcmp(&p, prefix, sizeof p) != 0;
}

static int ip4_host_bits(nst_ip4_t prefix, unsigned len) { return len < 32 && (prefix & (UINT32_MAX >> len)); }

/* Whether gw is a neighbour on the interface: inside its --addr prefix
 * (1 to 30 bits, tap_opts_parse), or for IPv6 link-local or inside its
 * --addr6 prefix (a gateway on no link of nstack's could not be reached). */
static int gw_on_link(const struct tap_opts *o, const struct router_route *rt)
{
    if (rt->family == NST_AF_INET)
        return o->addr && ((rt->gw4 ^ o->addr) & ~(UINT32_MAX >> o->prefix_len)) == 0;
    return nst_ip6_is_link_local(&rt->gw6) || (o->prefix6 && nst_ip6_in_prefix(&rt->gw6, &o->addr6, o->prefix6));
}

/* --route PREFIX/LEN via GW: the prefix is optarg, "via" and GW the next
 * two arguments (taken here: the option string starts with '+', so getopt
 * permutes nothing and resumes after them). 0 or 2 (message printed). */
static int parse_route(struct router *r, const char *prefix, int argc, char **argv)
{
    if (r->n_ifs == 0)
        return nst_cli_bad_usage("router", "--route %s comes before any --tap (it goes out the --tap it follows)",
                                 prefix);
    if (r->n_routes == ROUTER_MAX_ROUTES)
        return nst_cli_bad_usage("router", "at most %d --route", ROUTER_MAX_ROUTES);
    if (optind + 1 >= argc || strcmp(argv[optind], "via"))
        return nst_cli_bad_usage("router", "--route needs PREFIX/LEN via GW, like --route 10.9.0.0/16 via 10.78.2.5");
    const char *gw = argv[optind + 1];
    optind += 2;
    struct router_route rt = {.iface = r->n_ifs - 1};
    uint8_t len = 0;
    if (strchr(prefix, '/') && nst_ip4_parse(prefix, &rt.dst4, &len) == 0) {
        rt.family = NST_AF_INET;
        if (nst_ip4_parse(gw, &rt.gw4, NULL) || rt.gw4 == 0)
            return nst_cli_bad_usage("router", "--route %s needs an IPv4 gateway, not '%s'", prefix, gw);
        if (ip4_host_bits(rt.dst4, len))
            return nst_cli_bad_usage("router", "--route %s has bits set past its /%u", prefix, len);
    } else if (strchr(prefix, '/') && nst_ip6_parse(prefix, &rt.dst6, &len) == 0) {
        rt.family = NST_AF_INET6;
        if (nst_ip6_parse(gw, &rt.gw6, NULL) || nst_ip6_is_multicast(&rt.gw6) || nst_ip6_is_unspecified(&rt.gw6))
            return nst_cli_bad_usage("router", "--route %s needs a unicast IPv6 gateway, not '%s'", prefix, gw);
        if (ip6_host_bits(&rt.dst6, len))
            return nst_cli_bad_usage("router", "--route %s has bits set past its /%u", prefix, len);
    } else {
        return nst_cli_bad_usage("router", "--route needs a prefix like 10.9.0.0/16 or 2001:db8:9::/48, not '%s'",
                                 prefix);
    }
    rt.len = len;
    const struct tap_opts *o = &r->ifs[rt.iface].o;
    if (!gw_on_link(o, &rt))
        return nst_cli_bad_usage("router", "--route %s via %s: the gateway is not on %s's link (inside its --addr%s "
                                           "prefix%s)",
                                 prefix, gw, o->ifname, rt.family == NST_AF_INET ? "" : "6",
                                 rt.family == NST_AF_INET ? "" : ", or link-local");
    r->routes[r->n_routes++] = rt;
    return 0;
}

/* The router's own options. 0 or 2 (message printed). */
static int router_option(struct router *r, int c, int argc, char **argv)
{
    uint64_t v;
    switch (c) {
    case ROUTER_OPT_ROUTE: return parse_route(r, optarg, argc, argv);
    case ROUTER_OPT_ADVERTISE: r->advertise = 1; return 0;
    case ROUTER_OPT_CONTROL: r->control = optarg; return 0;
    case ROUTER_OPT_SECONDS:
        if (nst_cli_parse_u64(optarg, 1, 86400 * 365, &v))
            return nst_cli_bad_usage("router", "--seconds needs a whole number of seconds (1 or more), not '%s'",
                                     optarg);
        r->seconds = v;
        return 0;
    default: return nst_cli_bad_usage("router", "unknown option");
    }
}

/* Parses argv into r. 0, 1 for --help (printed), or 2 (message printed). */
static int parse_args(struct router *r, int argc, char **argv)
{
    static const struct option opts[] = {
        {"tap", required_argument, 0, TAP_OPT_TAP},
        {"addr", required_argument, 0, TAP_OPT_ADDR},
        {"addr6", required_argument, 0, TAP_OPT_ADDR6},
        {"gw", required_argument, 0, TAP_OPT_GW},
        {"gw6", required_argument, 0, TAP_OPT_GW6},
        {"mac", required_argument, 0, TAP_OPT_MAC},
        {"pcap", required_argument, 0, TAP_OPT_PCAP},
        {"pcap-max", required_argument, 0, TAP_OPT_PCAP_MAX},
        {"seed", required_argument, 0, TAP_OPT_SEED},
        {"no-offload", no_argument, 0, TAP_OPT_NO_OFFLOAD},
        {"no-tso", no_argument, 0, TAP_OPT_NO_TSO},
        TAP_IMPAIR_OPTION("loss", 0),
        TAP_IMPAIR_OPTION("duplicate", 1),
        TAP_IMPAIR_OPTION("reorder", 2),
        TAP_IMPAIR_OPTION("delay", 3),
        {"route", required_argument, 0, ROUTER_OPT_ROUTE},
        {"advertise", no_argument, 0, ROUTER_OPT_ADVERTISE},
        {"seconds", required_argument, 0, ROUTER_OPT_SECONDS},
        {"control", required_argument, 0, ROUTER_OPT_CONTROL},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c, idx = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, &idx)) != -1) {
        int rc;
        if (c == 'h') {
            usage();
            return 1;
        }
        if (c == '?')
            return nst_cli_bad_usage("router", "unknown option or missing value");
        if (c == TAP_OPT_TAP) {
            rc = new_iface(r, optarg);
        } else if (iface_option(c)) {
            if (r->n_ifs == 0)
                return nst_cli_bad_usage("router", "--%s comes before any --tap (it sets the --tap it follows)",
                                         opts[idx].name);
            rc = tap_opts_parse("router", c, optarg, &r->ifs[r->n_ifs - 1].o);
        } else {
            rc = router_option(r, c, argc, argv);
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        return nst_cli_bad_usage("router", "unexpected argument '%s'", argv[optind]);
    if (r->n_ifs == 0)
        return nst_cli_bad_usage("router", "--tap IFNAME is required (one per interface, two or more to route)");
    for (int i = 0; i < r->n_ifs; i++) {
        const struct tap_opts *o = &r->ifs[i].o;
        if (!o->addr && !o->prefix6)
            return nst_cli_bad_usage("router", "--tap %s needs --addr A.B.C.D/N, --addr6 ADDR/LEN or both", o->ifname);
        int rc = tap_opts_check("router", o);
        if (rc)
            return rc;
    }
    return 0;
}

/* The --route routes, out of their interfaces. 0 or 1 (message printed). */
static int add_routes(struct router *r)
{
    for (int i = 0; i < r->n_routes; i++) {
        const struct router_route *rt = &r->routes[i];
        int ifindex = r->ifs[rt->iface].ifindex;
        int err = rt->family == NST_AF_INET
                      ? nst_route_add(r->host.st, rt->dst4, rt->len, rt->gw4, ifindex, 0)
                      : nst_route6_add(r->host.st, &rt->dst6, rt->len, &rt->gw6, ifindex, 0);
        if (err) {
            fprintf(stderr, "nstack router: cannot add route %d (out of %s): %s\n", i + 1, r->ifs[rt->iface].o.ifname,
                    strerror(-err));
            return 1;
        }
    }
    return 0;
}

/* RFC 4861 6.2.1: the interface advertises its --addr6 prefix (on-link;
 * autonomous when it is a /64, the length SLAAC takes on Ethernet, RFC 4862
 * 5.5.3 (d)), its MTU (AdvLinkMTU: every host of the link then agrees on
 * it), and nstack as a default router; the other variables the RFC's
 * defaults. advertise 0: stop, with a last RA of router lifetime 0 (6.2.5). */
static int advertise(struct router *r, const struct router_iface *ifc, int on)
{
    struct nst_ra_config c;
    nst_ra_config_default(&c);
    c.advertise = on;
    if (on) {
        struct nst_iface_info ii;
        nst_iface_get(r->host.st, ifc->ifindex, &ii);
        c.link_mtu = ii.mtu;
        c.n_prefixes = 1;
        c.prefix[0] = (struct nst_ra_prefix){.prefix = ip6_prefix_of(&ifc->o.addr6, ifc->o.prefix6),
                                             .len = ifc->o.prefix6,
                                             .onlink = 1,
                                             .autonomous = ifc->o.prefix6 == 64,
                                             .valid_lifetime = 2592000, /* RFC 4861 6.2.1's defaults */
                                             .preferred_lifetime = 604800};
    }
    int err = nst_ip6_ra_config(r->host.st, ifc->ifindex, &c);
    if (err)
        fprintf(stderr, "nstack router: cannot %s advertising on %s: %s\n", on ? "start" : "stop", ifc->o.ifname,
                strerror(-err));
    return err ? 1 : 0;
}

/* The interfaces that advertise: those with a global --addr6. */
static int advertises(const struct router *r, const struct router_iface *ifc)
{
    return r->advertise && ifc->o.prefix6 && !nst_ip6_is_link_local(&ifc->o.addr6);
}

/* The stack, its interfaces, routes and advertisements. 0 or an exit code
 * (message printed). */
static int router_open(struct router *r)
{
    int rc = tap_host_open("router", &r->ifs[0].o, &r->host);
    if (rc)
        return rc;
    r->ifs[0].tap = r->host.tap;
    r->ifs[0].ifindex = r->host.ifindex;
    for (int i = 1; i < r->n_ifs; i++)
        if ((r->ifs[i].ifindex = tap_host_add_tap("router", &r->ifs[i].o, &r->host, &r->ifs[i].tap)) < 0)
            return 1;
    if (add_routes(r))
        return 1;
    /* RFC 4861 4.2: an RA comes from the interface's link-local address,
     * which is not used before DAD passed (RFC 4862 5.4). */
    tap_host_wait_dad(&r->host);
    for (int i = 0; i < r->n_ifs; i++)
        if (advertises(r, &r->ifs[i]) && advertise(r, &r->ifs[i], 1))
            return 1;
    return 0;
}

static void router_close(struct router *r)
{
    /* The run loop last, after every TAP's capture (see tap_host_close). */
    struct nst_runloop *rl = r->host.rl;
    r->host.rl = NULL;
    tap_host_close(&r->host); /* closes the first TAP */
    for (int i = 1; i < r->n_ifs; i++)
        nst_tap_close(r->ifs[i].tap);
    nst_runloop_free(rl);
}

/* What the router did: forwarded, refused, and the ICMP errors that told
 * the senders (fewer than the refusals if rate limiting held some back). */
static void print_forwarding(FILE *out, const struct router *r)
{
    const struct nst_stats *s = nst_stack_stats(r->host.st);
#define U(v) ((unsigned long long)(v))
    fprintf(out, "--- forwarding ---\n");
    fprintf(out, "ipv4: %llu forwarded; %llu TTL expired, %llu too big with DF, %llu no route; ICMP sent: %llu Time "
                 "Exceeded, %llu Destination Unreachable (Fragmentation Needed or no route), %llu rate limited\n",
            U(s->ip_forwarded), U(s->ip_drop_ttl_expired), U(s->ip_drop_df_too_big), U(s->ip_drop_no_route),
            U(s->icmp_tx_time_exceeded), U(s->icmp_tx_dest_unreach), U(s->icmp_rate_limited));
    fprintf(out, "ipv6: %llu forwarded; %llu hop limit expired, %llu too big, %llu no route, %llu link-local; "
                 "ICMPv6 sent: %llu Time Exceeded, %llu Packet Too Big, %llu Destination Unreachable, %llu rate "
                 "limited\n",
            U(s->ip6_forwarded), U(s->ip6_drop_hop_limit), U(s->ip6_drop_too_big), U(s->ip6_drop_no_route),
            U(s->ip6_drop_fwd_link_local), U(s->icmp6_tx_time_exceeded), U(s->icmp6_tx_packet_too_big),
            U(s->icmp6_tx_dest_unreach), U(s->icmp6_rate_limited));
    if (r->advertise)
        fprintf(out, "router advertisements: %llu sent, %llu solicitations received\n", U(s->ndra_ra_sent),
                U(s->ndra_rs_received));
#undef U
    if (nst_cli_counters_wanted())
        nst_cli_print_counters(out, r->host.st);
}

/* Runs until a signal or --seconds. 0, or 1 if a device failed. */
static int router_run(struct router *r, struct nst_control *ctl)
{
    for (int i = 0; i < r->n_ifs; i++) {
        struct tap_host view = {.st = r->host.st, .tap = r->ifs[i].tap, .ifindex = r->ifs[i].ifindex};
        printf("nstack router: ");
        tap_host_describe(stdout, &view);
        printf("%s\n", advertises(r, &r->ifs[i]) ? ", advertising" : "");
    }
    if (ctl)
        printf("nstack router: control socket %s (nstack netstat -s --control %s)\n", r->control, r->control);
    printf("nstack router: ready\n");
    fflush(stdout);
    nst_time_t deadline = r->seconds ? nst_runloop_now(r->host.rl) + NST_SEC(r->seconds) : NST_TIME_NEVER;
    int rc = nst_runloop_run(r->host.rl, deadline, NULL, NULL);
    if (rc < 0 && rc != -EINTR) {
        fprintf(stderr, "nstack router: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}

int nst_cmd_router(int argc, char **argv)
{
    struct router r;
    memset(&r, 0, sizeof r);
    int rc = parse_args(&r, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    struct nst_control *ctl = NULL;
    rc = router_open(&r);
    if (!rc && r.control) {
        int err = nst_control_open(r.host.rl, r.host.st, r.control, &ctl);
        if (err) {
            fprintf(stderr, "nstack router: cannot open the control socket %s: %s\n", r.control, strerror(-err));
            rc = 1;
        }
    }
    if (!rc) {
        rc = router_run(&r, ctl);
        for (int i = 0; i < r.n_ifs; i++)
            if (advertises(&r, &r.ifs[i]))
                advertise(&r, &r.ifs[i], 0);
        print_forwarding(stdout, &r);
        for (int i = 0; i < r.n_ifs; i++)
            tap_print_stats(stdout, r.ifs[i].tap);
    }
    fflush(stdout); /* before the signals are unblocked (see cmd_serve.c) */
    nst_control_close(ctl);
    router_close(&r);
    return rc;
}
