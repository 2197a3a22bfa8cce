/* nstack ping and nstack traceroute, on the simulated New York - London
 * path, over IPv4 or IPv6 (-6, or an IPv6 destination). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <nstack/lab.h>

#include "tools/cli.h"

struct path_args {
    uint64_t seed;
    double loss;
    const char *pcap;
    const char *from;
    const char *dest;
    int family;  /* NST_AF_INET6 with -6 or an IPv6 address, else IPv4 */
    int flag;    /* -4 or -6 given: its family; 0: none */
    int no_ipv6; /* --no-ipv6: IPv4 only */
};

static const char *path_help =
    "The simulated path: ny (10.0.1.2) - r1 - r2 - r3 - london (10.0.4.2), 80 ms round trip;\n"
    "with -6 (or an IPv6 DEST) over IPv6: ny 2001:db8:1::2 ... london 2001:db8:4::2.\n"
    "DEST and --from take a name (ny, r1, r2, r3, london) or one of their addresses.\n\n"
    "  -4, -6          IPv4 (the default) or IPv6 for names\n"
    "  --no-ipv6       IPv4 only (no IPv6 in the simulated network)\n"
    "  --from HOST     where to run from (default ny)\n"
    "  --loss P        loss probability on the transatlantic link, 0..1 (default 0)\n"
    "  --seed N        seed of the simulated network (default 1)\n"
    "  --pcap FILE     write a capture of the first link from New York\n\n"
    "With --tap IFNAME --addr A.B.C.D/N, ping a real host over a TAP device instead\n"
    "(nstack ping --tap IFNAME --help).\n";

/* The family of an address argument; 0 for a name. */
static int addr_family(const char *s)
{
    nst_ip4_t v4;
    nst_ip6_t v6;
    if (nst_ip4_parse(s, &v4, NULL) == 0)
        return NST_AF_INET;
    return nst_ip6_parse(s, &v6, NULL) == 0 ? NST_AF_INET6 : 0;
}

/* The family: -4 or -6, else that of the addresses given (DEST, --from),
 * else IPv4. An address of the other family, or IPv6 with --no-ipv6, is
 * a contradiction: 2 (bad usage, message printed), else 0. */
static int path_family(const char *cmd, struct path_args *a)
{
    const char *arg[2] = {a->dest, a->from}, *name[2] = {"DEST", "--from"};
    int from_addr = -1; /* the argument the family was taken from */
    a->family = a->flag ? a->flag : NST_AF_INET;
    for (int i = 0; i < 2; i++) {
        int f = addr_family(arg[i]);
        if (!f || f == a->family)
            continue;
        if (a->flag)
            return nst_cli_bad_usage(cmd, "%s contradicts %s %s, an IPv%c address", a->flag == NST_AF_INET6 ? "-6" : "-4",
                                     name[i], arg[i], f == NST_AF_INET6 ? '6' : '4');
        if (from_addr >= 0)
            return nst_cli_bad_usage(cmd, "%s %s and %s %s are of different families", name[from_addr],
                                     arg[from_addr], name[i], arg[i]);
        a->family = f;
        from_addr = i;
    }
    if (a->no_ipv6 && a->flag == NST_AF_INET6)
        return nst_cli_bad_usage(cmd, "-6 and --no-ipv6 exclude each other");
    if (a->no_ipv6 && a->family == NST_AF_INET6)
        return nst_cli_bad_usage(cmd, "%s %s is IPv6, which --no-ipv6 turns off", name[from_addr], arg[from_addr]);
    return 0;
}

static int build_path(const char *cmd, struct path_args *a, struct nst_lab_path *p, struct nst_stack **from,
                      struct nst_sockaddr *dst)
{
    int rc = path_family(cmd, a);
    if (rc)
        return rc;
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = a->seed;
    po.loss = a->loss;
    po.ipv6 = a->family == NST_AF_INET6;
    if (nst_lab_path_build(p, &po) < 0) {
        fprintf(stderr, "nstack %s: could not build the simulated network\n", cmd);
        return 1;
    }
    if (a->pcap && nst_sim_link_pcap(p->links[0], a->pcap) < 0) {
        fprintf(stderr, "nstack %s: cannot write %s\n", cmd, a->pcap);
        nst_lab_path_free(p);
        return 1;
    }
    /* IPv6 addresses are usable once duplicate address detection passed
     * (the capture shows it). */
    if (po.ipv6)
        nst_lab_path_wait_dad(p);
    *from = nst_lab_path_host_addr(p, a->from, a->family, NULL);
    if (!*from || !nst_lab_path_host_addr(p, a->dest, a->family, dst)) {
        nst_lab_path_free(p);
        return nst_cli_bad_usage(cmd, "unknown host '%s' (use ny, r1, r2, r3, london or an address)",
                                 *from ? a->dest : a->from);
    }
    return 0;
}

