/* nstack on a Linux TAP device: the options and host shared by `nstack
 * serve` (cmd_serve.c) and `nstack ping --tap`, which is here. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nstack/lab.h>
#include <nstack/socket.h>
#include <nstack/stats.h>

#include "tools/cli.h"
#include "tools/cmd_tap.h"
#include "tools/counters.h"
#include "wire/ipv6.h"

const char tap_opts_help[] =
    "  --tap IFNAME    the TAP device to use (created if missing; see scripts/netns.sh)\n"
    "  --addr A.B.C.D/N  nstack's address on it (this, --addr6 or both)\n"
    "  --gw A.B.C.D    default gateway\n"
    "  --addr6 ADDR/LEN  a static IPv6 address (after duplicate address detection)\n"
    "  --gw6 ADDR      IPv6 default gateway (else the routers that advertise themselves)\n"
    "  --no-ipv6       IPv4 only (by default a TAP host speaks IPv6 too: a link-local address,\n"
    "                  SLAAC from router advertisements; AF_XDP and --queues are IPv4 only)\n"
    "  --ip6-temp 0|1|2  RFC 8981 temporary addresses beside the SLAAC ones (Linux's\n"
    "                  use_tempaddr): 0 none (default), 1 made, 2 made and preferred as source\n"
    "  --mac MAC       nstack's MAC address (default 02:6e: and the last four address bytes;\n"
    "                  with --xdp, the interface's own)\n"
    "  --pcap FILE     capture what crosses the device (both ways) to FILE (serve --queues N:\n"
    "                  FILE.0 .. FILE.N-1, one per stack)\n"
    "  --pcap-max N    capture only the first N frames (a slice of a long run)\n"
    "  --no-offload    no vnet header: plain frames, one per read (by default the kernel's\n"
    "                  checksum and TCP segmentation offloads are on: up to 64 KB per read\n"
    "                  or write)\n"
    "  --no-tso        with the vnet header, still one TCP segment per frame written (what a\n"
    "                  reader of the device sees as segments, before the kernel's GSO)\n"
    "  --ecn MODE      TCP ECN (RFC 3168): 0 off, 1 ask and accept, 2 accept when asked (default)\n"
    "  --xdp IFNAME[:QUEUE]  AF_XDP on an existing interface's queue (default 0) instead of a\n"
    "                  TAP: only nstack's frames (IPv4 to --addr, ARP about it) are taken from\n"
    "                  the kernel (docs/XDP.md)\n"
    "  --xdp-copy      copy mode even where the driver can do zero-copy\n"
    "  --xdp-generic   run the XDP program in generic mode (any device) rather than native\n"
    "  --queues N      with --xdp: the NIC spreads flows over queues 0..N-1 by RSS (Toeplitz,\n"
    "                  default key); serve runs one stack per queue (a thread each), a client\n"
    "                  picks ports whose replies reach its own --xdp queue. With --tap (serve):\n"
    "                  a multi-queue TAP (ip tuntap add ... multi_queue), a stack per queue\n"
    "  --rack 0|1      TCP loss detection: 1 RACK-TLP (RFC 8985, the default), 0 RFC 6675 DupThresh\n"
    "Impairments in the driver, both directions, or one with tx- (nstack -> kernel) or rx-:\n"
    "  --loss P, --duplicate P, --reorder P   probabilities, 0..1\n"
    "  --delay MS      fixed delay in milliseconds\n"
    "  --seed N        seed of the impairment generator (default 1)\n";

void tap_opts_default(struct tap_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->ecn = -1;
    o->rack = -1;
}

static int parse_mac(const char *s, struct nst_mac *m)
{
    unsigned b[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        m->b[i] = (uint8_t)b[i];
    /* A multicast source address is not an address a host may have. */
    return (m->b[0] & 1) ? -EINVAL : 0;
}

static const char *const impair_names[] = {"loss", "duplicate", "reorder", "delay"};

/* --loss, --tx-delay, ...: kind 0-2 are probabilities, 3 the delay in ms. */
static int parse_impair(const char *cmd, int code, const char *arg, struct tap_opts *o)
{
    int kind = (code - TAP_OPT_IMPAIR) / 3, dir = (code - TAP_OPT_IMPAIR) % 3;
    const char *prefix = dir == 1 ? "tx-" : dir == 2 ? "rx-" : "";
    double v;
    if (kind == 3 ? nst_cli_parse_double(arg, 0, 3600e3, &v) : nst_cli_parse_double(arg, 0, 1, &v))
        return nst_cli_bad_usage(cmd, "--%s%s needs %s, not '%s'", prefix, impair_names[kind],
                                 kind == 3 ? "milliseconds (0 to 3600000)" : "a probability between 0 and 1", arg);
    struct nst_tap_impair *dirs[2] = {&o->tx, &o->rx};
    for (int d = 0; d < 2; d++) {
        if (dir != 0 && dir != d + 1)
            continue;
        struct nst_tap_impair *im = dirs[d];
        switch (kind) {
        case 0: im->loss = v; break;
        case 1: im->duplicate = v; break;
        case 2: im->reorder = v; break;
        default: im->delay = (nst_time_t)(v * 1e6); break;
        }
    }
    return 0;
}

