/* HTTP requests per CPU second, in memory: nstack's HTTP/1.1 client and
 * server (nstack/http.h, nstack_app) on two stacks joined by nst_pair's
 * in-memory link, one process, one thread. The client sends its next GET
 * as soon as a response ends (wrk's pattern with one connection: on a
 * zero-latency link a request is answered within one pump, so more
 * connections would only take turns); the answer is a 13-byte text body.
 * Reports requests, CPU seconds, requests per CPU second (both ends' work:
 * client, server and both stacks), and the connections the client opened
 * (1 when keep-alive holds).
 *
 *   usage: nst_bench_http [--requests N (200000)] [--close] [--http2] [--streams C (1)] [--origins O (1)]
 *                         [--out FILE]
 * --close sends Connection: close: a connection per request (TCP
 * handshake and teardown included), for comparison. --http2: both sides
 * speak HTTP/2 (h2c by prior knowledge), C requests in flight as streams
 * on one connection. --streams C over HTTP/1.1 keeps C requests sent and
 * not done (queued in the client, at most max_per_origin connections per
 * origin); --origins O spreads them over O origins (host names o0..o(O-1),
 * the same server), request i to origin i mod O: the cost of the client's
 * dispatch with many calls queued across many origins (variant
 * h1-inmem-qC-oO). --out appends the figure to FILE as a result row
 * (bench http, variant h1-inmem / h1-inmem-close / h2-inmem, impl nstack)
 * for scripts/bench.sh's report. */
#include <nstack/http.h>
#include <nstack/nstack.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "nst_pair.h"

struct bench {
    struct np_pair p;
    struct nst_http_client *cl;
    uint64_t target, sent, done, failed, streams, origins;
    int close, http2;
    const char *out;
};

static void hello(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    nst_http_reply(x, 200, "text/plain", "Hello, world\n", 13);
}

static void send_one(struct bench *b);

static void on_done(void *arg, struct nst_http_call *c, int err)
{
    (void)c;
    struct bench *b = arg;
    b->done++;
    b->failed += err != 0;
    if (b->sent < b->target)
        send_one(b);
}

static void send_one(struct bench *b)
{
    static const struct nst_http_call_cbs cbs = {NULL, NULL, on_done};
    char host[32] = "bench";
    if (b->origins > 1)
        snprintf(host, sizeof host, "o%llu", (unsigned long long)(b->sent % b->origins));
    struct nst_http_client_request r = {.method = "GET", .scheme = "http", .addr = {b->p.addr_b, 80},
                                        .host = host, .target = "/", .close = b->close};
    if (nst_http_request_send(b->cl, &r, &cbs, b, NULL) == 0) {
        b->sent++;
    } else {
        b->failed++;
        b->done++;
    }
}

/* The figure as a result row: FAILED if any request failed. */
static void write_row(const struct bench *b, const struct nst_http_client_stats *cs, double cpu, double wall)
{
    char variant[48];
    if (!b->http2 && !b->close && (b->streams > 1 || b->origins > 1))
        snprintf(variant, sizeof variant, "h1-inmem-q%llu-o%llu", (unsigned long long)b->streams,
                 (unsigned long long)b->origins);
    else
        snprintf(variant, sizeof variant, "%s", b->http2 ? "h2-inmem" : b->close ? "h1-inmem-close" : "h1-inmem");
    struct bu_result r = {"http", variant, "nstack",
                          "requests-per-cpu", cpu > 0 ? (double)b->done / cpu : 0, "requests per CPU s (both ends)",
                          1, cpu, wall, ""};
    if (b->failed)
        snprintf(r.note, sizeof r.note, BU_FAILED ": %llu of %llu requests failed", (unsigned long long)b->failed,
                 (unsigned long long)b->done);
    else
        snprintf(r.note, sizeof r.note,
                 "client and server in one thread, two stacks in memory: %llu requests on %llu connection(s), "
                 "%llu in flight, 13-byte body; %llu stalls",
                 (unsigned long long)b->done, (unsigned long long)cs->connections,
                 (unsigned long long)b->streams, (unsigned long long)b->p.stalls);
    bu_result_write(b->out, &r);
}

int main(int argc, char **argv)
{
    struct bench b = {.target = 200000, .streams = 1, .origins = 1};
    static const struct option opts[] = {{"requests", required_argument, 0, 'n'},
                                         {"close", no_argument, 0, 'x'},
                                         {"http2", no_argument, 0, '2'},
                                         {"streams", required_argument, 0, 's'},
                                         {"origins", required_argument, 0, 'g'},
                                         {"out", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'n')
            b.target = strtoull(optarg, NULL, 10);
        else if (o == 'x')
            b.close = 1;
        else if (o == '2')
            b.http2 = 1;
        else if (o == 's')
            b.streams = strtoull(optarg, NULL, 10);
        else if (o == 'g')
            b.origins = strtoull(optarg, NULL, 10) ? strtoull(optarg, NULL, 10) : 1;
        else if (o == 'o')
            b.out = optarg;
        else
            return 2;
    }
    if (np_pair_init(&b.p, 1500, NULL) < 0)
        return 1;
    int lfd = nst_socket(b.p.b, NST_SOCK_STREAM);
    struct nst_sockaddr any = {0, 80};
    nst_bind(b.p.b, lfd, &any);
    nst_listen(b.p.b, lfd, 1024);
    struct nst_http_server_config sc;
    nst_http_server_config_default(&sc);
    sc.max_requests = 0;
    if (b.http2)
        sc.proto = NST_HTTP_PROTO_HTTP2;
    struct nst_http_server *sv = nst_http_server_new(b.p.b, lfd, NULL, &sc);
    struct nst_http_client_config cc;
    nst_http_client_config_default(&cc);
    if (b.streams > cc.max_queued)
        cc.max_queued = (uint32_t)b.streams;
    if (b.http2)
        cc.proto = NST_HTTP_PROTO_HTTP2;
    b.cl = nst_http_client_new(b.p.a, &cc);
    if (!sv || !b.cl)
        return 1;
    nst_http_server_route(sv, NULL, "/", hello, NULL);
    double cpu0 = bu_cpu_seconds();
    int64_t t0 = bu_mono_ns();
    for (uint64_t i = 0; i < b.streams && b.sent < b.target; i++)
        send_one(&b);
    while (b.done < b.target) {
        np_poll(&b.p);
        if (np_pump(&b.p) == 0 && np_idle(&b.p) < 0)
            break;
    }
    double cpu = bu_cpu_seconds() - cpu0;
    double wall = (double)(bu_mono_ns() - t0) / 1e9;
    const struct nst_http_client_stats *cs = nst_http_client_stats(b.cl);
    printf("http%s %s in memory: %llu requests (%llu failed), %llu connections, %.3f CPU s, %.3f s: "
           "%.0f requests per CPU second; %llu stalls\n",
           b.http2 ? "/2" : "", b.close ? "close" : b.http2 ? "one connection" : "keep-alive", (unsigned long long)b.done, (unsigned long long)b.failed,
           (unsigned long long)cs->connections, cpu, wall, cpu > 0 ? (double)b.done / cpu : 0.0,
           (unsigned long long)b.p.stalls);
    if (b.http2)
        printf("http/2: %llu streams in flight at most\n", (unsigned long long)cs->h2.max_concurrent);
    if (b.out)
        write_row(&b, cs, cpu, wall);
    nst_http_client_free(b.cl);
    nst_http_server_free(sv);
    np_pair_free(&b.p);
    return b.failed ? 1 : 0;
}
