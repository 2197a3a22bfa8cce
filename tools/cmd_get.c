/* nstack get URL: an HTTP client (the library's, nstack/http.h) on the
 * simulated New York - London path, or with --tap on a real network.
 *
 * On the simulator New York fetches from a lab host (london, r1.. or an
 * address of the path) where an nstack HTTP server answers: "/" a short
 * page, "/bytes/N" N bytes; https URLs go to its TLS port (443) with a
 * certificate from a run-time test CA the client trusts. Times are virtual
 * (the path's 80 ms round trip, exactly); with --tap they are real.
 *
 * -n N sends N requests one after the other (kept alive unless
 * --no-keepalive); -w prints each one's timing like curl -w (connect, tls,
 * first byte, total); -v prints the response heads. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/http.h>
#include <nstack/lab.h>
#include <nstack/nstack.h>
#include <nstack/tls.h>

#include "tools/cli.h"
#include "tools/cmd_tap.h"

struct get_args {
    char scheme[8];
    char host[256];
    uint16_t port;
    char target[1024];
    const char *method, *data;
    uint64_t n, parallel;
    int http2;
    int keepalive, timing, verbose, quiet, insecure;
    const char *cacert;
    double connect_s, response_s, read_s, max_s;
    int use_tap;
    struct tap_opts tap;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: nstack get [options] URL\n"
               "  URL                 http://HOST[:PORT]/PATH or https://...; HOST a lab host (london,\n"
               "                      r1, r2, r3 or an address of the path) or, with --tap, an IPv4 address\n"
               "  -n N                N requests, one after the other (default 1)\n"
               "  --no-keepalive      a new connection for every request (Connection: close)\n"
               "  -P N                N requests in flight at once (default 1)\n"
               "  --http2             HTTP/2: h2 by ALPN over https (HTTP/1.1 if the server says so),\n"
               "                      h2c with prior knowledge over http; all requests on one connection\n"
               "  -w                  timing of each request: connect, tls, first byte, total\n"
               "  -v                  print the response heads (to stderr)\n"
               "  -q                  do not print the bodies\n"
               "  -X METHOD, -d DATA  the method (default GET, POST with -d) and a body\n"
               "  --connect-timeout S, --response-timeout S, --read-timeout S, --max-time S\n"
               "  -k, --insecure      do not verify the server's certificate; --cacert FILE: trust FILE\n"
               "  --tap IFNAME --addr A.B.C.D/N [--gw A.B.C.D]: from an nstack host on a TAP device\n"
               "%s",
            tap_opts_help);
}

/* scheme://host[:port][/path] */
static int parse_url(const char *url, struct get_args *a)
{
    const char *p = strstr(url, "://");
    if (!p || (size_t)(p - url) >= sizeof a->scheme)
        return -1;
    memcpy(a->scheme, url, (size_t)(p - url));
    a->scheme[p - url] = 0;
    if (strcmp(a->scheme, "http") && strcmp(a->scheme, "https"))
        return -1;
    p += 3;
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof a->host)
        return -1;
    memcpy(a->host, p, hl);
    a->host[hl] = 0;
    p += hl;
    a->port = !strcmp(a->scheme, "https") ? 443 : 80;
    if (*p == ':') {
        uint64_t port;
        char num[8];
        size_t nl = strcspn(p + 1, "/");
        if (nl == 0 || nl >= sizeof num)
            return -1;
        memcpy(num, p + 1, nl);
        num[nl] = 0;
        if (nst_cli_parse_u64(num, 1, 65535, &port))
            return -1;
        a->port = (uint16_t)port;
        p += 1 + nl;
    }
    snprintf(a->target, sizeof a->target, "%s", *p ? p : "/");
    return 0;
}

enum { OPT_NOKA = 400, OPT_HTTP2, OPT_CT, OPT_RT, OPT_RDT, OPT_MAX, OPT_CACERT };

