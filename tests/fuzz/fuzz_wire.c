/* libFuzzer target for the whole wire layer (src/wire/).
 *
 * The input is read as an Ethernet frame and also, from its first byte, as
 * a bare IPv4 and IPv6 packet, as bare TCP, UDP, ICMP, ICMPv6, Neighbor
 * Discovery and ARP messages, and as IPv6 address text, so every parser
 * sees every input. Whatever parses is emitted again and parsed
 * back: the representation must survive the round trip, and the checksum
 * routine must agree with a plain 16-bit reference. Any disagreement
 * aborts, which libFuzzer reports with the input that caused it.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds]. */
#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/icmpv6.h"
#include "wire/mld.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/ndp.h"
#include "wire/tcp.h"
#include "wire/udp.h"

/* The fuzzers are built with src/ alone on the include path. */
#include "../support/csum_ref.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define A_SRC NST_IP4(192, 0, 2, 1)
#define A_DST NST_IP4(192, 0, 2, 2)

#define REQUIRE(cond)   \
    do {                \
        if (!(cond))    \
            abort();    \
    } while (0)

static void fuzz_checksum(const uint8_t *p, size_t len)
{
    REQUIRE(csum_same(nst_csum_add(0, p, len), csum_ref(0, p, len)));
    /* Misaligned by one, and through the fused copy. */
    uint8_t *copy = malloc(len + 1);
    REQUIRE(copy);
    uint32_t c = nst_csum_copy(0, copy + 1, p, len);
    REQUIRE(memcmp(copy + 1, p, len) == 0);
    REQUIRE(csum_same(c, csum_ref(0, p, len)));
    REQUIRE(csum_same(nst_csum_add(0, copy + 1, len), c));
    free(copy);
}

static void fuzz_eth(const uint8_t *p, size_t len)
{
    struct nst_eth_repr e;
    if (nst_eth_parse(p, len, &e) != NST_ETH_HLEN)
        return;
    uint8_t out[NST_ETH_HLEN];
    nst_eth_emit(&e, out);
    REQUIRE(memcmp(out, p, NST_ETH_HLEN) == 0);
}

static void fuzz_arp(const uint8_t *p, size_t len)
{
    struct nst_arp_repr a;
    if (nst_arp_parse(p, len, &a) != NST_ARP_LEN)
        return;
    uint8_t out[NST_ARP_LEN];
    nst_arp_emit(&a, out);
    REQUIRE(memcmp(out, p, NST_ARP_LEN) == 0);
}

static void fuzz_icmp(const uint8_t *p, size_t len)
{
    struct nst_icmp_repr r;
    if (nst_icmp_parse(p, len, &r, 0) != 0 || len > 0xffff)
        return;
    uint8_t *out = malloc(len);
    REQUIRE(out);
    REQUIRE(nst_icmp_emit(&r, out, len) == (int)len);
    struct nst_icmp_repr back;
    REQUIRE(nst_icmp_parse(out, len, &back, 1) == 0);
    REQUIRE(back.type == r.type && back.code == r.code && back.id == r.id && back.seq == r.seq);
    REQUIRE(back.data_len == r.data_len && memcmp(back.data, r.data, r.data_len) == 0);
    /* Too small a buffer is refused, never overrun. */
    REQUIRE(nst_icmp_emit(&r, out, len - 1) == -ENOSPC);
    free(out);
    (void)nst_icmp_quote_len(p, len);
}

static void fuzz_udp(const uint8_t *p, size_t len, nst_ip4_t src, nst_ip4_t dst)
{
    struct nst_udp_repr r;
    (void)nst_udp_parse(p, len, src, dst, &r, 1);
    if (nst_udp_parse(p, len, src, dst, &r, 0) != 0)
        return;
    uint8_t *out = malloc(r.length);
    REQUIRE(out);
    memcpy(out, p, r.length);
    nst_udp_emit(&r, out, src, dst);
    REQUIRE(memcmp(out, p, 6) == 0);
    struct nst_udp_repr back;
    REQUIRE(nst_udp_parse(out, r.length, src, dst, &back, 1) == 0);
    REQUIRE(back.src_port == r.src_port && back.dst_port == r.dst_port && back.length == r.length);
    REQUIRE(nst_get16(out + 6) != 0);
    free(out);
}

