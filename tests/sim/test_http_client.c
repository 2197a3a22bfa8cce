/* The HTTP client and its pool (src/app/http_client.c, http_pool.c) on the
 * simulator, NY -> London (80 ms round trip), fixed seeds: keep-alive
 * reuse with handshakes counted and timed, the per-origin limit, idle
 * eviction, a server closing an idle connection, the retry rule
 * (idempotent once, POST never), each timeout at its exact virtual moment
 * and the others silent, malformed responses; over plain TCP and TLS. */
#include "support/http_util.h"
#include "test.h"

#include <errno.h>

struct fix {
    struct tt_lab l;
    struct ht_server hs;
    struct nst_http_client *cl;
    struct nst_http_client_config cc;
};

static void fix_up(struct fix *f, uint64_t seed, double loss, const struct nst_http_server_config *sc)
{
    tt_lab_up(&f->l, seed, loss);
    ht_server_start(&f->hs, f->l.ldn, HT_PORT, NULL, sc);
    if (!f->cc.max_per_origin)
        nst_http_client_config_default(&f->cc);
}

static void fix_client(struct fix *f) { f->cl = nst_http_client_new(f->l.ny, &f->cc); }

static void fix_down(struct fix *f)
{
    nst_http_client_free(f->cl);
    ht_server_stop(&f->hs);
    tt_lab_down(&f->l);
}

/* A client against a scripted raw server (support/http_util.h's ht_raw)
 * on London: for the retry rule, stalls and malformed responses. */
struct rawfix {
    struct tt_lab l;
    struct ht_raw raw;
    struct nst_http_client *cl;
};

static void rawfix_up(struct rawfix *f, uint64_t seed)
{
    tt_lab_up(&f->l, seed, 0);
    ht_raw_start(&f->raw, f->l.ldn, HT_RAW_PORT);
    f->cl = NULL;
}

/* The client is made after the script is written (cc NULL: defaults). */
static void rawfix_client(struct rawfix *f, const struct nst_http_client_config *cc)
{
    f->cl = nst_http_client_new(f->l.ny, cc);
}

/* One request to the raw server, run until it ends (or `limit` passes). */
static void rawfix_call(struct rawfix *f, struct ht_call *r, const char *scheme, const char *method,
                        nst_time_t limit)
{
    CHECK_EQ(ht_send(f->cl, r, scheme, HT_RAW_PORT, method, "/", NULL, 0), 0);
    nst_world_run_until_cond(f->l.w, ht_call_done, r, nst_world_now(f->l.w) + limit);
}

static void rawfix_down(struct rawfix *f)
{
    nst_http_client_free(f->cl);
    ht_raw_stop(&f->raw);
    tt_lab_down(&f->l);
}

/* ---- keep-alive ---------------------------------------------------------- */

static void keepalive_reuse(void)
{
    struct fix f = {0};
    fix_up(&f, 1, 0, NULL);
    fix_client(&f);
    struct ht_call r[3];
    for (int i = 0; i < 3; i++) {
        ht_do(&f.l, f.cl, &r[i], "GET", "/");
        CHECK(r[i].done);
        CHECK_EQ(r[i].err, 0);
        CHECK_EQ(r[i].status, 200);
        CHECK_EQ(r[i].body_len, 6);
        CHECK_MEM(r[i].body, "hello\n", 6);
        CHECK_EQ(r[i].t.reused, i > 0);
    }
    /* First: SYN/SYN-ACK (one round trip), then request/response (one more). */
    fprintf(stderr, "  first: connect %lld first byte %lld total %lld; second total %lld\n",
            (long long)r[0].t.connect, (long long)r[0].t.first_byte, (long long)r[0].t.total,
            (long long)r[1].t.total);
    CHECK_EQ(r[0].t.connect, 80004736); /* the SYN's round trip plus serialization (as tls.md) */
    CHECK_EQ(r[0].t.first_byte, 160013408);
    CHECK_EQ(r[1].t.connect, 0);
    CHECK_EQ(r[1].t.total, 80007616);
    /* The round trip saved is the handshake's. */
    CHECK(r[0].t.total - r[1].t.total >= NST_MSEC(80) && r[0].t.total - r[1].t.total < NST_MSEC(81));
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->requests, 3);
    CHECK_EQ(cs->responses, 3);
    CHECK_EQ(cs->connections, 1);
    CHECK_EQ(cs->reuses, 2);
    CHECK_EQ(cs->pooled, 1);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->connections, 1);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->requests, 3);
    fix_down(&f);
}

