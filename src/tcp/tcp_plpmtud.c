/* Path MTU discovery without ICMP: black-hole detection and
 * packetization-layer PMTUD (RFC 4821, with RFC 8899's state names where
 * they help), the way Linux's tcp_mtu_probing does it for TCP.
 *
 * RFC 1191 needs the routers' "fragmentation needed" messages (tcp_icmp.c
 * takes them). Where they never come -- a tunnel, a firewall that drops
 * ICMP: an ICMP black hole (RFC 2923 2.1) -- full-sized segments vanish
 * and the connection stalls in timeouts. Two defences, by the stack's
 * `mtu_probing` setting (Linux's tcp_mtu_probing values):
 *
 *   1  black-hole detection (RFC 4821 7.7 / RFC 8899 4.3 "black hole
 *      detection"): after TCP_PLP_BLACKHOLE_RTOS (2) timeouts in a row
 *      (no RTT sample between them) while segments are larger than the base, the segment size falls to the base
 *      MSS (base_mss, 1024 bytes of payload, RFC 4821 7.2's suggestion
 *      and Linux's tcp_base_mss) and is counted (tcp.pmtu_blackholes);
 *      the search below then finds what the path really carries.
 *   2  PLPMTUD from the start: segments begin at the base size.
 *
 * The search (RFC 4821 7.3-7.6): search_low is a size known to get
 * through (the base), search_high one that may not (the interface MTU, or
 * the peer's MSS). A probe is one segment of new data of the middle size,
 * sent when the window has room for it and no loss is being repaired
 * (7.5); if it is acknowledged the path carries it: search_low and the
 * segment size rise to it. If it has to be sent again, it was lost: the
 * path does not carry it, search_high falls below it; the lost data goes
 * again at the current size (7.6.2: not a congestion signal of its own --
 * the core's loss recovery runs as for any loss, as in Linux). Binary
 * steps until the two are within TCP_PLP_THRESHOLD bytes (Linux's
 * tcp_probe_threshold); then, mtu_probe_interval later (600 s, RFC 4821
 * 7.7's "ten minutes", Linux's tcp_probe_interval), the search starts
 * again from the top, in case the path has grown. */
#include <errno.h>
#include <stdlib.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"
#include "wire/ipv4.h"

#define TCP_PLP_BLACKHOLE_RTOS 2u /* timeouts in a row before a black hole is assumed */
#define TCP_PLP_THRESHOLD 8u      /* bytes: the search is over when high - low is less */

struct tcp_plpmtud {
    uint32_t search_low;   /* MTU known to get through */
    uint32_t search_high;  /* MTU not known to get through */
    uint32_t probe_size;   /* MTU of the probe in flight, 0: none */
    uint32_t probe_start, probe_end; /* its sequence range */
    nst_time_t done_at;    /* the search converged then; 0: searching */
};

/* MTU = mss_wire + 40 over IPv4, + 60 over IPv6 (RFC 8200 8.3). */
static uint32_t plp_hdrs(const struct nst_tcp_conn *c) { return tcp_ip_overhead(&c->t.raddr); }

/* The largest MTU the search may try: what the interface takes, and what
 * the peer's MSS allows. */
static uint32_t mtu_ceiling(const struct nst_tcp_conn *c)
{
    uint32_t peer = (uint32_t)c->peer_mss + plp_hdrs(c);
    uint32_t own = (uint32_t)c->adv_mss + plp_hdrs(c);
    return NST_MIN(peer, own);
}

static uint32_t base_mtu(const struct nst_stack *st, const struct nst_tcp_conn *c)
{
    return st->cfg.tcp.base_mss + plp_hdrs(c);
}

/* Starts the search with segments of the base size. */
static int plp_start(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (!tcp_plp_of(c)) {
        struct tcp_plpmtud *n = calloc(1, sizeof(*n));
        if (!n || tcp_extras_get(c) < 0) {
            free(n);
            return -ENOMEM;
        }
        c->xt->plp = n;
    }
    struct tcp_plpmtud *p = tcp_plp_of(c);
    uint32_t ceiling = mtu_ceiling(c);
    p->search_low = NST_MIN(base_mtu(st, c), ceiling);
    p->search_high = ceiling;
    p->probe_size = 0;
    p->done_at = 0;
    tcp_update_mss(c);
    return 0;
}

void tcp_plp_established(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (st->cfg.tcp.mtu_probing == 2)
        (void)plp_start(st, c); /* out of memory: RFC 1191 alone, as with 0 */
}

void tcp_plp_free(struct nst_tcp_conn *c)
{
    if (!c->xt)
        return;
    free(c->xt->plp);
    c->xt->plp = NULL;
    tcp_extras_put(c);
}

uint32_t tcp_plp_wire_cap(const struct nst_tcp_conn *c)
{
    return tcp_plp_of(c)->search_low - plp_hdrs(c);
}

