/* The port-exhaustion scenario's last fix (src/lab/lab_ports.c shows the
 * others), in nstack_app because it needs HTTP/2:
 *
 *   ports-multiplexed  the load that exhausted New York's ephemeral ports,
 *                      16,385 requests to London:80 (one more than the
 *                      16,384 ports of 49152-65535), sent over HTTP/2:
 *                      every one a stream on one connection, so one port.
 *
 * London announces 100 concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS,
 * nginx's order of magnitude), so New York's client runs the requests in
 * waves of 100, one round trip each: the connection's round trip, then
 * ceil(16,385 / 100) = 164 waves of 80 ms, about 13.2 s. Port pressure
 * becomes stream concurrency, which the server sets. */
#include <stdio.h>
#include <stdlib.h>

#include <nstack/http.h>
#include <nstack/inspect.h>
#include <nstack/lab.h>

#include "lab/lab_internal.h"

#define LOAD 16385 /* the 16,384 ports of 49152-65535, and one more */
#define STREAMS 100
#define PORT 80

static void page(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static const char body[] = "ok\n";
    nst_http_reply(x, 200, "text/plain", body, sizeof body - 1);
}

/* The load generator, as h2load -m runs one: a window of requests out
 * (London's streams, and as many again waiting in the client's queue), a
 * new one sent as each answer arrives. The waves are those of sending all
 * at once; the client's queue stays short. */
struct load_run {
    struct nst_http_client *cl;
    const struct nst_http_client_request *req;
    int sent, done, failed;
    nst_time_t first, last; /* the first request sent; the last answer */
};

static void on_done(void *arg, struct nst_http_call *c, int err);
static const struct nst_http_call_cbs cbs = {NULL, NULL, on_done};

static void send_one(struct load_run *r)
{
    r->sent++;
    if (nst_http_request_send(r->cl, r->req, &cbs, r, NULL) < 0) {
        r->done++;
        r->failed++;
    }
}

static void on_done(void *arg, struct nst_http_call *c, int err)
{
    struct load_run *r = arg;
    r->done++;
    r->failed += err != 0;
    nst_time_t end = nst_http_call_timing(c)->start + nst_http_call_timing(c)->total;
    if (end > r->last)
        r->last = end;
    if (r->sent < LOAD)
        send_one(r);
}

static int half_done(void *arg) { return ((struct load_run *)arg)->done >= LOAD / 2; }
static int all_done(void *arg) { return ((struct load_run *)arg)->done == LOAD; }

/* New York's TCP connections in ESTABLISHED: the ports it holds. */
static int established(struct nst_stack *st)
{
    int n;
    free(nst_lab_tcp_in_state(st, NST_TCPS_ESTABLISHED, &n));
    return n;
}

int nst_demo_ports_multiplexed(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, NULL, 1, "ports-multiplexed.pcap", out) < 0)
        return 1;
    nst_lab_warm_up_arp(&p);
    struct nst_http_server_config sc;
    nst_http_server_config_default(&sc);
    sc.proto = NST_HTTP_PROTO_HTTP2;
    sc.h2.max_concurrent_streams = STREAMS;
    sc.max_requests = 0; /* the whole load on one connection */
    int lfd = nst_lab_listen(p.london, PORT, 64);
    struct nst_http_server *sv = lfd >= 0 ? nst_http_server_new(p.london, lfd, NULL, &sc) : NULL;
    struct nst_http_client_config cc;
    nst_http_client_config_default(&cc);
    cc.proto = NST_HTTP_PROTO_HTTP2;
    struct nst_http_client *cl = nst_http_client_new(p.ny, &cc);
    int ok = sv && cl && nst_http_server_route(sv, NULL, "/", page, NULL) == 0;
    struct nst_http_client_request req = {.method = "GET", .scheme = "http", .addr = {NST_LAB_LONDON_ADDR, PORT},
                                          .host = "london.lab", .target = "/"};
    struct load_run r = {cl, &req, 0, 0, 0, 0, 0};
    fprintf(out, "\nThe port-exhaustion load, %d requests to London:80 (one more than New York's 16,384\n"
                 "ephemeral ports), over HTTP/2: London allows %d streams at once; New York keeps %d\n"
                 "requests out (as h2load -m does), a new one as each answer arrives.\n",
            LOAD, STREAMS, 2 * STREAMS);
    int mid_ports = -1;
    if (ok) {
        r.first = nst_world_now(p.world);
        while (r.sent < 2 * STREAMS)
            send_one(&r);
        nst_time_t deadline = nst_world_now(p.world) + NST_SEC(60);
        nst_world_run_until_cond(p.world, half_done, &r, deadline);
        mid_ports = established(p.ny);
        fprintf(out, "\n  halfway (%d answered):", r.done);
        nst_lab_show(out, p.ny, "ny", "ss -tn state established", 0);
        nst_world_run_until_cond(p.world, all_done, &r, deadline);
    }
    const struct nst_http_client_stats *cs = cl ? nst_http_client_stats(cl) : NULL;
    uint64_t waves = (LOAD + STREAMS - 1) / STREAMS;
    fprintf(out, "\n  %d answered, %d failed; connections opened: %llu; streams: %llu, at most %llu at once\n",
            r.done - r.failed, r.failed, cs ? (unsigned long long)cs->connections : 0ull,
            cs ? (unsigned long long)cs->h2.streams : 0ull, cs ? (unsigned long long)cs->h2.max_concurrent : 0ull);
    fprintf(out, "  last answer after %.3f s: the handshake's round trip + %llu waves of %d streams x 80 ms\n"
                 "  = %.3f s (each wave's requests leave together, their answers come back together)\n\n",
            (double)(r.last - r.first) / 1e9, (unsigned long long)waves, STREAMS, (double)(waves + 1) * 0.080);
    nst_time_t expect = (nst_time_t)(waves + 1) * NST_MSEC(80), took = r.last - r.first;
    nst_lab_figure(o, "HTTP/2: connections (ports) for 16,385 requests", "1", cs && cs->connections == 1, "", "%llu",
                   cs ? (unsigned long long)cs->connections : 0ull);
    nst_lab_figure(o, "the last answer", "1 + 164 round trips = 13.200 s",
                   took >= expect && took < expect + NST_MSEC(80), "s", "%.3f", (double)took / 1e9);
    ok &= nst_lab_check(out, r.done == LOAD && r.failed == 0, "all 16,385 requests answered");
    ok &= nst_lab_check(out, cs && cs->connections == 1 && mid_ports == 1 &&
                                 nst_stack_stats(p.ny)->tcp_port_exhausted == 0,
                        "one connection, one ephemeral port, no EADDRNOTAVAIL");
    ok &= nst_lab_check(out, cs && cs->h2.streams == LOAD && cs->h2.max_concurrent == STREAMS,
                        "every request a stream, never more than London's 100 at once");
    /* A few microseconds of serialisation per wave on the 1 Gbit/s links. */
    ok &= nst_lab_check(out, took >= expect && took < expect + NST_MSEC(80),
                        "the last answer after 1 + 164 round trips: concurrency, not ports, sets the pace");
    nst_http_client_free(cl);
    nst_http_server_free(sv);
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}