static void no_keepalive(void)
{
    struct fix f = {0};
    fix_up(&f, 2, 0, NULL);
    fix_client(&f);
    for (int i = 0; i < 3; i++) {
        struct ht_call r;
        CHECK_EQ(ht_send(f.cl, &r, "http", HT_PORT, "GET", "/", NULL, 1), 0);
        nst_world_run_until_cond(f.l.w, ht_call_done, &r, nst_world_now(f.l.w) + NST_SEC(5));
        CHECK_EQ(r.err, 0);
        CHECK_EQ(r.t.reused, 0);
        CHECK(r.t.total >= NST_MSEC(160) && r.t.total < NST_MSEC(161));
    }
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->connections, 3);
    CHECK_EQ(cs->reuses, 0);
    CHECK_EQ(cs->pooled, 0);
    nst_world_run_for(f.l.w, NST_SEC(1));
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->connections, 3);
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 0);
    fix_down(&f);
}

static void chunked_and_big(void)
{
    struct fix f = {0};
    fix_up(&f, 3, 0.01, NULL);
    fix_client(&f);
    struct ht_call r;
    ht_do(&f.l, f.cl, &r, "GET", "/chunked");
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.content_length, -1);
    CHECK_EQ(r.body_len, 13);
    CHECK_MEM(r.body, "one,two,three", 13);
    ht_do(&f.l, f.cl, &r, "GET", "/big");
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.body_total, 200000);
    int ok = 1;
    for (size_t i = 0; i < r.body_len; i++)
        ok &= r.body[i] == (uint8_t)(i * 7);
    CHECK(ok);
    ht_do(&f.l, f.cl, &r, "HEAD", "/big");
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.content_length, 200000);
    CHECK_EQ(r.body_total, 0);
    struct ht_call p;
    CHECK_EQ(ht_send(f.cl, &p, "http", HT_PORT, "POST", "/echo", "ping-pong", 0), 0);
    nst_world_run_until_cond(f.l.w, ht_call_done, &p, nst_world_now(f.l.w) + NST_SEC(10));
    CHECK_EQ(p.err, 0);
    CHECK_EQ(p.body_len, 9);
    CHECK_MEM(p.body, "ping-pong", 9);
    CHECK_EQ(nst_http_client_stats(f.cl)->connections, 1);
    CHECK_EQ(nst_http_client_stats(f.cl)->reuses, 3);
    fix_down(&f);
}

/* ---- the pool ------------------------------------------------------------- */

static int all_done(void *arg)
{
    struct ht_call *r = arg;
    for (int i = 0; i < 5; i++)
        if (!r[i].done)
            return 0;
    return 1;
}

static void pool_limit(void)
{
    struct fix f = {0};
    nst_http_client_config_default(&f.cc);
    f.cc.max_per_origin = 2;
    fix_up(&f, 4, 0, NULL);
    fix_client(&f);
    struct ht_call r[5];
    for (int i = 0; i < 5; i++)
        CHECK_EQ(ht_send(f.cl, &r[i], "http", HT_PORT, "GET", "/slow", NULL, 0), 0);
    nst_world_run_for(f.l.w, NST_MSEC(130));
    CHECK_EQ(nst_http_client_stats(f.cl)->open, 2);
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 2);
    CHECK(nst_world_run_until_cond(f.l.w, all_done, r, nst_world_now(f.l.w) + NST_SEC(10)));
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(r[i].err, 0);
        CHECK_EQ(r[i].status, 200);
    }
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->connections, 2);
    CHECK_EQ(cs->reuses, 3);
    CHECK_EQ(cs->pooled, 2);
    /* Two waves of two and a last one: 80 ms + 40 + 500 + 40 each wave. */
    CHECK(r[4].t.total > r[2].t.total);
    fix_down(&f);
}

