/* The lab's HTTP/2 head-of-line scenario (in nstack_app), on the New York -
 * London path (80 ms round trip) with the library's server and client:
 *
 *   h2-head-of-line  100 GETs at once, over HTTP/2 on one connection and
 *                    over HTTP/1.1 on 6, first on the clean path, then
 *                    with 2 % of the transatlantic frames lost. Each
 *                    request's completion time under loss is compared with
 *                    its own on the clean path: HTTP/2's streams share one
 *                    TCP byte stream, so a lost segment holds back every
 *                    stream whose bytes come after it (TCP delivers in
 *                    order), while on 6 connections it holds back only the
 *                    requests of the connection that lost it.
 *
 * That is why HTTP/3 exists: QUIC (RFC 9000 2.2) orders bytes per stream,
 * not per connection, so a loss delays only the stream it carried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/http.h>
#include <nstack/lab.h>

#include "lab/lab_internal.h"
#include "wire/tcp.h"

#define HOL_REQUESTS 100
#define HOL_PORT 80
#define HOL_BODY 4096     /* bytes per answer: an icon, a small script */
#define HOL_LOSS 0.02
#define DELAYED NST_MSEC(1) /* later than on the clean path by more than this: delayed */
#define WIRE_MAX (HOL_REQUESTS * (HOL_BODY + 256) + 4096) /* London's bytes on the HTTP/2 connection */

/* ---- London's HTTP/2 bytes as they reach New York ------------------------ */

/* Each byte London sent on the HTTP/2 connection, and when it first reached
 * New York (0: not yet). */
struct wire {
    int active;          /* watching: during the HTTP/2 series only */
    int have_isn;
    uint32_t isn;
    size_t len;          /* bytes up to the highest seen */
    uint8_t buf[WIRE_MAX];
    nst_time_t at[WIRE_MAX];
};

/* Side 0 of links[0] is New York: dir 1 arrives there. */
static void wire_frame(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *f, size_t len)
{
    struct wire *w = arg;
    struct nst_tcp_repr t;
    uint32_t payload;
    if (!w->active || ev != NST_SIM_DELIVERED || dir != 1 || !nst_lab_frame_tcp(f, len, &t, &payload) ||
        t.src_port != HOL_PORT)
        return;
    if (t.flags & NST_TCP_SYN) {
        w->isn = t.seq;
        w->have_isn = 1;
        return;
    }
    size_t off = 14 + (size_t)(f[14] & 0x0f) * 4 + t.hdr_len; /* Ethernet, IPv4, TCP headers */
    uint32_t at = t.seq - w->isn - 1;
    if (!w->have_isn || !payload || off + payload > len || (size_t)at + payload > WIRE_MAX)
        return;
    for (uint32_t i = 0; i < payload; i++)
        if (!w->at[at + i]) {
            w->at[at + i] = now;
            w->buf[at + i] = f[off + i];
        }
    if (at + payload > w->len)
        w->len = at + payload;
}

/* What the bytes say, stream by stream. */
struct hol_wire {
    int valid;                      /* every byte arrived and every stream was found */
    nst_time_t own[HOL_REQUESTS];   /* the stream's own last byte arrived (what per-stream ordering, QUIC, allows) */
    nst_time_t inorder[HOL_REQUESTS]; /* every byte before it had too (what TCP hands over) */
    int held;                       /* streams with inorder > own: waiting on others' lost bytes */
    nst_time_t held_max, held_sum;
    int most_at_once;               /* streams released by one repaired hole */
    nst_time_t sum_own, sum_inorder; /* for the mean completion */
};

/* Walks the HTTP/2 frames (RFC 9113 4.1: 24-bit length, type, flags,
 * 31-bit stream id) of London's bytes, keeping the latest arrival so far
 * (when TCP can hand a byte over: all before it are in) beside each
 * frame's own latest arrival. Times from `start`. */