static int parse_args(int argc, char **argv, struct get_args *a)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'},
                                         {"no-keepalive", no_argument, 0, OPT_NOKA},
                                         {"http2", no_argument, 0, OPT_HTTP2},
                                         {"connect-timeout", required_argument, 0, OPT_CT},
                                         {"response-timeout", required_argument, 0, OPT_RT},
                                         {"read-timeout", required_argument, 0, OPT_RDT},
                                         {"max-time", required_argument, 0, OPT_MAX},
                                         {"insecure", no_argument, 0, 'k'},
                                         {"cacert", required_argument, 0, OPT_CACERT},
                                         TAP_LONG_OPTIONS,
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hn:P:wvqX:d:k", opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return -1;
        case 'n':
            if (nst_cli_parse_u64(optarg, 1, 1000000, &a->n))
                return nst_cli_bad_usage("get", "-n needs a count from 1, not '%s'", optarg);
            break;
        case 'P':
            if (nst_cli_parse_u64(optarg, 1, 1000, &a->parallel))
                return nst_cli_bad_usage("get", "-P needs a count from 1 to 1000, not '%s'", optarg);
            break;
        case OPT_HTTP2: a->http2 = 1; break;
        case 'w': a->timing = 1; break;
        case 'v': a->verbose = 1; break;
        case 'q': a->quiet = 1; break;
        case 'X': a->method = optarg; break;
        case 'd': a->data = optarg; break;
        case 'k': a->insecure = 1; break;
        case OPT_NOKA: a->keepalive = 0; break;
        case OPT_CACERT: a->cacert = optarg; break;
        case OPT_CT:
        case OPT_RT:
        case OPT_RDT:
        case OPT_MAX: {
            double *d = c == OPT_CT ? &a->connect_s : c == OPT_RT ? &a->response_s : c == OPT_RDT ? &a->read_s : &a->max_s;
            if (nst_cli_parse_double(optarg, 0, 86400, d))
                return nst_cli_bad_usage("get", "a timeout is seconds from 0 to 86400, not '%s'", optarg);
            break;
        }
        default: {
            int rc = tap_opts_parse("get", c, optarg, &a->tap);
            if (rc == 0) {
                a->use_tap = 1;
                break;
            }
            if (rc > 0)
                return rc;
            usage(stderr);
            return 2;
        }
        }
    }
    if (optind + 1 != argc)
        return nst_cli_bad_usage("get", "one URL is required");
    if (parse_url(argv[optind], a))
        return nst_cli_bad_usage("get", "the URL must be http://HOST[:PORT]/PATH or https://..., not '%s'",
                                 argv[optind]);
    if (!a->method)
        a->method = a->data ? "POST" : "GET";
    if (!a->use_tap)
        return 0;
    int rc = tap_opts_check("get", &a->tap);
    return rc ? rc : tap_opts_check_family("get", &a->tap, NST_AF_INET, "a URL on a TAP (IPv4 hosts only)");
}

/* ---- the requests ----------------------------------------------------------- */

struct get_run {
    struct get_args *a;
    struct nst_http_client *cl;
    struct nst_sockaddr addr;
    uint64_t sent, finished, failed;
    uint64_t in_flight;
    int last_err;
    nst_time_t t0;
};

static void on_head(void *arg, struct nst_http_call *c, const struct nst_http_response *r)
{
    struct get_run *g = arg;
    if (!g->a->verbose)
        return;
    fprintf(stderr, "< %s %d\n", nst_http_call_timing(c)->http2 ? "HTTP/2" : "HTTP/1.1", r->status);
    for (size_t i = 0; i < r->nfields; i++)
        fprintf(stderr, "< %.*s: %.*s\n", (int)r->fields[i].name_len, r->fields[i].name,
                (int)r->fields[i].value_len, r->fields[i].value);
    fprintf(stderr, "<\n");
}

static void on_body(void *arg, struct nst_http_call *c, const uint8_t *d, size_t n)
{
    (void)c;
    struct get_run *g = arg;
    if (!g->a->quiet)
        fwrite(d, 1, n, stdout);
}