/* Many origins (the same server under 12 host names: the origin key holds
 * the host), 2 connections each at most, 4 calls each sent origin by
 * origin. Dispatch takes origins in turn: every origin's first call starts
 * before any origin's second, its second before any third; within an
 * origin, calls go in the order sent. The completions show it, in exactly
 * this order, one round trip set apart per wave. */
#define MO_ORIGINS 12
#define MO_CALLS 4
struct mo_rec {
    int order[MO_ORIGINS * MO_CALLS]; /* call ids (origin * MO_CALLS + n) as they completed */
    int n, errs;
};
struct mo_call {
    struct mo_rec *rec;
    int id;
};

static void mo_done(void *arg, struct nst_http_call *c, int err)
{
    (void)c;
    struct mo_call *m = arg;
    m->rec->errs += err != 0;
    m->rec->order[m->rec->n++] = m->id;
}

static int mo_all_done(void *arg)
{
    const struct mo_rec *r = arg;
    return r->n == MO_ORIGINS * MO_CALLS;
}

static void many_origins_take_turns(void)
{
    struct fix f = {0};
    nst_http_client_config_default(&f.cc);
    f.cc.max_per_origin = 2;
    fix_up(&f, 11, 0, NULL);
    fix_client(&f);
    struct mo_rec rec = {0};
    struct mo_call calls[MO_ORIGINS * MO_CALLS];
    char hosts[MO_ORIGINS][16];
    static const struct nst_http_call_cbs cbs = {.on_done = mo_done};
    for (int o = 0; o < MO_ORIGINS; o++) {
        snprintf(hosts[o], sizeof hosts[o], "o%d.lab", o);
        for (int n = 0; n < MO_CALLS; n++) {
            struct mo_call *m = &calls[o * MO_CALLS + n];
            *m = (struct mo_call){&rec, o * MO_CALLS + n};
            struct nst_http_client_request req = {.method = "GET", .scheme = "http", .target = "/",
                                                  .addr = {NST_LAB_LONDON_ADDR, HT_PORT}, .host = hosts[o]};
            CHECK_EQ(nst_http_request_send(f.cl, &req, &cbs, m, NULL), 0);
        }
    }
    CHECK(nst_world_run_until_cond(f.l.w, mo_all_done, &rec, nst_world_now(f.l.w) + NST_SEC(30)));
    CHECK_EQ(rec.errs, 0);
    /* Turn t (0..3) of origin o completed t-th among its calls and all of
     * turn t before any of turn t + 1, origins in order within a turn. */
    int wrong = 0;
    for (int i = 0; i < rec.n; i++) {
        int turn = i / MO_ORIGINS, o = i % MO_ORIGINS;
        if (rec.order[i] != o * MO_CALLS + turn) {
            fprintf(stderr, "  completion %d: call %d (origin %d, its call %d), want origin %d's call %d\n", i,
                    rec.order[i], rec.order[i] / MO_CALLS, rec.order[i] % MO_CALLS, o, turn);
            wrong++;
        }
    }
    CHECK_EQ(wrong, 0);
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->connections, 2 * MO_ORIGINS);
    CHECK_EQ(cs->reuses, (MO_CALLS - 2) * MO_ORIGINS);
    CHECK_EQ(cs->responses, MO_ORIGINS * MO_CALLS);
    fix_down(&f);
}

