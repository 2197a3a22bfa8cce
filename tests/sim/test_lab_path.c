/* The lab's path scenario (src/lab/lab_demo.c, lab_path6.c) run whole on
 * the simulator with the demo's seed: its checks hold, its IPv4 figures are
 * those of before IPv6 existed, and its IPv6 part prints the exact figures
 * virtual time gives: DAD done at 1938.428 ms (16 solicitations), a first
 * ping -6 of 82.010 ms against 82.008 ms for IPv4 in the same world (the
 * WAN links' neighbours static in both families: ND and ARP on the two LAN
 * edges only), 80.008 ms after that; in a world with no static neighbours,
 * each hop's first ping costing that link's round trip more than its
 * second, in both families (1, 38, 40, 1 ms: 80.006 ms over IPv6, 80.004
 * over IPv4, 4 solicitations and 4 ARP requests); traceroute -6 through the three routers' addresses, and a 1400-byte ping
 * across a 1280-byte link: Packet Too Big from r2 (then from r3 toward
 * London), the ends fragmenting, one answer of three, where IPv4's routers
 * fragment and all three are answered; then r3 advertises London's prefix
 * and London's SLAAC address (2001:db8:4::ff:fe00:7) is usable 1319.319 ms
 * later and answers New York's ping. */
#include "test.h"

#include <nstack/lab.h>

#include "lab/lab_internal.h"
#include "support/lab_util.h"

#include <stdlib.h>

static int has(const char *text, const char *line)
{
    int ok = strstr(text, line) != NULL;
    if (!ok)
        fprintf(stderr, "missing: %s", line);
    return ok;
}

static void path_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_path, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "FAILED") == NULL);
    /* IPv4, as it always was. */
    CHECK(has(text, "64 bytes from 10.0.4.2: icmp_seq=1 ttl=61 time=82.008 ms\n"));
    CHECK(has(text, "rtt min/avg/max/mdev = 80.006/80.507/82.008/0.867 ms\n"));
    CHECK(has(text, " 1  10.0.1.1  1.001 ms  1.001 ms  1.001 ms\n"));
    CHECK(has(text, " 4  10.0.4.2  80.005 ms  80.005 ms  80.005 ms\n"));
    /* IPv6: DAD, then ND on the LAN edges for the first ping, as ARP. */
    CHECK(has(text, "  addresses usable at 1938.428 ms: each passed duplicate address detection (16 solicitations,\n"));
    CHECK(has(text, "PING 2001:db8:4::2 (2001:db8:4::2) 56 data bytes\n"));
    CHECK(has(text, "64 bytes from 2001:db8:4::2: icmp_seq=1 ttl=61 time=82.010 ms\n"));
    CHECK(has(text, "64 bytes from 2001:db8:4::2: icmp_seq=4 ttl=61 time=80.008 ms\n"));
    CHECK(has(text, "rtt min/avg/max/mdev = 80.008/80.508/82.010/0.867 ms\n"));
    CHECK(has(text, "  first pings: IPv6 82.010 ms, IPv4 82.008 ms; the WAN links' neighbours are static in both\n"
                    "  families, so each resolves the two LAN edges only (2 Neighbor Solicitations, 2 ARP\n"
                    "  requests): the first ping costs 2.003 ms more over IPv6, 2.002 ms over IPv4\n"));
    CHECK(has(text, "[ok] with the same static WAN neighbours, both families' first pings cost the same\n"));
    /* No static neighbours: a round trip per link resolved, either family. */
    CHECK(has(text, "    link          round trip      IPv6        IPv4\n"
                    "    ny - r1        1.000 ms    1.001 ms    1.001 ms\n"
                    "    r1 - r2       38.000 ms   38.001 ms   38.001 ms\n"
                    "    r2 - r3       40.000 ms   40.001 ms   40.001 ms\n"
                    "    r3 - london    1.000 ms    1.001 ms    1.001 ms\n"
                    "    all 4         80.000 ms   80.006 ms   80.004 ms   (4 Neighbor Solicitations, 4 ARP requests)\n"
                    "  [ok] resolving a link costs its round trip, in IPv6 as in IPv4\n"));
    /* traceroute -6: each router's address on the way, then London. */
    CHECK(has(text, "traceroute to 2001:db8:4::2 (2001:db8:4::2), 8 hops max, 80 byte packets\n"));
    CHECK(has(text, " 1  2001:db8:1::1  1.002 ms  1.002 ms  1.002 ms\n"));
    CHECK(has(text, " 2  2001:db8:12::2  39.004 ms  39.004 ms  39.004 ms\n"));
    CHECK(has(text, " 3  2001:db8:23::2  79.006 ms  79.006 ms  79.006 ms\n"));
    CHECK(has(text, " 4  2001:db8:4::2  80.006 ms  80.006 ms  80.006 ms\n"));
    /* Packet Too Big against router fragmentation. */
    CHECK(has(text, "From 2001:db8:12::2 icmp_seq=1 Packet too big: mtu=1280\n"
                    "1408 bytes from 2001:db8:4::2: icmp_seq=3 ttl=61 time=80.087 ms\n"));
    CHECK(has(text, "3 packets transmitted, 1 received, +1 errors, 66% packet loss, time 2000ms\n"));
    CHECK(has(text, "1408 bytes from 10.0.4.2: icmp_seq=1 ttl=61 time=80.089 ms\n"));
    CHECK(has(text, "  IPv6: 2 Packet Too Big (r2 toward New York, r3 toward London), then the ends fragment\n"
                    "  (6 fragments by the hosts, 0 by routers); IPv4: the routers fragment (12 fragments)\n"));
    CHECK(has(text, "[ok] IPv6 routers send Packet Too Big instead of fragmenting; the ends fragment\n"));
    /* SLAAC: r3 advertises London's prefix; London's EUI-64 address. */
    CHECK(has(text, "  first Router Advertisement after 0.000 ms; London's address 2001:db8:4::ff:fe00:7\n"
                    "  (the prefix and its EUI-64 identifier) usable after 1319.319 ms: DAD, a random delay then 1 s\n"));
    CHECK(has(text, "64 bytes from 2001:db8:4::ff:fe00:7: icmp_seq=1 ttl=61 time=81.009 ms\n"));
    CHECK(has(text, "[ok] London forms an address from r3's advertised prefix, passes DAD, and answers pings\n"));
    free(text);
}

int main(void)
{
    RUN(path_scenario);
    return nst_test_done();
}
