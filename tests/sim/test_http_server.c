/* The HTTP server (src/app/http_server.c) on the simulator, NY -> London,
 * fixed seeds: the parser's errors answered with their status and
 * Connection: close (a good connection beside untouched), pipelined
 * requests answered in order byte for byte, HEAD, Expect: 100-continue,
 * the slowloris header timeout and the body timeout at their virtual
 * moments, max requests per connection, graceful shutdown finishing the
 * request in flight, over plain TCP and TLS. */
#include "support/http_util.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

struct fix {
    struct tt_lab l;
    struct ht_server hs;
    struct nst_http_server_config sc;
};

static void fix_up(struct fix *f, uint64_t seed)
{
    tt_lab_up(&f->l, seed, 0);
    ht_server_start(&f->hs, f->l.ldn, HT_PORT, NULL, &f->sc);
}

static void fix_down(struct fix *f)
{
    ht_server_stop(&f->hs);
    tt_lab_down(&f->l);
}

static void config(struct fix *f)
{
    nst_http_server_config_default(&f->sc);
    f->sc.header_timeout = NST_SEC(5);
    f->sc.body_timeout = NST_SEC(3);
}

/* Sends bytes on a raw connection and waits for the server to close it. */
static void exchange_raw(struct fix *f, struct ht_rawc *c, const char *bytes, size_t len)
{
    ht_rawc_open(c, &f->l, HT_PORT);
    ht_rawc_send(c, bytes, len);
    nst_world_run_until_cond(f->l.w, ht_rawc_eof, c, nst_world_now(f->l.w) + NST_SEC(20));
}

static int starts(const char *got, const char *prefix) { return !strncmp(got, prefix, strlen(prefix)); }

/* ---- bad requests ----------------------------------------------------------- */

struct bad_case {
    const char *name;
    const char *bytes;
    const char *status_line;
};

static void bad_requests(void)
{
    static char long_target[10000], big_fields[12000];
    size_t n = (size_t)snprintf(long_target, sizeof long_target, "GET /");
    memset(long_target + n, 'a', 9000);
    snprintf(long_target + n + 9000, sizeof long_target - n - 9000, " HTTP/1.1\r\nHost: a\r\n\r\n");
    n = (size_t)snprintf(big_fields, sizeof big_fields, "GET / HTTP/1.1\r\nHost: a\r\n");
    while (n < 9000)
        n += (size_t)snprintf(big_fields + n, sizeof big_fields - n, "X-Filler: aaaaaaaaaaaaaaaaaaaa\r\n");
    snprintf(big_fields + n, sizeof big_fields - n, "\r\n");
    const struct bad_case cases[] = {
        {"smuggling CL+CL", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
         "HTTP/1.1 400 Bad Request\r\n"},
        {"CL and TE", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "HTTP/1.1 400 Bad Request\r\n"},
        {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  b\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
        {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
        {"no Host", "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
        {"long target", long_target, "HTTP/1.1 414 URI Too Long\r\n"},
        {"fields too large", big_fields, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
        {"body too large", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n",
         "HTTP/1.1 413 Content Too Large\r\n"},
        {"unknown coding", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         "HTTP/1.1 501 Not Implemented\r\n"},
        {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
        {"chunk size over 64 bits",
         "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
         "HTTP/1.1 400 Bad Request\r\n"},
        {"bad chunk end", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
         "HTTP/1.1 400 Bad Request\r\n"},
    };
    struct fix f;
    config(&f);
    fix_up(&f, 21);
    /* A good client beside, with a request in flight through it all. */
    struct nst_http_client *cl = nst_http_client_new(f.l.ny, NULL);
    struct ht_call good;
    CHECK_EQ(ht_send(cl, &good, "http", HT_PORT, "GET", "/slow", NULL, 0), 0);
    size_t ncases = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < ncases; i++) {
        struct ht_rawc c;
        exchange_raw(&f, &c, cases[i].bytes, strlen(cases[i].bytes));
        c.got[c.got_len < sizeof c.got ? c.got_len : sizeof c.got - 1] = 0;
        int ok = starts(c.got, cases[i].status_line) && strstr(c.got, "\r\nConnection: close\r\n") && c.eof;
        if (!ok)
            fprintf(stderr, "  %s: got \"%.80s\"\n", cases[i].name, c.got);
        CHECK(ok);
        ht_rawc_close(&c);
    }
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.hs.sv);
    CHECK_EQ(ss->parse_errors, ncases);
    CHECK_EQ(ss->status_4xx + ss->status_5xx, ncases);
    CHECK(good.done);
    CHECK_EQ(good.err, 0);
    CHECK_EQ(good.status, 200);
    CHECK_MEM(good.body, "slow\n", 5);
    nst_world_run_for(f.l.w, NST_SEC(3));
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 1); /* the good one, kept alive */
    nst_http_client_free(cl);
    fix_down(&f);
}

/* ---- pipelining, HEAD, 100-continue ----------------------------------------- */

#define HELLO_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n"

static void pipelined_in_order(void)
{
    struct fix f;
    config(&f);
    fix_up(&f, 22);
    const char *reqs = "GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n"
                       "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
                       "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                       "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    const char *want = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"
                       HELLO_HEAD
                       "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\nabc"
                       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n";
    struct ht_rawc c;
    exchange_raw(&f, &c, reqs, strlen(reqs));
    CHECK_EQ(c.got_len, strlen(want));
    CHECK_MEM(c.got, want, strlen(want));
    CHECK(c.eof);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->requests, 4);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->connections, 1);
    ht_rawc_close(&c);
    fix_down(&f);
}