static void idle_eviction(void)
{
    struct fix f = {0};
    nst_http_client_config_default(&f.cc);
    f.cc.idle_timeout = NST_SEC(5);
    fix_up(&f, 5, 0, NULL);
    fix_client(&f);
    struct ht_call r;
    ht_do(&f.l, f.cl, &r, "GET", "/");
    CHECK_EQ(r.err, 0);
    nst_time_t idle_since = nst_world_now(f.l.w);
    nst_world_run_until(f.l.w, idle_since + NST_SEC(5) - 1);
    CHECK_EQ(nst_http_client_stats(f.cl)->pooled, 1);
    CHECK_EQ(nst_http_client_stats(f.cl)->evicted, 0);
    nst_world_run_until(f.l.w, idle_since + NST_SEC(5));
    CHECK_EQ(nst_http_client_stats(f.cl)->pooled, 0);
    CHECK_EQ(nst_http_client_stats(f.cl)->open, 0);
    CHECK_EQ(nst_http_client_stats(f.cl)->evicted, 1);
    nst_world_run_for(f.l.w, NST_SEC(1));
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 0);
    ht_do(&f.l, f.cl, &r, "GET", "/");
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.t.reused, 0);
    CHECK_EQ(nst_http_client_stats(f.cl)->connections, 2);
    fix_down(&f);
}

/* The server's idle timeout (2 s) closes the kept-alive connection; the
 * client notices the FIN while the connection is pooled and the next
 * request opens a new connection, without an error or a retry. */
static void server_closes_idle(void)
{
    struct fix f = {0};
    struct nst_http_server_config sc;
    nst_http_server_config_default(&sc);
    sc.idle_timeout = NST_SEC(2);
    fix_up(&f, 6, 0, &sc);
    fix_client(&f);
    struct ht_call r;
    ht_do(&f.l, f.cl, &r, "GET", "/");
    CHECK_EQ(r.err, 0);
    nst_world_run_for(f.l.w, NST_SEC(3));
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->idle_timeouts, 1);
    CHECK_EQ(nst_http_client_stats(f.cl)->stale_closed, 1);
    CHECK_EQ(nst_http_client_stats(f.cl)->pooled, 0);
    ht_do(&f.l, f.cl, &r, "GET", "/");
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.t.reused, 0);
    CHECK_EQ(r.t.retried, 0);
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->connections, 2);
    CHECK_EQ(cs->retries, 0);
    CHECK_EQ(cs->failures, 0);
    fix_down(&f);
}

/* ---- retries: the server closes a reused connection on the request ------- */

#define OK_KA "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static void retry_rule(const char *method, int want_retry)
{
    struct rawfix f;
    rawfix_up(&f, 7);
    f.raw.script[0][0] = (struct ht_raw_step){OK_KA, 0};
    f.raw.script[0][1] = (struct ht_raw_step){NULL, 1}; /* closes the reused connection, nothing sent */
    f.raw.script[1][0] = (struct ht_raw_step){OK_KA, 0};
    rawfix_client(&f, NULL);
    struct ht_call r;
    rawfix_call(&f, &r, "http", "GET", NST_SEC(5));
    CHECK_EQ(r.err, 0);
    rawfix_call(&f, &r, "http", method, NST_SEC(5));
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    if (want_retry) {
        CHECK_EQ(r.err, 0);
        CHECK_EQ(r.status, 200);
        CHECK_EQ(r.t.retried, 1);
        CHECK_EQ(cs->retries, 1);
        CHECK_EQ(cs->connections, 2);
        CHECK_EQ(f.raw.n, 2);
    } else {
        CHECK_EQ(r.err, NST_HTTP_E_CLOSED);
        CHECK_EQ(r.heads, 0);
        CHECK_EQ(cs->retries, 0);
        CHECK_EQ(cs->connections, 1);
        CHECK_EQ(cs->failures, 1);
        CHECK_EQ(f.raw.n, 1);
    }
    rawfix_down(&f);
}

