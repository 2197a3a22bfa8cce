/* ICMPv4 (RFC 792, RFC 1122 3.2.2): echo replies, error generation with the
 * rules that keep errors from multiplying, a rate limit, and the dispatch of
 * received errors to the transport that sent the offending datagram. */
#include <errno.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

static int icmp_send(struct nst_stack *st, const struct nst_icmp_repr *r, nst_ip4_t src, nst_ip4_t dst)
{
    struct nst_pkt *p = nst_pkt_alloc(st, NST_ICMP_HLEN + r->data_len);
    if (!p)
        return -ENOMEM;
    int n = nst_icmp_emit(r, nst_pkt_data(p), p->len);
    if (n < 0) {
        nst_pkt_free(st, p);
        return n;
    }
    NST_STAT_INC(st, icmp, tx_msgs);
    return nst_ip_output(st, p, src, dst, NST_IP_PROTO_ICMP, 0, 0, 0);
}

/* Credit units per token: each elapsed nanosecond earns icmp_rate_per_sec
 * units, so a token takes exactly 1e9 / rate ns, and no fraction of a
 * nanosecond is ever rounded away (the remainder is carried). */
#define ICMP_CREDIT_PER_TOKEN 1000000000u

/* Adds what the time since the last call has earned. A full bucket holds
 * no credit beyond its burst: time spent full earns nothing. */
static void icmp_refill(struct nst_stack *st, struct nst_icmp_bucket *b)
{
    uint64_t rate = st->cfg.icmp_rate_per_sec, burst = st->cfg.icmp_burst;
    if (st->now <= b->last)
        return;
    uint64_t elapsed = (uint64_t)(st->now - b->last);
    b->last = st->now;
    if (b->tokens >= burst) {
        b->tokens = (uint32_t)burst;
        b->credit = 0;
        return;
    }
    if (rate == 0)
        return;
    /* Units still missing to a full bucket: at most 2^32 * 1e9, so neither
     * this nor elapsed * rate below it can overflow 64 bits. */
    uint64_t missing = (burst - b->tokens) * ICMP_CREDIT_PER_TOKEN - b->credit;
    if (elapsed >= (missing + rate - 1) / rate) {
        b->tokens = (uint32_t)burst;
        b->credit = 0;
        return;
    }
    uint64_t units = elapsed * rate + b->credit;
    b->tokens += (uint32_t)(units / ICMP_CREDIT_PER_TOKEN);
    b->credit = (uint32_t)(units % ICMP_CREDIT_PER_TOKEN);
}

/* The shared bucket (RFC 1812 4.3.2.8: icmp_burst tokens, icmp_rate_per_sec
 * of them a second), so a flood of bad datagrams cannot turn us into a
 * flood of ICMP errors. Its exact size would be a counter any host can
 * read (send n probes, see how many answers come back: CVE-2020-25705,
 * the SAD DNS attack learnt which UDP ports were open that way), so an
 * error costs 0, 1 or 2 tokens at random, as in Linux since then: 1 on
 * average, never an exact count. ICMPv6 has a bucket of its own. */
int nst_icmp_bucket_allows(struct nst_stack *st, struct nst_icmp_bucket *b)
{
    icmp_refill(st, b);
    if (b->tokens == 0)
        return 0;
    uint32_t cost = st->cfg.icmp_random_cost ? (uint32_t)nst_rng_below(&st->rng, 3) : 1;
    b->tokens -= cost < b->tokens ? cost : b->tokens;
    return 1;
}

int nst_icmp_budget_allows(struct nst_stack *st, nst_time_t *last, nst_time_t *credit)
{
    nst_time_t interval = st->cfg.icmp_dst_interval, full = nst_icmp_budget_full(st);
    nst_time_t elapsed = st->now - *last;
    *credit = elapsed >= full - *credit ? full : *credit + elapsed;
    *last = st->now;
    if (*credit < interval)
        return 0;
    *credit -= interval;
    return 1;
}

nst_time_t nst_icmp_budget_full(const struct nst_stack *st)
{
    nst_time_t interval = st->cfg.icmp_dst_interval;
    unsigned burst = st->cfg.icmp_dst_burst;
    return burst > INT64_MAX / interval ? INT64_MAX : (nst_time_t)burst * interval;
}

