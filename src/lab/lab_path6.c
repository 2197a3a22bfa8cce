/* The path scenario's IPv6 part: the same New York - London path with both
 * families on every link, and what IPv6 does differently.
 *
 *  - Addresses first pass duplicate address detection (RFC 4862 5.4): a
 *    Neighbor Solicitation for each, after a random delay, then a second
 *    of silence, before any is used.
 *  - No ARP: a neighbour is found by Neighbor Solicitation/Advertisement
 *    (RFC 4861 7.2). The WAN links' neighbours are static in both families
 *    (static ARP, static ND entries), so each family resolves the two LAN
 *    edges only and the first pings cost the same; then, in a world where
 *    every link resolves, each hop pinged in turn shows what resolution
 *    costs: a round trip on each link, in either family.
 *  - traceroute works the same way with the hop limit: each router sends
 *    ICMPv6 Time Exceeded (RFC 4443 3.3) from its address on the way back.
 *  - Routers never fragment (RFC 8200 5): a 1400-byte ping across the
 *    transatlantic link, cut to the IPv6 minimum MTU of 1280 here, gets a
 *    Packet Too Big (RFC 4443 3.2) from r2; the source learns the path MTU
 *    (RFC 8201) and fragments itself; London's reply meets r3's Packet Too
 *    Big in turn. IPv4 across the same link is fragmented by r2.
 *  - Then r3 starts advertising London's prefix (RFC 4861 6.2): London forms
 *    an address of its own from it (SLAAC, RFC 4862 5.5.3: the prefix and
 *    its EUI-64 interface identifier), runs DAD on it, and New York pings it.
 * The rest of the path keeps its static addresses and routes. */
#include <errno.h>
#include <string.h>

#include <nstack/ip6_router.h>
#include <nstack/lab.h>
#include <nstack/stats.h>

#include "lab/lab_internal.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"

#define TRANSATLANTIC_MTU 1280
#define BIG_PING 1400

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

static struct nst_sockaddr v6(const char *s)
{
    struct nst_sockaddr a = {.family = NST_AF_INET6};
    nst_ip6_parse(s, &a.addr6, NULL);
    return a;
}

/* Multicast Neighbor Solicitations sent on the path: DAD's and address
 * resolution's, not unreachability detection's unicast probes (RFC 4861
 * 7.3.3: an entry used for 5 s without confirmation is probed). */
static uint64_t nd_ns_sent(struct nst_lab_path *p)
{
    uint64_t n = S(p->ny)->nd_tx_ns + S(p->london)->nd_tx_ns - S(p->ny)->nd_tx_probes - S(p->london)->nd_tx_probes;
    for (int i = 0; i < 3; i++)
        n += S(p->routers[i])->nd_tx_ns - S(p->routers[i])->nd_tx_probes;
    return n;
}

static uint64_t arp_requests_sent(struct nst_lab_path *p)
{
    uint64_t n = S(p->ny)->arp_tx_requests + S(p->london)->arp_tx_requests;
    for (int i = 0; i < 3; i++)
        n += S(p->routers[i])->arp_tx_requests;
    return n;
}

static int build6(const struct nst_demo_opts *o, struct nst_lab_path *p, FILE *out)
{
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = o->seed;
    po.ipv6 = 1;
    po.middle_mtu = TRANSATLANTIC_MTU;
    if (nst_lab_path_build(p, &po) < 0)
        return -1;
    if (out)
        nst_lab_capture(o, p->links[0], "path6.pcap", out); /* New York's link: its DAD and ND */
    return 0;
}

/* A resolution cost is a round trip on the links resolved, plus the
 * solicitation's and the answer's time on the wire (microseconds). */
static int near_link_rtt(nst_time_t cost, nst_time_t rtt) { return cost >= rtt && cost < rtt + NST_USEC(50); }