static double ms(nst_time_t t) { return (double)t / 1e6; }

static void on_done(void *arg, struct nst_http_call *c, int err)
{
    struct get_run *g = arg;
    const struct nst_http_timing *t = nst_http_call_timing(c);
    g->in_flight--;
    g->finished++;
    if (err) {
        g->failed++;
        g->last_err = err;
        const char *why = nst_http_call_why(c);
        fprintf(stderr, "nstack get: request %llu: %s%s%s\n", (unsigned long long)g->finished,
                nst_http_strerror(err), *why ? ": " : "", why);
    }
    if (g->a->timing)
        fprintf(stderr, "request %llu: connect %.3f ms  tls %.3f ms  first byte %.3f ms  total %.3f ms%s%s%s\n",
                (unsigned long long)g->finished, ms(t->connect), ms(t->tls), ms(t->first_byte), ms(t->total),
                t->reused ? "  (reused)" : "", t->retried ? "  (retried)" : "", t->http2 ? "  (h2)" : "");
}

/* Sends requests while fewer than -P are in flight; 1 once all are done. */
static int get_send(struct get_run *g);
static int get_progress(void *arg)
{
    struct get_run *g = arg;
    while (g->sent < g->a->n && g->in_flight < g->a->parallel)
        if (get_send(g))
            return 1;
    return g->sent == g->a->n && !g->in_flight;
}

static int get_send(struct get_run *g)
{
    struct get_args *a = g->a;
    struct nst_http_client_request req = {.method = a->method, .scheme = a->scheme, .addr = g->addr,
                                          .host = a->host, .target = a->target, .body = a->data,
                                          .body_len = a->data ? strlen(a->data) : 0, .close = !a->keepalive};
    static const struct nst_http_call_cbs cbs = {on_head, on_body, on_done};
    if (a->verbose)
        fprintf(stderr, "> %s %s HTTP/1.1\n> Host: %s\n>\n", a->method, a->target, a->host);
    int err = nst_http_request_send(g->cl, &req, &cbs, g, NULL);
    if (err) {
        fprintf(stderr, "nstack get: %s\n", nst_http_strerror(err));
        g->failed++;
        g->sent = a->n; /* give up */
        return g->in_flight == 0;
    }
    g->sent++;
    g->in_flight++;
    return 0;
}

static void report(const struct get_run *g)
{
    const struct nst_http_client_stats *s = nst_http_client_stats(g->cl);
    if (g->a->timing || g->a->n > 1)
        fprintf(stderr,
                "%llu requests, %llu failed: %llu connections opened, %llu reused, %llu retried; "
                "timeouts: connect %llu, tls %llu, response %llu, read %llu, deadline %llu\n",
                (unsigned long long)s->requests, (unsigned long long)g->failed, (unsigned long long)s->connections,
                (unsigned long long)s->reuses, (unsigned long long)s->retries,
                (unsigned long long)s->connect_timeouts, (unsigned long long)s->tls_timeouts,
                (unsigned long long)s->response_timeouts, (unsigned long long)s->read_timeouts,
                (unsigned long long)s->deadlines);
    if (g->a->http2 && (g->a->timing || g->a->n > 1))
        fprintf(stderr, "HTTP/2: %llu connections, %llu streams (at most %llu at once), %llu refused, "
                        "%llu fell back to HTTP/1.1\n",
                (unsigned long long)s->h2.connections, (unsigned long long)s->h2.streams,
                (unsigned long long)s->h2.max_concurrent, (unsigned long long)s->h2.refused,
                (unsigned long long)s->h2.fallbacks);
}