/* The slot of dst in the per-destination table; a new destination takes a
 * free slot, else the one unused the longest, with a full budget. */
static struct nst_icmp_peer *icmp_peer(struct nst_stack *st, nst_ip4_t dst)
{
    uint32_t now = ++st->ip.icmp_peer_clock;
    struct nst_icmp_peer *victim = NULL;
    for (int i = 0; i < NST_ICMP_PEERS; i++) {
        struct nst_icmp_peer *p = &st->ip.icmp_peers[i];
        if (p->addr == dst) {
            p->used = now;
            return p;
        }
        /* Unsigned differences: ages stay right when the clock wraps. */
        if (!victim || (victim->addr && (!p->addr || now - p->used > now - victim->used)))
            victim = p;
    }
    *victim = (struct nst_icmp_peer){.addr = dst, .used = now, .last = st->now, .credit = nst_icmp_budget_full(st)};
    return victim;
}

/* RFC 1122 3.2.2 lets the rate be limited per destination; Linux keeps
 * such a bucket per peer (icmp_ratelimit: one error a second, a burst of
 * 6). Errors drawn toward one address then cannot exhaust the shared
 * bucket and silence, or reveal, the errors owed to another. */
static int icmp_dst_allows(struct nst_stack *st, nst_ip4_t dst)
{
    if (st->cfg.icmp_dst_interval <= 0)
        return 1;
    struct nst_icmp_peer *p = icmp_peer(st, dst);
    return nst_icmp_budget_allows(st, &p->last, &p->credit);
}

static int is_icmp_error_type(uint8_t type)
{
    return type == NST_ICMP_DEST_UNREACH || type == NST_ICMP_TIME_EXCEEDED || type == 4 /* source quench */ ||
           type == 5 /* redirect */ || type == 12 /* parameter problem */;
}

/* RFC 1122 3.2.2: never answer an ICMP error, a datagram to a broadcast or
 * multicast address, a non-initial fragment, or one whose source does not
 * name a single host. */
static int error_allowed(struct nst_stack *st, const struct nst_ipv4_repr *h, const uint8_t *orig, size_t len)
{
    if (nst_ip_is_broadcast_or_multicast(st, h->dst) || nst_ip_is_broadcast_or_multicast(st, h->src) ||
        (h->src >> 24) == 127)
        return 0;
    if (h->frag_off != 0)
        return 0;
    if (h->proto == NST_IP_PROTO_ICMP) {
        if (len < (size_t)h->hdr_len + 1u)
            return 0;
        uint8_t type = orig[h->hdr_len];
        if (is_icmp_error_type(type))
            return 0;
    }
    return 1;
}

/* The offending datagram may be handed over cut short (reassembly keeps
 * only fragment 0's header and 8 data bytes for its Time Exceeded), so its
 * header is parsed without requiring total_len bytes behind it. */
static int parse_offending_header(const uint8_t *orig, size_t len, struct nst_ipv4_repr *h)
{
    uint8_t copy[NST_IPV4_MAX_HLEN];
    if (len < NST_IPV4_HLEN)
        return -1;
    size_t hl = (size_t)(orig[0] & 0x0f) * 4;
    if (hl < NST_IPV4_HLEN || hl > len)
        return -1;
    memcpy(copy, orig, hl);
    nst_put16(copy + 2, (uint16_t)hl);
    return nst_ipv4_parse(copy, hl, h, 0) < 0 ? -1 : 0;
}

void nst_icmp_send_error(struct nst_stack *st, uint8_t type, uint8_t code, uint16_t rest_hi, uint16_t rest_lo,
                         const uint8_t *orig, size_t orig_len)
{
    struct nst_ipv4_repr h;
    if (parse_offending_header(orig, orig_len, &h) < 0 || !error_allowed(st, &h, orig, orig_len))
        return;
    /* The destination's own budget first: what it refuses never touches
     * the shared one. */
    if (!icmp_dst_allows(st, h.src)) {
        NST_STAT_INC(st, icmp, rate_limited_dst);
        return;
    }
    if (!nst_icmp_bucket_allows(st, &st->ip.icmp_bucket)) {
        NST_STAT_INC(st, icmp, rate_limited);
        return;
    }
    struct nst_icmp_repr r = {.type = type, .code = code, .id = rest_hi, .seq = rest_lo,
                              .data = orig, .data_len = nst_icmp_quote_len(orig, orig_len)};
    /* Answer from the address the datagram was sent to when it is ours
     * (port unreachable), else from the interface toward the sender
     * (a router's Time Exceeded: what traceroute shows). */
    nst_ip4_t src = nst_ip_is_local(st, h.dst) ? h.dst : 0;
    if (type == NST_ICMP_TIME_EXCEEDED)
        NST_STAT_INC(st, icmp, tx_time_exceeded);
    else if (type == NST_ICMP_DEST_UNREACH)
        NST_STAT_INC(st, icmp, tx_dest_unreach);
    icmp_send(st, &r, src, h.src);
}

