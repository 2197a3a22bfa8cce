/* HTTP/2 (src/app/h2_*.c) on the simulator, NY -> London (80 ms round
 * trip), fixed seeds: many requests multiplexed on one connection (one
 * handshake, one port), the server's SETTINGS_MAX_CONCURRENT_STREAMS
 * respected (queued calls start as others end), large bodies through the
 * flow-control windows byte-exact, GOAWAY for a graceful shutdown,
 * RST_STREAM for a cancelled call, ALPN choosing h2 or falling back to
 * HTTP/1.1, h2c by prior knowledge beside HTTP/1.1 on one port, the
 * per-stream response timeout; and a peer breaking RFC 9113 answered with
 * GOAWAY and the right error code, counted, other connections untouched. */
#include "support/http_util.h"
#include "test.h"

#include <nghttp2/nghttp2.h>
#include <nstack/inspect.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                              \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: setup failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                               \
        }                                                                          \
    } while (0)

struct fix {
    struct tt_lab l;
    struct ht_server hs;
    struct nst_http_server_config sc;
    struct nst_http_client *cl;
    struct nst_http_client_config cc;
    struct nst_tls_ctx *sctx, *cctx;
};

static void fix_up(struct fix *f, uint64_t seed, double loss)
{
    tt_lab_up(&f->l, seed, loss);
    if (!f->sc.max_head) {
        nst_http_server_config_default(&f->sc);
        f->sc.proto = NST_HTTP_PROTO_HTTP2;
    }
    ht_server_start(&f->hs, f->l.ldn, f->sctx ? HT_TLS_PORT : HT_PORT, f->sctx, &f->sc);
    if (!f->cc.max_per_origin) {
        nst_http_client_config_default(&f->cc);
        f->cc.proto = NST_HTTP_PROTO_HTTP2;
    }
    f->cc.tls = f->cctx;
    f->cl = nst_http_client_new(f->l.ny, &f->cc);
    REQUIRE(f->cl != NULL);
}

static void fix_down(struct fix *f)
{
    nst_http_client_free(f->cl);
    ht_server_stop(&f->hs);
    nst_tls_ctx_free(f->sctx);
    nst_tls_ctx_free(f->cctx);
    tt_lab_down(&f->l);
}

static int calls_done(struct ht_call *r, int n)
{
    for (int i = 0; i < n; i++)
        if (!r[i].done)
            return 0;
    return 1;
}

#define NCALLS 20
static struct ht_call many[NCALLS];
static int many_n;
static int many_done(void *arg)
{
    (void)arg;
    return calls_done(many, many_n);
}

static void send_many(struct fix *f, int n, const char *scheme, uint16_t port, const char *target)
{
    many_n = n;
    memset(many, 0, sizeof many);
    for (int i = 0; i < n; i++)
        CHECK_EQ(ht_send(f->cl, &many[i], scheme, port, "GET", target, NULL, 0), 0);
    nst_world_run_until_cond(f->l.w, many_done, NULL, nst_world_now(f->l.w) + NST_SEC(30));
    REQUIRE(many_done(NULL));
}

/* ---- multiplexing ----------------------------------------------------------- */

static void multiplex_one_connection(void)
{
    struct fix f = {0};
    fix_up(&f, 1, 0);
    send_many(&f, NCALLS, "http", HT_PORT, "/");
    for (int i = 0; i < NCALLS; i++) {
        CHECK_EQ(many[i].err, 0);
        CHECK_EQ(many[i].status, 200);
        CHECK_EQ(many[i].body_len, 6);
        CHECK_MEM(many[i].body, "hello\n", 6);
        CHECK_EQ(many[i].t.http2, 1);
        /* One round trip for SYN, one for the requests: all at once. */
        CHECK(many[i].t.total >= NST_MSEC(160) && many[i].t.total < NST_MSEC(170));
    }
    fprintf(stderr, "  20 streams: first done %lld, last done %lld\n", (long long)many[0].t.total,
            (long long)many[NCALLS - 1].t.total);
    CHECK_EQ(many[0].t.total, 160042464); /* exact in virtual time (seed 1) */
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.hs.sv);
    CHECK_EQ(cs->connections, 1); /* one TCP handshake, one local port */
    CHECK_EQ(cs->h2.connections, 1);
    CHECK_EQ(cs->h2.streams, NCALLS);
    CHECK_EQ(cs->h2.frames_sent[NGHTTP2_HEADERS], NCALLS);
    CHECK_EQ(cs->h2.streams_open, 0);
    CHECK_EQ(ss->connections, 1);
    CHECK_EQ(ss->h2.connections, 1);
    CHECK_EQ(ss->requests, NCALLS);
    CHECK_EQ(ss->h2.streams, NCALLS);
    CHECK_EQ(ss->h2.max_concurrent, NCALLS); /* all twenty arrived in one flight */
    CHECK_EQ(ss->h2.frames_recv[NGHTTP2_HEADERS], NCALLS);
    CHECK_EQ(ss->h2.frames_sent[NGHTTP2_SETTINGS], 2); /* ours and the ACK of the client's */
    /* `nstack ss -i` shows the connection's HTTP/2 state in its note. */
    struct nst_sock_entry se[16];
    int nse = nst_sock_list(f.l.ldn, se, 16), noted = 0;
    for (int i = 0; i < nse; i++)
        if (!strncmp(se[i].note, "h2 streams 0/20 frames ", 23))
            noted++;
    CHECK_EQ(noted, 1);
    /* The next request rides the same connection: one round trip. */
    struct ht_call r;
    ht_do(&f.l, f.cl, &r, "GET", "/");
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.t.reused, 1);
    CHECK(r.t.total >= NST_MSEC(80) && r.t.total < NST_MSEC(85));
    CHECK_EQ(cs->connections, 1);
    fix_down(&f);
}

