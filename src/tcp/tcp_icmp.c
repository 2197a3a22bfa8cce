/* ICMP errors about segments we sent (RFC 1122 4.2.3.9, RFC 5927, RFC
 * 1191): which ones abort a connection attempt, which are only "soft"
 * errors reported if the connection later times out, and path MTU. */
#include <errno.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"
#include "wire/checksum.h"
#include "wire/icmp.h"

/* RFC 1191 7: without the next-hop MTU, step down the table of plateaus. */
static uint32_t mtu_plateau_below(uint32_t mtu)
{
    static const uint32_t plateaus[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
    for (size_t i = 0; i < NST_ARRAY_LEN(plateaus); i++)
        if (plateaus[i] < mtu)
            return plateaus[i];
    return 68;
}

/* RFC 1191 6.1/6.5: the path MTU falls to the next-hop MTU the router
 * reported (or, from an old router that gives none, to the next plateau);
 * what is in flight and too big goes again, smaller. Not a congestion
 * signal. A report that would not shrink our segments is stale: ignored. */
static void frag_needed(struct nst_stack *st, struct nst_tcp_conn *c, uint16_t next_hop_mtu)
{
    uint32_t cur = (uint32_t)c->mss_wire + 40u;
    uint32_t mtu = next_hop_mtu ? next_hop_mtu : mtu_plateau_below(cur);
    /* RFC 1191 3: never below 68 octets (RFC 791: every host takes them);
     * and no real path is narrower than a few hundred, so a lower report
     * is more likely forged to make us send tiny segments (a 68-byte path
     * would carry 28 bytes a segment): raised to pmtu_min, as Linux does. */
    if (mtu < st->cfg.tcp.pmtu_min) {
        NST_STAT_INC(st, tcp, pmtu_clamped);
        mtu = st->cfg.tcp.pmtu_min;
    }
    uint32_t mss = mtu - 40u;
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

static void icmp_error(struct nst_stack *st, uint8_t type, uint8_t code, uint16_t mtu, const uint8_t *q, size_t len)
{
    if (len < 20)
        return;
    size_t hl = (size_t)(q[0] & 0x0f) * 4;
    if (hl < 20 || len < hl + 8)
        return;
    struct nst_tcp_tuple t = {
        .laddr = nst_get32(q + 12), .raddr = nst_get32(q + 16),
        .lport = nst_get16(q + hl), .rport = nst_get16(q + hl + 2)};
    uint32_t seq = nst_get32(q + hl + 4);
    struct nst_tcp_conn *c = tcp_conn_lookup(st, &t);
    if (!c)
        return;
    /* RFC 5927 4.1: only an error quoting data in flight is believed. */
    if (!(nst_seq_leq(c->snd_una, seq) && nst_seq_lt(seq, c->snd_max)) &&
        !(c->state == NST_TCPS_SYN_SENT && seq == c->iss))
        return;
    if (type == NST_ICMP_DEST_UNREACH && code == NST_ICMP_FRAG_NEEDED) {
        frag_needed(st, c, mtu);
        return;
    }
    if (type == NST_ICMP_DEST_UNREACH) {
        int err = unreach_error(code);
        /* RFC 1122 4.2.3.9: port and protocol unreachable are hard errors
         * for a connection attempt; in synchronized states every error is
         * soft (RFC 5927 4.1). */
        if (c->state == NST_TCPS_SYN_SENT && err == -ECONNREFUSED) {
            tcp_drop(st, c, err);
            return;
        }
        c->soft_err = err;
        return;
    }
    if (type == NST_ICMP_TIME_EXCEEDED)
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