static size_t sack_room(const struct nst_tcp_opts *o)
{
    size_t fixed = 4u * o->has_mss + (o->has_ts ? 12u : 4u * o->sack_ok) + 4u * o->has_wscale;
    return fixed + 12 <= 40 ? (40 - fixed - 4) / 8 : 0;
}

static void fuzz_tcp(const uint8_t *p, size_t len, nst_ip4_t src, nst_ip4_t dst)
{
    struct nst_tcp_repr r;
    (void)nst_tcp_parse(p, len, src, dst, &r, 1);
    int hl = nst_tcp_parse(p, len, src, dst, &r, 0);
    if (hl < 0)
        return;
    REQUIRE(hl >= NST_TCP_HLEN && hl <= NST_TCP_MAX_HLEN && hl == r.hdr_len);
    REQUIRE(r.opts.sack_count <= NST_TCP_MAX_SACK);
    uint8_t out[NST_TCP_MAX_HLEN + 4];
    memset(out, 0xa5, sizeof out);
    size_t ol = nst_tcp_opts_len(&r.opts);
    int ehl = nst_tcp_emit(&r, out);
    REQUIRE(ol <= 40 && ol % 4 == 0 && (size_t)ehl == NST_TCP_HLEN + ol);
    REQUIRE(out[ehl] == 0xa5); /* nothing written past the header */
    nst_tcp_set_checksum(out, (size_t)ehl, src, dst);
    struct nst_tcp_repr b;
    REQUIRE(nst_tcp_parse(out, (size_t)ehl, src, dst, &b, 1) == ehl);
    REQUIRE(b.src_port == r.src_port && b.dst_port == r.dst_port && b.seq == r.seq && b.ack == r.ack);
    REQUIRE(b.flags == r.flags && b.window == r.window && b.urg_ptr == r.urg_ptr);
    const struct nst_tcp_opts *x = &r.opts, *y = &b.opts;
    REQUIRE(x->has_mss == y->has_mss && (!x->has_mss || x->mss == y->mss));
    REQUIRE(x->has_wscale == y->has_wscale && (!x->has_wscale || x->wscale == y->wscale));
    REQUIRE(x->sack_ok == y->sack_ok);
    REQUIRE(x->has_ts == y->has_ts && (!x->has_ts || (x->ts_val == y->ts_val && x->ts_ecr == y->ts_ecr)));
    size_t room = sack_room(x);
    size_t kept = x->sack_count < room ? x->sack_count : room;
    REQUIRE(y->sack_count == kept);
    for (size_t i = 0; i < kept; i++)
        REQUIRE(x->sack[i].start == y->sack[i].start && x->sack[i].end == y->sack[i].end);
}

static void fuzz_ipv4(const uint8_t *p, size_t len)
{
    struct nst_ipv4_repr r;
    (void)nst_ipv4_parse(p, len, &r, 1);
    int hl = nst_ipv4_parse(p, len, &r, 0);
    if (hl < 0)
        return;
    REQUIRE(hl >= NST_IPV4_HLEN && hl <= NST_IPV4_MAX_HLEN && hl == r.hdr_len && r.total_len <= len);
    uint8_t out[NST_IPV4_HLEN];
    REQUIRE(nst_ipv4_emit(&r, out) == NST_IPV4_HLEN);
    REQUIRE(nst_inet_checksum(out, NST_IPV4_HLEN) == 0);
    /* Same fields; the header is only shorter by its options. */
    REQUIRE(out[1] == p[1] && memcmp(out + 4, p + 4, 2) == 0 && memcmp(out + 8, p + 8, 2) == 0);
    REQUIRE(memcmp(out + 12, p + 12, 8) == 0);
    REQUIRE((nst_get16(out + 6) & 0x7fff) == (nst_get16(p + 6) & 0x7fff)); /* reserved bit dropped */
    const uint8_t *payload = p + hl;
    size_t plen = r.total_len - (size_t)hl;
    switch (r.proto) {
    case NST_IP_PROTO_TCP: fuzz_tcp(payload, plen, r.src, r.dst); break;
    case NST_IP_PROTO_UDP: fuzz_udp(payload, plen, r.src, r.dst); break;
    case NST_IP_PROTO_ICMP: fuzz_icmp(payload, plen); break;
    default: break;
    }
}