/* --xdp IFNAME[:QUEUE] */
static int parse_xdp(const char *cmd, const char *arg, struct tap_opts *o)
{
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    uint64_t q = 0;
    if (n == 0 || n > 15 || (colon && nst_cli_parse_u64(colon + 1, 0, NST_XDP_MAX_QUEUES - 1, &q)))
        return nst_cli_bad_usage(cmd, "--xdp needs IFNAME or IFNAME:QUEUE (queue 0 to %d), not '%s'",
                                 NST_XDP_MAX_QUEUES - 1, arg);
    memcpy(o->xdp_ifname_buf, arg, n);
    o->xdp_ifname_buf[n] = 0;
    o->xdp_ifname = o->xdp_ifname_buf;
    o->queue = (unsigned)q;
    return 0;
}

int tap_opts_parse(const char *cmd, int c, const char *arg, struct tap_opts *o)
{
    uint64_t v;
    switch (c) {
    case TAP_OPT_TAP:
        if (!*arg || strlen(arg) > 15)
            return nst_cli_bad_usage(cmd, "--tap needs an interface name of 1 to 15 characters, not '%s'", arg);
        o->ifname = arg;
        return 0;
    case TAP_OPT_ADDR:
        if (nst_ip4_parse(arg, &o->addr, &o->prefix_len) || !strchr(arg, '/') || o->addr == 0 ||
            o->prefix_len == 0 || o->prefix_len > 30)
            return nst_cli_bad_usage(cmd, "--addr needs an address and prefix like 10.77.0.2/24, not '%s'", arg);
        return 0;
    case TAP_OPT_GW:
        if (nst_ip4_parse(arg, &o->gw, NULL))
            return nst_cli_bad_usage(cmd, "--gw needs an address like 10.77.0.1, not '%s'", arg);
        return 0;
    case TAP_OPT_ADDR6:
        o->prefix6 = 0;
        if (!strchr(arg, '/') || nst_ip6_parse(arg, &o->addr6, &o->prefix6) || o->prefix6 == 0 ||
            nst_ip6_is_multicast(&o->addr6) || nst_ip6_is_unspecified(&o->addr6) || nst_ip6_is_loopback(&o->addr6))
            return nst_cli_bad_usage(cmd, "--addr6 needs an address and prefix like 2001:db8:77::2/64, not '%s'",
                                     arg);
        return 0;
    case TAP_OPT_GW6:
        if (nst_ip6_parse(arg, &o->gw6, NULL) || nst_ip6_is_multicast(&o->gw6) || nst_ip6_is_unspecified(&o->gw6) ||
            nst_ip6_is_loopback(&o->gw6))
            return nst_cli_bad_usage(cmd, "--gw6 needs a unicast address like fe80::1 or 2001:db8:77::1, not '%s'",
                                     arg);
        o->have_gw6 = 1;
        return 0;
    case TAP_OPT_NO_IPV6:
        o->no_ipv6 = 1;
        return 0;
    case TAP_OPT_IP6_TEMP:
        if (nst_cli_parse_u64(arg, 0, 2, &v))
            return nst_cli_bad_usage(cmd, "--ip6-temp needs 0 (none), 1 (made) or 2 (made, preferred), not '%s'",
                                     arg);
        o->ip6_temp = (int)v;
        return 0;
    case TAP_OPT_MAC:
        if (parse_mac(arg, &o->mac))
            return nst_cli_bad_usage(cmd, "--mac needs a unicast MAC like 02:00:00:00:00:01, not '%s'", arg);
        o->have_mac = 1;
        return 0;
    case TAP_OPT_PCAP: o->pcap = arg; return 0;
    case TAP_OPT_NO_OFFLOAD:
        o->no_offload = 1;
        return 0;
    case TAP_OPT_NO_TSO:
        o->no_tso = 1;
        return 0;
    case TAP_OPT_XDP: return parse_xdp(cmd, arg, o);
    case TAP_OPT_XDP_COPY:
        o->xdp_copy = 1;
        return 0;
    case TAP_OPT_XDP_GENERIC:
        o->xdp_generic = 1;
        return 0;
    case TAP_OPT_QUEUES:
        if (nst_cli_parse_u64(arg, 1, NST_XDP_MAX_QUEUES, &v))
            return nst_cli_bad_usage(cmd, "--queues needs a count from 1 to %d, not '%s'", NST_XDP_MAX_QUEUES, arg);
        o->queues = (unsigned)v;
        return 0;
    case TAP_OPT_ECN:
        if (nst_cli_parse_u64(arg, 0, 2, &v))
            return nst_cli_bad_usage(cmd, "--ecn needs 0 (off), 1 (ask and accept) or 2 (accept), not '%s'", arg);
        o->ecn = (int)v;
        return 0;
    case TAP_OPT_RACK:
        if (nst_cli_parse_u64(arg, 0, 1, &v))
            return nst_cli_bad_usage(cmd, "--rack needs 0 (RFC 6675 DupThresh) or 1 (RACK-TLP), not '%s'", arg);
        o->rack = (int)v;
        return 0;
    case TAP_OPT_PCAP_MAX:
        if (nst_cli_parse_u64(arg, 1, UINT64_MAX, &v))
            return nst_cli_bad_usage(cmd, "--pcap-max needs a number of frames (1 or more), not '%s'", arg);
        o->pcap_max = v;
        return 0;
    case TAP_OPT_SEED:
        if (nst_cli_parse_u64(arg, 0, UINT64_MAX, &v))
            return nst_cli_bad_usage(cmd, "--seed needs a non-negative integer, not '%s'", arg);
        o->seed = v;
        return 0;
    default:
        if (c >= TAP_OPT_IMPAIR && c < TAP_OPT_IMPAIR + 12)
            return parse_impair(cmd, c, arg, o);
        return -1;
    }
}

