/* The lab's HTTP scenarios (in nstack_app: they use HTTP and TLS), on the New York -
 * London path with the library's server and client (nstack/http.h):
 *
 *   keep-alive  N sequential requests with and without keep-alive, plain
 *               and TLS 1.3: handshakes counted, and the time a kept-alive
 *               connection saves, (N-1) x 80 ms (one round trip each) and
 *               (N-1) x 160 ms with TLS 1.3 (two)
 *   timeouts    a server that accepts and never answers, and one that
 *               stalls mid-body: the connect timeout never fires (the
 *               handshake completes), the response and read timeouts fire
 *               at their configured moments in virtual time */
#include <stdio.h>
#include <string.h>

#include <nstack/http.h>
#include <nstack/lab.h>
#include <nstack/tls.h>

#include "lab/lab_app_internal.h"
#include "lab/lab_internal.h"

#define KA_REQUESTS 10
#define HTTP_PORT 80
#define HTTPS_PORT 443

static void page(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static const char body[] = "hello from London\n";
    nst_http_reply(x, 200, "text/plain", body, sizeof body - 1);
}

/* Never answered: the exchange waits until the client gives up. */
static void hang(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    (void)x;
}

/* Half of a 1000-byte body, then nothing. */
static void stall(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static const char half[500] = {0};
    nst_http_respond(x, 200, NULL, 0, 1000);
    nst_http_write(x, half, sizeof half);
}

static struct nst_http_server *server_on(struct nst_stack *st, uint16_t port, struct nst_tls_ctx *tls)
{
    int lfd = nst_lab_listen(st, port, 64);
    if (lfd < 0)
        return NULL;
    struct nst_http_server *sv = nst_http_server_new(st, lfd, tls, NULL);
    if (sv && (nst_http_server_route(sv, NULL, "/", page, NULL) || nst_http_server_route(sv, NULL, "/hang", hang, NULL) ||
               nst_http_server_route(sv, NULL, "/stall", stall, NULL))) {
        nst_http_server_free(sv);
        return NULL;
    }
    return sv;
}

/* One request, run to its end. */
static struct nst_lab_call fetch(struct nst_lab_path *p, struct nst_http_client *cl, int tls, const char *target,
                                int close)
{
    struct nst_lab_call r = {0};
    struct nst_http_client_request req = {.method = "GET", .scheme = tls ? "https" : "http",
                                          .addr = {NST_LAB_LONDON_ADDR, tls ? HTTPS_PORT : HTTP_PORT},
                                          .host = "london.lab", .target = target, .close = close};
    static const struct nst_http_call_cbs cbs = {NULL, NULL, nst_lab_call_done};
    if (nst_http_request_send(cl, &req, &cbs, &r, NULL) < 0) {
        r.done = 1;
        r.err = -1;
        return r;
    }
    nst_world_run_until_cond(p->world, nst_lab_call_over, &r, nst_world_now(p->world) + NST_SEC(120));
    return r;
}

/* ---- keep-alive ------------------------------------------------------------ */

struct ka_run {
    nst_time_t total;
    uint64_t connections;
    int failed;
};

static struct ka_run ka_series(struct nst_lab_path *p, struct nst_tls_ctx *cctx, int keepalive)
{
    struct nst_http_client_config cc;
    nst_http_client_config_default(&cc);
    cc.tls = cctx;
    struct nst_http_client *cl = nst_http_client_new(p->ny, &cc);
    struct ka_run k = {0};
    if (!cl) {
        k.failed = 1;
        return k;
    }
    for (int i = 0; i < KA_REQUESTS; i++) {
        struct nst_lab_call r = fetch(p, cl, cctx != NULL, "/", !keepalive);
        k.failed |= r.err != 0;
        k.total += r.t.total;
    }
    k.connections = nst_http_client_stats(cl)->connections;
    nst_http_client_free(cl);
    nst_world_run_for(p->world, NST_SEC(1)); /* the last closes finish */
    return k;
}

static double ms(nst_time_t t) { return (double)t / 1e6; }