static void max_concurrent_streams(void)
{
    struct fix f = {0};
    nst_http_server_config_default(&f.sc);
    f.sc.proto = NST_HTTP_PROTO_HTTP2;
    f.sc.h2.max_concurrent_streams = 4;
    fix_up(&f, 2, 0);
    struct ht_call w;
    ht_do(&f.l, f.cl, &w, "GET", "/"); /* the connection is up, the server's SETTINGS known */
    CHECK_EQ(w.err, 0);
    send_many(&f, 8, "http", HT_PORT, "/slow");
    /* Four streams at a time: the second four start as the first end. */
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(many[i].err, 0);
        CHECK_EQ(many[i].status, 200);
        nst_time_t end = many[i].t.total;
        if (i < 4)
            CHECK(end >= NST_MSEC(580) && end < NST_MSEC(590));
        else
            CHECK(end >= NST_MSEC(1160) && end < NST_MSEC(1180));
    }
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.hs.sv);
    CHECK_EQ(many[0].t.total, 580007120); /* 500 ms in the handler + one round trip */
    CHECK_EQ(many[4].t.total, 1160013640); /* started as the first four ended */
    CHECK_EQ(ss->h2.max_concurrent, 4);
    CHECK_EQ(ss->h2.rst_sent, 0);
    CHECK_EQ(nst_http_client_stats(f.cl)->h2.refused, 0);
    CHECK_EQ(nst_http_client_stats(f.cl)->connections, 1);
    fix_down(&f);
}

/* ---- flow control --------------------------------------------------------- */

static void big_bodies(double loss, uint32_t window)
{
    struct fix f = {0};
    nst_http_server_config_default(&f.sc);
    f.sc.proto = NST_HTTP_PROTO_HTTP2;
    nst_http_client_config_default(&f.cc);
    f.cc.proto = NST_HTTP_PROTO_HTTP2;
    if (window) {
        f.sc.h2.stream_window = f.sc.h2.conn_window = window;
        f.cc.h2.stream_window = f.cc.h2.conn_window = window;
    }
    fix_up(&f, 3, loss);
    send_many(&f, 4, "http", HT_PORT, "/big");
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(many[i].err, 0);
        CHECK_EQ(many[i].body_total, 200000);
        int ok = 1;
        for (size_t j = 0; j < many[i].body_len; j++)
            ok &= many[i].body[j] == (uint8_t)(j * 7);
        CHECK(ok);
    }
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    fprintf(stderr, "  window %u loss %.2f: last done %lld ms, WINDOW_UPDATE sent %llu\n", window, loss,
            (long long)(many[3].t.total / 1000000), (unsigned long long)cs->h2.frames_sent[NGHTTP2_WINDOW_UPDATE]);
    CHECK(cs->h2.frames_sent[NGHTTP2_WINDOW_UPDATE] > 0);
    /* A request body too, through the server's windows, echoed back. */
    static char body[40001];
    for (size_t i = 0; i < sizeof body - 1; i++)
        body[i] = (char)('a' + i % 26);
    struct ht_call p;
    CHECK_EQ(ht_send(f.cl, &p, "http", HT_PORT, "POST", "/echo", body, 0), 0);
    nst_world_run_until_cond(f.l.w, ht_call_done, &p, nst_world_now(f.l.w) + NST_SEC(30));
    CHECK_EQ(p.err, 0);
    CHECK_EQ(p.body_total, 40000);
    CHECK_MEM(p.body, body, sizeof p.body);
    CHECK_EQ(cs->connections, 1);
    fix_down(&f);
}

static void big_bodies_default_windows(void) { big_bodies(0, 0); }
static void big_bodies_small_windows_lossy(void) { big_bodies(0.01, 65535); }


/* ---- GOAWAY, RST_STREAM, timeouts ------------------------------------------- */