/* DAD, then ping -6 and, for comparison, ping -4 in the same world. */
static int part_ping(const struct nst_demo_opts *o, struct nst_lab_path *p, FILE *out)
{
    nst_time_t dad = nst_lab_path_wait_dad(p);
    uint64_t dad_ns = nd_ns_sent(p);
    fprintf(out, "\n  addresses usable at %.3f ms: each passed duplicate address detection (%llu solicitations,\n"
                 "  one per address to its solicited-node group, then 1 s of silence: RFC 4862 5.4)\n",
            (double)dad / 1e6, (unsigned long long)dad_ns);
    int ok = nst_lab_check(out, dad > NST_SEC(1) && dad < NST_SEC(2), "every address passed DAD within 1 to 2 s");
    nst_lab_figure(o, "IPv6 addresses usable (DAD)", "1 to 2 s", dad > NST_SEC(1) && dad < NST_SEC(2), "ms", "%.3f",
                   (double)dad / 1e6);

    fprintf(out, "\n$ nstack ping -6 -c 4 london\n");
    struct nst_ping_opts pin;
    nst_ping_opts_default(&pin);
    struct nst_ping_result r6, r4;
    struct nst_sockaddr london6 = v6("2001:db8:4::2"), london4 = {.addr = NST_LAB_LONDON_ADDR};
    ok &= nst_lab_ping_addr(p->world, p->ny, &london6, &pin, out, &r6) == 0;
    uint64_t nd_ns = nd_ns_sent(p) - dad_ns;
    fprintf(out, "\n$ nstack ping -4 -c 4 london   (the same world, IPv4)\n");
    ok &= nst_lab_ping_addr(p->world, p->ny, &london4, &pin, out, &r4) == 0;
    uint64_t arp_req = arp_requests_sent(p);
    nst_time_t cost6 = r6.rtt_max - r6.rtt_min, cost4 = r4.rtt_max - r4.rtt_min;
    fprintf(out, "\n  first pings: IPv6 %.3f ms, IPv4 %.3f ms; the WAN links' neighbours are static in both\n"
                 "  families, so each resolves the two LAN edges only (%llu Neighbor Solicitations, %llu ARP\n"
                 "  requests): the first ping costs %.3f ms more over IPv6, %.3f ms over IPv4\n",
            (double)r6.rtt_max / 1e6, (double)r4.rtt_max / 1e6, (unsigned long long)nd_ns,
            (unsigned long long)arp_req, (double)cost6 / 1e6, (double)cost4 / 1e6);
    int rtt_ok = r6.received == 4 && r6.rtt_min >= NST_MSEC(80) && r6.rtt_min < NST_MSEC(81);
    int same_ok = nd_ns == 2 && arp_req == 2 && near_link_rtt(cost6, NST_MSEC(2)) && near_link_rtt(cost4, NST_MSEC(2));
    nst_lab_figure(o, "round trip New York - London (ping -6, min)", "80 ms, as IPv4", rtt_ok, "ms", "%.3f",
                   (double)r6.rtt_min / 1e6);
    nst_lab_figure(o, "first IPv6 ping (ND on the LAN edges)", "82 ms, as IPv4", same_ok, "ms", "%.3f",
                   (double)r6.rtt_max / 1e6);
    nst_lab_figure(o, "first IPv4 ping, same world (ARP on the LAN edges)", "", -1, "ms", "%.3f",
                   (double)r4.rtt_max / 1e6);
    ok &= nst_lab_check(out, rtt_ok, "the New York - London round trip is 80 ms over IPv6 too");
    ok &= nst_lab_check(out, same_ok, "with the same static WAN neighbours, both families' first pings cost the same");
    return ok;
}

/* What resolving a link costs, in a world without static neighbours: each
 * hop pinged twice in each family, nearest first, so that the first ping
 * to a hop resolves only the one link nobody has crossed yet; it costs the
 * second ping's round trip plus that link's. */
