/* The receiving peer model of segment-script tests (see rx_peer.h). */
#include "rx_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Merges [s, e) into the sorted out-of-order list. */
static void add_range(struct rp_peer *p, uint32_t s, uint32_t e)
{
    unsigned i = 0;
    while (i < p->n_ooo && p->ooo[i].e < s)
        i++;
    unsigned j = i;
    while (j < p->n_ooo && p->ooo[j].s <= e) {
        s = p->ooo[j].s < s ? p->ooo[j].s : s;
        e = p->ooo[j].e > e ? p->ooo[j].e : e;
        j++;
    }
    memmove(&p->ooo[i + 1], &p->ooo[j], (p->n_ooo - j) * sizeof(p->ooo[0]));
    p->ooo[i].s = s;
    p->ooo[i].e = e;
    p->n_ooo = p->n_ooo - (j - i) + 1;
    p->last_s = s;
    p->last_e = e;
}

/* Whether [s, e) was received already (below rcv_nxt, or inside one held
 * block). */
static int holds(const struct rp_peer *p, uint32_t s, uint32_t e)
{
    if (e <= p->rcv_nxt)
        return 1;
    for (unsigned i = 0; i < p->n_ooo; i++)
        if (p->ooo[i].s <= s && e <= p->ooo[i].e)
            return 1;
    return 0;
}

/* rcv_nxt moves over the held blocks it reaches. */
static void advance(struct rp_peer *p)
{
    while (p->n_ooo && p->ooo[0].s <= p->rcv_nxt) {
        if (p->ooo[0].e > p->rcv_nxt)
            p->rcv_nxt = p->ooo[0].e;
        memmove(&p->ooo[0], &p->ooo[1], (p->n_ooo - 1) * sizeof(p->ooo[0]));
        p->n_ooo--;
    }
}

static void add_block(struct nst_tcp_opts *o, unsigned *k, uint32_t s, uint32_t e)
{
    o->sack[*k].start = s;
    o->sack[*k].end = e;
    (*k)++;
}

/* The index of the held block the latest out-of-order arrival joined, or
 * -1 (it has been acknowledged since). */
static int recent_block(const struct rp_peer *p)
{
    for (unsigned i = 0; i < p->n_ooo; i++)
        if (p->ooo[i].s <= p->last_s && p->last_s < p->ooo[i].e)
            return (int)i;
    return -1;
}

/* Queues the ACK for an arrival at `at`, with a D-SACK of [ds, de) first
 * if de > ds. */
static void queue_ack(struct rp_peer *p, nst_time_t at, uint32_t ds, uint32_t de)
{
    struct rp_ack *a = &p->q[p->nq++];
    memset(a, 0, sizeof(*a));
    a->at = at;
    a->ack = p->rcv_nxt;
    if (!p->sack)
        return;
    unsigned k = 0;
    if (de > ds)
        add_block(&a->opts, &k, ds, de); /* RFC 2883 4: the duplicate first */
    int first = p->recent_first ? recent_block(p) : -1;
    if (first >= 0)
        add_block(&a->opts, &k, p->ooo[first].s, p->ooo[first].e); /* RFC 2018 4 */
    for (unsigned i = 0; i < p->n_ooo && k < 4; i++)
        if ((int)i != first)
            add_block(&a->opts, &k, p->ooo[i].s, p->ooo[i].e);
    a->opts.sack_count = (uint8_t)k;
}

void rp_arrive(struct rp_peer *p, uint32_t seq, uint32_t len, nst_time_t at)
{
    if (len == 0)
        return;
    unsigned idx = (seq - 1) / RP_MSS;
    if (idx < sizeof(p->tx) / sizeof(p->tx[0]))
        p->tx[idx]++;
    p->segments++;
    for (unsigned i = 0; i < p->n_drop; i++)
        if (p->drop[i] == seq && !p->dropped[i]) {
            p->dropped[i] = 1;
            return;
        }
    uint32_t e = seq + len;
    if (p->dsack && holds(p, seq, e)) {
        queue_ack(p, at, seq, e); /* RFC 2883: received twice */
        return;
    }
    if (seq <= p->rcv_nxt) {
        if (e > p->rcv_nxt)
            p->rcv_nxt = e;
        advance(p);
    } else {
        add_range(p, seq, e);
    }
    queue_ack(p, at, 0, 0);
}

static void inject_next_ack(struct ts *s, struct rp_peer *p, struct rp_ack *a)
{
    *a = p->q[0];
    memmove(&p->q[0], &p->q[1], (p->nq - 1) * sizeof(p->q[0]));
    p->nq--;
    if (getenv("TS_DEBUG"))
        fprintf(stderr, "  < %.6f ack %u sack %u\n", (double)a->at / 1e9, a->ack, a->opts.sack_count);
    ts_inject(s, a->at, &(struct ts_seg){.flags = NST_TCP_ACK, .seq = 1, .ack = a->ack, .win = 65535, .opts = a->opts});
}

void rp_run(struct ts *s, struct rp_peer *p, uint32_t end, nst_time_t until)
{
    for (;;) {
        nst_time_t next = p->nq && p->q[0].at <= until ? p->q[0].at : until;
        struct ts_pkt pk;
        if (ts_next(s, next, &pk)) {
            if (getenv("TS_DEBUG")) {
                char line[300];
                fprintf(stderr, "  > %s\n", ts_format(s, &pk, line, sizeof(line)));
            }
            rp_arrive(p, pk.h.seq - s->local_isn, pk.len, pk.at + p->delay);
            continue;
        }
        if (!p->nq || p->q[0].at > until)
            return;
        struct rp_ack a;
        inject_next_ack(s, p, &a);
        if (end && a.ack >= end && !p->nq)
            return;
    }
}