/* IPv6 runs on a single-queue TAP: AF_XDP's program passes IPv4 only, and
 * the stacks of a multi-queue TAP share one address (their duplicate
 * address detection would find each other). */
int tap_opts_ipv6(const struct tap_opts *o) { return !o->no_ipv6 && !o->xdp_ifname && o->queues <= 1; }

/* The option that keeps the host IPv4 only (when tap_opts_ipv6 says so). */
static const char *ipv6_off_by(const struct tap_opts *o)
{
    if (o->no_ipv6)
        return "--no-ipv6";
    return o->xdp_ifname ? "--xdp (its program passes IPv4 only)" : "--queues (a multi-queue TAP is IPv4 only)";
}

int tap_opts_check_family(const char *cmd, const struct tap_opts *o, int family, const char *what)
{
    if (family == NST_AF_INET6 && !tap_opts_ipv6(o))
        return nst_cli_bad_usage(cmd, "%s needs IPv6, which %s turns off", what, ipv6_off_by(o));
    if (family != NST_AF_INET6 && !o->addr)
        return nst_cli_bad_usage(cmd, "%s needs IPv4: give --addr A.B.C.D/N", what);
    return 0;
}

int tap_opts_check(const char *cmd, const struct tap_opts *o)
{
    if (!o->ifname && !o->xdp_ifname)
        return nst_cli_bad_usage(cmd, "--tap IFNAME (or --xdp IFNAME[:QUEUE]) is required");
    if (o->ifname && o->xdp_ifname)
        return nst_cli_bad_usage(cmd, "--tap and --xdp exclude each other: one link");
    if (o->queues && o->queue >= o->queues)
        return nst_cli_bad_usage(cmd, "--xdp's queue %u is not among the %u queues", o->queue, o->queues);
    if (o->xdp_ifname && o->pcap)
        return nst_cli_bad_usage(cmd, "--pcap is a TAP option (capture an AF_XDP link with tcpdump on the peer)");
    if ((o->prefix6 || o->have_gw6) && !tap_opts_ipv6(o))
        return nst_cli_bad_usage(cmd, "--addr6 and --gw6 need IPv6, which %s turns off", ipv6_off_by(o));
    /* A gateway is a neighbour: on the link by its link-local address, or
     * inside the prefix of --addr6 (as Linux refuses a route whose gateway
     * is on no link). */
    if (o->have_gw6 && !nst_ip6_is_link_local(&o->gw6) &&
        !(o->prefix6 && nst_ip6_in_prefix(&o->gw6, &o->addr6, o->prefix6))) {
        char g[NST_IP6_STRLEN];
        return nst_cli_bad_usage(cmd, "--gw6 %s is on no link of nstack's: give its link-local address (fe80::...)"
                                      " or one inside --addr6's prefix",
                                 nst_ip6_str(&o->gw6, g));
    }
    if (!o->addr && !o->prefix6)
        return nst_cli_bad_usage(cmd, "--addr A.B.C.D/N (or --addr6 ADDR/LEN) is required");
    if (!o->addr && o->xdp_ifname)
        return nst_cli_bad_usage(cmd, "--addr A.B.C.D/N is required with --xdp");
    return 0;
}

/* 02 (locally administered, unicast), 6e ('n'), then the IPv4 address (or
 * the IPv6 one's last four bytes): stable across runs, and two nstack
 * hosts on one segment differ. */
