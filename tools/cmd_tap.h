/* The commands that run nstack on a Linux TAP device (nstack serve, nstack
 * ping --tap, nstack router): their shared options and the host they build
 * (a stack, its TAP, a run loop; the router adds more TAPs to it). */
#ifndef NST_TOOLS_CMD_TAP_H
#define NST_TOOLS_CMD_TAP_H

#include <getopt.h>
#include <stdio.h>

#include <nstack/runloop.h>
#include <nstack/tap.h>
#include <nstack/rss.h>
#include <nstack/xdp.h>

struct tap_opts {
    const char *ifname;         /* --tap */
    nst_ip4_t addr;             /* --addr A.B.C.D/N */
    uint8_t prefix_len;
    nst_ip4_t gw;               /* --gw: default route; 0: none */
    struct nst_mac mac;         /* --mac; default 02:6e:<the four address bytes> */
    int have_mac;
    const char *pcap;           /* --pcap FILE */
    uint64_t pcap_max;          /* --pcap-max FRAMES: the capture's first frames only; 0: all */
    uint64_t seed;              /* --seed: the impairment generator */
    struct nst_tap_impair tx, rx; /* --loss/--delay/--duplicate/--reorder, --tx-X, --rx-X */
    int no_offload;             /* --no-offload: plain frames, no vnet header */
    int no_tso;                 /* --no-tso: one TCP segment per frame written */
    int ecn;                    /* --ecn 0|1|2: the stack's tcp.ecn (RFC 3168); -1: its default */
    /* --xdp IFNAME[:QUEUE]: the AF_XDP driver instead of a TAP (NULL: a TAP). */
    const char *xdp_ifname;
    char xdp_ifname_buf[16];
    unsigned queue;             /* --xdp IF:QUEUE, or the queue of one of serve --queues' stacks */
    int xdp_copy;               /* --xdp-copy: copy mode even where zero-copy works */
    int xdp_generic;            /* --xdp-generic: the XDP program in generic (SKB) mode */
    /* --queues N: the NIC spreads flows over queues 0..N-1 by RSS (<nstack/rss.h>);
     * serve runs a stack on each, a client's stack (on --xdp's queue) picks
     * ports whose replies come back to it. With --tap, serve opens the
     * multi-queue TAP N times, a stack per queue. 0: one queue. */
    unsigned queues;
    struct nst_xdp_program *xdp_program; /* another host's program to share (serve --queues) */
    struct nst_tap_group *tap_group;     /* serve --tap --queues: the device's queues */
    int no_signals;             /* the caller takes SIGINT/SIGTERM (serve --queues' main thread) */
    int rack;                   /* --rack 0|1: the stack's tcp.rack (RFC 8985); -1: its default */
    /* IPv6: on by default on a TAP (a link-local address, DAD, router
     * solicitation: SLAAC from a router on the kernel side), off with
     * --no-ipv6 and on AF_XDP (its program takes IPv4 only). */
    int no_ipv6;                /* --no-ipv6 */
    nst_ip6_t addr6;            /* --addr6 ADDR/LEN: a static address */
    uint8_t prefix6;            /* 0: no --addr6 */
    nst_ip6_t gw6;              /* --gw6 ADDR: the IPv6 default route */
    int have_gw6;
    int forwarding;             /* nstack router: the stack forwards between its interfaces */
    int ip6_temp;               /* --ip6-temp 0|1|2: the stack's ip6_temp_addrs (RFC 8981) */
};

/* Long option codes of the TAP options (above any short option). */
enum {
    TAP_OPT_TAP = 256,
    TAP_OPT_ADDR,
    TAP_OPT_GW,
    TAP_OPT_MAC,
    TAP_OPT_PCAP,
    TAP_OPT_SEED,
    TAP_OPT_PCAP_MAX,
    TAP_OPT_NO_OFFLOAD,
    TAP_OPT_ECN,
    TAP_OPT_NO_TSO,
    TAP_OPT_XDP,
    TAP_OPT_XDP_COPY,
    TAP_OPT_XDP_GENERIC,
    TAP_OPT_QUEUES,
    TAP_OPT_RACK,
    TAP_OPT_ADDR6,
    TAP_OPT_GW6,
    TAP_OPT_NO_IPV6,
    TAP_OPT_IP6_TEMP,
    /* Impairments: TAP_OPT_IMPAIR + kind * 3 + (0 both, 1 tx, 2 rx). */
    TAP_OPT_IMPAIR = 300,
};

#define TAP_IMPAIR_OPTION(name, kind)                                                      \
    {name, required_argument, 0, TAP_OPT_IMPAIR + (kind) * 3},                             \
    {"tx-" name, required_argument, 0, TAP_OPT_IMPAIR + (kind) * 3 + 1},                   \
    {"rx-" name, required_argument, 0, TAP_OPT_IMPAIR + (kind) * 3 + 2}