static void goaway_graceful_shutdown(void)
{
    struct fix f = {0};
    fix_up(&f, 4, 0);
    struct ht_call w;
    ht_do(&f.l, f.cl, &w, "GET", "/");
    CHECK_EQ(w.err, 0);
    many_n = 3;
    memset(many, 0, sizeof many);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(ht_send(f.cl, &many[i], "http", HT_PORT, "GET", "/slow", NULL, 0), 0);
    nst_world_run_for(f.l.w, NST_MSEC(200)); /* the three are in the handler's hands */
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->h2.streams_open, 3);
    nst_http_server_shutdown(f.hs.sv);
    nst_world_run_until_cond(f.l.w, many_done, NULL, nst_world_now(f.l.w) + NST_SEC(5));
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(many[i].err, 0); /* streams in flight finish (RFC 9113 6.8) */
        CHECK_EQ(many[i].status, 200);
        CHECK_MEM(many[i].body, "slow\n", 5);
    }
    nst_world_run_for(f.l.w, NST_SEC(1));
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.hs.sv);
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(ss->h2.goaway_sent, 1);
    CHECK_EQ(ss->h2.last_goaway_error, 0);
    CHECK_EQ(cs->h2.goaway_recv, 1);
    CHECK_EQ(ss->aborted, 0);
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 0);
    CHECK_EQ(cs->open, 0);
    fix_down(&f);
}

static void cancel_resets_stream(void)
{
    struct fix f = {0};
    fix_up(&f, 5, 0);
    struct ht_call hang, ok;
    CHECK_EQ(ht_send(f.cl, &hang, "http", HT_PORT, "GET", "/hang", NULL, 0), 0);
    nst_world_run_for(f.l.w, NST_MSEC(200));
    CHECK(f.hs.hung != NULL);
    nst_http_call_cancel(hang.c);
    CHECK(hang.done);
    CHECK_EQ(hang.err, NST_HTTP_E_CANCELLED);
    nst_world_run_for(f.l.w, NST_MSEC(100));
    CHECK_EQ(f.hs.hung_aborted, 1); /* the RST_STREAM reached the handler as on_abort */
    ht_do(&f.l, f.cl, &ok, "GET", "/");
    CHECK_EQ(ok.err, 0);
    CHECK_EQ(ok.t.reused, 1); /* the connection serves on */
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.hs.sv);
    CHECK_EQ(cs->h2.rst_sent, 1);
    CHECK_EQ(ss->h2.rst_recv, 1);
    CHECK_EQ(cs->connections, 1);
    CHECK_EQ(ss->h2.goaway_sent, 0);
    fix_down(&f);
}

static void response_timeout_per_stream(void)
{
    struct fix f = {0};
    nst_http_client_config_default(&f.cc);
    f.cc.proto = NST_HTTP_PROTO_HTTP2;
    f.cc.response_timeout = NST_SEC(3);
    fix_up(&f, 6, 0);
    struct ht_call hang, slow;
    CHECK_EQ(ht_send(f.cl, &hang, "http", HT_PORT, "GET", "/hang", NULL, 0), 0);
    CHECK_EQ(ht_send(f.cl, &slow, "http", HT_PORT, "GET", "/slow", NULL, 0), 0);
    nst_world_run_until_cond(f.l.w, ht_call_done, &hang, nst_world_now(f.l.w) + NST_SEC(10));
    CHECK_EQ(slow.err, 0);
    CHECK_EQ(slow.status, 200);
    CHECK_EQ(hang.err, NST_HTTP_E_RESPONSE_TIMEOUT);
    /* The request's HEADERS leave the moment TCP is up. */
    CHECK(hang.t.connect >= NST_MSEC(80) && hang.t.connect < NST_MSEC(81));
    CHECK_EQ(hang.t.total, hang.t.connect + NST_SEC(3));
    nst_world_run_for(f.l.w, NST_MSEC(100));
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->response_timeouts, 1);
    CHECK_EQ(cs->h2.rst_sent, 1);
    CHECK_EQ(cs->open, 1); /* only the stream ended */
    CHECK_EQ(f.hs.hung_aborted, 1);
    fix_down(&f);
}

/* ---- protocol selection ------------------------------------------------------ */

static void tls_alpn_h2(void)
{
    struct fix f = {0};
    f.sctx = tt_server_ctx(NST_TLS1_2, NST_TLS1_3, 0, "h2,http/1.1");
    f.cctx = tt_client_ctx(NST_TLS1_2, NST_TLS1_3, 0, "h2,http/1.1");
    fix_up(&f, 7, 0);
    send_many(&f, 5, "https", HT_TLS_PORT, "/chunked");
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(many[i].err, 0);
        CHECK_EQ(many[i].t.http2, 1);
        CHECK_EQ(many[i].body_len, 13);
        CHECK_MEM(many[i].body, "one,two,three", 13);
    }
    fprintf(stderr, "  h2 over TLS: connect %lld tls %lld first byte %lld\n", (long long)many[0].t.connect,
            (long long)many[0].t.tls, (long long)many[0].t.first_byte);
    CHECK_EQ(many[0].t.first_byte, 240084592);
    CHECK(many[0].t.tls - many[0].t.connect >= NST_MSEC(80) && many[0].t.tls - many[0].t.connect < NST_MSEC(82));
    CHECK(many[0].t.first_byte - many[0].t.tls >= NST_MSEC(80) && many[0].t.first_byte - many[0].t.tls < NST_MSEC(82));
    CHECK_EQ(nst_http_client_stats(f.cl)->connections, 1);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->h2.connections, 1);
    fix_down(&f);
}