static void icmp_echo_reply(struct nst_stack *st, const struct nst_ip_rx *rx, const struct nst_icmp_repr *req)
{
    /* RFC 1122 3.2.2.6: no reply to a broadcast echo (we choose to stay
     * silent, avoiding smurf amplification); the reply's source is the
     * address the request was sent to. */
    if (!nst_ip_is_local(st, rx->hdr.dst))
        return;
    struct nst_icmp_repr rep = *req;
    rep.type = NST_ICMP_ECHO_REPLY;
    rep.code = 0;
    NST_STAT_INC(st, icmp, tx_echo_reply);
    icmp_send(st, &rep, rx->hdr.dst, rx->hdr.src);
}

/* Tells the transport that sent the quoted datagram about the error. */
static void icmp_error_to_transport(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg,
                                    size_t len, const struct nst_icmp_repr *r)
{
    struct nst_ipv4_repr q;
    /* The quote may be cut short: parse without requiring total_len bytes. */
    if (r->data_len < NST_IPV4_HLEN)
        return;
    uint8_t copy[NST_IPV4_MAX_HLEN];
    size_t hl = (size_t)(r->data[0] & 0x0f) * 4;
    if (hl < NST_IPV4_HLEN || hl > r->data_len || hl + 8 > r->data_len)
        goto bad;
    memcpy(copy, r->data, hl);
    nst_put16(copy + 2, (uint16_t)hl); /* pretend total = header, so it parses */
    if (nst_ipv4_parse(copy, hl, &q, 0) < 0 || !nst_ip_is_local(st, q.src))
        goto bad;
    switch (q.proto) {
    case NST_IP_PROTO_TCP:
        nst_tcp_icmp_error_mtu(st, r->type, r->code, r->seq, r->data, r->data_len);
        return;
    case NST_IP_PROTO_UDP:
        nst_udp_icmp_error(st, r->type, r->code, r->data, r->data_len);
        return;
    case NST_IP_PROTO_ICMP:
        if (nst_icmp_sock_deliver(st, rx, msg, len))
            return;
        break;
    default:
        break;
    }
bad:
    NST_STAT_INC(st, icmp, rx_unmatched);
}

void nst_icmp_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len)
{
    struct nst_icmp_repr r;
    NST_STAT_INC(st, icmp, rx_msgs);
    int err = nst_icmp_parse(msg, len, &r, 1);
    if (err == -EBADMSG) {
        NST_STAT_INC(st, icmp, rx_bad_checksum);
        return;
    }
    if (err < 0) {
        NST_STAT_INC(st, icmp, rx_malformed);
        return;
    }
    switch (r.type) {
    case NST_ICMP_ECHO_REQUEST:
        NST_STAT_INC(st, icmp, rx_echo_request);
        icmp_echo_reply(st, rx, &r);
        break;
    case NST_ICMP_ECHO_REPLY:
        NST_STAT_INC(st, icmp, rx_echo_reply);
        if (!nst_icmp_sock_deliver(st, rx, msg, len))
            NST_STAT_INC(st, icmp, rx_unmatched);
        break;
    case NST_ICMP_DEST_UNREACH:
        NST_STAT_INC(st, icmp, rx_dest_unreach);
        icmp_error_to_transport(st, rx, msg, len, &r);
        break;
    case NST_ICMP_TIME_EXCEEDED:
        NST_STAT_INC(st, icmp, rx_time_exceeded);
        icmp_error_to_transport(st, rx, msg, len, &r);
        break;
    default:
        NST_STAT_INC(st, icmp, rx_other);
        break;
    }
}