static void expect_continue(void)
{
    struct fix f;
    config(&f);
    fix_up(&f, 23);
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, HT_PORT);
    const char *head = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    ht_rawc_send(&c, head, strlen(head));
    nst_world_run_for(f.l.w, NST_MSEC(200));
    const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
    CHECK_EQ(c.got_len, strlen(cont));
    CHECK_MEM(c.got, cont, strlen(cont));
    ht_rawc_send(&c, "hello", 5);
    nst_world_run_for(f.l.w, NST_MSEC(200));
    const char *want = "HTTP/1.1 100 Continue\r\n\r\n"
                       "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\nhello";
    CHECK_EQ(c.got_len, strlen(want));
    CHECK_MEM(c.got, want, strlen(want));
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->continues, 1);
    CHECK(!c.eof); /* kept alive */
    ht_rawc_close(&c);
    fix_down(&f);
}

/* A request without a body (no Content-Length, no Transfer-Encoding), and
 * one with Content-Length: 0, are complete with their heads: a handler
 * waiting for on_end gets it at once (found by fuzz_http_conn: the first
 * used to wait forever, the second until the body timeout's 408). */
static void bodyless_post_gets_on_end(void)
{
    struct fix f;
    config(&f);
    fix_up(&f, 31);
    const char *reqs = "POST /echo HTTP/1.1\r\nHost: a\r\n\r\n"
                       "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    const char *one = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 0\r\n\r\n";
    const char *two = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n";
    struct ht_rawc c;
    exchange_raw(&f, &c, reqs, strlen(reqs));
    CHECK_EQ(c.got_len, strlen(one) + strlen(two));
    if (c.got_len != strlen(one) + strlen(two))
        fprintf(stderr, "  got: %.*s\n", (int)c.got_len, c.got);
    CHECK_MEM(c.got, one, strlen(one));
    CHECK_MEM(c.got + strlen(one), two, strlen(two));
    CHECK(c.eof);
    ht_rawc_close(&c);
    fix_down(&f);
}

/* A body longer than its Content-Length: the rest is the next request
 * (here garbage: 400 and close); the echoed body is exactly 5 bytes. */
static void body_longer_than_length(void)
{
    struct fix f;
    config(&f);
    fix_up(&f, 24);
    const char *req = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGARBAGE\r\n\r\n";
    struct ht_rawc c;
    exchange_raw(&f, &c, req, strlen(req));
    const char *want = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\nhello"
                       "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    CHECK_EQ(c.got_len, strlen(want));
    CHECK_MEM(c.got, want, strlen(want));
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->parse_errors, 1);
    ht_rawc_close(&c);
    fix_down(&f);
}

/* ---- timeouts ---------------------------------------------------------------- */

/* Slowloris: a field line a second, never the empty line. The server
 * answers 408 and closes 5 s after the request's first byte arrived. */
static void slowloris_header_timeout(void)
{
    struct fix f;
    config(&f);
    fix_up(&f, 25);
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, HT_PORT);
    nst_time_t t0 = nst_world_now(f.l.w);
    ht_rawc_send(&c, "GET / HTTP/1.1\r\n", 16);
    for (int i = 0; i < 10 && !c.eof; i++) {
        nst_world_run_for(f.l.w, NST_SEC(1));
        if (!c.eof)
            ht_rawc_send(&c, "X-Slow: 1\r\n", 11);
    }
    CHECK(c.eof);
    c.got[c.got_len] = 0;
    CHECK(starts(c.got, "HTTP/1.1 408 Request Timeout\r\n"));
    /* Sent at first byte (+40 ms one way) + 5 s, arriving 40 ms later. */
    CHECK_EQ(c.t_eof - t0, NST_SEC(5) + 80008032);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->header_timeouts, 1);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->idle_timeouts, 0);
    ht_rawc_close(&c);
    fix_down(&f);
}