static void tls_alpn_fallback_http1(void)
{
    struct fix f = {0};
    nst_http_server_config_default(&f.sc); /* an HTTP/1.1-only server */
    f.sctx = tt_server_ctx(NST_TLS1_2, NST_TLS1_3, 0, "http/1.1");
    f.cctx = tt_client_ctx(NST_TLS1_2, NST_TLS1_3, 0, "h2,http/1.1");
    fix_up(&f, 8, 0);
    struct ht_call r[2];
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(ht_send(f.cl, &r[i], "https", HT_TLS_PORT, "GET", "/", NULL, 0), 0);
        nst_world_run_until_cond(f.l.w, ht_call_done, &r[i], nst_world_now(f.l.w) + NST_SEC(5));
        CHECK_EQ(r[i].err, 0);
        CHECK_EQ(r[i].status, 200);
        CHECK_EQ(r[i].t.http2, 0);
        CHECK_MEM(r[i].body, "hello\n", 6);
    }
    /* The TLS connection made for HTTP/2 carried HTTP/1.1: no handshake wasted. */
    const struct nst_http_client_stats *cs = nst_http_client_stats(f.cl);
    CHECK_EQ(cs->h2.fallbacks, 1);
    CHECK_EQ(cs->connections, 1);
    CHECK_EQ(cs->h2.connections, 0);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->connections, 1);
    CHECK(r[0].t.first_byte - r[0].t.tls >= NST_MSEC(80) && r[0].t.first_byte - r[0].t.tls < NST_MSEC(82));
    fix_down(&f);
}

static void one_port_both_protocols(void)
{
    /* An HTTP2 server answers an HTTP/1.1 client and an h2c (prior
     * knowledge) client on the same port. */
    struct fix f = {0};
    fix_up(&f, 9, 0);
    struct nst_http_client_config c1;
    nst_http_client_config_default(&c1);
    struct nst_http_client *h1 = nst_http_client_new(f.l.ny, &c1);
    struct ht_call a, b;
    ht_do(&f.l, h1, &a, "GET", "/chunked");
    ht_do(&f.l, f.cl, &b, "GET", "/chunked");
    CHECK_EQ(a.err, 0);
    CHECK_EQ(b.err, 0);
    CHECK_EQ(a.t.http2, 0);
    CHECK_EQ(b.t.http2, 1);
    CHECK_MEM(a.body, "one,two,three", 13);
    CHECK_MEM(b.body, "one,two,three", 13);
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.hs.sv);
    CHECK_EQ(ss->connections, 2);
    CHECK_EQ(ss->h2.connections, 1);
    CHECK_EQ(ss->requests, 2);
    nst_http_client_free(h1);
    fix_down(&f);
}

/* ---- a peer breaking RFC 9113 ------------------------------------------------ */

/* A request header block, HPACK-encoded by nghttp2's own deflater; with
 * a :protocol (extended CONNECT, RFC 8441) if `protocol`. */