static struct nst_mac default_mac(const struct tap_opts *o)
{
    const uint8_t *b = o->addr6.b + 12;
    nst_ip4_t a = o->addr ? o->addr : NST_IP4(b[0], b[1], b[2], b[3]);
    struct nst_mac m = {{0x02, 0x6e, (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a}};
    return m;
}

/* --addr6 and --gw6 once the interface is up. 0 or 1 (message printed). */
static int iface_ipv6(const char *cmd, const struct tap_opts *o, struct nst_stack *st, int ifindex)
{
    int err = o->prefix6 ? nst_iface_addr6_add(st, ifindex, &o->addr6, o->prefix6) : 0;
    if (err) {
        fprintf(stderr, "nstack %s: cannot add the IPv6 address: %s\n", cmd, strerror(-err));
        return 1;
    }
    static const nst_ip6_t any;
    err = o->have_gw6 ? nst_route6_add(st, &any, 0, &o->gw6, ifindex, 0) : 0;
    if (err) {
        fprintf(stderr, "nstack %s: cannot add the IPv6 default route: %s\n", cmd, strerror(-err));
        return 1;
    }
    return 0;
}

/* The interface of a link (a TAP, or with xdp an AF_XDP socket) on st, with
 * o's addresses and gateways. Its ifindex, or -1 (message printed). */
static int add_iface(const char *cmd, const struct tap_opts *o, struct nst_stack *st, struct nst_tap *tap,
                     struct nst_xdp *xdp)
{
    struct nst_iface_config ic = {.addr = o->addr, .prefix_len = o->prefix_len};
    ic.mac = o->have_mac ? o->mac : default_mac(o);
    /* On AF_XDP the interface's own MAC: a NIC passes up only frames to it
     * (nstack and the kernel then share it; the XDP program tells their
     * frames apart by IP address). */
    if (xdp && !o->have_mac && nst_xdp_kernel_mac(xdp, &ic.mac) < 0)
        ic.mac = default_mac(o);
    int ifindex = xdp ? nst_xdp_attach(xdp, st, &ic) : nst_tap_attach(tap, st, &ic);
    if (ifindex < 0) {
        fprintf(stderr, "nstack %s: cannot add the interface: %s\n", cmd, strerror(-ifindex));
        return -1;
    }
    if (iface_ipv6(cmd, o, st, ifindex))
        return -1;
    if (o->gw) {
        int err = nst_route_add(st, 0, 0, o->gw, ifindex, 0);
        if (err) {
            fprintf(stderr, "nstack %s: cannot add the default route via the gateway: %s\n", cmd, strerror(-err));
            return -1;
        }
    }
    return ifindex;
}

static int host_stack(const char *cmd, const struct tap_opts *o, struct tap_host *h)
{
    struct nst_stack_config sc;
    nst_stack_config_default(&sc);
    sc.name = "nstack";
    /* A real network: ISNs, ports and hash keys come from OS entropy (the
     * default; never opt into deterministic here). */
    if (o->ecn >= 0)
        sc.tcp.ecn = o->ecn;
    if (o->queues > 1 && o->xdp_ifname) {
        nst_rss_init(&h->rss, o->queues, 128, o->queue);
        sc.port_steer = nst_rss_port_steer;
        sc.port_steer_arg = &h->rss;
    }
    if (o->rack >= 0)
        sc.tcp.rack = o->rack;
    sc.ip6_temp_addrs = o->ip6_temp;
    sc.ipv6 = tap_opts_ipv6(o);
    sc.forwarding = o->forwarding;
    h->st = nst_stack_new(&sc);
    if (!h->st) {
        fprintf(stderr, "nstack %s: cannot create the stack (no entropy, or out of memory)\n", cmd);
        return 1;
    }
    h->ifindex = add_iface(cmd, o, h->st, h->tap, h->xdp);
    return h->ifindex < 0 ? 1 : 0;
}

/* The kernel turns a TAP's carrier on asynchronously, up to a second after
 * the device is opened, and drops what it sends on it until then (its ARP
 * replies, its pings): wait for that, 3 s at most, handling frames meanwhile. */
static void wait_kernel_side(const char *cmd, struct tap_host *h, const struct nst_tap *tap)
{
    int up = 0, state;
    nst_time_t until = nst_runloop_now(h->rl) + NST_SEC(3);
    while ((state = nst_tap_kernel_state(tap, &up)) == 0 && up && nst_runloop_now(h->rl) < until)
        if (nst_runloop_run(h->rl, nst_runloop_now(h->rl) + NST_MSEC(5), NULL, NULL) < 0)
            return;
    if (state == 0 && !up)
        fprintf(stderr, "nstack %s: warning: %s is down on the kernel side; nothing gets through until "
                        "'ip link set dev %s up'\n", cmd, nst_tap_name(tap), nst_tap_name(tap));
}

/* The link: an AF_XDP socket on --xdp's queue. 0 or 1 (message printed). */
static int open_xdp(const char *cmd, const struct tap_opts *o, struct tap_host *h)
{
    struct nst_xdp_config xc;
    nst_xdp_config_default(&xc);
    xc.ifname = o->xdp_ifname;
    xc.queue = o->queue;
    xc.addr = o->addr;
    xc.copy = o->xdp_copy;
    xc.mode = o->xdp_generic ? NST_XDP_MODE_GENERIC : NST_XDP_MODE_AUTO;
    xc.seed = o->seed;
    xc.tx = o->tx;
    xc.rx = o->rx;
    xc.program = o->xdp_program;
    char why[512];
    int err = nst_xdp_open(&xc, &h->xdp, why, sizeof(why));
    if (err)
        fprintf(stderr, "nstack %s: %s\n", cmd, why);
    return err ? 1 : 0;
}

/* The link: a TAP. 0 or 1 (message printed). */
static int open_tap(const char *cmd, const struct tap_opts *o, struct nst_tap **tap)
{
    struct nst_tap_config tc;
    nst_tap_config_default(&tc);
    tc.ifname = o->ifname;
    tc.pcap_path = o->pcap;
    tc.pcap_offset = nst_runloop_wall_offset();
    tc.pcap_max_frames = o->pcap_max;
    tc.seed = o->seed;
    tc.tx = o->tx;
    tc.rx = o->rx;
    tc.vnet_hdr = !o->no_offload;
    tc.tso = !o->no_tso;
    tc.multi_queue = o->queues > 1;
    tc.group = o->tap_group;
    tc.group_slot = o->queue;
    char why[512];
    int err = nst_tap_open(&tc, tap, why, sizeof(why));
    if (err)
        fprintf(stderr, "nstack %s: %s\n", cmd, why);
    return err ? 1 : 0;
}

int tap_host_open(const char *cmd, const struct tap_opts *o, struct tap_host *h)
{
    memset(h, 0, sizeof(*h));
    h->queue = o->queue;
    int rc = o->xdp_ifname ? open_xdp(cmd, o, h) : open_tap(cmd, o, &h->tap);
    if (rc)
        return rc;
    rc = host_stack(cmd, o, h);
    if (rc)
        return rc;
    int err = nst_runloop_new(h->st, &h->rl);
    if (!err)
        err = h->xdp ? nst_runloop_add_xdp(h->rl, h->xdp) : nst_runloop_add_tap(h->rl, h->tap);
    if (!err && !o->no_signals)
        err = nst_runloop_catch_signals(h->rl);
    if (err) {
        fprintf(stderr, "nstack %s: cannot set up the run loop: %s\n", cmd, strerror(-err));
        return 1;
    }
    if (h->tap)
        wait_kernel_side(cmd, h, h->tap);
    /* One turn of the loop (deadline already past) gives the stack the
     * current time: a socket call made before the first turn would stamp
     * its segments, and arm their timers, at time 0 -- a SYN sent then is
     * retransmitted at once by the first poll, its RTO long expired. */
    if (nst_runloop_run(h->rl, 0, NULL, NULL) < 0)
        return 1;
    return 0;
}

int tap_host_add_tap(const char *cmd, const struct tap_opts *o, struct tap_host *h, struct nst_tap **tap)
{
    *tap = NULL;
    if (open_tap(cmd, o, tap))
        return -1;
    int ifindex = add_iface(cmd, o, h->st, *tap, NULL);
    if (ifindex < 0)
        return -1;
    int err = nst_runloop_add_tap(h->rl, *tap);
    if (err) {
        fprintf(stderr, "nstack %s: cannot drive %s from the run loop: %s\n", cmd, o->ifname, strerror(-err));
        return -1;
    }
    wait_kernel_side(cmd, h, *tap);
    return ifindex;
}

/* The run loop goes last: freeing it lets SIGINT/SIGTERM in again, and a
 * second one already pending (timeout(1) sends its signal to the process
 * and again to its group; a Ctrl-C and a harness's SIGTERM) ends the
 * process at once -- before a capture still open had written its buffer,
 * leaving the file cut in the middle of a record. */
void tap_host_close(struct tap_host *h)
{
    nst_stack_free(h->st);
    nst_tap_close(h->tap);
    nst_xdp_close(h->xdp);
    nst_runloop_free(h->rl);
    memset(h, 0, sizeof(*h));
}

static void print_dir(FILE *out, const char *name, const struct nst_tap_dir_stats *d)
{
    fprintf(out, "%s: %llu frames, %llu bytes, %llu errors; impairment: %llu lost, %llu duplicated, "
                 "%llu reordered, %llu delayed, %llu dropped (hold full)\n",
            name, (unsigned long long)d->frames, (unsigned long long)d->bytes, (unsigned long long)d->errors,
            (unsigned long long)d->lost, (unsigned long long)d->duplicated, (unsigned long long)d->reordered,
            (unsigned long long)d->delayed, (unsigned long long)d->hold_drops);
}

static void print_tcp(FILE *out, const struct tap_host *h)
{
    const struct nst_stats *ts = nst_stack_stats(h->st);
    fprintf(out, "tcp: %llu segments out, %llu in; %llu retransmitted (%llu fast, %llu timeouts); "
                 "%llu resets out, %llu in\n",
            (unsigned long long)ts->tcp_tx_segments, (unsigned long long)ts->tcp_rx_segments,
            (unsigned long long)ts->tcp_retransmits, (unsigned long long)ts->tcp_fast_retransmits,
            (unsigned long long)ts->tcp_rto_timeouts, (unsigned long long)ts->tcp_tx_resets,
            (unsigned long long)ts->tcp_rx_resets);
    fprintf(out, "rack: %llu marked lost, %llu tail loss probes, %llu losses repaired by a probe\n",
            (unsigned long long)ts->tcp_rack_marked_lost, (unsigned long long)ts->tcp_tlp_probes,
            (unsigned long long)ts->tcp_tlp_recoveries);
    if (nst_cli_counters_wanted())
        nst_cli_print_counters(out, h->st);
}

static void print_xdp_stats(FILE *out, const struct tap_host *h)
{
    const struct nst_xdp_stats *s = nst_xdp_stats(h->xdp);
    fprintf(out, "--- %s queue %u statistics (AF_XDP, %s mode, XDP %s) ---\n", nst_xdp_name(h->xdp),
            nst_xdp_queue(h->xdp), nst_xdp_zerocopy(h->xdp) ? "zero-copy" : "copy",
            nst_xdp_native(h->xdp) ? "native" : "generic");
    print_dir(out, "tx (nstack -> kernel)", &s->tx);
    print_dir(out, "rx (kernel -> nstack)", &s->rx);
    fprintf(out, "xdp: %llu wake-ups, %llu sends with the ring full; kernel: %llu rx dropped, %llu rx ring "
                 "full, %llu fill ring empty, %llu invalid descriptors\n",
            (unsigned long long)s->kicks, (unsigned long long)s->tx_ring_full, (unsigned long long)s->k_rx_dropped,
            (unsigned long long)s->k_rx_ring_full, (unsigned long long)s->k_fill_empty,
            (unsigned long long)(s->k_rx_invalid + s->k_tx_invalid));
    if (s->arp_shared || s->arp_from_others || s->arp_inbox_drops)
        fprintf(out, "arp between stacks: %llu copied to the others, %llu taken from them, %llu lost (inbox full)\n",
                (unsigned long long)s->arp_shared, (unsigned long long)s->arp_from_others,
                (unsigned long long)s->arp_inbox_drops);
    print_tcp(out, h);
}

void tap_print_stats(FILE *out, const struct nst_tap *tap)
{
    const struct nst_tap_stats *s = nst_tap_stats(tap);
    fprintf(out, "--- %s statistics ---\n", nst_tap_name(tap));
    print_dir(out, "tx (nstack -> kernel)", &s->tx);
    print_dir(out, "rx (kernel -> nstack)", &s->rx);
    if (nst_tap_vnet(tap))
        fprintf(out,
                "offloads: %llu GSO frames cut into %llu segments, %llu checksums finished, %llu refused; "
                "%llu checksums left to the kernel, %llu TSO frames (%llu segments)\n",
                (unsigned long long)s->rx.gso_frames, (unsigned long long)s->rx.gso_segments,
                (unsigned long long)s->rx.csum_finished, (unsigned long long)s->rx.vnet_bad,
                (unsigned long long)s->tx.csum_finished, (unsigned long long)s->tx.gso_frames,
                (unsigned long long)s->tx.gso_segments);
    else
        fprintf(out, "offloads: off\n");
    if (s->pcap_frames || s->pcap_errors)
        fprintf(out, "capture: %llu frames%s\n", (unsigned long long)s->pcap_frames,
                s->pcap_errors ? ", then stopped by a write error" : "");
    if (nst_tap_group_fd(tap) >= 0) {
        uint64_t shared, taken;
        nst_tap_group_counts(tap, &shared, &taken);
        fprintf(out, "arp between stacks: %llu copied to the others, %llu taken from them\n",
                (unsigned long long)shared, (unsigned long long)taken);
    }
}

void tap_host_print_stats(FILE *out, const struct tap_host *h)
{
    if (h->xdp) {
        print_xdp_stats(out, h);
        return;
    }
    tap_print_stats(out, h->tap);
    print_tcp(out, h);
}

/* The interface's IPv6 addresses inside its parentheses: "; IPv6
 * fe80::.../64 2001:db8::2/64" (tentative ones too: DAD may still run). */
static void describe_addr6(FILE *out, const struct tap_host *h)
{
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    char a[NST_IP6_STRLEN];
    int n = nst_iface_addr6_list(h->st, h->ifindex, v, NST_IP6_MAX_ADDRS);
    for (int i = 0; i < n && i < NST_IP6_MAX_ADDRS; i++)
        fprintf(out, "%s%s/%u", i ? " " : "; IPv6 ", nst_ip6_str(&v[i].addr, a), v[i].prefix_len);
}

void tap_host_describe(FILE *out, const struct tap_host *h)
{
    struct nst_iface_info ii;
    char a[16], m[18];
    nst_iface_get(h->st, h->ifindex, &ii);
    if (ii.addr)
        fprintf(out, "%s/%u ", nst_ip4_str(ii.addr, a), ii.prefix_len);
    if (h->xdp)
        fprintf(out, "on %s queue %u by AF_XDP (%s, mtu %u", nst_xdp_name(h->xdp), nst_xdp_queue(h->xdp),
                nst_mac_str(&ii.mac, m), ii.mtu);
    else if (nst_tap_group_fd(h->tap) >= 0)
        fprintf(out, "on %s queue %u (%s, mtu %u", nst_tap_name(h->tap), h->queue, nst_mac_str(&ii.mac, m), ii.mtu);
    else
        fprintf(out, "on %s (%s, mtu %u", nst_tap_name(h->tap), nst_mac_str(&ii.mac, m), ii.mtu);
    describe_addr6(out, h);
    fprintf(out, ")");
}

/* ---- nstack ping --tap ------------------------------------------------- */

/* The run loop as a ping's clock: real time. */
struct sock_wait {
    struct nst_stack *st;
    int fd;
};

static int sock_readable(void *arg)
{
    struct sock_wait *sw = arg;
    return (nst_socket_events(sw->st, sw->fd) & NST_EV_IN) != 0;
}

static nst_time_t loop_now(void *arg) { return nst_runloop_now(arg); }

static int loop_wait_readable(void *arg, struct nst_stack *st, int fd, nst_time_t until)
{
    struct sock_wait sw = {st, fd};
    return nst_runloop_run(arg, until, sock_readable, &sw);
}

static int loop_run_until(void *arg, nst_time_t until)
{
    int rc = nst_runloop_run(arg, until, NULL, NULL);
    return rc < 0 ? rc : 0;
}

static void tap_ping_usage(void)
{
    printf("usage: nstack ping --tap IFNAME --addr A.B.C.D/N [-4|-6] [-c COUNT] [-i SECONDS] [-s SIZE]\n"
           "                  [-t TTL] [-W SECONDS] [options] DEST\n\n"
           "Pings DEST (IPv4, or IPv6: fe80::1 on the TAP's link, or a global address with\n"
           "--addr6 or SLAAC) from nstack over a TAP device, in real time (Ctrl-C ends it early).\n\n"
           "  -4, -6          DEST's family, checked (DEST is an address)\n"
           "  -c COUNT        echo requests to send (default 4)\n"
           "  -i SECONDS      interval between them (default 1)\n"
           "  -s SIZE         payload bytes (default 56)\n"
           "  -t TTL          IP time to live (IPv6: hop limit)\n"
           "  -W SECONDS      how long to wait for replies after the last request (default 2)\n"
           "%s",
           tap_opts_help);
}

/* -c -i -s -t -W; 0, or 2 on a bad value. */
static int ping_option(int c, const char *arg, struct nst_ping_opts *po)
{
    uint64_t v;
    double d;
    switch (c) {
    case 'c':
        if (nst_cli_parse_u64(arg, 1, 65535, &v))
            return nst_cli_bad_usage("ping", "-c needs a count from 1 to 65535, not '%s'", arg);
        po->count = (int)v;
        return 0;
    case 'i':
        if (nst_cli_parse_double(arg, 0.001, 3600, &d))
            return nst_cli_bad_usage("ping", "-i needs an interval in seconds (0.001 to 3600), not '%s'", arg);
        po->interval = (nst_time_t)(d * 1e9);
        return 0;
    case 's':
        if (nst_cli_parse_u64(arg, 0, 65507, &v))
            return nst_cli_bad_usage("ping", "-s needs a payload size from 0 to 65507, not '%s'", arg);
        po->size = (size_t)v;
        return 0;
    case 't':
        if (nst_cli_parse_u64(arg, 1, 255, &v))
            return nst_cli_bad_usage("ping", "-t needs a TTL from 1 to 255, not '%s'", arg);
        po->ttl = (uint8_t)v;
        return 0;
    case 'W':
        if (nst_cli_parse_double(arg, 0, 3600, &d))
            return nst_cli_bad_usage("ping", "-W needs seconds (0 to 3600), not '%s'", arg);
        po->wait = (nst_time_t)(d * 1e9);
        return 0;
    default: return nst_cli_bad_usage("ping", "unknown option");
    }
}

int nst_cli_wants_tap(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return 0;
        if (!strcmp(argv[i], "--tap") || !strncmp(argv[i], "--tap=", 6) || !strcmp(argv[i], "--xdp") ||
            !strncmp(argv[i], "--xdp=", 6))
            return 1;
    }
    return 0;
}