/* Options both commands take; returns 0, or an exit code (>0) to stop with. */
static int path_option(const char *cmd, int c, struct path_args *a)
{
    uint64_t v;
    switch (c) {
    case 'S':
        if (nst_cli_parse_u64(optarg, 0, UINT64_MAX, &v))
            return nst_cli_bad_usage(cmd, "--seed needs a non-negative integer, not '%s'", optarg);
        a->seed = v;
        return 0;
    case 'L':
        if (nst_cli_parse_double(optarg, 0.0, 1.0, &a->loss))
            return nst_cli_bad_usage(cmd, "--loss needs a probability between 0 and 1, not '%s'", optarg);
        return 0;
    case 'p': a->pcap = optarg; return 0;
    case 'f': a->from = optarg; return 0;
    case '4':
    case '6': {
        int f = c == '6' ? NST_AF_INET6 : NST_AF_INET;
        if (a->flag && a->flag != f)
            return nst_cli_bad_usage(cmd, "-4 and -6 exclude each other");
        a->flag = f;
        return 0;
    }
    case 'N': a->no_ipv6 = 1; return 0;
    default: return nst_cli_bad_usage(cmd, "unknown option");
    }
}

int nst_cmd_ping(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, 0, 'S'}, {"loss", required_argument, 0, 'L'}, {"pcap", required_argument, 0, 'p'},
        {"from", required_argument, 0, 'f'}, {"no-ipv6", no_argument, 0, 'N'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    struct path_args a = {.seed = 1, .from = "ny", .dest = "london"};
    struct nst_ping_opts po;
    nst_ping_opts_default(&po);
    int c;
    uint64_t v;
    double d;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:i:s:t:h46", opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'c':
            if (nst_cli_parse_u64(optarg, 1, 65535, &v))
                return nst_cli_bad_usage("ping", "-c needs a count from 1 to 65535, not '%s'", optarg);
            po.count = (int)v;
            break;
        case 'i':
            if (nst_cli_parse_double(optarg, 0.001, 3600, &d))
                return nst_cli_bad_usage("ping", "-i needs an interval in seconds (0.001 to 3600), not '%s'", optarg);
            po.interval = (nst_time_t)(d * 1e9);
            break;
        case 's':
            if (nst_cli_parse_u64(optarg, 0, 65507, &v))
                return nst_cli_bad_usage("ping", "-s needs a payload size from 0 to 65507, not '%s'", optarg);
            po.size = (size_t)v;
            break;
        case 't':
            if (nst_cli_parse_u64(optarg, 1, 255, &v))
                return nst_cli_bad_usage("ping", "-t needs a TTL from 1 to 255, not '%s'", optarg);
            po.ttl = (uint8_t)v;
            break;
        case 'h':
            printf("usage: nstack ping [-4|-6] [-c COUNT] [-i SECONDS] [-s SIZE] [-t TTL] [options] [DEST]\n\n%s",
                   path_help);
            return 0;
        default: rc = path_option("ping", c, &a); break;
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        a.dest = argv[optind++];
    if (optind < argc)
        return nst_cli_bad_usage("ping", "unexpected argument '%s'", argv[optind]);
    struct nst_lab_path p;
    struct nst_stack *from;
    struct nst_sockaddr dst;
    int rc = build_path("ping", &a, &p, &from, &dst);
    if (rc)
        return rc;
    struct nst_ping_result r;
    rc = nst_lab_ping_addr(p.world, from, &dst, &po, stdout, &r);
    nst_lab_path_free(&p);
    if (rc < 0) {
        fprintf(stderr, "nstack ping: %s\n", strerror(-rc));
        return 1;
    }
    return r.received ? 0 : 1;
}

int nst_cmd_traceroute(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, 0, 'S'}, {"loss", required_argument, 0, 'L'}, {"pcap", required_argument, 0, 'p'},
        {"from", required_argument, 0, 'f'}, {"no-ipv6", no_argument, 0, 'N'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    struct path_args a = {.seed = 1, .from = "ny", .dest = "london"};
    int max_hops = 30, c;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:h46", opts, NULL)) != -1) {
        int rc = 0;
        if (c == 'm') {
            if (nst_cli_parse_u64(optarg, 1, 255, &v))
                return nst_cli_bad_usage("traceroute", "-m needs a hop count from 1 to 255, not '%s'", optarg);
            max_hops = (int)v;
        } else if (c == 'h') {
            printf("usage: nstack traceroute [-4|-6] [-m MAX_HOPS] [options] [DEST]\n\n%s", path_help);
            return 0;
        } else {
            rc = path_option("traceroute", c, &a);
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        a.dest = argv[optind++];
    if (optind < argc)
        return nst_cli_bad_usage("traceroute", "unexpected argument '%s'", argv[optind]);
    struct nst_lab_path p;
    struct nst_stack *from;
    struct nst_sockaddr dst;
    int rc = build_path("traceroute", &a, &p, &from, &dst);
    if (rc)
        return rc;
    struct nst_trace_hop hops[255];
    int n = nst_lab_traceroute_addr(p.world, from, &dst, max_hops, stdout, hops);
    nst_lab_path_free(&p);
    return n > 0 && hops[n - 1].reached ? 0 : 1;
}