static void wire_read(const struct wire *w, struct hol_wire *h, nst_time_t start)
{
    memset(h, 0, sizeof(*h));
    nst_time_t inorder = 0;
    int found = 0;
    size_t i = 0;
    while (i + 9 <= w->len) {
        const uint8_t *fh = w->buf + i;
        size_t flen = (size_t)fh[0] << 16 | (size_t)fh[1] << 8 | fh[2];
        uint32_t id = ((uint32_t)fh[5] << 24 | (uint32_t)fh[6] << 16 | (uint32_t)fh[7] << 8 | fh[8]) & 0x7fffffffu;
        if (i + 9 + flen > w->len)
            return; /* the last frame cut short: not valid */
        nst_time_t own = 0;
        for (size_t k = i; k < i + 9 + flen; k++) {
            if (!w->at[k])
                return; /* a hole never filled: not valid */
            if (w->at[k] > own)
                own = w->at[k];
        }
        if (own > inorder)
            inorder = own;
        i += 9 + flen;
        /* Responses: HEADERS, DATA, CONTINUATION on the client's streams 1, 3, 5 ... */
        size_t s = (id - 1) / 2;
        if (fh[3] > 1 && fh[3] != 9)
            continue;
        if (!(id & 1) || s >= HOL_REQUESTS)
            continue;
        found += !h->own[s];
        if (own - start > h->own[s])
            h->own[s] = own - start;
        h->inorder[s] = inorder - start;
    }
    h->valid = found == HOL_REQUESTS;
    for (int s = 0; s < HOL_REQUESTS; s++) {
        nst_time_t wait = h->inorder[s] - h->own[s];
        h->held += wait > 0;
        h->held_sum += wait;
        if (wait > h->held_max)
            h->held_max = wait;
        h->sum_own += h->own[s];
        h->sum_inorder += h->inorder[s];
        if (wait <= 0)
            continue;
        int same = 0; /* held streams handed over at the same moment: one hole repaired */
        for (int k = 0; k < HOL_REQUESTS; k++)
            same += h->inorder[k] == h->inorder[s] && h->inorder[k] > h->own[k];
        if (same > h->most_at_once)
            h->most_at_once = same;
    }
}

static void page(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static char body[HOL_BODY];
    if (!body[0])
        memset(body, 'x', sizeof body);
    nst_http_reply(x, 200, "application/octet-stream", body, sizeof body);
}

/* One series: each request's completion (from the moment all were sent). */
struct hol_run {
    nst_time_t done_at[HOL_REQUESTS];
    int done, failed;
    uint64_t connections;
    nst_time_t start;
};

struct hol_call {
    struct hol_run *r;
    int i;
};

static void hol_done(void *arg, struct nst_http_call *c, int err)
{
    struct hol_call *hc = arg;
    hc->r->done++;
    hc->r->failed += err != 0;
    hc->r->done_at[hc->i] = nst_http_call_timing(c)->total;
}

static int hol_all_done(void *arg) { return ((struct hol_run *)arg)->done == HOL_REQUESTS; }

static void hol_series(struct nst_lab_path *p, enum nst_http_proto proto, uint32_t per_origin, struct hol_run *r)
{
    memset(r, 0, sizeof(*r));
    r->start = nst_world_now(p->world);
    struct nst_http_client_config cc;
    nst_http_client_config_default(&cc);
    cc.proto = proto;
    cc.max_per_origin = per_origin;
    struct nst_http_client *cl = nst_http_client_new(p->ny, &cc);
    struct hol_call calls[HOL_REQUESTS];
    struct nst_http_client_request req = {.method = "GET", .scheme = "http",
                                          .addr = {NST_LAB_LONDON_ADDR, HOL_PORT}, .host = "london.lab",
                                          .target = "/"};
    static const struct nst_http_call_cbs cbs = {NULL, NULL, hol_done};
    for (int i = 0; i < HOL_REQUESTS; i++) {
        calls[i] = (struct hol_call){r, i};
        if (!cl || nst_http_request_send(cl, &req, &cbs, &calls[i], NULL)) {
            r->failed++;
            r->done++;
        }
    }
    nst_world_run_until_cond(p->world, hol_all_done, r, nst_world_now(p->world) + NST_SEC(120));
    r->connections = cl ? nst_http_client_stats(cl)->connections : 0;
    nst_http_client_free(cl); /* calls still out (pointing at `calls`) end here, as failed */
    nst_world_run_for(p->world, NST_SEC(1)); /* the closes finish before the next series */
}

/* The path (clean or lossy) with London serving both protocols; the two
 * series on it. 0 or -1. */