/* Nonzero once no IPv6 address of the host's interfaces (nstack router
 * has several) is under DAD any more. */
static int dad_done(void *arg)
{
    const struct tap_host *h = arg;
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    for (int ifindex = 0; ifindex < nst_iface_count(h->st); ifindex++) {
        int n = nst_iface_addr6_list(h->st, ifindex, v, NST_IP6_MAX_ADDRS);
        for (int i = 0; i < n && i < NST_IP6_MAX_ADDRS; i++)
            if (v[i].state == NST_ADDR6_TENTATIVE)
                return 0;
    }
    return 1;
}

void tap_host_wait_dad(struct tap_host *h)
{
    nst_runloop_run(h->rl, nst_runloop_now(h->rl) + NST_SEC(5), dad_done, h);
}

static int run_tap_ping(const struct tap_opts *to, struct nst_sockaddr *dst, const struct nst_ping_opts *po)
{
    struct tap_host h;
    int rc = tap_host_open("ping", to, &h);
    if (rc) {
        tap_host_close(&h);
        return rc;
    }
    if (dst->family == NST_AF_INET6) {
        /* RFC 4862 5.4: no address is used before DAD passed (a second or two). */
        tap_host_wait_dad(&h);
        if (!dst->scope_id && (nst_ip6_is_link_local(&dst->addr6) || nst_ip6_is_multicast(&dst->addr6)))
            dst->scope_id = (uint32_t)h.ifindex + 1; /* the only link there is */
    }
    const struct nst_ping_clock clk = {h.rl, loop_now, loop_wait_readable, loop_run_until};
    struct nst_ping_result r;
    memset(&r, 0, sizeof(r));
    int err = nst_ping_run_addr(&clk, h.st, dst, po, stdout, &r);
    if (err < 0 && err != -EINTR)
        fprintf(stderr, "nstack ping: %s\n", strerror(-err));
    fflush(stdout); /* before the signals are unblocked (see cmd_serve.c) */
    tap_host_close(&h);
    if (err < 0 && err != -EINTR)
        return 1;
    return r.received ? 0 : 1;
}