/* ---- IPv6 ------------------------------------------------------------------- */

static const nst_ip6_t A6_SRC = {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
static const nst_ip6_t A6_DST = {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1}};

/* Neighbor Discovery: what parses is within the message; NS, NA, RS, RA
 * and Redirect emit again and parse back to the same fields. Re-emitting
 * never needs more than the input plus a little: unknown options are
 * dropped, known ones keep their size (a 6-byte nonce option may grow to
 * its 8-byte form). */
static void fuzz_nd(const uint8_t *p, size_t len, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t hop)
{
    struct nst_nd_ip ip = {src, dst, hop};
    struct nst_nd_repr r, back;
    if (nst_nd_parse(p, len, &ip, &r) < 0)
        return;
    REQUIRE(r.n_prefixes <= NST_ND_MAX_PREFIXES);
    REQUIRE(!r.redirected || (r.redirected > p && r.redirected + r.redirected_len <= p + len));
    size_t cap = len + 64;
    uint8_t *out = malloc(cap);
    REQUIRE(out);
    int n = nst_nd_emit(&r, src, dst, out, cap);
    REQUIRE(n > 0);
    struct nst_icmp6_repr ic;
    REQUIRE(nst_icmp6_parse(out, (size_t)n, src, dst, &ic, 1) == 0);
    REQUIRE(nst_nd_parse(out, (size_t)n, &ip, &back) == 0);
    REQUIRE(back.type == r.type && nst_ip6_eq(&back.target, &r.target));
    REQUIRE(back.has_src_lladdr == r.has_src_lladdr && back.has_tgt_lladdr == r.has_tgt_lladdr);
    REQUIRE(!r.has_src_lladdr || memcmp(back.src_lladdr.b, r.src_lladdr.b, 6) == 0);
    REQUIRE(!r.has_tgt_lladdr || memcmp(back.tgt_lladdr.b, r.tgt_lladdr.b, 6) == 0);
    REQUIRE(r.type != NST_ICMP6_NEIGHBOR_ADVERT || back.flags == r.flags);
    if (r.type == NST_ICMP6_ROUTER_ADVERT) {
        REQUIRE(back.n_prefixes == r.n_prefixes && back.has_mtu == r.has_mtu);
        REQUIRE(back.router_lifetime == r.router_lifetime && back.flags == r.flags);
        REQUIRE(!r.has_mtu || back.mtu == r.mtu);
        for (unsigned i = 0; i < r.n_prefixes; i++) {
            const struct nst_nd_prefix *a = &r.prefix[i], *b = &back.prefix[i];
            REQUIRE(a->len == b->len && a->flags == b->flags && nst_ip6_eq(&a->prefix, &b->prefix));
            REQUIRE(a->valid_lifetime == b->valid_lifetime && a->preferred_lifetime == b->preferred_lifetime);
        }
    }
    if (r.type == NST_ICMP6_REDIRECT) {
        REQUIRE(nst_ip6_eq(&back.dest, &r.dest) && back.redirected_len == r.redirected_len);
        REQUIRE(r.redirected_len == 0 || memcmp(back.redirected, r.redirected, r.redirected_len) == 0);
    }
    free(out);
}

/* MLD (RFC 3810, RFC 2710): a query that parses names sources inside the
 * message and emits again to the same fields; a report that parses has
 * every record inside the message, read back by the iterator in order. */
