/* Delivery rate estimation (draft-cheng-iccrg-delivery-rate-estimation-02),
 * for congestion control modules that model the path (cong_control: BBR).
 *
 * Every transmission (a new segment, or a retransmission) leaves a record
 * of the connection's delivery state when it went: C.delivered,
 * C.delivered_time, C.first_sent_time and whether the flow was
 * application-limited (draft 3.2). When an ACK delivers data, the record
 * of the most recently sent segment it delivered (cumulatively or by SACK)
 * gives the sample (3.3): the bytes delivered since that segment went,
 * over the longer of its send and ACK intervals.
 *
 * The send ring carries no per-segment metadata (data is cut from it at
 * send time), so the records live apart: a FIFO in send order, allocated
 * only for connections whose module asks for samples, bounded (when full,
 * a new transmission is simply not sampled: it is a sample, not state the
 * connection's correctness depends on). C.delivered counts what reached
 * the receiver: cumulatively acknowledged bytes plus the bytes the SACK
 * scoreboard holds, so a SACKed segment counts once, when SACKed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

/* Records kept at most: twice the segments of an 8 MiB window of 1448-byte
 * segments (a retransmission adds one); 48 bytes each. */
#define RATE_REC_MAX 16384u
#define RATE_REC_FIRST 256u

struct rate_rec {
    uint32_t start, end;         /* the segment's sequence range */
    uint64_t delivered;          /* P.delivered */
    nst_time_t delivered_time;   /* P.delivered_time */
    nst_time_t first_sent_time;  /* P.first_sent_time */
    nst_time_t sent_time;        /* P.sent_time */
    uint8_t app_limited;         /* P.is_app_limited */
    uint8_t retransmitted;       /* its RTT is ambiguous (Karn) */
    uint8_t sacked;              /* already delivered by a SACK: not sampled again */
};

struct tcp_rate {
    uint64_t delivered;          /* C.delivered */
    nst_time_t delivered_time;   /* C.delivered_time */
    nst_time_t first_sent_time;  /* C.first_sent_time */
    uint64_t app_limited;        /* C.app_limited: 0, or the C.delivered that ends it */
    uint32_t una;                /* SND.UNA when C.delivered was last brought up to date */
    uint32_t sacked;             /* bytes on the scoreboard then */
    uint64_t last_rate;          /* the last valid sample, bytes/s (TCP_INFO) */
    struct rate_rec *rec;        /* circular, cap a power of two */
    uint32_t head, n, cap;
};

int tcp_rate_attach(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (tcp_rate_of(c))
        return 0;
    struct tcp_rate *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->una = c->snd_una;
    r->delivered_time = st->now;
    r->first_sent_time = st->now;
    if (tcp_extras_get(c) < 0) {
        free(r);
        return -ENOMEM;
    }
    c->xt->rate = r;
    return 0;
}

void tcp_rate_free(struct nst_tcp_conn *c)
{
    if (!tcp_rate_of(c))
        return;
    free(c->xt->rate->rec);
    free(c->xt->rate);
    c->xt->rate = NULL;
    tcp_extras_put(c);
}

static struct rate_rec *rec_at(const struct tcp_rate *r, uint32_t i)
{
    return &r->rec[(r->head + i) & (r->cap - 1)];
}

/* Room for one more record: grows the FIFO (doubling, up to RATE_REC_MAX). */
static int rec_room(struct tcp_rate *r)
{
    if (r->n < r->cap)
        return 1;
    uint32_t cap = r->cap ? r->cap * 2 : RATE_REC_FIRST;
    if (cap > RATE_REC_MAX)
        return 0;
    struct rate_rec *v = malloc(sizeof(*v) * cap);
    if (!v)
        return 0;
    for (uint32_t i = 0; i < r->n; i++)
        v[i] = *rec_at(r, i);
    free(r->rec);
    r->rec = v;
    r->cap = cap;
    r->head = 0;
    return 1;
}