static size_t header_block_proto(uint8_t *out, size_t cap, const char *method, const char *path,
                                 const char *protocol)
{
    nghttp2_hd_deflater *d;
    REQUIRE(nghttp2_hd_deflate_new(&d, 4096) == 0);
    nghttp2_nv nv[] = {
        {(uint8_t *)":method", (uint8_t *)method, 7, strlen(method), 0},
        {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0},
        {(uint8_t *)":authority", (uint8_t *)"london.lab", 10, 10, 0},
        {(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0},
        {(uint8_t *)":protocol", (uint8_t *)protocol, 9, protocol ? strlen(protocol) : 0, 0},
    };
    ssize_t n = nghttp2_hd_deflate_hd(d, out, cap, nv, protocol ? 5 : 4);
    nghttp2_hd_deflate_del(d);
    REQUIRE(n > 0);
    return (size_t)n;
}

static size_t header_block(uint8_t *out, size_t cap, const char *method, const char *path)
{
    return header_block_proto(out, cap, method, path, NULL);
}

/* The preface and an empty SETTINGS: a client's valid opening. */
static size_t opening(uint8_t *out)
{
    memcpy(out, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    return 24 + ht_h2_frame(out + 24, NGHTTP2_SETTINGS, 0, 0, NULL, 0);
}

/* The error code of the server's GOAWAY in what came back, or -1. */
static long goaway_code(const struct ht_rawc *c)
{
    size_t at = 0;
    while (at + 9 <= c->got_len) {
        const uint8_t *h = (const uint8_t *)c->got + at;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        if (at + 9 + len > c->got_len)
            break;
        if (h[3] == NGHTTP2_GOAWAY && len >= 8)
            return (long)((uint32_t)h[13] << 24 | (uint32_t)h[14] << 16 | (uint32_t)h[15] << 8 | h[16]);
        at += 9 + len;
    }
    return -1;
}

static uint8_t evil[200000];

/* ---- an answer before the request's end (RFC 9113 8.1) ---------------------- */

/* The frames the server sent on stream `id`, in order: types in `types`
 * (at most `cap`), the RST_STREAM's error code in *rst_code (-1: none). */
static size_t frames_on(const struct ht_rawc *c, uint32_t id, uint8_t *types, uint8_t *flags, size_t cap,
                        long *rst_code)
{
    size_t at = 0, n = 0;
    *rst_code = -1;
    while (at + 9 <= c->got_len) {
        const uint8_t *h = (const uint8_t *)c->got + at;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        uint32_t sid = (uint32_t)(h[5] & 0x7f) << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8];
        if (at + 9 + len > c->got_len)
            break;
        if (sid == id && n < cap) {
            types[n] = h[3];
            flags[n++] = h[4];
            if (h[3] == NGHTTP2_RST_STREAM && len == 4)
                *rst_code = (long)((uint32_t)h[9] << 24 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 8 | h[12]);
        }
        at += 9 + len;
    }
    return n;
}

static void early_response_resets_request_body(void)
{
    /* RFC 9113 8.1: a POST to "/" is answered from its head alone while
     * its body is still coming; after the response's END_STREAM the server
     * sends RST_STREAM (NO_ERROR) so that the client stops sending. The
     * connection serves on: a later request whose body was complete gets
     * no RST_STREAM, and DATA the client had in flight is ignored. */
    struct fix f = {0};
    fix_up(&f, 29, 0);
    uint8_t hb[256], part[100];
    memset(part, 'b', sizeof part);
    size_t h = header_block(hb, sizeof hb, "POST", "/");
    size_t n = opening(evil);
    n += ht_h2_frame(evil + n, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1, hb, h);
    n += ht_h2_frame(evil + n, NGHTTP2_DATA, 0, 1, part, sizeof part);
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, HT_PORT);
    ht_rawc_send(&c, evil, n);
    nst_world_run_for(f.l.w, NST_MSEC(300));
    uint8_t types[8] = {0}, flags[8] = {0};
    long code;
    size_t k = frames_on(&c, 1, types, flags, 8, &code);
    CHECK_EQ(k, 3);
    CHECK_EQ(types[0], NGHTTP2_HEADERS);
    CHECK_EQ(flags[0] & NGHTTP2_FLAG_END_STREAM, 0);
    CHECK_EQ(types[1], NGHTTP2_DATA); /* "hello\n" */
    CHECK_EQ(flags[1] & NGHTTP2_FLAG_END_STREAM, NGHTTP2_FLAG_END_STREAM);
    CHECK_EQ(types[2], NGHTTP2_RST_STREAM); /* after the complete response */
    CHECK_EQ(code, NGHTTP2_NO_ERROR);
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.hs.sv);
    CHECK_EQ(ss->h2.rst_sent, 1);
    CHECK_EQ(ss->h2.frames_sent[NGHTTP2_RST_STREAM], 1);
    CHECK_EQ(ss->requests, 1);
    CHECK_EQ(ss->aborted, 0); /* the exchange ended with its response */
    /* The rest of the body, sent before the client saw the reset, and a
     * second request complete with its head (END_STREAM on HEADERS). */
    n = ht_h2_frame(evil, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, part, sizeof part);
    h = header_block(hb, sizeof hb, "GET", "/");
    n += ht_h2_frame(evil + n, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 3, hb, h);
    ht_rawc_send(&c, evil, n);
    nst_world_run_for(f.l.w, NST_MSEC(300));
    CHECK_EQ(frames_on(&c, 1, types, flags, 8, &code), 3); /* nothing more on stream 1 */
    k = frames_on(&c, 3, types, flags, 8, &code);
    CHECK_EQ(k, 2);
    CHECK_EQ(types[1], NGHTTP2_DATA);
    CHECK_EQ(code, -1); /* no RST_STREAM: the request was complete */
    CHECK_EQ(goaway_code(&c), -1);
    CHECK_EQ(ss->h2.rst_sent, 1);
    CHECK_EQ(ss->h2.protocol_errors, 0);
    CHECK_EQ(ss->requests, 2);
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 1);
    CHECK(!c.eof && !c.err);
    /* An extended CONNECT (RFC 8441) answered and ended by the server
     * while the client's direction stays open: a tunnel half-closed, no
     * RST_STREAM (it would be an abortive close of the other direction). */
    h = header_block_proto(hb, sizeof hb, "CONNECT", "/", "websocket");
    n = ht_h2_frame(evil, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 5, hb, h);
    ht_rawc_send(&c, evil, n);
    nst_world_run_for(f.l.w, NST_MSEC(300));
    k = frames_on(&c, 5, types, flags, 8, &code);
    CHECK_EQ(k, 2);
    CHECK_EQ(types[1], NGHTTP2_DATA);
    CHECK_EQ(flags[1] & NGHTTP2_FLAG_END_STREAM, NGHTTP2_FLAG_END_STREAM);
    CHECK_EQ(code, -1);
    CHECK_EQ(ss->h2.rst_sent, 1);
    CHECK_EQ(ss->requests, 3);
    ht_rawc_close(&c);
    fix_down(&f);
}