static int part_resolution(const struct nst_demo_opts *o, FILE *out)
{
    static const char *const link_name[4] = {"ny - r1", "r1 - r2", "r2 - r3", "r3 - london"};
    static const char *const hop6[4] = {"2001:db8:1::1", "2001:db8:12::2", "2001:db8:23::2", "2001:db8:4::2"};
    static const nst_ip4_t hop4[4] = {NST_IP4(10, 0, 1, 1), NST_IP4(10, 0, 12, 2), NST_IP4(10, 0, 23, 2),
                                      NST_LAB_LONDON_ADDR};
    /* Twice each link's one-way latency (src/lab/topology.c). */
    static const nst_time_t link_rtt[4] = {NST_MSEC(1), NST_MSEC(38), NST_MSEC(40), NST_MSEC(1)};
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = o->seed;
    po.ipv6 = 1;
    po.dynamic_wan = 1;
    struct nst_lab_path p;
    if (nst_lab_path_build(&p, &po) < 0)
        return 0;
    int ok = nst_lab_path_wait_dad(&p) > 0;
    uint64_t dad_ns = nd_ns_sent(&p);
    fprintf(out, "\n  The same path with no static neighbours (nst_lab_path_opts.dynamic_wan): each hop pinged\n"
                 "  twice in each family, nearest first; the first ping to a hop resolves the one link not\n"
                 "  crossed before, and costs its round trip more than the second (first - second):\n"
                 "    link          round trip      IPv6        IPv4\n");
    struct nst_ping_opts pin;
    nst_ping_opts_default(&pin);
    pin.count = 2;
    nst_time_t total[2] = {0, 0};
    for (int i = 0; i < 4; i++) {
        struct nst_ping_result r6, r4;
        struct nst_sockaddr d6 = v6(hop6[i]), d4 = {.addr = hop4[i]};
        ok &= nst_lab_ping_addr(p.world, p.ny, &d6, &pin, NULL, &r6) == 0 && r6.received == 2;
        ok &= nst_lab_ping_addr(p.world, p.ny, &d4, &pin, NULL, &r4) == 0 && r4.received == 2;
        nst_time_t c6 = r6.rtt_max - r6.rtt_min, c4 = r4.rtt_max - r4.rtt_min;
        fprintf(out, "    %-12s %7.3f ms  %7.3f ms  %7.3f ms\n", link_name[i], (double)link_rtt[i] / 1e6,
                (double)c6 / 1e6, (double)c4 / 1e6);
        ok &= near_link_rtt(c6, link_rtt[i]) && near_link_rtt(c4, link_rtt[i]);
        total[0] += c6;
        total[1] += c4;
    }
    uint64_t ns = nd_ns_sent(&p) - dad_ns, arp = arp_requests_sent(&p);
    fprintf(out, "    %-12s %7.3f ms  %7.3f ms  %7.3f ms   (%llu Neighbor Solicitations, %llu ARP requests)\n",
            "all 4", 80.0, (double)total[0] / 1e6, (double)total[1] / 1e6, (unsigned long long)ns,
            (unsigned long long)arp);
    ok &= ns == 4 && arp == 4; /* one per link and family */
    nst_lab_path_free(&p);
    nst_lab_figure(o, "address resolution on every link, IPv6 (first ping - second)", "80 ms: a round trip per link",
                   ok, "ms", "%.3f", (double)total[0] / 1e6);
    nst_lab_figure(o, "address resolution on every link, IPv4 (first ping - second)", "80 ms: a round trip per link",
                   ok, "ms", "%.3f", (double)total[1] / 1e6);
    return nst_lab_check(out, ok, "resolving a link costs its round trip, in IPv6 as in IPv4");
}

static int part_traceroute(const struct nst_demo_opts *o, struct nst_lab_path *p, FILE *out)
{
    fprintf(out, "\n$ nstack traceroute -6 london\n");
    struct nst_trace_hop hops[8];
    struct nst_sockaddr london6 = v6("2001:db8:4::2");
    int n = nst_lab_traceroute_addr(p->world, p->ny, &london6, 8, out, hops);
    static const char *const want[4] = {"2001:db8:1::1", "2001:db8:12::2", "2001:db8:23::2", "2001:db8:4::2"};
    int path_ok = n == 4 && hops[3].reached;
    for (int i = 0; path_ok && i < 4; i++) {
        struct nst_sockaddr w = v6(want[i]);
        path_ok = hops[i].from.family == NST_AF_INET6 && memcmp(hops[i].from.addr6.b, w.addr6.b, 16) == 0 &&
                  hops[i].icmp_type == (i < 3 ? NST_ICMP6_TIME_EXCEEDED : NST_ICMP6_ECHO_REPLY);
    }
    nst_lab_figure(o, "hops to London (traceroute -6)", "4: three routers, then London", path_ok, "", "%d", n);
    return nst_lab_check(out, path_ok, "three routers answer Time Exceeded from their addresses, then London");
}