/* Half a body, then silence: 408 once the body has stalled 3 s. */
static void stalled_body_timeout(void)
{
    struct fix f;
    config(&f);
    fix_up(&f, 26);
    struct ht_rawc c;
    nst_time_t t0 = nst_world_now(f.l.w);
    const char *req = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhalf!";
    ht_rawc_open(&c, &f.l, HT_PORT);
    t0 = nst_world_now(f.l.w);
    ht_rawc_send(&c, req, strlen(req));
    nst_world_run_until_cond(f.l.w, ht_rawc_eof, &c, t0 + NST_SEC(20));
    c.got[c.got_len] = 0;
    CHECK(starts(c.got, "HTTP/1.1 408 Request Timeout\r\n"));
    CHECK(c.t_eof - t0 >= NST_SEC(3) + NST_MSEC(80) && c.t_eof - t0 < NST_SEC(3) + NST_MSEC(81));
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->body_timeouts, 1);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->aborted, 1);
    ht_rawc_close(&c);
    fix_down(&f);
}

/* ---- connection management ---------------------------------------------------- */

static void max_requests(void)
{
    struct fix f;
    config(&f);
    f.sc.max_requests = 2;
    fix_up(&f, 27);
    struct nst_http_client *cl = nst_http_client_new(f.l.ny, NULL);
    struct ht_call r;
    for (int i = 0; i < 3; i++) {
        ht_do(&f.l, cl, &r, "GET", "/");
        CHECK_EQ(r.err, 0);
    }
    CHECK_EQ(nst_http_client_stats(cl)->connections, 2);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->max_requests_closes, 1);
    nst_http_client_free(cl);
    fix_down(&f);
}

static int conns_zero(void *arg) { return nst_http_server_connections(arg) == 0; }

static void graceful_shutdown(void)
{
    struct fix f;
    config(&f);
    fix_up(&f, 28);
    struct nst_http_client *idle = nst_http_client_new(f.l.ny, NULL), *busy = nst_http_client_new(f.l.ny, NULL);
    struct ht_call a, b;
    ht_do(&f.l, idle, &a, "GET", "/");
    CHECK_EQ(a.err, 0);
    CHECK_EQ(ht_send(busy, &b, "http", HT_PORT, "GET", "/slow", NULL, 0), 0);
    nst_world_run_for(f.l.w, NST_MSEC(200)); /* the /slow request is with its handler */
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 2);
    nst_http_server_shutdown(f.hs.sv);
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 1); /* the idle one closed at once */
    CHECK(nst_world_run_until_cond(f.l.w, ht_call_done, &b, nst_world_now(f.l.w) + NST_SEC(5)));
    CHECK_EQ(b.err, 0);
    CHECK_EQ(b.status, 200);
    CHECK_MEM(b.body, "slow\n", 5);
    CHECK(nst_world_run_until_cond(f.l.w, conns_zero, f.hs.sv, nst_world_now(f.l.w) + NST_SEC(5)));
    /* No new connections: the listener is closed. */
    struct ht_call c;
    ht_do(&f.l, busy, &c, "GET", "/");
    CHECK_EQ(c.err, -ECONNREFUSED);
    CHECK_EQ(nst_http_client_stats(idle)->stale_closed, 1);
    nst_http_client_free(idle);
    nst_http_client_free(busy);
    fix_down(&f);
}

/* ---- static files ------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
}

static void static_get(struct tt_lab *l, struct nst_http_client *cl, const char *method, const char *target,
                       int want_status, const char *want_body)
{
    struct ht_call r;
    CHECK_EQ(ht_send(cl, &r, "http", HT_PORT, method, target, NULL, 0), 0);
    nst_world_run_until_cond(l->w, ht_call_done, &r, nst_world_now(l->w) + NST_SEC(5));
    CHECK_EQ(r.err, 0);
    if (r.status != want_status)
        fprintf(stderr, "  %s %s: %d\n", method, target, r.status);
    CHECK_EQ(r.status, want_status);
    if (want_body) {
        CHECK_EQ(r.body_len, strlen(want_body));
        CHECK_MEM(r.body, want_body, strlen(want_body));
    }
}

/* Files under a root; "..", its percent-encoded form and a symlink out of
 * the root are refused (403); a symlink that stays inside is served. */
