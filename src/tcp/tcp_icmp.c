/* ICMP and ICMPv6 errors about segments we sent (RFC 1122 4.2.3.9, RFC
 * 5927, RFC 5461, RFC 1191, RFC 4443, RFC 8201): which ones abort a
 * connection attempt, which are only "soft" errors reported if the
 * connection later times out, and path MTU. */
#include <errno.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/icmpv6.h"

/* RFC 1191 7: without the next-hop MTU, step down the table of plateaus. */
static uint32_t mtu_plateau_below(uint32_t mtu)
{
    static const uint32_t plateaus[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
    for (size_t i = 0; i < NST_ARRAY_LEN(plateaus); i++)
        if (plateaus[i] < mtu)
            return plateaus[i];
    return 68;
}

/* RFC 1191 6.1/6.5, RFC 8201 4: the path MTU falls to the next-hop MTU
 * the router reported (or, from an old IPv4 router that gives none, to
 * the next plateau); what is in flight and too big goes again, smaller.
 * Not a congestion signal. A report that would not shrink our segments is
 * stale: ignored. */
static void frag_needed(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t next_hop_mtu)
{
    uint32_t hdrs = tcp_ip_overhead(&c->t.raddr);
    uint32_t cur = (uint32_t)c->mss_wire + hdrs;
    uint32_t mtu = next_hop_mtu ? next_hop_mtu : mtu_plateau_below(cur);
    /* RFC 1191 3: never below 68 octets (RFC 791: every host takes them);
     * and no real path is narrower than a few hundred, so a lower report
     * is more likely forged to make us send tiny segments (a 68-byte path
     * would carry 28 bytes a segment): raised to pmtu_min, as Linux does.
     * RFC 8201 4: an IPv6 path is never taken below 1280. */
    uint32_t floor = hdrs == 60 ? NST_IPV6_MIN_MTU : st->cfg.tcp.pmtu_min;
    if (mtu < floor) {
        NST_STAT_INC(st, tcp, pmtu_clamped);
        mtu = floor;
    }
    uint32_t mss = mtu - hdrs;
    if (tcp_plp_of(c))
        tcp_plp_ptb(c, mtu); /* RFC 8899 4.6: it caps the search too */
    if (mss >= c->mss_wire)
        return;
    c->adv_mss = (uint16_t)mss;
    tcp_update_mss(c);
    if (nst_seq_gt(c->snd_max, c->snd_una)) {
        c->snd_nxt = c->snd_una;
        c->rtt_timing = 0;
        tcp_output(st, c);
    }
}

static int unreach_error(uint8_t code)
{
    switch (code) {
    case NST_ICMP_NET_UNREACH: return -ENETUNREACH;
    case NST_ICMP_PROTO_UNREACH:
    case NST_ICMP_PORT_UNREACH: return -ECONNREFUSED;
    default: return -EHOSTUNREACH;
    }
}

/* RFC 4443 3.1's codes, as Linux's icmpv6_err_convert reads them. */
static int unreach6_error(uint8_t code)
{
    switch (code) {
    case NST_ICMP6_NO_ROUTE: return -ENETUNREACH;
    case NST_ICMP6_ADMIN_PROHIBITED: return -EACCES;
    case NST_ICMP6_PORT_UNREACH: return -ECONNREFUSED;
    default: return -EHOSTUNREACH;
    }
}

/* The connection an error quoting (tuple t, sequence number seq) is about,
 * if it is believed: RFC 5927 4.1, only an error quoting data in flight. */
static struct nst_tcp_conn *quoted_conn(struct nst_stack *st, const struct nst_tcp_tuple *t, uint32_t seq)
{
    struct nst_tcp_conn *c = tcp_conn_lookup(st, t);
    if (!c)
        return NULL;
    if (!(nst_seq_leq(c->snd_una, seq) && nst_seq_lt(seq, c->snd_max)) &&
        !(c->state == NST_TCPS_SYN_SENT && seq == c->iss))
        return NULL;
    return c;
}

/* RFC 1122 4.2.3.9 / RFC 5461: port and protocol unreachable (and, as
 * Linux, administratively prohibited) are hard errors for a connection
 * attempt; in synchronized states every error is soft (RFC 5927 4.1):
 * reported only if the connection times out. */
static void unreachable(struct nst_stack *st, struct nst_tcp_conn *c, int err)
{
    if (c->state == NST_TCPS_SYN_SENT && (err == -ECONNREFUSED || err == -EACCES)) {
        tcp_drop(st, c, err);
        return;
    }
    c->soft_err = err;
}

static void icmp_error(struct nst_stack *st, uint8_t type, uint8_t code, uint16_t mtu, const uint8_t *q, size_t len)
{
    if (len < 20)
        return;
    size_t hl = (size_t)(q[0] & 0x0f) * 4;
    if (hl < 20 || len < hl + 8)
        return;
    struct nst_tcp_tuple t = {.lport = nst_get16(q + hl), .rport = nst_get16(q + hl + 2)};
    nst_ip6_from_ip4(nst_get32(q + 12), &t.laddr);
    nst_ip6_from_ip4(nst_get32(q + 16), &t.raddr);
    struct nst_tcp_conn *c = quoted_conn(st, &t, nst_get32(q + hl + 4));
    if (!c)
        return;
    if (type == NST_ICMP_DEST_UNREACH && code == NST_ICMP_FRAG_NEEDED)
        frag_needed(st, c, mtu);
    else if (type == NST_ICMP_DEST_UNREACH)
        unreachable(st, c, unreach_error(code));
    else if (type == NST_ICMP_TIME_EXCEEDED)
        c->soft_err = -EHOSTUNREACH;
    /* Source quench (RFC 6633) and the rest: ignored. */
}

void nst_tcp_icmp_error_mtu(struct nst_stack *st, uint8_t type, uint8_t code, uint16_t next_hop_mtu,
                            const uint8_t *q, size_t len)
{
    if (!st->tcp)
        return;
    icmp_error(st, type, code, next_hop_mtu, q, len);
    tcp_notify_flush(st);
}

void nst_tcp_icmp_error(struct nst_stack *st, uint8_t type, uint8_t code, const uint8_t *q, size_t len)
{
    nst_tcp_icmp_error_mtu(st, type, code, 0, q, len);
}

void nst_tcp_icmp6_error(struct nst_stack *st, uint8_t type, uint8_t code, uint32_t param, const uint8_t *q,
                         size_t len, size_t off)
{
    /* RFC 4443 2.4 (c): the quote may be cut anywhere; the ports and the
     * sequence number must be in it. */
    if (!st->tcp || len < NST_IPV6_HLEN || off < NST_IPV6_HLEN || len < off + 8)
        return;
    struct nst_tcp_tuple t;
    memcpy(t.laddr.b, q + 8, 16);
    memcpy(t.raddr.b, q + 24, 16);
    t.lport = nst_get16(q + off);
    t.rport = nst_get16(q + off + 2);
    struct nst_tcp_conn *c = quoted_conn(st, &t, nst_get32(q + off + 4));
    if (!c)
        return;
    if (type == NST_ICMP6_PACKET_TOO_BIG)
        frag_needed(st, c, param ? param : NST_IPV6_MIN_MTU); /* RFC 8201 4 */
    else if (type == NST_ICMP6_DEST_UNREACH)
        unreachable(st, c, unreach6_error(code));
    else if (type == NST_ICMP6_PARAM_PROBLEM && code == NST_ICMP6_UNKNOWN_NEXT_HEADER)
        unreachable(st, c, -ECONNREFUSED); /* RFC 4443 3.4: TCP unknown there, as protocol unreachable */
    else if (type == NST_ICMP6_TIME_EXCEEDED || type == NST_ICMP6_PARAM_PROBLEM)
        c->soft_err = -EHOSTUNREACH;
    tcp_notify_flush(st);
}