static void retry_idempotent_once(void) { retry_rule("GET", 1); }
static void retry_never_post(void) { retry_rule("POST", 0); }

/* Both connections fail: a retried GET is not retried again. */
static void retry_only_once(void)
{
    struct rawfix f;
    rawfix_up(&f, 8);
    f.raw.script[0][0] = (struct ht_raw_step){OK_KA, 0};
    f.raw.script[0][1] = (struct ht_raw_step){NULL, 1};
    f.raw.script[1][0] = (struct ht_raw_step){NULL, 1};
    rawfix_client(&f, NULL);
    struct ht_call r;
    rawfix_call(&f, &r, "http", "GET", NST_SEC(5));
    rawfix_call(&f, &r, "http", "GET", NST_SEC(5));
    CHECK_EQ(r.err, NST_HTTP_E_CLOSED);
    CHECK_EQ(nst_http_client_stats(f.cl)->retries, 1);
    CHECK_EQ(f.raw.n, 2);
    rawfix_down(&f);
}

/* ---- the timeouts ---------------------------------------------------------- */

static void timeout_config(struct nst_http_client_config *c)
{
    nst_http_client_config_default(c);
    c->connect_timeout = NST_SEC(1);
    c->tls_timeout = NST_SEC(2);
    c->response_timeout = NST_SEC(3);
    c->read_timeout = NST_SEC(4);
}

/* A hung server accepts (the connect timeout never fires) and never
 * answers: the response timeout fires 3 s after the request left. */
static void hung_server_response_timeout(void)
{
    struct fix f = {0};
    timeout_config(&f.cc);
    fix_up(&f, 9, 0, NULL);
    fix_client(&f);
    struct ht_call r;
    ht_do(&f.l, f.cl, &r, "GET", "/hang");
    CHECK_EQ(r.err, NST_HTTP_E_RESPONSE_TIMEOUT);
    CHECK(r.t.connect >= NST_MSEC(80) && r.t.connect < NST_MSEC(81));
    CHECK_EQ(r.t.total, r.t.connect + NST_SEC(3)); /* the request leaves at the instant of connecting */
    CHECK_EQ(r.t.first_byte, 0);
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->response_timeouts, 1);
    CHECK_EQ(cs->connect_timeouts + cs->read_timeouts + cs->tls_timeouts + cs->deadlines, 0);
    CHECK_EQ(cs->open, 0);
    nst_world_run_for(f.l.w, NST_SEC(1));
    CHECK_EQ(f.hs.hung_aborted, 1);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->aborted, 1);
    fix_down(&f);
}

/* The SYNs are lost: the connect timeout, at 1 s exactly. */
static void connect_timeout(void)
{
    struct fix f = {0};
    timeout_config(&f.cc);
    fix_up(&f, 10, 1.0, NULL);
    fix_client(&f);
    struct ht_call r;
    ht_do(&f.l, f.cl, &r, "GET", "/");
    CHECK_EQ(r.err, NST_HTTP_E_CONNECT_TIMEOUT);
    CHECK_EQ(r.t.total, NST_SEC(1));
    CHECK_EQ(r.t.connect, 0);
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->connect_timeouts, 1);
    CHECK_EQ(cs->response_timeouts + cs->read_timeouts + cs->tls_timeouts + cs->deadlines, 0);
    CHECK_EQ(cs->open, 0);
    fix_down(&f);
}

/* Half the body, then silence: the read timeout, 4 s after the last byte. */
static void stalled_body_read_timeout(void)
{
    struct rawfix f;
    rawfix_up(&f, 11);
    f.raw.script[0][0] = (struct ht_raw_step){"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf!", 0};
    struct nst_http_client_config cc;
    timeout_config(&cc);
    rawfix_client(&f, &cc);
    struct ht_call r;
    rawfix_call(&f, &r, "http", "GET", NST_SEC(30));
    CHECK_EQ(r.err, NST_HTTP_E_READ_TIMEOUT);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body_len, 5);
    CHECK_EQ(r.t.total, r.t.first_byte + NST_SEC(4));
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->read_timeouts, 1);
    CHECK_EQ(cs->connect_timeouts + cs->response_timeouts + cs->tls_timeouts + cs->deadlines, 0);
    rawfix_down(&f);
}