/* The struct option entries every TAP command accepts (no terminator). */
#define TAP_LONG_OPTIONS                                                                    \
    {"tap", required_argument, 0, TAP_OPT_TAP}, {"addr", required_argument, 0, TAP_OPT_ADDR}, \
    {"gw", required_argument, 0, TAP_OPT_GW},   {"mac", required_argument, 0, TAP_OPT_MAC},   \
    {"pcap", required_argument, 0, TAP_OPT_PCAP}, {"seed", required_argument, 0, TAP_OPT_SEED}, \
    {"pcap-max", required_argument, 0, TAP_OPT_PCAP_MAX},                                     \
    {"no-offload", no_argument, 0, TAP_OPT_NO_OFFLOAD},                                       \
    {"ecn", required_argument, 0, TAP_OPT_ECN},                                               \
    {"no-tso", no_argument, 0, TAP_OPT_NO_TSO},                                               \
    {"xdp", required_argument, 0, TAP_OPT_XDP},                                               \
    {"xdp-copy", no_argument, 0, TAP_OPT_XDP_COPY},                                           \
    {"xdp-generic", no_argument, 0, TAP_OPT_XDP_GENERIC},                                     \
    {"queues", required_argument, 0, TAP_OPT_QUEUES},                                         \
    {"rack", required_argument, 0, TAP_OPT_RACK},                                             \
    {"addr6", required_argument, 0, TAP_OPT_ADDR6}, {"gw6", required_argument, 0, TAP_OPT_GW6}, \
    {"no-ipv6", no_argument, 0, TAP_OPT_NO_IPV6},                                             \
    {"ip6-temp", required_argument, 0, TAP_OPT_IP6_TEMP},                                     \
    TAP_IMPAIR_OPTION("loss", 0), TAP_IMPAIR_OPTION("duplicate", 1), TAP_IMPAIR_OPTION("reorder", 2), \
    TAP_IMPAIR_OPTION("delay", 3)

extern const char tap_opts_help[];

void tap_opts_default(struct tap_opts *o);
/* Handles option c (with optarg). 0 if it was a TAP option and is fine, 2
 * (bad usage, message printed) if its value is wrong, -1 if c is not a TAP
 * option. */
int tap_opts_parse(const char *cmd, int c, const char *arg, struct tap_opts *o);
/* --tap (or --xdp) and an address (--addr, or --addr6 on a TAP with IPv6)
 * are required. 0 or 2 (message printed). */
int tap_opts_check(const char *cmd, const struct tap_opts *o);
/* Whether the host speaks IPv6: a single-queue TAP without --no-ipv6. */
int tap_opts_ipv6(const struct tap_opts *o);
/* Whether the host can reach something of that family (what: the argument
 * that names it, like "DEST 10.0.0.1", for the message): IPv6 needs IPv6
 * on, IPv4 an --addr.
 * 0 or 2 (bad usage, message printed). */
int tap_opts_check_family(const char *cmd, const struct tap_opts *o, int family, const char *what);

/* The host's link is a TAP or an AF_XDP socket (one of tap, xdp). */
struct tap_host {
    struct nst_stack *st;
    struct nst_tap *tap;
    struct nst_xdp *xdp;
    struct nst_runloop *rl;
    int ifindex;
    unsigned queue;             /* its queue (serve --queues, --xdp IF:Q) */
    struct nst_rss rss;         /* with --queues: this stack's queue, for port steering */
};

/* Builds the host: a stack with an interface on the TAP, the default route,
 * a run loop catching SIGINT/SIGTERM. 0, or an exit code (message printed). */
int tap_host_open(const char *cmd, const struct tap_opts *o, struct tap_host *h);
/* Another TAP on the host's stack (nstack router: an interface per TAP):
 * opens o's TAP, adds its interface with o's addresses and gateways as
 * tap_host_open does for the first, and has the host's run loop drive it
 * too. Its ifindex, or -1 (message printed). *tap (NULL if it could not
 * be opened) is the caller's to close, after tap_host_close. */
int tap_host_add_tap(const char *cmd, const struct tap_opts *o, struct tap_host *h, struct nst_tap **tap);
void tap_host_close(struct tap_host *h);
/* Runs the host until none of its IPv6 addresses (on any of its interfaces)
 * is under duplicate address detection (RFC 4862 5.4: none is used before;
 * a second or two), 5 s at most. */
void tap_host_wait_dad(struct tap_host *h);
/* One line per direction: frames, bytes, errors and what the impairment did;
 * then the stack's TCP counters (segments, retransmissions, resets). */
void tap_host_print_stats(FILE *out, const struct tap_host *h);
/* The driver's part of that for one TAP: the two directions, the offloads. */
void tap_print_stats(FILE *out, const struct nst_tap *tap);
/* A one-line description: "10.77.0.2/24 on tap0 (02:6e:0a:4d:00:02)". */
void tap_host_describe(FILE *out, const struct tap_host *h);

#endif
