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

#define HOL_REQUESTS 100
#define HOL_PORT 80
#define HOL_BODY 4096     /* bytes per answer: an icon, a small script */
#define HOL_LOSS 0.02
#define DELAYED NST_MSEC(1) /* later than on the clean path by more than this: delayed */

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
                    struct hol_run *h1, uint64_t *lost)
{
    struct nst_lab_path p;
    struct nst_demo_impair imp = {.loss = loss};
    if (nst_demo_build_path(o, &p, &imp, 1, cap, out) < 0)
        return -1;
    nst_lab_warm_up_arp(&p);
    struct nst_http_server_config sc;
    nst_http_server_config_default(&sc);
    sc.proto = NST_HTTP_PROTO_HTTP2; /* both protocols, per connection */
    int lfd = nst_lab_listen(p.london, HOL_PORT, 64);
    struct nst_http_server *sv = lfd >= 0 ? nst_http_server_new(p.london, lfd, NULL, &sc) : NULL;
    int ok = sv && nst_http_server_route(sv, NULL, "/", page, NULL) == 0;
    if (ok) {
        hol_series(&p, NST_HTTP_PROTO_HTTP2, 1, h2);
        hol_series(&p, NST_HTTP_PROTO_HTTP1, 6, h1);
        /* The transatlantic link, both ways. */
        *lost = nst_sim_link_stats(p.links[2], 0)->lost + nst_sim_link_stats(p.links[2], 1)->lost;
    }
    nst_http_server_free(sv);
    nst_lab_path_free(&p);
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
    uint64_t lost_clean = 0, lost = 0;
    int ok = runs && hol_path(o, 0, "h2-head-of-line-clean.pcap", out, &runs[0], &runs[1], &lost_clean) == 0 &&
             hol_path(o, HOL_LOSS, "h2-head-of-line-lossy.pcap", out, &runs[2], &runs[3], &lost) == 0;
    if (!ok) {
        free(runs);
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
    fprintf(out, "\n  HTTP/2's streams are one TCP byte stream: a lost segment holds back every\n"
                 "  stream whose bytes follow it until the retransmission fills the hole, though\n"
                 "  their own bytes have arrived. HTTP/3 runs over QUIC, which orders each\n"
                 "  stream on its own (RFC 9000 2.2): there a loss delays only the stream it carried.\n\n");
    int answered = 1;
    for (int i = 0; i < 4; i++)
        answered &= runs[i].done == HOL_REQUESTS && runs[i].failed == 0;
    ok &= nst_lab_check(out, answered, "every request answered, with and without loss");
    ok &= nst_lab_check(out, lost_clean == 0 && lost > 0, "frames lost only on the lossy path");
    ok &= nst_lab_check(out, runs[2].connections == 1 && runs[3].connections == 6,
                        "HTTP/2 on one connection, HTTP/1.1 on six");
    ok &= nst_lab_check(out, d2.delayed > d1.delayed,
                        "head-of-line blocking: loss delays more HTTP/2 streams than HTTP/1.1 requests");
    free(runs);
    return ok ? 0 : 1;
}