static void static_files(void)
{
    char dir[512], path[600], target[600];
    snprintf(dir, sizeof dir, "%s/http-static", nst_test_out_dir());
    snprintf(path, sizeof path, "%s/root/sub", dir);
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, path);
    CHECK_EQ(system(cmd), 0);
    char *abs = realpath(dir, NULL); /* the symlink out must point at a real place */
    CHECK(abs != NULL);
    snprintf(dir, sizeof dir, "%s", abs ? abs : ".");
    free(abs);
    snprintf(path, sizeof path, "%s/secret.txt", dir);
    write_file(path, "secret\n");
    snprintf(path, sizeof path, "%s/root/index.html", dir);
    write_file(path, "<p>index</p>\n");
    snprintf(path, sizeof path, "%s/root/a.txt", dir);
    write_file(path, "file a\n");
    snprintf(path, sizeof path, "%s/root/sub/out", dir);
    snprintf(target, sizeof target, "%s/secret.txt", dir);
    CHECK_EQ(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/root/in", dir);
    CHECK_EQ(symlink("a.txt", path), 0);
    snprintf(path, sizeof path, "%s/root", dir);
    struct nst_http_static *st = nst_http_static_new(path);
    CHECK(st != NULL);

    struct tt_lab l;
    tt_lab_up(&l, 30, 0);
    int lfd = nst_socket(l.ldn, NST_SOCK_STREAM);
    struct nst_sockaddr addr = {0, HT_PORT};
    CHECK_EQ(nst_bind(l.ldn, lfd, &addr), 0);
    CHECK_EQ(nst_listen(l.ldn, lfd, 16), 0);
    struct nst_http_server *sv = nst_http_server_new(l.ldn, lfd, NULL, NULL);
    CHECK_EQ(nst_http_server_route(sv, NULL, "/", nst_http_static_handler, st), 0);
    struct nst_http_client *cl = nst_http_client_new(l.ny, NULL);
    static_get(&l, cl, "GET", "/", 200, "<p>index</p>\n");
    static_get(&l, cl, "GET", "/a.txt", 200, "file a\n");
    static_get(&l, cl, "HEAD", "/a.txt", 200, "");
    static_get(&l, cl, "GET", "/in", 200, "file a\n");
    static_get(&l, cl, "GET", "/sub/out", 403, NULL);
    static_get(&l, cl, "GET", "/../secret.txt", 403, NULL);
    static_get(&l, cl, "GET", "/sub/..%2f..%2fsecret.txt", 403, NULL);
    static_get(&l, cl, "GET", "/%2e%2e/secret.txt", 403, NULL);
    static_get(&l, cl, "GET", "/a.txt%00.html", 403, NULL);
    static_get(&l, cl, "GET", "/missing", 404, NULL);
    static_get(&l, cl, "POST", "/a.txt", 405, NULL);
    CHECK_EQ(nst_http_client_stats(cl)->connections, 1); /* every answer kept the connection */
    nst_http_client_free(cl);
    nst_http_server_free(sv);
    tt_lab_down(&l);
    nst_http_static_free(st);
}

/* ---- TLS --------------------------------------------------------------------- */

static void tls_bad_request_and_pipelining(void)
{
    struct tt_lab l;
    tt_lab_up(&l, 29, 0);
    struct nst_tls_ctx *sctx = tt_server_ctx(NST_TLS1_2, NST_TLS1_3, 0, NULL),
                       *cctx = tt_client_ctx(NST_TLS1_2, NST_TLS1_3, 0, NULL);
    struct ht_server hs;
    ht_server_start(&hs, l.ldn, HT_TLS_PORT, sctx, NULL);
    /* Pipelined requests over TLS, read by the echo client helper. */
    const char *reqs = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
                       "GET /nope HTTP/1.1 x\r\nHost: a\r\n\r\n";
    const char *want = HELLO_HEAD "hello\n"
                       "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    struct ht_tlsc c;
    ht_tlsc_open(&c, &l, cctx, HT_TLS_PORT, reqs, strlen(reqs), 0);
    nst_world_run_until_cond(l.w, ht_tlsc_ended, &c, nst_world_now(l.w) + NST_SEC(5));
    CHECK(c.eof);
    CHECK_EQ(c.got_len, strlen(want));
    CHECK_MEM(c.got, want, strlen(want));
    CHECK_EQ(nst_http_server_stats(hs.sv)->parse_errors, 1);
    nst_stream_close(c.s);
    ht_server_stop(&hs);
    nst_tls_ctx_free(sctx);
    nst_tls_ctx_free(cctx);
    tt_lab_down(&l);
}

int main(void)
{
    tt_init();
    RUN(bad_requests);
    RUN(pipelined_in_order);
    RUN(expect_continue);
    RUN(bodyless_post_gets_on_end);
    RUN(body_longer_than_length);
    RUN(slowloris_header_timeout);
    RUN(stalled_body_timeout);
    RUN(max_requests);
    RUN(graceful_shutdown);
    RUN(static_files);
    RUN(tls_bad_request_and_pipelining);
    tt_fini();
    return nst_test_done();
}