/* A 1400-byte ping across the 1280-byte link in each family. */
static int part_too_big(const struct nst_demo_opts *o, struct nst_lab_path *p, FILE *out)
{
    struct nst_ping_opts pin;
    nst_ping_opts_default(&pin);
    pin.count = 3;
    pin.size = BIG_PING;
    struct nst_ping_result r6, r4;
    struct nst_sockaddr london6 = v6("2001:db8:4::2"), london4 = {.addr = NST_LAB_LONDON_ADDR};
    fprintf(out, "\n  The transatlantic link carries %u bytes (IPv6's minimum MTU): a %d-byte ping crosses it.\n",
            TRANSATLANTIC_MTU, BIG_PING);
    fprintf(out, "\n$ nstack ping -6 -c 3 -s %d london\n", BIG_PING);
    int ok = nst_lab_ping_addr(p->world, p->ny, &london6, &pin, out, &r6) == 0;
    uint64_t ptb = S(p->routers[1])->icmp6_tx_packet_too_big + S(p->routers[2])->icmp6_tx_packet_too_big;
    uint64_t frag6 = S(p->ny)->ip6_frag_created + S(p->london)->ip6_frag_created;
    uint64_t rfrag6 = S(p->routers[1])->ip6_frag_created + S(p->routers[2])->ip6_frag_created;
    fprintf(out, "\n$ nstack ping -4 -c 3 -s %d london\n", BIG_PING);
    ok &= nst_lab_ping_addr(p->world, p->ny, &london4, &pin, out, &r4) == 0;
    uint64_t rfrag4 = S(p->routers[1])->ip_frag_created + S(p->routers[2])->ip_frag_created;
    fprintf(out, "\n  IPv6: %llu Packet Too Big (r2 toward New York, r3 toward London), then the ends fragment\n"
                 "  (%llu fragments by the hosts, %llu by routers); IPv4: the routers fragment (%llu fragments)\n",
            (unsigned long long)ptb, (unsigned long long)frag6, (unsigned long long)rfrag6,
            (unsigned long long)rfrag4);
    int v6_ok = r6.errors == 1 && r6.received == 1 && ptb == 2 && rfrag6 == 0 && frag6 > 0;
    int v4_ok = r4.received == 3 && r4.errors == 0 && rfrag4 > 0;
    nst_lab_figure(o, "IPv6 1400-byte pings answered (of 3)", "1: Packet Too Big, then a reply lost to it", v6_ok,
                   "", "%d", r6.received);
    nst_lab_figure(o, "IPv4 1400-byte pings answered (of 3)", "3: routers fragment", v4_ok, "", "%d", r4.received);
    ok &= nst_lab_check(out, v6_ok, "IPv6 routers send Packet Too Big instead of fragmenting; the ends fragment");
    ok &= nst_lab_check(out, v4_ok, "IPv4 routers fragment the same pings on the way");
    return ok;
}

/* When r3 first offers a Router Advertisement to London's link. */
static void watch_ra(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *f, size_t len)
{
    nst_time_t *first_ra = arg;
    if (ev == NST_SIM_OFFERED && dir == 0 && *first_ra < 0 && len > 14 + 40 && f[12] == 0x86 && f[13] == 0xdd &&
        f[14 + 6] == NST_IP6_NH_ICMPV6 && f[14 + 40] == NST_ICMP6_ROUTER_ADVERT)
        *first_ra = now;
}

/* London's address formed by SLAAC (0 if none), its state. */
static int slaac_addr(struct nst_lab_path *p, nst_ip6_t *out)
{
    struct nst_addr6_info a[NST_IP6_MAX_ADDRS];
    int n = nst_iface_addr6_list(p->london, nst_sim_link_ifindex(p->links[3], 1), a, NST_IP6_MAX_ADDRS);
    for (int i = 0; i < n && i < NST_IP6_MAX_ADDRS; i++)
        if (a[i].origin == NST_ADDR6_SLAAC) {
            *out = a[i].addr;
            return a[i].state == NST_ADDR6_PREFERRED ? 2 : 1;
        }
    return 0;
}

static int slaac_ready(void *arg)
{
    nst_ip6_t a;
    return slaac_addr(arg, &a) == 2;
}

