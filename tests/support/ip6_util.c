/* IPv6 frame building and parsing for tests (ip6_util.h). */
#include "support/ip6_util.h"

#include <stdlib.h>

static size_t pad(uint8_t *buf, size_t len)
{
    if (len < NST_ETH_MIN_FRAME) {
        memset(buf + len, 0, NST_ETH_MIN_FRAME - len);
        len = NST_ETH_MIN_FRAME;
    }
    return len;
}

size_t su6_build(uint8_t *buf, const struct su6_ip *ip, const void *payload, size_t plen)
{
    struct nst_eth_repr eth = {.dst = ip->eth_dst, .src = ip->eth_src, .ethertype = NST_ETHERTYPE_IPV6};
    nst_eth_emit(&eth, buf);
    struct nst_ipv6_repr h = {.tclass = ip->tclass, .payload_len = (uint16_t)(ip->ext_len + plen),
                              .next_header = ip->next_header, .hop_limit = ip->hop_limit ? ip->hop_limit : 64,
                              .src = ip->src, .dst = ip->dst};
    nst_ipv6_emit(&h, buf + NST_ETH_HLEN);
    size_t at = NST_ETH_HLEN + NST_IPV6_HLEN;
    if (ip->ext_len)
        memcpy(buf + at, ip->ext, ip->ext_len);
    at += ip->ext_len;
    if (plen)
        memcpy(buf + at, payload, plen);
    return pad(buf, at + plen);
}

size_t su6_build_icmp(uint8_t *buf, const struct su6_ip *ip, uint8_t type, uint8_t code, uint32_t word,
                      const void *data, size_t len)
{
    uint8_t *msg = malloc(NST_ICMP6_HLEN + len);
    struct nst_icmp6_repr r = {.type = type, .code = code, .word = word, .data = data, .data_len = len};
    int n = nst_icmp6_emit(&r, &ip->src, &ip->dst, msg, NST_ICMP6_HLEN + len);
    struct su6_ip x = *ip;
    if (!x.ext_len)
        x.next_header = NST_IP6_NH_ICMPV6;
    size_t out = su6_build(buf, &x, msg, (size_t)n);
    free(msg);
    return out;
}

size_t su6_build_nd(uint8_t *buf, const struct su6_ip *ip, const struct nst_nd_repr *r)
{
    uint8_t msg[64];
    int n = nst_nd_emit(r, &ip->src, &ip->dst, msg, sizeof msg);
    struct su6_ip x = *ip;
    x.next_header = NST_IP6_NH_ICMPV6;
    if (!x.hop_limit)
        x.hop_limit = 255;
    return su6_build(buf, &x, msg, n > 0 ? (size_t)n : 0);
}

int su6_parse(const uint8_t *frame, size_t len, struct su6_parsed *out)
{
    memset(out, 0, sizeof(*out));
    if (nst_eth_parse(frame, len, &out->eth) < 0 || out->eth.ethertype != NST_ETHERTYPE_IPV6)
        return -1;
    const uint8_t *p = frame + NST_ETH_HLEN;
    if (nst_ipv6_parse(p, len - NST_ETH_HLEN, &out->ip) < 0 || nst_ipv6_walk(p, &out->ip, &out->ext) < 0)
        return -1;
    out->l4 = p + out->ext.proto_off;
    out->l4_len = NST_IPV6_HLEN + (size_t)out->ip.payload_len - out->ext.proto_off;
    if (out->ext.proto == NST_IP6_NH_ICMPV6 &&
        nst_icmp6_parse(out->l4, out->l4_len, &out->ip.src, &out->ip.dst, &out->icmp, 1) == 0) {
        out->icmp_ok = 1;
        struct nst_nd_ip ndip = {&out->ip.src, &out->ip.dst, out->ip.hop_limit};
        out->nd_ok = nst_nd_parse(out->l4, out->l4_len, &ndip, &out->nd) == 0;
    }
    return 0;
}

long su6_tap_find_icmp(const struct su_tap *tap, uint8_t type, size_t from)
{
    for (size_t i = from; i < tap->n; i++) {
        struct su6_parsed p;
        if (su6_parse(tap->v[i].data, tap->v[i].len, &p) == 0 && p.icmp_ok && p.icmp.type == type)
            return (long)i;
    }
    return -1;
}

size_t su6_tap_count_icmp(const struct su_tap *tap, uint8_t type)
{
    size_t n = 0;
    for (long i = 0; (i = su6_tap_find_icmp(tap, type, (size_t)i)) >= 0; i++)
        n++;
    return n;
}

nst_ip6_t su6_addr(const char *s)
{
    nst_ip6_t a;
    if (nst_ip6_parse(s, &a, NULL) < 0)
        abort();
    return a;
}

nst_ip6_t su6_link_local(const struct nst_mac *mac)
{
    static const nst_ip6_t fe80 = {{0xfe, 0x80}};
    nst_ip6_t a;
    nst_ip6_from_eui64(&fe80, mac, &a);
    return a;
}

void su6_host_up(struct su6_host *h, const struct nst_stack_config *base, nst_time_t t0)
{
    struct nst_stack_config c;
    if (base)
        c = *base;
    else
        nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.ip6_dad_delay = 0;
    c.icmp_random_cost = 0;
    c.nd_rtr_solicitations = 0; /* no Router Solicitations among the frames the tests count */
    h->st = su_tap_host(&c, &h->tap, 0, 0);
    h->me = su6_addr("2001:db8::1");
    h->peer = su6_addr("2001:db8::2");
    h->peer_mac = su_mac(2);
    h->ll = su6_link_local(&h->tap.mac);
    if (nst_iface_addr6_add(h->st, 0, &h->me, 64) < 0)
        abort();
    nst_stack_poll(h->st, 0);          /* DAD's solicitations, */
    nst_stack_poll(h->st, NST_SEC(1)); /* its end: both addresses preferred */
    nst_stack_poll(h->st, t0);
    h->now = t0;
    su_tap_clear(&h->tap);
}

void su6_host_down(struct su6_host *h)
{
    nst_stack_free(h->st);
    su_tap_free(&h->tap);
}

struct su6_ip su6_to_host(const struct su6_host *h)
{
    struct su6_ip ip = {.eth_src = h->peer_mac, .eth_dst = h->tap.mac, .src = h->peer, .dst = h->me};
    return ip;
}

void su6_host_inject(struct su6_host *h, const uint8_t *frame, size_t len)
{
    h->now += NST_MSEC(1);
    su_tap_inject(&h->tap, frame, len, h->now);
}

void su6_peer_known(struct su6_host *h)
{
    uint8_t frame[128];
    struct su6_ip ip = su6_to_host(h);
    struct nst_nd_repr r = {.type = NST_ICMP6_NEIGHBOR_SOLICIT, .target = h->me, .has_src_lladdr = 1,
                            .src_lladdr = h->peer_mac};
    su6_host_inject(h, frame, su6_build_nd(frame, &ip, &r));
    su_tap_clear(&h->tap);
}