static int hol_path(const struct nst_demo_opts *o, double loss, const char *cap, FILE *out, struct hol_run *h2,
                    struct hol_run *h1, struct hol_wire *hw, uint64_t *lost)
{
    struct wire *w = calloc(1, sizeof(*w));
    if (!w)
        return -1;
    struct nst_lab_path p;
    struct nst_demo_impair imp = {.loss = loss};
    if (nst_demo_build_path(o, &p, &imp, 1, cap, out) < 0) {
        free(w);
        return -1;
    }
    nst_lab_warm_up_arp(&p);
    nst_sim_link_observe(p.links[0], wire_frame, w);
    struct nst_http_server_config sc;
    nst_http_server_config_default(&sc);
    sc.proto = NST_HTTP_PROTO_HTTP2; /* both protocols, per connection */
    int lfd = nst_lab_listen(p.london, HOL_PORT, 64);
    struct nst_http_server *sv = lfd >= 0 ? nst_http_server_new(p.london, lfd, NULL, &sc) : NULL;
    int ok = sv && nst_http_server_route(sv, NULL, "/", page, NULL) == 0;
    if (ok) {
        w->active = 1;
        hol_series(&p, NST_HTTP_PROTO_HTTP2, 1, h2);
        w->active = 0;
        wire_read(w, hw, h2->start);
        hol_series(&p, NST_HTTP_PROTO_HTTP1, 6, h1);
        /* The transatlantic link, both ways. */
        *lost = nst_sim_link_stats(p.links[2], 0)->lost + nst_sim_link_stats(p.links[2], 1)->lost;
    }
    nst_http_server_free(sv);
    nst_lab_path_free(&p);
    free(w);
    return ok ? 0 : -1;
}

static double ms(nst_time_t t) { return (double)t / 1e6; }

struct hol_delay {
    int delayed;            /* requests later than on the clean path */
    nst_time_t last, worst; /* the last completion; the largest delay */
};

/* Request by request: how much later than on the clean path, and a row of
 * one character each ('.': on time, 1-9: late by that many round trips,
 * '+': more). */
static struct hol_delay hol_compare(const struct hol_run *clean, const struct hol_run *lossy, char row[HOL_REQUESTS + 1])
{
    struct hol_delay d = {0};
    for (int i = 0; i < HOL_REQUESTS; i++) {
        nst_time_t late = lossy->done_at[i] - clean->done_at[i];
        if (lossy->done_at[i] > d.last)
            d.last = lossy->done_at[i];
        if (late > d.worst)
            d.worst = late;
        long rtts = (long)((late + NST_MSEC(40)) / NST_MSEC(80));
        d.delayed += late > DELAYED;
        row[i] = late <= DELAYED ? '.' : rtts < 1 ? '1' : rtts > 9 ? '+' : (char)('0' + rtts);
    }
    row[HOL_REQUESTS] = '\0';
    return d;
}

static nst_time_t last_of(const struct hol_run *r)
{
    nst_time_t last = 0;
    for (int i = 0; i < HOL_REQUESTS; i++)
        if (r->done_at[i] > last)
            last = r->done_at[i];
    return last;
}