static void fuzz_mld(const uint8_t *p, size_t len, const nst_ip6_t *src, const nst_ip6_t *dst)
{
    struct nst_mld_query q, qb;
    if (nst_mld_query_parse(p, len, &q) == 0) {
        REQUIRE(q.version == 1 || q.version == 2);
        REQUIRE(q.version == 2 || len == NST_MLD_V1_LEN);
        REQUIRE(!q.n_sources || q.sources + (size_t)q.n_sources * 16 <= p + len);
        size_t cap = NST_MLD_V2_QUERY_MIN + (size_t)q.n_sources * 16;
        uint8_t *out = malloc(cap);
        REQUIRE(out);
        int n = nst_mld_query_emit(&q, src, dst, out, cap);
        REQUIRE(n > 0 && nst_mld_query_parse(out, (size_t)n, &qb) == 0);
        REQUIRE(qb.version == q.version && qb.n_sources == q.n_sources && nst_ip6_eq(&qb.group, &q.group));
        REQUIRE(qb.qrv == q.qrv && qb.suppress == q.suppress);
        REQUIRE(!q.n_sources || memcmp(qb.sources, q.sources, (size_t)q.n_sources * 16) == 0);
        /* a decoded time encodes back to itself (5.1.3, 5.1.9: exact codes) */
        REQUIRE(q.version == 1 || nst_mld_code_to_ms(nst_mld_ms_to_code(q.max_resp_ms)) == q.max_resp_ms);
        REQUIRE(nst_mld_qqic_to_s(nst_mld_s_to_qqic(q.qqi_s)) == q.qqi_s);
        free(out);
    }
    struct nst_mld_report r;
    if (nst_mld_report_parse(p, len, &r) == 0) {
        size_t off = 0, prev = NST_MLD_V2_REPORT_MIN;
        unsigned i = 0;
        struct nst_mld_record rec;
        while (nst_mld_report_next(&r, &off, &i, &rec) == 0) {
            REQUIRE(off > prev && off <= len);
            REQUIRE(rec.sources + (size_t)rec.n_sources * 16 <= p + len);
            prev = off;
        }
        REQUIRE(i == r.n_records);
    }
    struct nst_mld_v1 m;
    if (nst_mld_v1_parse(p, len, &m) == 0) {
        uint8_t out[NST_MLD_V1_LEN];
        REQUIRE(nst_mld_v1_emit(&m, src, dst, out, sizeof out) == NST_MLD_V1_LEN);
        /* the same type, delay and group; the reserved field written 0 */
        REQUIRE(out[0] == p[0] && memcmp(out + 4, p + 4, 2) == 0 && memcmp(out + 8, p + 8, 16) == 0);
    }
}

static void fuzz_icmp6(const uint8_t *p, size_t len, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t hop)
{
    struct nst_icmp6_repr r;
    (void)nst_icmp6_parse(p, len, src, dst, &r, 1);
    if (nst_icmp6_parse(p, len, src, dst, &r, 0) < 0)
        return;
    REQUIRE(r.data == p + NST_ICMP6_HLEN && r.data_len == len - NST_ICMP6_HLEN);
    uint8_t *out = malloc(len);
    REQUIRE(out);
    REQUIRE(nst_icmp6_emit(&r, src, dst, out, len) == (int)len);
    struct nst_icmp6_repr back;
    REQUIRE(nst_icmp6_parse(out, len, src, dst, &back, 1) == 0); /* emit makes a right checksum */
    REQUIRE(memcmp(out + 4, p + 4, len - 4) == 0 && out[0] == p[0] && out[1] == p[1]);
    free(out);
    fuzz_nd(p, len, src, dst, hop);
    fuzz_mld(p, len, src, dst);
}