/* Sends bytes as a client, expects the server's GOAWAY with `code` and
 * the connection closed, counted; a well-behaved client on another
 * connection is served all along. */
static void bad_peer(uint64_t seed, const uint8_t *bytes, size_t len, uint32_t code, uint32_t small_windows)
{
    struct fix f = {0};
    nst_http_server_config_default(&f.sc);
    f.sc.proto = NST_HTTP_PROTO_HTTP2;
    if (small_windows)
        f.sc.h2.stream_window = f.sc.h2.conn_window = small_windows;
    fix_up(&f, seed, 0);
    struct ht_call good;
    CHECK_EQ(ht_send(f.cl, &good, "http", HT_PORT, "GET", "/hang", NULL, 0), 0); /* open across the attack */
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, HT_PORT);
    size_t off = 0;
    while (off < len) { /* in pieces the socket takes */
        size_t n = len - off < 8192 ? len - off : 8192;
        ssize_t w = nst_send(c.st, c.fd, bytes + off, n, 0);
        if (w > 0)
            off += (size_t)w;
        nst_world_run_for(f.l.w, NST_MSEC(5));
    }
    nst_world_run_until_cond(f.l.w, ht_rawc_eof, &c, nst_world_now(f.l.w) + NST_SEC(5));
    CHECK(c.eof || c.err);
    CHECK_EQ(goaway_code(&c), (long)code);
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.hs.sv);
    CHECK_EQ(ss->h2.protocol_errors, 1);
    CHECK_EQ(ss->h2.last_goaway_error, code);
    CHECK_EQ(ss->h2.goaway_sent, 1);
    CHECK(f.hs.hung != NULL); /* the other connection's stream is untouched */
    struct ht_call after;
    ht_do(&f.l, f.cl, &after, "GET", "/");
    CHECK_EQ(after.err, 0);
    CHECK_EQ(after.t.reused, 1);
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 1);
    ht_rawc_close(&c);
    fix_down(&f);
}

static void bad_preface_settings_missing(void)
{
    /* RFC 9113 3.4: the preface's first frame must be SETTINGS. */
    size_t n = 24;
    memcpy(evil, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    n += ht_h2_frame(evil + n, NGHTTP2_PING, 0, 0, "12345678", 8);
    bad_peer(20, evil, n, NGHTTP2_PROTOCOL_ERROR, 0);
}

static void data_on_stream_zero(void)
{
    size_t n = opening(evil);
    n += ht_h2_frame(evil + n, NGHTTP2_DATA, 0, 0, "x", 1); /* RFC 9113 6.1 */
    bad_peer(21, evil, n, NGHTTP2_PROTOCOL_ERROR, 0);
}

static void frames_on_closed_stream(void)
{
    uint8_t hb[256];
    size_t h = header_block(hb, sizeof hb, "GET", "/");
    size_t n = opening(evil);
    n += ht_h2_frame(evil + n, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 1, hb, h);
    /* RFC 9113 5.1: DATA after END_STREAM (half-closed remote): STREAM_CLOSED. */
    n += ht_h2_frame(evil + n, NGHTTP2_DATA, 0, 1, "late", 4);
    bad_peer(22, evil, n, NGHTTP2_STREAM_CLOSED, 0);
}

static void flow_control_window_overflow(void)
{
    /* RFC 9113 6.9.1: a WINDOW_UPDATE that takes the window past 2^31-1
     * is a FLOW_CONTROL_ERROR. (A peer sending beyond our window is not
     * seen: nghttp2 extends the window as data is consumed, and ours
     * consumes on delivery.) */
    uint8_t inc[4] = {0x7f, 0xff, 0xff, 0xff};
    size_t n = opening(evil);
    n += ht_h2_frame(evil + n, NGHTTP2_WINDOW_UPDATE, 0, 0, inc, 4);
    bad_peer(23, evil, n, NGHTTP2_FLOW_CONTROL_ERROR, 0);
}

static void hpack_failure(void)
{
    /* Index 0 is not an entry (RFC 7541 6.1): COMPRESSION_ERROR. */
    uint8_t hb[] = {0x80};
    size_t n = opening(evil);
    n += ht_h2_frame(evil + n, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 1, hb, 1);
    bad_peer(24, evil, n, NGHTTP2_COMPRESSION_ERROR, 0);
}

static void continuation_flood(void)
{
    /* A header block that never ends, in many tiny CONTINUATION frames
     * (CVE-2024-27316 style): cut after nghttp2's max_continuations. */
    uint8_t hb[256];
    size_t h = header_block(hb, sizeof hb, "GET", "/");
    size_t n = opening(evil);
    n += ht_h2_frame(evil + n, NGHTTP2_HEADERS, 0, 1, hb, 1);
    for (size_t i = 1; i < h; i++)
        n += ht_h2_frame(evil + n, NGHTTP2_CONTINUATION, 0, 1, hb + i, 1);
    for (int i = 0; i < 100; i++)
        n += ht_h2_frame(evil + n, NGHTTP2_CONTINUATION, 0, 1, NULL, 0);
    bad_peer(25, evil, n, NGHTTP2_ENHANCE_YOUR_CALM, 0);
}

static void rapid_reset(void)
{
    /* CVE-2023-44487: streams opened and reset at once, over and over;
     * nghttp2's reset-rate limit answers with GOAWAY. */
    uint8_t hb[256];
    size_t h = header_block(hb, sizeof hb, "GET", "/unrouted");
    size_t n = opening(evil);
    uint8_t cancel[4] = {0, 0, 0, NGHTTP2_CANCEL};
    for (uint32_t id = 1; n + 64 + h < sizeof evil; id += 2) {
        n += ht_h2_frame(evil + n, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, id, hb, h);
        n += ht_h2_frame(evil + n, NGHTTP2_RST_STREAM, 0, id, cancel, 4);
    }
    bad_peer(26, evil, n, NGHTTP2_INTERNAL_ERROR, 0);
}

static void peer_never_opens_window(void)
{
    /* A client whose SETTINGS_INITIAL_WINDOW_SIZE is 0 and who never sends
     * WINDOW_UPDATE: the response waits body_timeout (5 s here) from the
     * last frame, then the connection ends, counted. */
    struct fix f = {0};
    nst_http_server_config_default(&f.sc);
    f.sc.proto = NST_HTTP_PROTO_HTTP2;
    f.sc.body_timeout = NST_SEC(5);
    fix_up(&f, 27, 0);
    uint8_t hb[256], zero[6] = {0, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0, 0, 0, 0};
    size_t h = header_block(hb, sizeof hb, "GET", "/big");
    memcpy(evil, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    size_t n = 24 + ht_h2_frame(evil + 24, NGHTTP2_SETTINGS, 0, 0, zero, 6);
    n += ht_h2_frame(evil + n, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 1, hb, h);
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, HT_PORT);
    nst_time_t t0 = nst_world_now(f.l.w);
    ht_rawc_send(&c, evil, n);
    nst_world_run_until_cond(f.l.w, ht_rawc_eof, &c, t0 + NST_SEC(20));
    CHECK(c.eof || c.err);
    /* The request arrives 40 ms on, the last frame (our SETTINGS ACK's
     * answer) 80 ms after that; the stall is measured from it. */
    fprintf(stderr, "  stalled connection closed %lld ms after the request\n", (long long)((c.t_eof - t0) / 1000000));
    CHECK(c.t_eof - t0 >= NST_SEC(5) && c.t_eof - t0 < NST_MSEC(5300));
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->body_timeouts, 1);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->aborted, 1);
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 0);
    ht_rawc_close(&c);
    fix_down(&f);
}