int nst_cmd_tap_ping(int argc, char **argv)
{
    static const struct option opts[] = {TAP_LONG_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    struct tap_opts to;
    tap_opts_default(&to);
    struct nst_ping_opts po;
    nst_ping_opts_default(&po);
    int c;
    optind = 1;
    int want = 0; /* -4 or -6: NST_AF_INET or NST_AF_INET6 */
    while ((c = getopt_long(argc, argv, "c:i:s:t:W:h46", opts, NULL)) != -1) {
        if (c == 'h') {
            tap_ping_usage();
            return 0;
        }
        if (c == '4' || c == '6') {
            int f = c == '6' ? NST_AF_INET6 : NST_AF_INET;
            if (want && want != f)
                return nst_cli_bad_usage("ping", "-4 and -6 exclude each other");
            want = f;
            continue;
        }
        int rc = tap_opts_parse("ping", c, optarg, &to);
        if (rc < 0)
            rc = ping_option(c, optarg, &po);
        if (rc)
            return rc;
    }
    int rc = tap_opts_check("ping", &to);
    if (rc)
        return rc;
    if (optind >= argc)
        return nst_cli_bad_usage("ping", "DEST is required with --tap");
    struct nst_sockaddr dst = {0};
    if (want == NST_AF_INET6 && (rc = tap_opts_check_family("ping", &to, NST_AF_INET6, "-6")))
        return rc;
    if (nst_ip4_parse(argv[optind], &dst.addr, NULL) == 0) {
        dst.family = NST_AF_INET;
    } else if (nst_ip6_parse(argv[optind], &dst.addr6, NULL) == 0) {
        dst.family = NST_AF_INET6;
    } else {
        return nst_cli_bad_usage("ping", "DEST must be an IPv4 or IPv6 address with --tap, not '%s'", argv[optind]);
    }
    if (want && want != dst.family)
        return nst_cli_bad_usage("ping", "%s contradicts DEST %s, an IPv%c address", want == NST_AF_INET6 ? "-6" : "-4",
                                 argv[optind], dst.family == NST_AF_INET6 ? '6' : '4');
    char what[80];
    snprintf(what, sizeof what, "DEST %s", argv[optind]);
    if ((rc = tap_opts_check_family("ping", &to, dst.family, what)))
        return rc;
    if (optind + 1 < argc)
        return nst_cli_bad_usage("ping", "unexpected argument '%s'", argv[optind + 1]);
    return run_tap_ping(&to, &dst, &po);
}