int nst_demo_h2_head_of_line(const struct nst_demo_opts *o, FILE *out)
{
    struct hol_run *runs = calloc(4, sizeof(*runs)); /* clean h2, clean h1, lossy h2, lossy h1 */
    struct hol_wire *hw = calloc(2, sizeof(*hw)); /* clean, lossy */
    uint64_t lost_clean = 0, lost = 0;
    int ok = runs && hw &&
             hol_path(o, 0, "h2-head-of-line-clean.pcap", out, &runs[0], &runs[1], &hw[0], &lost_clean) == 0 &&
             hol_path(o, HOL_LOSS, "h2-head-of-line-lossy.pcap", out, &runs[2], &runs[3], &hw[1], &lost) == 0;
    if (!ok) {
        free(runs);
        free(hw);
        return 1;
    }
    char row_h2[HOL_REQUESTS + 1], row_h1[HOL_REQUESTS + 1];
    struct hol_delay d2 = hol_compare(&runs[0], &runs[2], row_h2);
    struct hol_delay d1 = hol_compare(&runs[1], &runs[3], row_h1);
    fprintf(out, "\n%d GETs of %d bytes at once, New York -> London, on the clean path and with\n"
                 "%.0f %% of the transatlantic frames lost (%llu lost, both series, both ways):\n\n",
            HOL_REQUESTS, HOL_BODY, HOL_LOSS * 100, (unsigned long long)lost);
    fprintf(out, "  %-26s %12s %12s %9s %14s\n", "", "last, clean", "last, 2 %", "delayed", "worst delay");
    fprintf(out, "  %-26s %9.3f ms %9.3f ms %5d/%d %11.3f ms\n", "HTTP/2, one connection", ms(last_of(&runs[0])),
            ms(d2.last), d2.delayed, HOL_REQUESTS, ms(d2.worst));
    fprintf(out, "  %-26s %9.3f ms %9.3f ms %5d/%d %11.3f ms\n", "HTTP/1.1, 6 connections", ms(last_of(&runs[1])),
            ms(d1.last), d1.delayed, HOL_REQUESTS, ms(d1.worst));
    fprintf(out, "\n  each request, in the order sent: '.' as fast as on the clean path, 1-9 that\n"
                 "  many round trips (80 ms) later, '+' more\n");
    fprintf(out, "  HTTP/2    %s\n  HTTP/1.1  %s\n", row_h2, row_h1);
    const struct hol_wire *l = &hw[1];
    char row_held[HOL_REQUESTS + 1];
    for (int i = 0; i < HOL_REQUESTS; i++) {
        nst_time_t wait = l->inorder[i] - l->own[i];
        long rtts = (long)((wait + NST_MSEC(40)) / NST_MSEC(80));
        row_held[i] = wait <= 0 ? '.' : rtts < 1 ? '1' : rtts > 9 ? '+' : (char)('0' + rtts);
    }
    row_held[HOL_REQUESTS] = '\0';
    fprintf(out, "\n  HTTP/2 under loss, from London's bytes as they reached New York (h2 frames by\n"
                 "  stream): a stream whose own bytes had all arrived, waiting for a hole before them\n"
                 "  ('.' not held, 1-9 held that many round trips, '+' more)\n");
    fprintf(out, "  held      %s\n", row_held);
    fprintf(out, "  %d of %d streams held back by other streams' lost segments, %.3f ms on average,\n"
                 "  up to %.3f ms; one repaired hole released %d streams at once. A stream's answer\n"
                 "  was whole %.3f ms after the requests left on average; ordered each on its own,\n"
                 "  with the same packets, %.3f ms.\n",
            l->held, HOL_REQUESTS, l->held ? ms(l->held_sum / l->held) : 0.0, ms(l->held_max), l->most_at_once,
            ms(l->sum_inorder / HOL_REQUESTS), ms(l->sum_own / HOL_REQUESTS));
    fprintf(out, "\n  HTTP/2's streams are one TCP byte stream: a lost segment holds back every\n"
                 "  stream whose bytes follow it until the retransmission fills the hole, though\n"
                 "  their own bytes have arrived. HTTP/1.1's requests are late too, each waiting\n"
                 "  for the answer before it on its connection, but a loss there holds back only the\n"
                 "  one answer in flight on that connection. HTTP/3 runs over QUIC, which orders\n"
                 "  each stream on its own (RFC 9000 2.2): a loss delays only the stream it carried.\n\n");
    nst_lab_figure(o, "HTTP/2 streams held back by another stream's lost segment", "", hw[1].held > 0, "", "%d",
                   hw[1].held);
    nst_lab_figure(o, "HTTP/2 streams released by one repaired hole", "several", hw[1].most_at_once > 1, "", "%d",
                   hw[1].most_at_once);
    int answered = 1;
    for (int i = 0; i < 4; i++)
        answered &= runs[i].done == HOL_REQUESTS && runs[i].failed == 0;
    ok &= nst_lab_check(out, answered, "every request answered, with and without loss");
    ok &= nst_lab_check(out, lost_clean == 0 && lost > 0, "frames lost only on the lossy path");
    ok &= nst_lab_check(out, runs[2].connections == 1 && runs[3].connections == 6,
                        "HTTP/2 on one connection, HTTP/1.1 on six");
    ok &= nst_lab_check(out, hw[0].valid && hw[1].valid, "every HTTP/2 stream's answer found in London's bytes");
    ok &= nst_lab_check(out, hw[0].held == 0, "clean path: no stream waits for another");
    ok &= nst_lab_check(out, hw[1].held > 0 && hw[1].most_at_once > 1,
                        "2 % loss: one lost segment holds back several HTTP/2 streams at once");
    /* What TCP handed over can be no earlier than what arrived, and the
     * client's answers end when TCP hands the last bytes over. */
    int consistent = 1;
    for (int i = 0; i < HOL_REQUESTS; i++)
        consistent &= hw[1].inorder[i] >= hw[1].own[i] && runs[2].done_at[i] >= hw[1].inorder[i];
    ok &= nst_lab_check(out, consistent, "each stream completed at or after TCP handed its last byte over");
    free(runs);
    free(hw);
    return ok ? 0 : 1;
}