static void header_block_never_finished(void)
{
    /* HEADERS without END_HEADERS, then silence: cut at header_timeout
     * (2 s here) after the last frame, as slowloris is in HTTP/1.1. */
    struct fix f = {0};
    nst_http_server_config_default(&f.sc);
    f.sc.proto = NST_HTTP_PROTO_HTTP2;
    f.sc.header_timeout = NST_SEC(2);
    fix_up(&f, 28, 0);
    uint8_t hb[256];
    size_t h = header_block(hb, sizeof hb, "GET", "/");
    size_t n = opening(evil);
    n += ht_h2_frame(evil + n, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, hb, h);
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, HT_PORT);
    nst_time_t t0 = nst_world_now(f.l.w);
    ht_rawc_send(&c, evil, n);
    nst_world_run_until_cond(f.l.w, ht_rawc_eof, &c, t0 + NST_SEC(20));
    CHECK(c.eof || c.err);
    CHECK(c.t_eof - t0 >= NST_SEC(2) && c.t_eof - t0 < NST_MSEC(2200));
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->header_timeouts, 1);
    CHECK_EQ(nst_http_server_stats(f.hs.sv)->requests, 0);
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 0);
    ht_rawc_close(&c);
    fix_down(&f);
}

/* ---- the connection's end: no reset (RFC 9112 9.6, RFC 8446 6.1) ---------- */

static int no_connection(void *arg) { return nst_http_server_connections(arg) == 0; }

/* The client's preface, SETTINGS and GOAWAY (last stream 0, NO_ERROR):
 * what a client that is done says (RFC 9113 6.8). */
static size_t preface_and_goaway(uint8_t *out)
{
    static const uint8_t goaway[8] = {0};
    size_t n = opening(out);
    return n + ht_h2_frame(out + n, NGHTTP2_GOAWAY, 0, 0, goaway, sizeof goaway);
}