static void client_config(const struct get_args *a, struct nst_http_client_config *c, struct nst_tls_ctx *tls)
{
    nst_http_client_config_default(c);
    c->tls = tls;
    if (a->connect_s)
        c->connect_timeout = (nst_time_t)(a->connect_s * 1e9);
    if (a->response_s)
        c->response_timeout = (nst_time_t)(a->response_s * 1e9);
    if (a->read_s)
        c->read_timeout = (nst_time_t)(a->read_s * 1e9);
    if (a->max_s)
        c->deadline = (nst_time_t)(a->max_s * 1e9);
    c->max_per_origin = 1;
    if (a->http2)
        c->proto = NST_HTTP_PROTO_HTTP2;
}

static struct nst_tls_ctx *client_tls(const struct get_args *a, const struct nst_tls_test_pki *pki)
{
    struct nst_tls_config c;
    nst_tls_config_default(&c, NST_TLS_CLIENT);
    c.alpn = a->http2 ? "h2,http/1.1" : "http/1.1";
    if (pki)
        c.ca_cert = pki->ca_cert;
    if (a->cacert)
        c.ca_file = a->cacert;
    c.verify = !a->insecure;
    nst_tls_config_keylog_from_env(&c);
    struct nst_tls_ctx *ctx = NULL;
    const char *why = "";
    if (nst_tls_ctx_new(&c, &ctx, &why)) {
        fprintf(stderr, "nstack get: TLS: %s\n", why);
        return NULL;
    }
    return ctx;
}

/* ---- on the simulator --------------------------------------------------------- */

static void page_root(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static const char page[] = "hello from nstack in London\n";
    nst_http_reply(x, 200, "text/plain", page, sizeof page - 1);
}

struct bytes_send {
    uint64_t left;
};

static void bytes_more(void *arg, struct nst_http_exchange *x)
{
    struct bytes_send *b = arg;
    static const char block[1024] = {[0 ... 1022] = 'x', [1023] = '\n'};
    while (b->left) {
        ssize_t w = nst_http_write(x, block, b->left < sizeof block ? (size_t)b->left : sizeof block);
        if (w < 0)
            return;
        b->left -= (uint64_t)w;
    }
    nst_http_end(x);
    free(b);
}

static void bytes_abort(void *arg, struct nst_http_exchange *x)
{
    (void)x;
    free(arg);
}

static void page_bytes(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    const char *n = nst_http_exchange_request(x)->target + strlen("/bytes/");
    uint64_t len;
    struct bytes_send *b;
    if (nst_cli_parse_size(n, 1ull << 32, &len) || !(b = malloc(sizeof *b))) {
        nst_http_reply(x, 400, "text/plain", "want /bytes/N\n", 14);
        return;
    }
    b->left = len;
    struct nst_http_exchange_cbs cbs = {.on_writable = bytes_more, .on_abort = bytes_abort};
    nst_http_exchange_set_cbs(x, &cbs, b);
    nst_http_respond(x, 200, NULL, 0, (int64_t)len);
    bytes_more(b, x);
}

static struct nst_http_server *sim_server(struct nst_stack *st, uint16_t port, struct nst_tls_ctx *tls)
{
    int lfd = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr any = {0, port};
    if (lfd < 0 || nst_bind(st, lfd, &any) || nst_listen(st, lfd, 64))
        return NULL;
    /* The lab's server speaks both: HTTP/2 by ALPN or prior knowledge, else HTTP/1.1. */
    struct nst_http_server_config sc;
    nst_http_server_config_default(&sc);
    sc.proto = NST_HTTP_PROTO_HTTP2;
    struct nst_http_server *sv = nst_http_server_new(st, lfd, tls, &sc);
    if (sv) {
        nst_http_server_route(sv, NULL, "/", page_root, NULL);
        nst_http_server_route(sv, NULL, "/bytes/", page_bytes, NULL);
    }
    return sv;
}

