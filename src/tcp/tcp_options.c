/* What the SYN exchange negotiates: MSS (RFC 9293 3.7.1), window scaling
 * and timestamps (RFC 7323), SACK (RFC 2018); and what becomes of a
 * connection the moment it is established. */
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_state.h"

/* The smallest send MSS we accept from a peer (Linux's tcp_min_snd_mss): a
 * tiny MSS would make us cut the stream into absurdly many segments. */
#define TCP_MIN_SND_MSS 48u

uint32_t tcp_ts_now(const struct nst_stack *st, uint32_t offset)
{
    /* RFC 7323 5.4: a clock between 1 ms and 1 s per tick; ours is 1 ms. */
    return (uint32_t)((uint64_t)st->now / 1000000u) + offset;
}

uint32_t tcp_ts_offset(struct nst_stack *st, const struct nst_tcp_tuple *t)
{
    /* RFC 7323 5.4 / 7.1: a per-connection random offset hides the host's
     * uptime; keyed by the tuple so a new incarnation of the same tuple
     * continues the same clock (PAWS at the peer keeps working).
     * An IPv4 tuple is keyed as before IPv6 (its 4-byte addresses). */
    uint8_t k[37];
    k[0] = 'T';
    size_t n;
    if (nst_ip6_is_v4mapped(&t->laddr) && nst_ip6_is_v4mapped(&t->raddr)) {
        nst_ip4_t l = nst_ip6_to_ip4(&t->laddr), r = nst_ip6_to_ip4(&t->raddr);
        memcpy(k + 1, &l, 4);
        memcpy(k + 5, &r, 4);
        n = 9;
    } else {
        memcpy(k + 1, t->laddr.b, 16);
        memcpy(k + 17, t->raddr.b, 16);
        n = 33;
    }
    memcpy(k + n, &t->lport, 2);
    memcpy(k + n + 2, &t->rport, 2);
    return (uint32_t)nst_siphash24(st->hash_key, k, n + 4);
}

uint8_t tcp_wscale_for(const struct nst_tcp_config *cfg, size_t cap)
{
    /* RFC 7323 2.2: the smallest shift that lets the whole buffer be
     * offered -- or the space the configuration names, if larger (the
     * receiver's choice: Linux and FreeBSD size it for the largest buffer
     * the connection may grow to). */
    if (cfg->wscale_space > cap)
        cap = cfg->wscale_space;
    uint8_t s = 0;
    while (s < TCP_MAX_WSCALE && (cap >> s) > 65535u)
        s++;
    return s;
}

void tcp_update_mss(struct nst_tcp_conn *c)
{
    uint32_t wire = NST_MIN((uint32_t)c->peer_mss, (uint32_t)c->adv_mss);
    if (tcp_plp_of(c)) /* RFC 4821: what the search has shown the path carries */
        wire = NST_MIN(wire, tcp_plp_wire_cap(c));
    if (wire < TCP_MIN_SND_MSS)
        wire = TCP_MIN_SND_MSS;
    c->mss_wire = (uint16_t)wire;
    /* RFC 9293 3.7.1: the MSS counts options too; the timestamps option is
     * in every segment once negotiated, so a full segment carries 12 bytes
     * less data. */
    c->mss = (uint16_t)(wire - (c->ts_ok ? TCP_TS_OPT_LEN : 0u));
    if (c->cc.mss)
        c->cc.mss = c->mss;
}

void tcp_apply_syn_options(struct nst_stack *st, struct nst_tcp_conn *c, const struct nst_tcp_opts *o)
{
    /* RFC 9293 3.7.1: without an MSS option the peer takes 536. */
    c->peer_mss = o->has_mss && o->mss ? o->mss : (uint16_t)TCP_DEFAULT_MSS;
    /* RFC 7323 2.2: scaling is on only if both SYNs carried the option;
     * otherwise both shifts are 0. 2.3: a shift above 14 is used as 14. */
    c->ws_ok = c->ws_offer && o->has_wscale;
    if (c->ws_ok) {
        c->snd_wscale = (uint8_t)NST_MIN(o->wscale, TCP_MAX_WSCALE);
    } else {
        c->snd_wscale = 0;
        c->rcv_wscale = 0;
    }
    /* RFC 7323 3.2: timestamps are on only if both SYNs carried them. */
    c->ts_ok = c->ts_offer && o->has_ts;
    if (c->ts_ok) {
        c->ts_recent = o->ts_val;
        c->ts_recent_age = st->now;
    }
    /* RFC 2018 2: SACK only if both SYNs said SACK-permitted. */
    c->sack_ok = c->sack_offer && o->sack_ok;
    tcp_update_mss(c);
}

void tcp_established(struct nst_stack *st, struct nst_tcp_conn *c)
{
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    c->was_connected = 1;
    /* A close or shutdown asked for before the handshake completed (RFC
     * 9293 3.10.4: queued until ESTABLISHED) takes effect now. */
    tcp_set_state(st, c, c->fin_queued ? NST_TCPS_FIN_WAIT_1 : NST_TCPS_ESTABLISHED);
    c->cc.ops->init(&c->cc, c->mss, st->now);
    c->cc.hystart = cfg->hystart != 0;
    if (cfg->initial_window)
        c->cc.cwnd = cfg->initial_window * (uint32_t)c->mss;
    tcp_plp_established(st, c);
    if (c->cc.ops->cong_control)
        tcp_cc_attach(st, c); /* rate samples and pacing */
    c->recover = c->snd_una;
    /* RFC 6298 5.7: a lost SYN or SYN-ACK with no RTT sample means an RTO
     * of 3 s once data flows. */
    if (c->syn_retransmitted && c->rtt.srtt == 0 && c->rtt.rto < TCP_RTO_AFTER_SYN_LOSS)
        c->rtt.rto = TCP_RTO_AFTER_SYN_LOSS;
    c->rtt.backoff = 0;
    c->last_data_sent = st->now;
    if (c->ecn_ok)
        NST_STAT_INC(st, tcp, ecn_negotiated); /* RFC 3168 6.1.1 */
    if (c->keepalive)
        tcp_keepalive_arm(st, c);
}
