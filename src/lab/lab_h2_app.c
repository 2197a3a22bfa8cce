/* The lab's HTTP/2 scenario (in nstack_app), on the New York - London path
 * (80 ms round trip) with the library's server and client:
 *
 *   h2-multiplex  N small GETs sent at once, three ways: HTTP/1.1 on one
 *                 connection (one after the other), HTTP/1.1 on 6 parallel
 *                 connections (a browser's per-origin limit), HTTP/1.1 on
 *                 a connection each, and HTTP/2 on one connection (all N as
 *                 streams at once): handshakes, local ports used and the
 *                 time until the last answer. HTTP/2 takes one port and two
 *                 round trips whatever N is, which is what the ports lesson
 *                 (issue #15) needs: the same load without port pressure. */
#include <stdio.h>
#include <string.h>

#include <nstack/http.h>
#include <nstack/lab.h>

#include "lab/lab_internal.h"

#define MUX_REQUESTS 100
#define MUX_PORT 80

static void page(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static const char body[] = "hello from London\n";
    nst_http_reply(x, 200, "text/plain", body, sizeof body - 1);
}

struct mux_run {
    int done, failed;
    nst_time_t last;
    uint64_t connections, streams;
};

static void mux_done(void *arg, struct nst_http_call *c, int err)
{
    struct mux_run *r = arg;
    r->done++;
    r->failed += err != 0;
    if (nst_http_call_timing(c)->total > r->last)
        r->last = nst_http_call_timing(c)->total;
}

static int mux_all_done(void *arg) { return ((struct mux_run *)arg)->done == MUX_REQUESTS; }

/* N GETs sent at once with this client configuration. */
static struct mux_run mux_series(struct nst_lab_path *p, enum nst_http_proto proto, uint32_t per_origin)
{
    struct mux_run r = {0};
    struct nst_http_client_config cc;
    nst_http_client_config_default(&cc);
    cc.proto = proto;
    cc.max_per_origin = per_origin;
    struct nst_http_client *cl = nst_http_client_new(p->ny, &cc);
    if (!cl) {
        r.failed = MUX_REQUESTS;
        return r;
    }
    struct nst_http_client_request req = {.method = "GET", .scheme = "http",
                                          .addr = {NST_LAB_LONDON_ADDR, MUX_PORT}, .host = "london.lab",
                                          .target = "/"};
    static const struct nst_http_call_cbs cbs = {NULL, NULL, mux_done};
    for (int i = 0; i < MUX_REQUESTS; i++)
        if (nst_http_request_send(cl, &req, &cbs, &r, NULL)) {
            r.failed++;
            r.done++;
        }
    nst_world_run_until_cond(p->world, mux_all_done, &r, nst_world_now(p->world) + NST_SEC(60));
    r.connections = nst_http_client_stats(cl)->connections;
    r.streams = nst_http_client_stats(cl)->h2.streams;
    nst_http_client_free(cl);
    nst_world_run_for(p->world, NST_SEC(1)); /* the closes finish before the next series */
    return r;
}

static double ms(nst_time_t t) { return (double)t / 1e6; }

int nst_demo_h2_multiplex(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, NULL, 1, "h2-multiplex.pcap", out) < 0)
        return 1;
    nst_lab_warm_up_arp(&p);
    int lfd = nst_socket(p.london, NST_SOCK_STREAM);
    struct nst_sockaddr any = {0, MUX_PORT};
    struct nst_http_server_config sc;
    nst_http_server_config_default(&sc);
    sc.proto = NST_HTTP_PROTO_HTTP2; /* both protocols, per connection */
    sc.max_connections = 2 * MUX_REQUESTS;
    struct nst_http_server *sv = NULL;
    if (lfd >= 0 && nst_bind(p.london, lfd, &any) == 0 && nst_listen(p.london, lfd, 2 * MUX_REQUESTS) == 0)
        sv = nst_http_server_new(p.london, lfd, NULL, &sc);
    int ok = sv && nst_http_server_route(sv, NULL, "/", page, NULL) == 0;
    struct mux_run runs[4] = {{0}};
    if (ok) {
        runs[0] = mux_series(&p, NST_HTTP_PROTO_HTTP1, 1);
        runs[1] = mux_series(&p, NST_HTTP_PROTO_HTTP1, 6);
        runs[2] = mux_series(&p, NST_HTTP_PROTO_HTTP1, MUX_REQUESTS);
        runs[3] = mux_series(&p, NST_HTTP_PROTO_HTTP2, 1);
    }
    fprintf(out, "\n%d GETs sent at once, New York -> London (80 ms round trip):\n", MUX_REQUESTS);
    fprintf(out, "  %-34s %10s %6s %14s\n", "", "handshakes", "ports", "last answer");
    static const char *const names[] = {"HTTP/1.1, one connection", "HTTP/1.1, 6 connections",
                                        "HTTP/1.1, a connection each", "HTTP/2, one connection"};
    for (int i = 0; i < 4; i++)
        fprintf(out, "  %-34s %10llu %6llu %11.3f ms\n", names[i], (unsigned long long)runs[i].connections,
                (unsigned long long)runs[i].connections, ms(runs[i].last));
    fprintf(out, "\n");
    nst_lab_figure(o, "HTTP/2: connections (ports) for 100 GETs", "1", runs[3].connections == 1, "", "%llu",
                   (unsigned long long)runs[3].connections);
    nst_lab_figure(o, "HTTP/2: the last answer", "within two round trips (160 ms)",
                   runs[3].last >= NST_MSEC(160) && runs[3].last < NST_MSEC(200), "ms", "%.3f", ms(runs[3].last));
    nst_lab_figure(o, "HTTP/1.1, one connection: the last answer", "a round trip per request",
                   runs[0].last > (MUX_REQUESTS - 1) * NST_MSEC(80), "ms", "%.3f", ms(runs[0].last));
    ok &= nst_lab_check(out, !runs[0].failed && !runs[1].failed && !runs[2].failed && !runs[3].failed,
                        "every request answered");
    ok &= nst_lab_check(out, runs[3].connections == 1 && runs[3].streams == MUX_REQUESTS,
                        "HTTP/2: one handshake, one port, every request a stream on it");
    ok &= nst_lab_check(out, runs[2].connections == MUX_REQUESTS, "HTTP/1.1 in parallel: a port per request");
    /* SYN's round trip, then all requests in one flight: two round trips. */
    ok &= nst_lab_check(out, runs[3].last >= NST_MSEC(160) && runs[3].last < NST_MSEC(200),
                        "HTTP/2 answers all within two round trips");
    ok &= nst_lab_check(out, runs[0].last > (MUX_REQUESTS - 1) * NST_MSEC(80),
                        "one HTTP/1.1 connection: a round trip per request");
    nst_http_server_free(sv);
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}