static int part_slaac(const struct nst_demo_opts *o, struct nst_lab_path *p, FILE *out)
{
    struct nst_ra_config c;
    nst_ra_config_default(&c);
    c.advertise = 1;
    c.n_prefixes = 1;
    c.prefix[0] = (struct nst_ra_prefix){.len = 64, .onlink = 1, .autonomous = 1, .valid_lifetime = 2592000,
                                         .preferred_lifetime = 604800}; /* RFC 4861 6.2.1's defaults */
    nst_ip6_parse("2001:db8:4::", &c.prefix[0].prefix, NULL);
    nst_time_t first_ra = -1;
    nst_sim_link_observe(p->links[3], watch_ra, &first_ra);
    nst_time_t t0 = nst_world_now(p->world);
    int ok = nst_ip6_ra_config(p->routers[2], nst_sim_link_ifindex(p->links[3], 0), &c) == 0;
    fprintf(out, "\n  r3 starts advertising 2001:db8:4::/64 on London's link (SLAAC, RFC 4862 5.5)\n");
    ok &= nst_world_run_until_cond(p->world, slaac_ready, p, t0 + NST_SEC(60));
    nst_sim_link_observe(p->links[3], NULL, NULL);
    nst_time_t ready = nst_world_now(p->world) - t0;
    nst_ip6_t a = {{0}};
    char s[NST_IP6_STRLEN];
    ok &= slaac_addr(p, &a) == 2 && first_ra >= t0;
    nst_time_t ra = first_ra - t0;
    fprintf(out, "  first Router Advertisement after %.3f ms; London's address %s\n"
                 "  (the prefix and its EUI-64 identifier) usable after %.3f ms: DAD, a random delay then 1 s\n",
            (double)ra / 1e6, nst_ip6_str(&a, s), (double)ready / 1e6);
    fprintf(out, "\n$ nstack ping -6 -c 1 %s\n", s);
    struct nst_ping_opts pin;
    nst_ping_opts_default(&pin);
    pin.count = 1;
    struct nst_ping_result r;
    struct nst_sockaddr to = {.family = NST_AF_INET6, .addr6 = a};
    ok = ok && nst_lab_ping_addr(p->world, p->ny, &to, &pin, out, &r) == 0 && r.received == 1;
    nst_lab_figure(o, "SLAAC address usable after the router starts advertising", "an RA, then 1 s of DAD", ok, "ms",
                   "%.3f", (double)ready / 1e6);
    return nst_lab_check(out, ok && ready >= ra + NST_SEC(1),
                         "London forms an address from r3's advertised prefix, passes DAD, and answers pings");
}

static void free_world(void *w) { nst_world_free(w); }

int nst_lab_snap_path(const struct nst_demo_opts *o, struct nst_lab_snapshot *s)
{
    struct nst_lab_path p;
    if (build6(o, &p, NULL) < 0)
        return -ENOMEM;
    nst_lab_path_wait_dad(&p);
    struct nst_ping_opts pin;
    nst_ping_opts_default(&pin);
    pin.count = 1;
    struct nst_sockaddr london6 = v6("2001:db8:4::2"), london4 = {.addr = NST_LAB_LONDON_ADDR};
    nst_lab_ping_addr(p.world, p.ny, &london6, &pin, NULL, NULL);
    nst_lab_ping_addr(p.world, p.ny, &london4, &pin, NULL, NULL);
    s->world = p.world;
    s->focus = "ny";
    s->moment = "both families up (IPv6 after DAD), one ping -6 and one ping -4 from New York to London";
    s->priv = p.world;
    s->free_priv = free_world;
    return 0;
}

int nst_demo_path6(const struct nst_demo_opts *o, FILE *out)
{
    fprintf(out, "\nIPv6 on the same path, both families on every link (static addresses and routes;\n"
                 "SLAAC at the end): ny 2001:db8:1::2 ... london 2001:db8:4::2\n");
    struct nst_lab_path p;
    if (build6(o, &p, out) < 0)
        return 0;
    int ok = part_ping(o, &p, out);
    ok &= part_resolution(o, out);
    ok &= part_traceroute(o, &p, out);
    ok &= part_too_big(o, &p, out);
    ok &= part_slaac(o, &p, out);
    nst_lab_path_free(&p);
    return ok;
}