/* The overall deadline cuts across phases: 1.5 s, before the response timeout. */
static void deadline(void)
{
    struct fix f = {0};
    timeout_config(&f.cc);
    f.cc.deadline = NST_MSEC(1500);
    fix_up(&f, 12, 0, NULL);
    fix_client(&f);
    struct ht_call r;
    ht_do(&f.l, f.cl, &r, "GET", "/hang");
    CHECK_EQ(r.err, NST_HTTP_E_DEADLINE);
    CHECK_EQ(r.t.total, NST_MSEC(1500));
    CHECK_EQ(nst_http_client_stats(f.cl)->deadlines, 1);
    CHECK_EQ(nst_http_client_stats(f.cl)->response_timeouts, 0);
    fix_down(&f);
}

/* A server that accepts TCP and never speaks TLS: the TLS timeout, 2 s
 * after TCP was established. */
static void tls_timeout(void)
{
    struct rawfix f;
    rawfix_up(&f, 13);
    struct nst_http_client_config cc;
    timeout_config(&cc);
    cc.tls = tt_client_ctx(NST_TLS1_2, NST_TLS1_3, 0, NULL);
    rawfix_client(&f, &cc);
    struct ht_call r;
    rawfix_call(&f, &r, "https", "GET", NST_SEC(30));
    CHECK_EQ(r.err, NST_HTTP_E_TLS_TIMEOUT);
    CHECK(r.t.connect >= NST_MSEC(80) && r.t.connect < NST_MSEC(81));
    CHECK_EQ(r.t.total, r.t.connect + NST_SEC(2));
    CHECK_EQ(nst_http_client_stats(f.cl)->tls_timeouts, 1);
    CHECK_EQ(nst_http_client_stats(f.cl)->connect_timeouts, 0);
    rawfix_down(&f);
    nst_tls_ctx_free(cc.tls);
}

/* ---- malformed responses ----------------------------------------------- */

static void bad_response(const char *bytes, int close, int want_err, int want_parse_errors)
{
    struct rawfix f;
    rawfix_up(&f, 14);
    f.raw.script[0][0] = (struct ht_raw_step){bytes, close};
    struct nst_http_client_config cc;
    timeout_config(&cc);
    rawfix_client(&f, &cc);
    struct ht_call r;
    rawfix_call(&f, &r, "http", "GET", NST_SEC(30));
    CHECK_EQ(r.err, want_err);
    fprintf(stderr, "  %s: %s\n", nst_http_strerror(r.err), r.why);
    CHECK_EQ(nst_http_client_stats(f.cl)->parse_errors, want_parse_errors);
    CHECK_EQ(nst_http_client_stats(f.cl)->open, 0);
    rawfix_down(&f);
}

static void bad_responses(void)
{
    bad_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 0,
                 NST_HTTP_E_BAD_RESPONSE, 1);
    bad_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 0,
                 NST_HTTP_E_BAD_RESPONSE, 1);
    bad_response("HTTP/1.1 2000 OK\r\n\r\n", 0, NST_HTTP_E_BAD_RESPONSE, 1);
    bad_response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 1, NST_HTTP_E_CLOSED, 1);
    bad_response("garbage\r\n\r\n", 0, NST_HTTP_E_BAD_RESPONSE, 1);
}