int nst_demo_keepalive(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, NULL, 1, "keep-alive.pcap", out) < 0)
        return 1;
    nst_lab_warm_up_arp(&p);
    struct nst_tls_test_pki pki = {0};
    struct nst_tls_ctx *sctx = NULL, *cctx = NULL;
    /* Every connection a full handshake: what keep-alive saves. */
    int ok = nst_lab_tls13_contexts(&pki, "london.lab", 1, &sctx, &cctx) == 0;
    struct nst_http_server *plain = server_on(p.london, HTTP_PORT, NULL);
    struct nst_http_server *secure = ok ? server_on(p.london, HTTPS_PORT, sctx) : NULL;
    ok &= plain && secure;
    struct ka_run runs[4] = {{0}};
    if (ok) {
        runs[0] = ka_series(&p, NULL, 0);
        runs[1] = ka_series(&p, NULL, 1);
        runs[2] = ka_series(&p, cctx, 0);
        runs[3] = ka_series(&p, cctx, 1);
    }
    fprintf(out, "\n%d sequential GETs, New York -> London (80 ms round trip):\n", KA_REQUESTS);
    fprintf(out, "  %-30s %10s %15s\n", "", "handshakes", "total");
    static const char *const names[] = {"HTTP, no keep-alive", "HTTP, keep-alive", "HTTPS (TLS 1.3), no keep-alive",
                                        "HTTPS (TLS 1.3), keep-alive"};
    for (int i = 0; i < 4; i++)
        fprintf(out, "  %-30s %8llu %12.3f ms\n", names[i], (unsigned long long)runs[i].connections,
                ms(runs[i].total));
    nst_time_t saved = runs[0].total - runs[1].total, saved_tls = runs[2].total - runs[3].total;
    fprintf(out, "  keep-alive saves %.3f ms over HTTP, %.3f ms over HTTPS\n\n", ms(saved), ms(saved_tls));
    nst_lab_figure(o, "keep-alive saves, over HTTP", "(N-1) x 80 ms = 720 ms",
                   saved >= (KA_REQUESTS - 1) * NST_MSEC(80) && saved < (KA_REQUESTS - 1) * NST_MSEC(81), "ms",
                   "%.3f", ms(saved));
    nst_lab_figure(o, "keep-alive saves, over HTTPS (TLS 1.3)", "(N-1) x 160 ms = 1440 ms",
                   saved_tls >= (KA_REQUESTS - 1) * NST_MSEC(160) && saved_tls < (KA_REQUESTS - 1) * NST_MSEC(161),
                   "ms", "%.3f", ms(saved_tls));
    ok &= nst_lab_check(out, !runs[0].failed && !runs[1].failed && !runs[2].failed && !runs[3].failed,
                        "every request answered");
    ok &= nst_lab_check(out, runs[0].connections == KA_REQUESTS && runs[1].connections == 1 &&
                                 runs[2].connections == KA_REQUESTS && runs[3].connections == 1,
                        "a handshake per request without keep-alive, one with it");
    /* Each handshake avoided is one round trip (TCP) or two (TCP + TLS 1.3),
     * plus a few microseconds of serialization. */
    ok &= nst_lab_check(out, saved >= (KA_REQUESTS - 1) * NST_MSEC(80) && saved < (KA_REQUESTS - 1) * NST_MSEC(81),
                        "keep-alive saves (N-1) x 80 ms");
    ok &= nst_lab_check(out,
                        saved_tls >= (KA_REQUESTS - 1) * NST_MSEC(160) &&
                            saved_tls < (KA_REQUESTS - 1) * NST_MSEC(161),
                        "with TLS 1.3 it saves (N-1) x 160 ms");
    nst_http_server_free(plain);
    nst_http_server_free(secure);
    nst_tls_ctx_free(sctx);
    nst_tls_ctx_free(cctx);
    if (pki.cert)
        nst_tls_test_pki_free(&pki);
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}

/* ---- timeouts -------------------------------------------------------------- */

int nst_demo_timeouts(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, NULL, 1, "timeouts.pcap", out) < 0)
        return 1;
    nst_lab_warm_up_arp(&p);
    struct nst_http_server *sv = server_on(p.london, HTTP_PORT, NULL);
    struct nst_http_client_config cc;
    nst_http_client_config_default(&cc);
    cc.connect_timeout = NST_SEC(1);
    cc.response_timeout = NST_SEC(2);
    cc.read_timeout = NST_SEC(3);
    struct nst_http_client *cl = nst_http_client_new(p.ny, &cc);
    int ok = sv && cl;
    struct nst_lab_call hung = {0}, stalled = {0};
    if (ok) {
        hung = fetch(&p, cl, 0, "/hang", 0);
        stalled = fetch(&p, cl, 0, "/stall", 0);
    }
    fprintf(out, "\nclient timeouts: connect 1 s, response 2 s, read 3 s\n");
    fprintf(out, "  GET /hang  (accepts, never answers): connected after %.3f ms, then %s after %.3f ms\n",
            ms(hung.t.connect), nst_http_strerror(hung.err), ms(hung.t.total));
    fprintf(out, "  GET /stall (half the body, then silence): first byte after %.3f ms, then %s after %.3f ms\n\n",
            ms(stalled.t.first_byte), nst_http_strerror(stalled.err), ms(stalled.t.total));
    const struct nst_http_client_stats *cs = cl ? nst_http_client_stats(cl) : NULL;
    nst_lab_figure(o, "GET /hang: the response timeout fired after", "connected + 2000 ms",
                   hung.t.total == hung.t.connect + NST_SEC(2), "ms", "%.3f", ms(hung.t.total));
    nst_lab_figure(o, "GET /stall: the read timeout fired after", "first byte + 3000 ms",
                   stalled.t.total == stalled.t.first_byte + NST_SEC(3), "ms", "%.3f", ms(stalled.t.total));
    ok &= nst_lab_check(out, cs && cs->connect_timeouts == 0 && hung.t.connect > 0 && hung.t.connect < NST_SEC(1),
                        "a hung server defeats the connect timeout: the handshake completes");
    ok &= nst_lab_check(out, hung.err == NST_HTTP_E_RESPONSE_TIMEOUT && hung.t.total == hung.t.connect + NST_SEC(2),
                        "the response timeout fires 2 s after the request left");
    ok &= nst_lab_check(out,
                        stalled.err == NST_HTTP_E_READ_TIMEOUT && stalled.t.total == stalled.t.first_byte + NST_SEC(3),
                        "the read timeout fires 3 s after the body stalled");
    ok &= nst_lab_check(out, cs && cs->response_timeouts == 1 && cs->read_timeouts == 1,
                        "each counted as its own kind");
    nst_http_client_free(cl);
    nst_http_server_free(sv);
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}