/* RFC 4821 7.6.1: the probe got through. */
static void probe_acked(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct tcp_plpmtud *p = tcp_plp_of(c);
    NST_STAT_INC(st, tcp, pmtu_probes_ok);
    p->search_low = p->probe_size;
    p->probe_size = 0;
    tcp_update_mss(c);
}

void tcp_plp_ack(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct tcp_plpmtud *p = tcp_plp_of(c);
    if (p->probe_size && nst_seq_geq(c->snd_una, p->probe_end))
        probe_acked(st, c);
}

void tcp_plp_retransmit(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len)
{
    struct tcp_plpmtud *p = tcp_plp_of(c);
    if (!p->probe_size || !nst_seq_lt(seq, p->probe_end) || !nst_seq_gt(seq + len, p->probe_start))
        return;
    /* RFC 4821 7.6.2: the probe was lost; this size is too big. */
    NST_STAT_INC(st, tcp, pmtu_probes_failed);
    p->search_high = p->probe_size - 1u;
    p->probe_size = 0;
}

void tcp_plp_rto(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* backoff: timeouts in a row, without an RTT sample between them. */
    if (st->cfg.tcp.mtu_probing == 0 || c->rtt.backoff < TCP_PLP_BLACKHOLE_RTOS)
        return;
    uint32_t base = base_mtu(st, c), was = (uint32_t)c->mss_wire + plp_hdrs(c);
    /* Only segments bigger than the base can be too big for the path. */
    if (was <= base || (!tcp_plp_of(c) && plp_start(st, c) < 0))
        return;
    /* RFC 4821 7.7 / RFC 8899 4.3: a black hole. Down to the base, and
     * search up from there, below the size that vanished. */
    NST_STAT_INC(st, tcp, pmtu_blackholes);
    struct tcp_plpmtud *p = tcp_plp_of(c);
    p->search_low = NST_MIN(base, mtu_ceiling(c));
    p->search_high = NST_MAX(was - 1u, p->search_low);
    p->probe_size = 0;
    p->done_at = 0;
    tcp_update_mss(c);
}

/* RFC 4821 7.3: the next probe size, or 0 if the search is over (and
 * then, after the interval, it starts again from the top). */
static uint32_t next_probe_size(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct tcp_plpmtud *p = tcp_plp_of(c);
    if (p->done_at) {
        if (st->now - p->done_at < st->cfg.tcp.mtu_probe_interval)
            return 0;
        p->done_at = 0;
        p->search_high = mtu_ceiling(c); /* 7.7: the path may have grown */
    }
    if (p->search_high < p->search_low + TCP_PLP_THRESHOLD) {
        p->done_at = st->now ? st->now : 1;
        return 0;
    }
    return (p->search_low + p->search_high + 1u) / 2u;
}

uint32_t tcp_plp_probe_payload(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t olen)
{
    struct tcp_plpmtud *p = tcp_plp_of(c);
    /* RFC 4821 7.5: one probe at a time, of new data, not while a loss is
     * being repaired. */
    if (p->probe_size || c->ca_state != NST_TCP_CA_OPEN || c->snd_nxt != c->snd_max)
        return 0;
    uint32_t size = next_probe_size(st, c);
    if (!size)
        return 0;
    uint32_t payload = size - plp_hdrs(c) - olen;
    /* It must go whole (a short probe proves nothing), inside both windows. */
    uint32_t flight = tcp_flight(c);
    uint32_t rwnd_end = c->snd_una + c->snd_wnd;
    uint32_t usable = nst_seq_lt(c->snd_nxt, rwnd_end) ? rwnd_end - c->snd_nxt : 0;
    size_t queued = nst_ring_len(&c->sndbuf) - (size_t)(c->snd_nxt - c->snd_buf_seq);
    if (queued < payload || usable < payload || c->cc.cwnd < flight || c->cc.cwnd - flight < payload)
        return 0;
    return payload;
}

void tcp_plp_probe_sent(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, uint32_t olen)
{
    struct tcp_plpmtud *p = tcp_plp_of(c);
    NST_STAT_INC(st, tcp, pmtu_probes);
    p->probe_size = len + olen + plp_hdrs(c);
    p->probe_start = seq;
    p->probe_end = seq + len;
}

void tcp_plp_ptb(struct nst_tcp_conn *c, uint32_t mtu)
{
    /* RFC 8899 4.6: a Packet Too Big message (RFC 1191's frag-needed)
     * that is believed caps the search. */
    struct tcp_plpmtud *p = tcp_plp_of(c);
    if (mtu < p->search_high)
        p->search_high = NST_MAX(mtu, p->search_low);
    if (mtu < p->search_low)
        p->search_low = mtu;
    if (p->probe_size > mtu)
        p->probe_size = 0;
}