void tcp_rate_on_send(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, int rtx)
{
    /* (Called before SND.MAX takes the segment in.) */
    struct tcp_rate *r = tcp_rate_of(c);
    /* draft 3.2: with nothing in flight, the send and ACK intervals of the
     * next sample start now (an idle period is no part of them). */
    if (c->snd_una == c->snd_max) {
        r->first_sent_time = st->now;
        r->delivered_time = st->now;
    }
    if (!len || !rec_room(r))
        return;
    struct rate_rec *p = rec_at(r, r->n++);
    p->start = seq;
    p->end = seq + len;
    p->delivered = r->delivered;
    p->delivered_time = r->delivered_time;
    p->first_sent_time = r->first_sent_time;
    p->sent_time = st->now;
    p->app_limited = r->app_limited != 0;
    p->retransmitted = (uint8_t)(rtx != 0);
    p->sacked = 0;
}

/* Is p the better candidate for the sample: sent later (draft 3.3, "the
 * most recently sent packet"), or at the same time and further on? */
static int more_recent(const struct rate_rec *p, const struct rate_rec *best)
{
    if (!best)
        return 1;
    if (p->sent_time != best->sent_time)
        return p->sent_time > best->sent_time;
    return nst_seq_gt(p->end, best->end);
}

/* The records the ACK's first SACK block covers are delivered: the most
 * recent of them is a candidate. RFC 2018 4: the first block holds the
 * segment that drew the ACK, the news; the others repeat what earlier
 * ACKs said (unless those were lost: a record left unmarked then is only
 * a candidate again, an older one, when the cumulative ACK passes it).
 * Searched from the newest record back, and only until the first
 * original transmission wholly below the block: every older original is
 * below it too. So an ACK costs the records sent since its block. */
static int sacked_candidate(struct tcp_rate *r, const struct tcp_seg *seg, struct rate_rec *best)
{
    unsigned b = tcp_dsack_in(seg) ? 1u : 0u;
    if (b >= seg->h.opts.sack_count)
        return 0;
    uint32_t s = seg->h.opts.sack[b].start, e = seg->h.opts.sack[b].end;
    int have = 0;
    for (uint32_t i = r->n; i-- > 0;) {
        struct rate_rec *p = rec_at(r, i);
        if (!p->retransmitted && nst_seq_leq(p->end, s))
            break;
        if (p->sacked || !nst_seq_leq(s, p->start) || !nst_seq_leq(p->end, e))
            continue;
        p->sacked = 1;
        if (!have || more_recent(p, best)) {
            *best = *p;
            have = 1;
        }
    }
    return have;
}

void tcp_rate_on_ack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg, uint32_t una_before,
                     uint32_t prior_in_flight)
{
    struct tcp_rate *r = tcp_rate_of(c);
    /* C.delivered: acknowledged bytes plus the bytes SACKed, each counted
     * once (what the cumulative ACK takes over from the scoreboard is no
     * new delivery). A reneging receiver can shrink the scoreboard: the
     * count never goes back. */
    uint32_t sacked = c->sack ? nst_sack_bytes_below(c->sack, c->snd_max) : 0;
    uint64_t before = (uint64_t)r->sacked;
    uint64_t now_sum = (uint64_t)(uint32_t)(c->snd_una - r->una) + sacked;
    uint32_t newly = now_sum > before ? (uint32_t)(now_sum - before) : 0;
    r->una = c->snd_una;
    r->sacked = sacked;
    (void)una_before;
    struct rate_rec best;
    memset(&best, 0, sizeof(best));
    int have = 0;
    /* Records wholly below SND.UNA are delivered and leave the FIFO. */
    while (r->n && nst_seq_leq(rec_at(r, 0)->end, c->snd_una)) {
        struct rate_rec *p = rec_at(r, 0);
        if (!p->sacked && (!have || more_recent(p, &best))) {
            best = *p;
            have = 1;
        }
        r->head = (r->head + 1) & (r->cap - 1);
        r->n--;
    }
    if (c->sack_ok && seg->h.opts.sack_count && r->n) {
        struct rate_rec sb;
        if (sacked_candidate(r, seg, &sb) && (!have || more_recent(&sb, &best))) {
            best = sb;
            have = 1;
        }
    }
    struct nst_cc_rate_sample rs;
    memset(&rs, 0, sizeof(rs));
    if (newly) {
        r->delivered += newly;
        r->delivered_time = st->now;
    }
    /* draft 3.3: the application-limited phase ends once the bubble it
     * left is delivered. */
    if (r->app_limited && r->delivered > r->app_limited)
        r->app_limited = 0;
    rs.total_delivered = r->delivered;
    rs.acked_sacked = newly;
    rs.prior_in_flight = prior_in_flight;
    rs.in_flight = tcp_rate_in_flight(c);
    rs.srtt = c->rtt.srtt;
    rs.ca_state = c->ca_state;
    if (have) {
        rs.prior_delivered = best.delivered;
        rs.is_app_limited = best.app_limited;
        rs.rtt = best.retransmitted ? 0 : st->now - best.sent_time;
        /* The next sample's send interval starts where this one's ended. */
        r->first_sent_time = best.sent_time;
        nst_time_t send_elapsed = best.sent_time - best.first_sent_time;
        nst_time_t ack_elapsed = r->delivered_time - best.delivered_time;
        /* 3.3: the longer of the two, so that ACK compression (a short ACK
         * interval) cannot inflate the rate. */
        rs.interval = NST_MAX(send_elapsed, ack_elapsed);
        rs.delivered = r->delivered - best.delivered;
        if (rs.interval > 0 && rs.delivered > 0)
            r->last_rate = rs.delivered * 1000000000ull / (uint64_t)rs.interval;
        else
            rs.interval = 0;
    }
    if (c->cc.ops->cong_control(&c->cc, &rs, st->now))
        tcp_rate_mark_app_limited(c);
}