static void fuzz_ipv6(const uint8_t *p, size_t len)
{
    struct nst_ipv6_repr r;
    if (nst_ipv6_parse(p, len, &r) != NST_IPV6_HLEN)
        return;
    REQUIRE((size_t)NST_IPV6_HLEN + r.payload_len <= len);
    uint8_t out[NST_IPV6_HLEN];
    REQUIRE(nst_ipv6_emit(&r, out) == NST_IPV6_HLEN);
    REQUIRE(memcmp(out, p, NST_IPV6_HLEN) == 0);
    struct nst_ipv6_ext e;
    int err = nst_ipv6_walk(p, &r, &e);
    if (err < 0) {
        /* A refusal names a Parameter Problem code (or none) and a pointer inside the packet. */
        REQUIRE(e.icmp_code >= -1 && e.icmp_code <= 3);
        REQUIRE(e.pointer < (uint32_t)NST_IPV6_HLEN + r.payload_len || e.icmp_code == -1);
        return;
    }
    REQUIRE(e.n_headers <= NST_IPV6_MAX_EXT_HEADERS);
    REQUIRE(e.proto_off >= NST_IPV6_HLEN && e.proto_off <= NST_IPV6_HLEN + r.payload_len);
    REQUIRE(e.nh_field_off < e.proto_off);
    if (e.proto == NST_IP6_NH_FRAGMENT)
        return; /* fragment data: nothing to parse */
    const uint8_t *l4 = p + e.proto_off;
    size_t l4len = NST_IPV6_HLEN + (size_t)r.payload_len - e.proto_off;
    if (e.proto == NST_IP6_NH_ICMPV6)
        fuzz_icmp6(l4, l4len, &r.src, &r.dst, r.hop_limit);
}

/* Text: whatever parses prints in the canonical form, which parses to the
 * same address and prints the same again. */
static void fuzz_ip6_text(const uint8_t *p, size_t len)
{
    char s[64];
    if (len >= sizeof s)
        return;
    memcpy(s, p, len);
    s[len] = '\0';
    nst_ip6_t a, b;
    uint8_t plen;
    if (nst_ip6_parse(s, &a, &plen) < 0)
        return;
    REQUIRE(plen <= 128);
    char t[NST_IP6_STRLEN], u[NST_IP6_STRLEN];
    nst_ip6_str(&a, t);
    REQUIRE(strlen(t) < NST_IP6_STRLEN);
    REQUIRE(nst_ip6_parse(t, &b, NULL) == 0 && nst_ip6_eq(&a, &b));
    REQUIRE(strcmp(nst_ip6_str(&b, u), t) == 0);
}

static void fuzz_icmp6_bare(const uint8_t *p, size_t len) { fuzz_icmp6(p, len, &A6_SRC, &A6_DST, 255); }

/* Each parser gets its own heap copy of exactly len bytes, so that ASan
 * catches a read even one byte past the end. */
typedef void (*fuzz_fn)(const uint8_t *p, size_t len);

static void on_copy(fuzz_fn fn, const uint8_t *p, size_t len)
{
    uint8_t *c = malloc(len ? len : 1);
    REQUIRE(c);
    if (len)
        memcpy(c, p, len);
    fn(c, len);
    free(c);
}

static void fuzz_tcp_bare(const uint8_t *p, size_t len) { fuzz_tcp(p, len, A_SRC, A_DST); }
static void fuzz_udp_bare(const uint8_t *p, size_t len) { fuzz_udp(p, len, A_SRC, A_DST); }

static void fuzz_frame(const uint8_t *p, size_t len)
{
    struct nst_eth_repr e;
    fuzz_eth(p, len);
    if (nst_eth_parse(p, len, &e) != NST_ETH_HLEN)
        return;
    if (e.ethertype == NST_ETHERTYPE_ARP)
        fuzz_arp(p + NST_ETH_HLEN, len - NST_ETH_HLEN);
    else if (e.ethertype == NST_ETHERTYPE_IPV6)
        fuzz_ipv6(p + NST_ETH_HLEN, len - NST_ETH_HLEN);
    else
        fuzz_ipv4(p + NST_ETH_HLEN, len - NST_ETH_HLEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    on_copy(fuzz_frame, data, size);
    on_copy(fuzz_ipv4, data, size);
    on_copy(fuzz_ipv6, data, size);
    on_copy(fuzz_icmp6_bare, data, size);
    on_copy(fuzz_ip6_text, data, size);
    on_copy(fuzz_arp, data, size);
    on_copy(fuzz_icmp, data, size);
    on_copy(fuzz_udp_bare, data, size);
    on_copy(fuzz_tcp_bare, data, size);
    on_copy(fuzz_checksum, data, size);
    return 0;
}