/* Fields forever: refused once the head passes max_head. */
static void headers_forever(void)
{
    static char big[40000];
    size_t n = (size_t)snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\n");
    while (n + 40 < sizeof big - 8)
        n += (size_t)snprintf(big + n, sizeof big - n, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    bad_response(big, 0, NST_HTTP_E_BAD_RESPONSE, 1);
}

/* A body longer than Content-Length: the response is what the length
 * says; the connection is not reused. */
static void body_longer_than_length(void)
{
    struct rawfix f;
    rawfix_up(&f, 15);
    f.raw.script[0][0] = (struct ht_raw_step){"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", 0};
    f.raw.script[1][0] = (struct ht_raw_step){OK_KA, 0};
    rawfix_client(&f, NULL);
    struct ht_call r;
    rawfix_call(&f, &r, "http", "GET", NST_SEC(5));
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.body_len, 2);
    CHECK_EQ(nst_http_client_stats(f.cl)->pooled, 0);
    rawfix_call(&f, &r, "http", "GET", NST_SEC(5));
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.t.reused, 0);
    CHECK_EQ(nst_http_client_stats(f.cl)->connections, 2);
    rawfix_down(&f);
}

/* ---- TLS ------------------------------------------------------------------- */

static void tls_keepalive(void)
{
    struct tt_lab l;
    tt_lab_up(&l, 16, 0);
    struct nst_tls_ctx *sctx = tt_server_ctx(NST_TLS1_2, NST_TLS1_3, 0, "http/1.1"), *cctx = tt_client_ctx(NST_TLS1_2, NST_TLS1_3, 0, "http/1.1");
    struct ht_server hs;
    ht_server_start(&hs, l.ldn, HT_TLS_PORT, sctx, NULL);
    struct nst_http_client_config cc;
    nst_http_client_config_default(&cc);
    cc.tls = cctx;
    struct nst_http_client *cl = nst_http_client_new(l.ny, &cc);
    struct ht_call r[3];
    for (int i = 0; i < 3; i++) {
        ht_send(cl, &r[i], "https", HT_TLS_PORT, "GET", "/chunked", NULL, 0);
        nst_world_run_until_cond(l.w, ht_call_done, &r[i], nst_world_now(l.w) + NST_SEC(5));
        CHECK_EQ(r[i].err, 0);
        CHECK_EQ(r[i].body_len, 13);
    }
    fprintf(stderr, "  tls: connect %lld tls %lld first byte %lld; reused total %lld\n", (long long)r[0].t.connect,
            (long long)r[0].t.tls, (long long)r[0].t.first_byte, (long long)r[1].t.total);
    /* TLS 1.3: one more round trip after TCP's. */
    CHECK_EQ(r[0].t.connect, 80004736);
    CHECK_EQ(r[0].t.tls, 160064704);
    CHECK_EQ(r[0].t.first_byte, 240084200);
    CHECK_EQ(r[1].t.total, 80009568);
    CHECK_EQ(r[1].t.tls, 0);
    CHECK_EQ(nst_tls_ctx_stats(sctx)->handshakes_full, 1);
    CHECK_EQ(nst_http_client_stats(cl)->connections, 1);
    CHECK_EQ(nst_http_client_stats(cl)->reuses, 2);
    nst_http_client_free(cl);
    ht_server_stop(&hs);
    nst_tls_ctx_free(sctx);
    nst_tls_ctx_free(cctx);
    tt_lab_down(&l);
}

int main(void)
{
    tt_init();
    RUN(keepalive_reuse);
    RUN(no_keepalive);
    RUN(chunked_and_big);
    RUN(pool_limit);
    RUN(many_origins_take_turns);
    RUN(idle_eviction);
    RUN(server_closes_idle);
    RUN(retry_idempotent_once);
    RUN(retry_never_post);
    RUN(retry_only_once);
    RUN(hung_server_response_timeout);
    RUN(connect_timeout);
    RUN(stalled_body_read_timeout);
    RUN(deadline);
    RUN(tls_timeout);
    RUN(bad_responses);
    RUN(headers_forever);
    RUN(body_longer_than_length);
    RUN(tls_keepalive);
    tt_fini();
    return nst_test_done();
}