void tcp_rate_mark_app_limited(struct nst_tcp_conn *c)
{
    /* draft 3.2: the bubble ends when what is in flight now is delivered;
     * at least 1, as 0 means "not limited". */
    uint64_t mark = tcp_rate_of(c)->delivered + tcp_flight(c);
    tcp_rate_of(c)->app_limited = mark ? mark : 1;
}

void tcp_rate_check_app_limited(struct nst_tcp_conn *c, uint32_t unsent)
{
    /* draft 3.2: less than a segment waiting to go, cwnd not filled, and
     * no loss being repaired: the application, not the network, sets the
     * pace, and samples taken now underestimate the path. */
    if (unsent < c->mss && tcp_flight(c) < c->cc.cwnd && c->ca_state == NST_TCP_CA_OPEN)
        tcp_rate_mark_app_limited(c);
}

uint32_t tcp_rate_in_flight(const struct nst_tcp_conn *c)
{
    /* What is in the network: RFC 6675's pipe (neither SACKed nor deemed
     * lost, retransmissions counted), as Linux's tcp_packets_in_flight;
     * without a scoreboard, all that is outstanding. */
    if (!c->sack)
        return tcp_flight(c);
    return nst_sack_pipe(c->sack, c->snd_una, c->snd_max, c->high_rxt, c->mss);
}

uint64_t tcp_rate_last(const struct nst_tcp_conn *c) { return tcp_rate_of(c) ? tcp_rate_of(c)->last_rate : 0; }

void tcp_cc_attach(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (tcp_rate_attach(st, c) == 0 && tcp_pace_attach(st, c) == 0) {
        /* A first sample without data: the handshake's RTT is known, so
         * the module can set its first pacing rate from it (Linux's
         * bbr_init_pacing_rate_from_rtt). */
        struct nst_cc_rate_sample rs;
        memset(&rs, 0, sizeof(rs));
        rs.srtt = c->rtt.srtt;
        rs.ca_state = c->ca_state;
        rs.in_flight = tcp_flight(c);
        c->cc.ops->cong_control(&c->cc, &rs, st->now);
        return;
    }
    /* Out of memory: a model without samples would be blind, so the
     * connection goes on with the default module, keeping its window. */
    tcp_rate_free(c);
    uint32_t cwnd = c->cc.cwnd, ssthresh = c->cc.ssthresh;
    c->cc.ops = NST_CC_DEFAULT;
    c->cc.ops->init(&c->cc, c->mss, st->now);
    c->cc.cwnd = cwnd;
    c->cc.ssthresh = ssthresh;
}