static int get_sim(struct get_args *a)
{
    struct nst_lab_path p;
    struct nst_lab_path_opts o;
    nst_lab_path_opts_default(&o);
    if (nst_lab_path_build(&p, &o)) {
        fprintf(stderr, "nstack get: cannot build the lab path\n");
        return 1;
    }
    int rc = 1;
    struct get_run g = {.a = a};
    struct nst_tls_test_pki pki = {0};
    struct nst_tls_ctx *sctx = NULL, *cctx = NULL;
    struct nst_http_server *sv = NULL;
    nst_ip4_t addr;
    struct nst_stack *host = nst_lab_path_host(&p, a->host, &addr);
    if (!host || host == p.ny) {
        fprintf(stderr, "nstack get: '%s' is not a lab host New York can fetch from (london, r1, r2, r3)\n",
                a->host);
        goto out;
    }
    if (!strcmp(a->scheme, "https")) {
        char names[300];
        snprintf(names, sizeof names, "%s,london.lab", a->host);
        struct nst_tls_config sc;
        const char *why = "";
        if (nst_tls_make_test_pki(&pki, names, 30)) {
            fprintf(stderr, "nstack get: cannot make the test certificates\n");
            goto out;
        }
        nst_tls_config_default(&sc, NST_TLS_SERVER);
        sc.cert = pki.cert;
        sc.key = pki.key;
        sc.alpn = "h2,http/1.1";
        if (nst_tls_ctx_new(&sc, &sctx, &why) || !(cctx = client_tls(a, &pki))) {
            fprintf(stderr, "nstack get: TLS: %s\n", why);
            goto out;
        }
    }
    sv = sim_server(host, a->port, sctx);
    struct nst_http_client_config cc;
    client_config(a, &cc, cctx);
    g.cl = nst_http_client_new(p.ny, &cc);
    if (!sv || !g.cl) {
        fprintf(stderr, "nstack get: cannot start the server or the client\n");
        goto out;
    }
    g.addr = (struct nst_sockaddr){addr, a->port};
    nst_world_run_until_cond(p.world, get_progress, &g, nst_world_now(p.world) + NST_SEC(3600));
    fflush(stdout);
    report(&g);
    rc = g.failed ? 1 : 0;
out:
    nst_http_client_free(g.cl);
    nst_http_server_free(sv);
    nst_tls_ctx_free(sctx);
    nst_tls_ctx_free(cctx);
    if (pki.cert)
        nst_tls_test_pki_free(&pki);
    nst_lab_path_free(&p);
    return rc;
}

/* ---- on a TAP ---------------------------------------------------------------- */

static int get_tap(struct get_args *a)
{
    unsigned b[4];
    char tail;
    if (sscanf(a->host, "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &tail) != 4 || b[0] > 255 || b[1] > 255 ||
        b[2] > 255 || b[3] > 255) {
        fprintf(stderr, "nstack get: with --tap the host must be an IPv4 address (no DNS), not '%s'\n", a->host);
        return 2;
    }
    struct tap_host h = {0};
    int rc = tap_host_open("get", &a->tap, &h);
    if (rc)
        return rc;
    struct get_run g = {.a = a};
    struct nst_tls_ctx *cctx = NULL;
    rc = 1;
    if (!strcmp(a->scheme, "https") && !(cctx = client_tls(a, NULL)))
        goto out;
    struct nst_http_client_config cc;
    client_config(a, &cc, cctx);
    g.cl = nst_http_client_new(h.st, &cc);
    if (!g.cl)
        goto out;
    g.addr = (struct nst_sockaddr){NST_IP4(b[0], b[1], b[2], b[3]), a->port};
    int err = nst_runloop_run(h.rl, NST_TIME_NEVER, get_progress, &g);
    fflush(stdout);
    if (err == -EINTR)
        fprintf(stderr, "nstack get: stopped by a signal\n");
    report(&g);
    rc = err < 0 || g.failed ? 1 : 0; /* the run returns 1 once every request is done */
out:
    nst_http_client_free(g.cl);
    nst_tls_ctx_free(cctx);
    tap_host_close(&h);
    return rc;
}

int nst_cmd_get(int argc, char **argv)
{
    struct get_args a = {.n = 1, .parallel = 1, .keepalive = 1};
    tap_opts_default(&a.tap);
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    return a.use_tap ? get_tap(&a) : get_sim(&a);
}
