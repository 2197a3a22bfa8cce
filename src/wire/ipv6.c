/* IPv6 fixed header (RFC 8200 3), the extension-header chain (RFC 8200 4)
 * and address helpers (RFC 4291). */
#include "ipv6.h"

#include "checksum.h"

#include <string.h>

/* ---- the fixed header ------------------------------------------------------ */

int nst_ipv6_parse(const uint8_t *buf, size_t len, struct nst_ipv6_repr *out)
{
    if (len < NST_IPV6_HLEN)
        return -NST_IPV6_ERR_TRUNCATED;
    if ((buf[0] >> 4) != 6)
        return -NST_IPV6_ERR_VERSION;
    uint16_t plen = nst_get16(buf + 4);
    /* RFC 2675: payload length 0 announces a jumbogram (a Jumbo Payload
     * option says the length); nstack's links carry at most 64 KiB. A
     * header with nothing after it is an empty packet, not a jumbogram. */
    if (plen == 0 && len > NST_IPV6_HLEN && buf[6] == NST_IP6_NH_HOPOPTS)
        return -NST_IPV6_ERR_JUMBO;
    if ((size_t)plen > len - NST_IPV6_HLEN)
        return -NST_IPV6_ERR_LENGTH;
    uint32_t w0 = nst_get32(buf);
    out->tclass = (uint8_t)(w0 >> 20);
    out->flow_label = w0 & 0xfffff;
    out->payload_len = plen;
    out->next_header = buf[6];
    out->hop_limit = buf[7];
    memcpy(out->src.b, buf + 8, 16);
    memcpy(out->dst.b, buf + 24, 16);
    return NST_IPV6_HLEN;
}

int nst_ipv6_emit(const struct nst_ipv6_repr *r, uint8_t *buf)
{
    nst_put32(buf, (6u << 28) | ((uint32_t)r->tclass << 20) | (r->flow_label & 0xfffff));
    nst_put16(buf + 4, r->payload_len);
    buf[6] = r->next_header;
    buf[7] = r->hop_limit;
    memcpy(buf + 8, r->src.b, 16);
    memcpy(buf + 24, r->dst.b, 16);
    return NST_IPV6_HLEN;
}

const char *nst_ipv6_error_str(int err)
{
    switch (err < 0 ? -err : err) { /* either sign, as nst_ipv4_error_str */
    case NST_IPV6_ERR_TRUNCATED: return "truncated header";
    case NST_IPV6_ERR_VERSION: return "not version 6";
    case NST_IPV6_ERR_LENGTH: return "payload length past the frame";
    case NST_IPV6_ERR_JUMBO: return "jumbogram";
    default: return "unknown error";
    }
}