static void tls_end_without_reset(void)
{
    /* The client's GOAWAY ends the session; the server answers with
     * close_notify and FIN, the client with its own close_notify and FIN.
     * Those come after the session's end: a server that closed its socket
     * there had TCP reset the connection for them (RFC 9293 3.10.4, RFC
     * 2525 2.17: 2 RSTs, the client's stream cut by one). It lingers
     * instead: drains them, and closes at the client's end. */
    struct fix f = {0};
    f.sctx = tt_server_ctx(NST_TLS1_3, NST_TLS1_3, 0, "h2");
    struct nst_tls_ctx *cctx = tt_client_ctx(NST_TLS1_3, NST_TLS1_3, 0, "h2");
    fix_up(&f, 31, 0);
    uint64_t rst_ldn = nst_stack_stats(f.l.ldn)->tcp_tx_resets; /* the fixture's, from port 9 */
    uint64_t rst_ny = nst_stack_stats(f.l.ny)->tcp_tx_resets;
    struct ht_tlsc c;
    ht_tlsc_open(&c, &f.l, cctx, HT_TLS_PORT, evil, preface_and_goaway(evil), 1);
    nst_world_run_until_cond(f.l.w, ht_tlsc_ended, &c, nst_world_now(f.l.w) + NST_SEC(5));
    CHECK_EQ(c.eof, 1); /* the server's close_notify */
    CHECK_EQ(c.got_total, 48); /* its SETTINGS (9 + 5 settings of 6) and the ACK of ours (9) */
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 1); /* lingering */
    nst_world_run_until_cond(f.l.w, no_connection, f.hs.sv, nst_world_now(f.l.w) + NST_SEC(5));
    nst_time_t gone = nst_world_now(f.l.w);
    fprintf(stderr, "  TLS: server's close_notify read at %lld, the connection ended at %lld\n",
            (long long)c.t_eof, (long long)gone);
    /* The client's close_notify and FIN reach London one way later. */
    CHECK(gone - c.t_eof >= NST_MSEC(40) && gone - c.t_eof < NST_MSEC(41));
    nst_world_run_for(f.l.w, NST_SEC(1));
    CHECK_EQ(c.err, 0); /* no RST cut the client's stream */
    CHECK_EQ(nst_stack_stats(f.l.ldn)->tcp_tx_resets, rst_ldn);
    CHECK_EQ(nst_stack_stats(f.l.ny)->tcp_tx_resets, rst_ny);
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.hs.sv);
    CHECK_EQ(ss->h2.goaway_recv, 1);
    CHECK_EQ(ss->h2.goaway_sent, 0);
    CHECK_EQ(ss->h2.protocol_errors, 0);
    nst_stream_close(c.s);
    nst_tls_ctx_free(cctx);
    fix_down(&f);
}

static void linger_bounded(void)
{
    /* A client that says GOAWAY but never ends its side (h2c): the
     * server's FIN leaves at once, its connection lingers HTTP_LINGER_TIME
     * (2 s) draining, then closes; still no RST. */
    struct fix f = {0};
    fix_up(&f, 32, 0);
    uint64_t rst_ldn = nst_stack_stats(f.l.ldn)->tcp_tx_resets; /* the fixture's, from port 9 */
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, HT_PORT);
    ht_rawc_send(&c, evil, preface_and_goaway(evil));
    nst_world_run_until_cond(f.l.w, ht_rawc_eof, &c, nst_world_now(f.l.w) + NST_SEC(5));
    CHECK_EQ(c.eof, 1); /* the server's FIN */
    CHECK_EQ(nst_http_server_connections(f.hs.sv), 1);
    nst_world_run_until_cond(f.l.w, no_connection, f.hs.sv, nst_world_now(f.l.w) + NST_SEC(5));
    nst_time_t gone = nst_world_now(f.l.w);
    fprintf(stderr, "  h2c: server's FIN read at %lld, the connection ended at %lld\n", (long long)c.t_eof,
            (long long)gone);
    /* The FIN left London 40 ms before NY read it: 2 s after it left. */
    CHECK(gone - c.t_eof > NST_SEC(2) - NST_MSEC(41) && gone - c.t_eof <= NST_SEC(2) - NST_MSEC(40));
    CHECK_EQ(nst_stack_stats(f.l.ldn)->tcp_tx_resets, rst_ldn);
    ht_rawc_close(&c);
    fix_down(&f);
}

int main(void)
{
    tt_init();
    RUN(multiplex_one_connection);
    RUN(max_concurrent_streams);
    RUN(big_bodies_default_windows);
    RUN(big_bodies_small_windows_lossy);
    RUN(goaway_graceful_shutdown);
    RUN(cancel_resets_stream);
    RUN(response_timeout_per_stream);
    RUN(tls_alpn_h2);
    RUN(tls_alpn_fallback_http1);
    RUN(one_port_both_protocols);
    RUN(bad_preface_settings_missing);
    RUN(data_on_stream_zero);
    RUN(frames_on_closed_stream);
    RUN(flow_control_window_overflow);
    RUN(hpack_failure);
    RUN(continuation_flood);
    RUN(rapid_reset);
    RUN(peer_never_opens_window);
    RUN(header_block_never_finished);
    RUN(early_response_resets_request_body);
    RUN(tls_end_without_reset);
    RUN(linger_bounded);
    return nst_test_done();
}
