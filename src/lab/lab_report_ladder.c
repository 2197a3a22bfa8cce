/* The report's sequence diagrams, drawn from a scenario's own capture: the
 * first TCP connection in it (its handshake, its first data each way, its
 * retransmissions, its close), or for a capture without TCP its packets
 * from the first echo request on (IPv4 or IPv6: Neighbor Discovery, Time
 * Exceeded and Packet Too Big named as such). Any scenario that captures
 * gets one, with no code of its own. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/lab.h>

#include "lab/lab_internal.h"
#include "lab/lab_results.h"
#include "lab/lab_svg.h"
#include "wire/eth.h"
#include "ip6/ip6.h"
#include "wire/icmp.h"
#include "wire/icmpv6.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/tcp.h"

#define LADDER_ROWS 30   /* drawn at most, gaps included */
#define FRAME_MAX 2048   /* the lab's frames are at most 1514 bytes */
#define DATA_EACH_WAY 3  /* first data segments shown per direction */
#define RETX_SHOWN 4

struct pkt {
    nst_time_t t;
    nst_ip6_t src, dst;     /* IPv4 ones IPv4-mapped */
    uint8_t v6;
    uint8_t proto, icmp_type; /* proto: IPv6's next header after the fixed header */
    struct nst_tcp_repr tcp;
    uint32_t payload;
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int same_ip(const nst_ip6_t *a, const nst_ip6_t *b) { return memcmp(a->b, b->b, 16) == 0; }

/* An IPv6 frame: its fixed header, and an ICMPv6 message's type. */
static int parse_frame6(const uint8_t *f, size_t len, nst_time_t t, struct pkt *k)
{
    struct nst_ipv6_repr ip;
    if (nst_ipv6_parse(f + NST_ETH_HLEN, len - NST_ETH_HLEN, &ip) < 0)
        return 0;
    *k = (struct pkt){.t = t, .src = ip.src, .dst = ip.dst, .v6 = 1, .proto = ip.next_header,
                      .payload = ip.payload_len};
    if (ip.next_header == NST_IP6_NH_ICMPV6 && ip.payload_len > 0)
        k->icmp_type = f[NST_ETH_HLEN + NST_IPV6_HLEN];
    return 1;
}

/* Parses one frame into *k: 1 for IPv4 or IPv6, 0 for anything else. */
static int parse_frame(const uint8_t *f, size_t len, nst_time_t t, struct pkt *k)
{
    struct nst_eth_repr e;
    struct nst_ipv4_repr ip;
    memset(k, 0, sizeof(*k));
    if (nst_eth_parse(f, len, &e) < 0)
        return 0;
    if (e.ethertype == NST_ETHERTYPE_IPV6)
        return parse_frame6(f, len, t, k);
    if (e.ethertype != NST_ETHERTYPE_IPV4)
        return 0;
    int hl = nst_ipv4_parse(f + NST_ETH_HLEN, len - NST_ETH_HLEN, &ip, 0);
    if (hl < 0)
        return 0;
    *k = (struct pkt){.t = t, .proto = ip.proto};
    nst_ip6_from_ip4(ip.src, &k->src);
    nst_ip6_from_ip4(ip.dst, &k->dst);
    if (ip.proto == NST_IP_PROTO_TCP)
        return nst_lab_frame_tcp(f, len, &k->tcp, &k->payload);
    k->payload = (uint32_t)(ip.total_len - (size_t)hl);
    if (ip.proto == NST_IP_PROTO_ICMP && ip.total_len > hl)
        k->icmp_type = f[NST_ETH_HLEN + hl];
    return 1;
}

/* Every IP packet of the capture: a malloc'd array, *n entries. */
static struct pkt *read_pcap(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t gh[24], rh[16], frame[FRAME_MAX];
    struct pkt *v = NULL;
    size_t cap = 0;
    *n = 0;
    if (!f)
        return NULL;
    if (fread(gh, 1, sizeof(gh), f) != sizeof(gh) || le32(gh) != 0xa1b23c4du) {
        fclose(f);
        return NULL;
    }
    while (fread(rh, 1, sizeof(rh), f) == sizeof(rh)) {
        uint32_t incl = le32(rh + 8);
        if (incl > FRAME_MAX || fread(frame, 1, incl, f) != incl)
            break;
        nst_time_t t = (nst_time_t)le32(rh) * 1000000000ull + le32(rh + 4);
        struct pkt k;
        if (!parse_frame(frame, incl, t, &k))
            continue;
        if (*n == cap) {
            size_t c = cap ? cap * 2 : 256;
            struct pkt *p = realloc(v, c * sizeof(*v));
            if (!p)
                break;
            v = p;
            cap = c;
        }
        v[(*n)++] = k;
    }
    fclose(f);
    return v;
}

static int same_conn(const struct pkt *a, const struct pkt *b)
{
    if (a->proto != NST_IP_PROTO_TCP || b->proto != NST_IP_PROTO_TCP || a->v6 || b->v6)
        return 0;
    return (same_ip(&a->src, &b->src) && same_ip(&a->dst, &b->dst) && a->tcp.src_port == b->tcp.src_port &&
            a->tcp.dst_port == b->tcp.dst_port) ||
           (same_ip(&a->src, &b->dst) && same_ip(&a->dst, &b->src) && a->tcp.src_port == b->tcp.dst_port &&
            a->tcp.dst_port == b->tcp.src_port);
}

/* Which packets to draw. For TCP, the first connection's: the control
 * segments (SYN, FIN, RST), its first pure ACK and first data each way,
 * its first retransmissions, its last segment. keep[i] set for each. */
static void choose(const struct pkt *v, size_t n, size_t start, size_t first, uint8_t *keep)
{
    const struct pkt *c = &v[first];
    if (c->proto != NST_IP_PROTO_TCP) {
        for (size_t i = start, k = 0; i < n && k < 12; i++)
            if (v[i].proto != NST_IP_PROTO_TCP)
                keep[i] = 1, k++;
        return;
    }
    uint32_t next[2] = {0};
    int seen[2] = {0}, data[2] = {0}, acks[2] = {0}, retx = 0;
    size_t last = first;
    for (size_t i = first; i < n; i++) {
        if (!same_conn(&v[i], c))
            continue;
        last = i;
        int d = !same_ip(&v[i].src, &c->src) || v[i].tcp.src_port != c->tcp.src_port;
        const struct nst_tcp_repr *t = &v[i].tcp;
        if (!seen[d])
            next[d] = t->seq, seen[d] = 1;
        uint32_t end = t->seq + v[i].payload + !!(t->flags & NST_TCP_SYN) + !!(t->flags & NST_TCP_FIN);
        int again = v[i].payload && (int32_t)(end - next[d]) <= 0;
        if (t->flags & (NST_TCP_SYN | NST_TCP_FIN | NST_TCP_RST))
            keep[i] = 1;
        else if (again && retx < RETX_SHOWN)
            keep[i] = 1, retx++;
        else if (v[i].payload && !again && data[d] < DATA_EACH_WAY)
            keep[i] = 1, data[d]++;
        else if (!v[i].payload && !acks[d]++)
            keep[i] = 1; /* the first pure ACK each way: the handshake's third step */
        if ((int32_t)(end - next[d]) > 0)
            next[d] = end;
    }
    keep[last] = 1;
}

static const char *tcp_name(uint8_t fl)
{
    if ((fl & (NST_TCP_SYN | NST_TCP_ACK)) == (NST_TCP_SYN | NST_TCP_ACK))
        return "SYN-ACK";
    if (fl & NST_TCP_SYN)
        return "SYN";
    if (fl & NST_TCP_RST)
        return "RST";
    if (fl & NST_TCP_FIN)
        return "FIN-ACK";
    return "ACK";
}

/* An ICMPv6 message's name (RFC 4443, RFC 4861). */
static const char *icmp6_name(uint8_t type)
{
    switch (type) {
    case NST_ICMP6_ECHO_REQUEST: return "ICMPv6 echo request";
    case NST_ICMP6_ECHO_REPLY: return "ICMPv6 echo reply";
    case NST_ICMP6_TIME_EXCEEDED: return "ICMPv6 time exceeded";
    case NST_ICMP6_PACKET_TOO_BIG: return "ICMPv6 packet too big";
    case NST_ICMP6_DEST_UNREACH: return "ICMPv6 unreachable";
    case NST_ICMP6_NEIGHBOR_SOLICIT: return "neighbor solicitation";
    case NST_ICMP6_NEIGHBOR_ADVERT: return "neighbor advertisement";
    case NST_ICMP6_ROUTER_SOLICIT: return "router solicitation";
    case NST_ICMP6_ROUTER_ADVERT: return "router advertisement";
    default: return "ICMPv6";
    }
}

static void label(const struct pkt *k, const struct pkt *c, uint32_t isn_c, uint32_t isn_s, int again, char *b,
                  size_t size)
{
    if (k->v6) {
        if (k->proto == NST_IP6_NH_ICMPV6)
            snprintf(b, size, "%s", icmp6_name(k->icmp_type));
        else if (k->proto == NST_IP6_NH_FRAGMENT)
            snprintf(b, size, "IPv6 fragment, %u bytes", k->payload);
        else
            snprintf(b, size, "IPv6, %u bytes", k->payload);
        return;
    }
    if (k->proto == NST_IP_PROTO_ICMP) {
        const char *n = k->icmp_type == NST_ICMP_ECHO_REQUEST    ? "ICMP echo request"
                        : k->icmp_type == NST_ICMP_ECHO_REPLY    ? "ICMP echo reply"
                        : k->icmp_type == NST_ICMP_TIME_EXCEEDED ? "ICMP time exceeded"
                        : k->icmp_type == NST_ICMP_DEST_UNREACH  ? "ICMP unreachable"
                                                                 : "ICMP";
        snprintf(b, size, "%s", n);
        return;
    }
    if (k->proto != NST_IP_PROTO_TCP) {
        snprintf(b, size, "%s, %u bytes", k->proto == NST_IP_PROTO_UDP ? "UDP" : "IP", k->payload);
        return;
    }
    int from_c = same_ip(&k->src, &c->src) && k->tcp.src_port == c->tcp.src_port;
    uint32_t rel = k->tcp.seq - (from_c ? isn_c : isn_s);
    if (k->payload)
        snprintf(b, size, "%s%s seq %u, %u bytes", again ? "retransmission: " : "",
                 (k->tcp.flags & NST_TCP_FIN) ? "data+FIN," : "data,", rel, k->payload);
    else
        snprintf(b, size, "%s", tcp_name(k->tcp.flags));
}

static void host_name(const nst_ip6_t *a, char *b, size_t size)
{
    char s[NST_IP6_STRLEN];
    nst_ip6_t ny6, london6;
    nst_ip6_parse("2001:db8:1::2", &ny6, NULL);
    nst_ip6_parse("2001:db8:4::2", &london6, NULL);
    int v4 = nst_ip6_is_v4mapped(a);
    nst_ip4_t a4 = v4 ? nst_ip6_to_ip4(a) : 0;
    const char *who = (v4 && a4 == NST_LAB_NY_ADDR) || same_ip(a, &ny6)             ? "New York "
                      : (v4 && a4 == NST_LAB_LONDON_ADDR) || same_ip(a, &london6) ? "London "
                                                                                  : "";
    snprintf(b, size, "%s%s", who, v4 ? nst_ip4_str(a4, s) : nst_ip6_str(a, s));
}

/* The rows of the kept packets, with a gap row where packets were left out.
 * labels: room for LADDER_ROWS strings of 64 bytes. */
static int build_rows(const struct pkt *v, size_t n, size_t start, size_t first, const uint8_t *keep,
                      struct nst_svg_row *rows, char (*labels)[64])
{
    const struct pkt *c = &v[first];
    uint32_t isn_c = c->tcp.seq, isn_s = 0, next_c = 0, next_s = 0;
    int have_s = 0, m = 0;
    size_t skipped = 0;
    for (size_t i = start; i < n && m < LADDER_ROWS - 1; i++) {
        int mine = c->proto == NST_IP_PROTO_TCP ? same_conn(&v[i], c) : v[i].proto != NST_IP_PROTO_TCP;
        if (!mine)
            continue;
        int from_c =
            same_ip(&v[i].src, &c->src) && (c->proto != NST_IP_PROTO_TCP || v[i].tcp.src_port == c->tcp.src_port);
        if (!from_c && !have_s)
            isn_s = next_s = v[i].tcp.seq, have_s = 1;
        uint32_t *next = from_c ? &next_c : &next_s;
        if (from_c && i == first)
            next_c = isn_c;
        const struct nst_tcp_repr *t = &v[i].tcp;
        uint32_t end = t->seq + v[i].payload + !!(t->flags & NST_TCP_SYN) + !!(t->flags & NST_TCP_FIN);
        int again = c->proto == NST_IP_PROTO_TCP && v[i].payload && (int32_t)(end - *next) <= 0;
        if (c->proto == NST_IP_PROTO_TCP && (int32_t)(end - *next) > 0)
            *next = end;
        if (!keep[i]) {
            skipped++;
            continue;
        }
        if (skipped) {
            snprintf(labels[m], 64, "... %zu packet%s not shown ...", skipped, skipped == 1 ? "" : "s");
            rows[m] = (struct nst_svg_row){.gap = labels[m]};
            m++;
            skipped = 0;
        }
        label(&v[i], c, isn_c, isn_s, again, labels[m], 64);
        rows[m] = (struct nst_svg_row){from_c, v[i].t, labels[m], NULL, again ? "#c0392b" : NULL};
        m++;
    }
    return m;
}

int nst_lab_report_ladder(const char *pcap, const char *svg, const char *title)
{
    size_t n;
    struct pkt *v = read_pcap(pcap, &n);
    if (!v)
        return -ENOENT;
    /* The first TCP connection (from its SYN), else from the first echo
     * request (what comes before is address autoconfiguration), else the
     * first packet. */
    size_t first = 0;
    while (first < n && !(v[first].proto == NST_IP_PROTO_TCP && !v[first].v6 && v[first].tcp.flags == NST_TCP_SYN))
        first++;
    if (first == n)
        for (first = 0; first < n; first++)
            if (v[first].icmp_type == (v[first].v6 ? NST_ICMP6_ECHO_REQUEST : NST_ICMP_ECHO_REQUEST) &&
                v[first].proto == (v[first].v6 ? NST_IP6_NH_ICMPV6 : NST_IP_PROTO_ICMP))
                break;
    if (first == n)
        first = 0;
    /* ...shown with the neighbour resolution it waited for (not DAD's, from ::). */
    size_t start = first;
    while (start > 0 && v[start - 1].v6 && v[start - 1].proto == NST_IP6_NH_ICMPV6 &&
           (v[start - 1].icmp_type == NST_ICMP6_NEIGHBOR_SOLICIT || v[start - 1].icmp_type == NST_ICMP6_NEIGHBOR_ADVERT) &&
           !nst_ip6_is_unspecified(&v[start - 1].src))
        start--;
    uint8_t *keep = calloc(n, 1);
    struct nst_svg_row rows[LADDER_ROWS];
    char labels[LADDER_ROWS][64];
    int err = -ENOENT;
    if (keep && n) {
        choose(v, n, start, first, keep);
        int m = build_rows(v, n, start, first, keep, rows, labels);
        char left[64], right[64];
        host_name(&v[first].src, left, sizeof(left));
        host_name(&v[first].dst, right, sizeof(right));
        err = m ? nst_svg_sequence(svg, title, left, right, rows, m) : -ENOENT;
    }
    free(keep);
    free(v);
    return err;
}