uint32_t nst_csum_pseudo6(const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t next_header, uint32_t len)
{
    /* Every TCP segment and UDP datagram over IPv6 pays this twice (out and
     * in): the 32 bytes of addresses summed as eight 32-bit words into one
     * 64-bit accumulator, folded once (RFC 1071 2(B): native-order words,
     * byte-swapped to host order at the end). Not inline: in the IPv4
     * paths' shared helpers (tcp_pseudo_sum) it would change what the
     * compiler inlines there. */
    uint64_t acc = 0;
    for (int i = 0; i < 16; i += 4) {
        uint32_t s, d;
        memcpy(&s, src->b + i, 4);
        memcpy(&d, dst->b + i, 4);
        acc += (uint64_t)s + d;
    }
    acc = (acc & 0xffffffffu) + (acc >> 32); /* < 2^33 */
    acc = (acc & 0xffffu) + (acc >> 16);     /* < 2^18 */
    uint32_t a = (uint32_t)((acc & 0xffffu) + (acc >> 16));
    a = (a & 0xffffu) + (a >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    a = ((a & 0xffu) << 8) | (a >> 8);
#endif
    uint32_t r = a + (len >> 16) + (len & 0xffffu) + next_header; /* < 2^18 */
    r = (r & 0xffffu) + (r >> 16);
    return (r & 0xffffu) + (r >> 16); /* folded, as nst_csum_pseudo's */
}

/* ---- the extension-header chain --------------------------------------------- */

#define OPT_PAD1 0
#define OPT_PADN 1
#define OPT_ROUTER_ALERT 5 /* RFC 2711 */
/* Linux refuses more padding than this in a row (RFC 8200 4.2 needs at
 * most 7 to align anything); a header of nothing but padding is a way to
 * make a receiver walk bytes for nothing. */
#define MAX_PAD_RUN 7

struct walk {
    const uint8_t *hdr;
    size_t end;   /* 40 + payload length */
    struct nst_ipv6_ext *ext;
    int dst_mcast;
};

static int refuse(struct walk *w, int err, int icmp_code, size_t pointer)
{
    w->ext->icmp_code = icmp_code;
    w->ext->pointer = (uint32_t)pointer;
    return -err;
}

/* RFC 8200 4.2: what to do with an option this node does not recognise,
 * from the two high bits of its type. Returns 0 to skip it. */
static int unknown_option(struct walk *w, uint8_t type, size_t at)
{
    switch (type >> 6) {
    case 0: return 0;                                             /* skip */
    case 1: return refuse(w, NST_IPV6_EXT_UNKNOWN_OPTION, -1, at); /* discard */
    case 2: return refuse(w, NST_IPV6_EXT_UNKNOWN_OPTION, 2, at);  /* discard, Parameter Problem code 2 */
    default:                                                      /* the same, unless to multicast */
        return refuse(w, NST_IPV6_EXT_UNKNOWN_OPTION, w->dst_mcast ? -1 : 2, at);
    }
}

/* Walks the options of a Hop-by-Hop or Destination Options header at
 * [off + 2, off + hlen). */
static int walk_options(struct walk *w, size_t off, size_t hlen, int hop_by_hop)
{
    const uint8_t *h = w->hdr;
    size_t i = off + 2, end = off + hlen;
    unsigned pad_run = 0;
    while (i < end) {
        uint8_t type = h[i];
        if (type == OPT_PAD1) {
            if (++pad_run > MAX_PAD_RUN)
                return refuse(w, NST_IPV6_EXT_BAD_OPTION, -1, i);
            i++;
            continue;
        }
        if (end - i < 2) /* no room for the length: point at the type */
            return refuse(w, NST_IPV6_EXT_BAD_OPTION, 0, i);
        if ((size_t)h[i + 1] > end - i - 2)
            return refuse(w, NST_IPV6_EXT_BAD_OPTION, 0, i + 1); /* the length runs past the header */
        size_t olen = 2 + (size_t)h[i + 1];
        if (type == OPT_PADN) {
            if ((pad_run += (unsigned)olen) > MAX_PAD_RUN)
                return refuse(w, NST_IPV6_EXT_BAD_OPTION, -1, i);
        } else {
            pad_run = 0;
            if (type == OPT_ROUTER_ALERT && hop_by_hop && olen == 4) {
                w->ext->router_alert = 1;
                w->ext->router_alert_value = nst_get16(h + i + 2);
            } else {
                int err = unknown_option(w, type, i);
                if (err)
                    return err;
            }
        }
        i += olen;
    }
    return 0;
}

/* The smallest upper-layer header worth the name: a first fragment must
 * carry at least this much of it (RFC 7112 5; RFC 8200 4.5). */
static size_t upper_header_min(uint8_t proto)
{
    switch (proto) {
    case NST_IP6_NH_TCP: return 20;
    case NST_IP6_NH_UDP: return 8;
    case NST_IP6_NH_ICMPV6: return 4;
    default: return 0;
    }
}

/* RFC 8200 4.5: a Fragment header at off. Returns 1 when the walk goes
 * on (a first or atomic fragment), 0 when it stops (later fragments hold
 * data, not headers), or an error. */
static int walk_fragment(struct walk *w, size_t off)
{
    struct nst_ipv6_ext *e = w->ext;
    const uint8_t *h = w->hdr;
    uint16_t offm = nst_get16(h + off + 2);
    /* One Fragment header per packet: a fragment of a fragment would make
     * reassembly recurse (and the fields below name only one). */
    if (e->has_frag)
        return refuse(w, NST_IPV6_EXT_FRAG_NESTED, -1, off);
    e->has_frag = 1;
    e->frag_hdr_off = (uint16_t)off;
    e->frag_next = h[off];
    e->frag_off = (uint16_t)(offm & 0xfff8); /* 13 bits in 8-octet units: already times 8 */
    e->frag_more = offm & 1;
    e->frag_id = nst_get32(h + off + 4);
    size_t frag_len = w->end - (off + 8);
    if (e->frag_off == 0 && !e->frag_more) {
        e->atomic = 1; /* RFC 6946: not a fragment of anything; no reassembly */
        return 1;
    }
    if (e->frag_more && frag_len % 8)
        return refuse(w, NST_IPV6_EXT_FRAG_LENGTH, 0, 4); /* points at the Payload Length */
    if ((size_t)e->frag_off + frag_len > 65535)
        return refuse(w, NST_IPV6_EXT_FRAG_OVERFLOW, 0, off + 2); /* points at the Fragment Offset */
    return e->frag_off == 0;
}

/* The header that `nh` (read at nh_at) names starts at off. Returns the
 * offset of the next one, 0 when the walk stops there, or an error. */
static long walk_one(struct walk *w, uint8_t nh, size_t nh_at, size_t off)
{
    const uint8_t *h = w->hdr;
    if (nh == NST_IP6_NH_FRAGMENT) {
        if (w->end - off < 8)
            return refuse(w, NST_IPV6_EXT_TRUNCATED, -1, off);
        int go = walk_fragment(w, off);
        return go < 0 ? go : go ? (long)(off + 8) : 0;
    }
    if (w->end - off < 8) /* every other extension header is at least 8 bytes */
        return refuse(w, NST_IPV6_EXT_TRUNCATED, -1, off);
    size_t hlen = ((size_t)h[off + 1] + 1) * 8; /* Hdr Ext Len: 8-octet units after the first 8 */
    if (hlen > w->end - off)
        return refuse(w, NST_IPV6_EXT_TRUNCATED, 0, off + 1);
    if (nh == NST_IP6_NH_HOPOPTS && nh_at != 6)
        return refuse(w, NST_IPV6_EXT_HOPOPTS_NOT_FIRST, 1, nh_at); /* 4.1: unrecognised here */
    if (nh == NST_IP6_NH_ROUTING && h[off + 3] != 0)
        /* 4.4: segments left; RFC 5095: type 0 is processed no more, and
         * nstack knows no other type, so each is "unrecognised". */
        return refuse(w, NST_IPV6_EXT_ROUTING, 0, off + 2);
    if (nh == NST_IP6_NH_HOPOPTS || nh == NST_IP6_NH_DSTOPTS) {
        int err = walk_options(w, off, hlen, nh == NST_IP6_NH_HOPOPTS);
        if (err)
            return err;
    }
    return (long)(off + hlen);
}

static int is_extension(uint8_t nh)
{
    return nh == NST_IP6_NH_HOPOPTS || nh == NST_IP6_NH_ROUTING || nh == NST_IP6_NH_FRAGMENT ||
           nh == NST_IP6_NH_DSTOPTS;
}

int nst_ipv6_walk(const uint8_t *hdr, const struct nst_ipv6_repr *ip, struct nst_ipv6_ext *ext)
{
    memset(ext, 0, sizeof *ext);
    ext->icmp_code = -1;
    struct walk w = {hdr, NST_IPV6_HLEN + (size_t)ip->payload_len, ext, nst_ip6_is_multicast(&ip->dst)};
    uint8_t nh = ip->next_header;
    size_t nh_at = 6, off = NST_IPV6_HLEN;
    while (is_extension(nh)) {
        if (ext->n_headers == NST_IPV6_MAX_EXT_HEADERS)
            return refuse(&w, NST_IPV6_EXT_TOO_MANY, -1, off);
        ext->n_headers++;
        long next = walk_one(&w, nh, nh_at, off);
        if (next < 0)
            return (int)next;
        if (next == 0) { /* a later fragment: its bytes are data */
            ext->proto = NST_IP6_NH_FRAGMENT;
            ext->proto_off = (uint16_t)(off + 8);
            ext->nh_field_off = (uint16_t)nh_at;
            return 0;
        }
        nh_at = off; /* every extension header begins with its Next Header */
        nh = hdr[off];
        off = (size_t)next;
    }
    ext->proto = nh;
    ext->proto_off = (uint16_t)off;
    ext->nh_field_off = (uint16_t)nh_at;
    /* RFC 7112 5: a first fragment carries the whole chain, upper-layer
     * header included (a tiny first fragment could hide the ports). */
    if (ext->has_frag && !ext->atomic && ext->frag_off == 0 && w.end - off < upper_header_min(nh))
        return refuse(&w, NST_IPV6_EXT_FRAG_CHAIN, 3, 0);
    return 0;
}

const char *nst_ipv6_ext_error_str(int err)
{
    switch (err < 0 ? -err : err) { /* either sign, as nst_ipv4_error_str */
    case NST_IPV6_EXT_TRUNCATED: return "extension header truncated";
    case NST_IPV6_EXT_HOPOPTS_NOT_FIRST: return "hop-by-hop header not first";
    case NST_IPV6_EXT_BAD_OPTION: return "malformed option";
    case NST_IPV6_EXT_UNKNOWN_OPTION: return "unrecognised option";
    case NST_IPV6_EXT_ROUTING: return "routing header with segments left";
    case NST_IPV6_EXT_TOO_MANY: return "too many extension headers";
    case NST_IPV6_EXT_FRAG_LENGTH: return "fragment length not a multiple of 8";
    case NST_IPV6_EXT_FRAG_CHAIN: return "first fragment without the header chain";
    case NST_IPV6_EXT_FRAG_OVERFLOW: return "fragment past 65535 bytes";
    case NST_IPV6_EXT_FRAG_NESTED: return "fragment header inside a fragment";
    default: return "unknown error";
    }
}

/* ---- addresses ---------------------------------------------------------------- */

/* The first n bits of a 64-bit half, compared as one big-endian word
 * (a route lookup asks this of every route: no memcmp call). */
static int half_in_prefix(const uint8_t *a, const uint8_t *p, unsigned bits)
{
    if (bits == 0)
        return 1;
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    x = __builtin_bswap64(x);
    y = __builtin_bswap64(y);
#endif
    uint64_t mask = bits >= 64 ? ~(uint64_t)0 : ~(~(uint64_t)0 >> bits);
    return ((x ^ y) & mask) == 0;
}

int nst_ip6_in_prefix(const nst_ip6_t *a, const nst_ip6_t *prefix, unsigned len)
{
    if (len > 128)
        return 0;
    return half_in_prefix(a->b, prefix->b, len > 64 ? 64 : len) &&
           half_in_prefix(a->b + 8, prefix->b + 8, len > 64 ? len - 64 : 0);
}

void nst_ip6_solicited_node(const nst_ip6_t *a, nst_ip6_t *out)
{
    static const uint8_t p[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
    memcpy(out->b, p, sizeof p);
    memcpy(out->b + 13, a->b + 13, 3);
}

void nst_ip6_all_nodes(nst_ip6_t *out)
{
    memset(out, 0, sizeof *out);
    out->b[0] = 0xff;
    out->b[1] = 0x02;
    out->b[15] = 1;
}

void nst_ip6_all_routers(nst_ip6_t *out)
{
    nst_ip6_all_nodes(out);
    out->b[15] = 2;
}

void nst_ip6_mcast_mac(const nst_ip6_t *group, struct nst_mac *out)
{
    out->b[0] = 0x33;
    out->b[1] = 0x33;
    memcpy(out->b + 2, group->b + 12, 4);
}

void nst_ip6_from_eui64(const nst_ip6_t *prefix, const struct nst_mac *mac, nst_ip6_t *a)
{
    memcpy(a->b, prefix->b, 8);
    a->b[8] = mac->b[0] ^ 0x02; /* the universal/local bit, inverted (RFC 4291 appendix A) */
    a->b[9] = mac->b[1];
    a->b[10] = mac->b[2];
    a->b[11] = 0xff;
    a->b[12] = 0xfe;
    a->b[13] = mac->b[3];
    a->b[14] = mac->b[4];
    a->b[15] = mac->b[5];
}

int nst_ip6_iid_reserved(const uint8_t iid[8])
{
    static const uint8_t zero[8];
    static const uint8_t anycast[7] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t proxy_mip6[5] = {0x02, 0x00, 0x5e, 0xff, 0xfe};
    return memcmp(iid, zero, 8) == 0                                   /* Subnet-Router anycast */
           || (memcmp(iid, anycast, 7) == 0 && iid[7] >= 0x80)         /* subnet anycast, fdff:...:ff80.. */
           || memcmp(iid, proxy_mip6, 5) == 0;                         /* 0200:5eff:fe00:0000..feff:ffff */
}
