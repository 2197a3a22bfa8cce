/* WebSocket inside nstack's HTTP server (ws.h: nst_ws_upgrade), on the
 * simulator's New York–London path (80 ms round trip):
 *   HTTP/1.1: one port serves a page and, on the same kept-alive
 *     connection, an Upgrade whose first frame rides behind the request;
 *     the library client echoes and closes; bad handshakes get 400 / 426
 *     (naming version 13) as ordinary answers, counted, and the
 *     connection serves on.
 *   HTTP/2 (RFC 8441): four WebSockets multiplexed on one connection,
 *     echo, ping/pong, a close handshake ending one stream, the server
 *     freeing one (RST_STREAM CANCEL) ending only that one, a message
 *     larger than the stream window (flow control), and bad input: a
 *     server without SETTINGS_ENABLE_CONNECT_PROTOCOL, :protocol without
 *     CONNECT, CONNECT without :protocol, :protocol the server did not
 *     allow, and version 8 (426). */
#include "support/http_util.h"
#include "support/ws_util.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <nghttp2/nghttp2.h>

#define WH_PORT 80
#define WH_MAX 8

struct wh_server {
    struct nst_http_server *sv;
    struct nst_ws_config cfg;
    struct nst_ws_stats shared;
    struct nst_stack *st;
    struct wu_end c[WH_MAX];
    int n, refused;
};

/* /ws: a WebSocket (echo), recorded in the next slot. */
static void h_ws(void *arg, struct nst_http_exchange *x)
{
    struct wh_server *h = arg;
    struct wu_end *e = &h->c[h->n];
    memset(e, 0, sizeof *e);
    e->st = h->st;
    e->echo = 1;
    e->ws = nst_ws_upgrade(x, &h->cfg, &wu_handler, e);
    if (e->ws)
        h->n++;
    else
        h->refused++;
}

static void h_page(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    nst_http_reply(x, 200, "text/plain", "page\n", 5);
}

struct fix {
    struct tt_lab l;
    struct wh_server h;
    struct nst_http_server_config sc;
};

static void fix_up(struct fix *f, uint64_t seed, int http2, int connect_protocol)
{
    memset(f, 0, sizeof *f);
    tt_lab_up(&f->l, seed, 0);
    nst_http_server_config_default(&f->sc);
    if (http2)
        f->sc.proto = NST_HTTP_PROTO_HTTP2;
    f->sc.h2.enable_connect_protocol = connect_protocol;
    int lfd = nst_socket(f->l.ldn, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, WH_PORT};
    CHECK_EQ(nst_bind(f->l.ldn, lfd, &a), 0);
    CHECK_EQ(nst_listen(f->l.ldn, lfd, 16), 0);
    f->h.sv = nst_http_server_new(f->l.ldn, lfd, NULL, &f->sc);
    CHECK(f->h.sv != NULL);
    nst_ws_config_default(&f->h.cfg);
    f->h.cfg.shared = &f->h.shared;
    f->h.st = f->l.ldn;
    nst_http_server_route(f->h.sv, NULL, "/", h_page, &f->h);
    nst_http_server_route(f->h.sv, NULL, "/ws", h_ws, &f->h);
    nst_http_server_route(f->h.sv, NULL, "/echo", h_ws, &f->h); /* wu_upgrade_request's path */
}

static void fix_down(struct fix *f)
{
    for (int i = 0; i < f->h.n; i++)
        wu_end_free(&f->h.c[i]);
    nst_http_server_free(f->h.sv);
    tt_lab_down(&f->l);
}

static int rawc_has(void *arg)
{
    struct ht_rawc *c = arg;
    return c->eof || c->err || strstr(c->got, "\r\n\r\n") != NULL;
}

/* ---- HTTP/1.1 ---------------------------------------------------------------- */

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" /* RFC 6455 1.3's example */

/* A page, then on the same connection an Upgrade with a masked text frame
 * right behind the request head (in the same segment): 101 with the
 * Accept of RFC 6455 1.3, then the frame echoed unmasked. */
static void http1_page_then_upgrade(void)
{
    struct fix f;
    fix_up(&f, 31, 0, 1);
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, WH_PORT);
    const char *get = "GET / HTTP/1.1\r\nHost: london.lab\r\n\r\n";
    ht_rawc_send(&c, get, strlen(get));
    CHECK(nst_world_run_until_cond(f.l.w, rawc_has, &c, nst_world_now(f.l.w) + NST_SEC(2)));
    CHECK(strncmp(c.got, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(strstr(c.got, "\r\n\r\npage\n") != NULL);
    c.got_len = 0;
    memset(c.got, 0, sizeof c.got);
    uint8_t req[512];
    size_t n = wu_upgrade_request((char *)req, sizeof req, KEY, "13");
    n += wu_frame(req + n, 1, 0, 0x1, 1, "early", 5);
    nst_time_t t = nst_world_now(f.l.w);
    ht_rawc_send(&c, req, n);
    nst_world_run_for(f.l.w, NST_MSEC(200));
    const char *end = strstr(c.got, "\r\n\r\n");
    CHECK(strncmp(c.got, "HTTP/1.1 101 ", 13) == 0);
    CHECK(strstr(c.got, "\r\nSec-WebSocket-Accept: " ACCEPT "\r\n") != NULL);
    CHECK(end != NULL);
    if (end) {
        size_t at = (size_t)(end + 4 - c.got);
        CHECK_EQ(c.got_len, at + 7);
        CHECK_MEM(c.got + at, "\x81\x05" "early", 7);
    }
    CHECK_EQ(f.h.n, 1);
    CHECK(f.h.c[0].opened);
    CHECK_EQ(f.h.c[0].nmsgs, 1);
    CHECK_EQ(f.h.c[0].msgs[0].at - t, NST_MSEC(40) + 7360); /* one way, with the frame */
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.h.sv);
    CHECK_EQ(ss->requests, 2);
    CHECK_EQ(ss->upgrades, 1);
    CHECK_EQ(ss->responses, 2);
    CHECK_EQ(ss->open, 0); /* the connection is the WebSocket's now */
    CHECK_EQ(f.h.shared.handshakes_ok, 1);
    ht_rawc_close(&c);
    fix_down(&f);
}

/* nstack's own client to /ws: open after TCP's round trip and the
 * Upgrade's; echo; a close handshake with 1000 both ways. */
static void http1_client_echo_close(void)
{
    struct fix f;
    fix_up(&f, 32, 0, 1);
    struct wu_end cl;
    nst_time_t t0 = nst_world_now(f.l.w);
    wu_client_open(&cl, &f.l, WH_PORT, "/ws", NULL);
    CHECK(nst_world_run_until_cond(f.l.w, wu_opened, &cl, t0 + NST_SEC(2)));
    CHECK(cl.opened);
    CHECK_EQ(cl.t_open - t0, NST_MSEC(160) + 18976);
    CHECK_EQ(nst_ws_send(cl.ws, NST_WS_TEXT, "héllo", 6), 0);
    nst_world_run_for(f.l.w, NST_MSEC(100));
    CHECK_EQ(cl.nmsgs, 1);
    CHECK(cl.nmsgs == 1 && cl.msgs[0].len == 6 && memcmp(cl.msgs[0].data, "héllo", 6) == 0);
    CHECK(strcmp(nst_ws_path(f.h.c[0].ws), "/ws") == 0);
    CHECK_EQ(nst_ws_http_status(f.h.c[0].ws), 101);
    CHECK_EQ(nst_ws_close(cl.ws, NST_WS_NORMAL, "bye"), 0);
    CHECK(nst_world_run_until_cond(f.l.w, wu_closed, &cl, nst_world_now(f.l.w) + NST_SEC(3)));
    nst_world_run_for(f.l.w, NST_SEC(1));
    CHECK_EQ(cl.code, 1000);
    CHECK(f.h.c[0].closed);
    CHECK_EQ(f.h.c[0].code, 1000);
    CHECK_EQ(f.h.c[0].final.close_received[NST_WS_SLOT_1000], 1);
    wu_end_free(&cl);
    fix_down(&f);
}

/* RFC 6455 4.2.2: version 8 gets 426 with Sec-WebSocket-Version: 13; no
 * key gets 400. Both are ordinary answers: the same connection then gets
 * its page. Counted by the WebSocket and the HTTP server. */
static void http1_bad_handshakes(void)
{
    struct fix f;
    fix_up(&f, 33, 0, 1);
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, WH_PORT);
    char req[512];
    wu_upgrade_request(req, sizeof req, KEY, "8");
    ht_rawc_send(&c, req, strlen(req));
    CHECK(nst_world_run_until_cond(f.l.w, rawc_has, &c, nst_world_now(f.l.w) + NST_SEC(2)));
    nst_world_run_for(f.l.w, NST_MSEC(10));
    CHECK(strncmp(c.got, "HTTP/1.1 426 ", 13) == 0);
    CHECK(strstr(c.got, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
    CHECK(strstr(c.got, "\r\nUpgrade: websocket\r\n") != NULL);
    c.got_len = 0;
    memset(c.got, 0, sizeof c.got);
    const char *nokey = "GET /ws HTTP/1.1\r\nHost: l\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n";
    ht_rawc_send(&c, nokey, strlen(nokey));
    CHECK(nst_world_run_until_cond(f.l.w, rawc_has, &c, nst_world_now(f.l.w) + NST_SEC(2)));
    nst_world_run_for(f.l.w, NST_MSEC(10));
    CHECK(strncmp(c.got, "HTTP/1.1 400 ", 13) == 0);
    c.got_len = 0;
    memset(c.got, 0, sizeof c.got);
    const char *get = "GET / HTTP/1.1\r\nHost: london.lab\r\n\r\n";
    ht_rawc_send(&c, get, strlen(get));
    CHECK(nst_world_run_until_cond(f.l.w, rawc_has, &c, nst_world_now(f.l.w) + NST_SEC(2)));
    CHECK(strncmp(c.got, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(!c.eof);
    CHECK_EQ(f.h.shared.handshake_bad_version, 1);
    CHECK_EQ(f.h.shared.handshake_bad_request, 1);
    CHECK_EQ(f.h.refused, 2);
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.h.sv);
    CHECK_EQ(ss->status_4xx, 2);
    CHECK_EQ(ss->upgrades, 0);
    CHECK_EQ(ss->open, 1);
    ht_rawc_close(&c);
    fix_down(&f);
}

/* ---- HTTP/2 (RFC 8441) -------------------------------------------------------- */

struct h2c {
    struct nst_ws_h2 *c;
    struct wu_end e[4];
};

static int all_opened(void *arg)
{
    struct h2c *h = arg;
    for (int i = 0; i < 4; i++)
        if (!h->e[i].opened && !h->e[i].closed)
            return 0;
    return 1;
}

static void h2c_open(struct h2c *h, struct fix *f, int n, const struct nst_ws_config *cfg)
{
    memset(h, 0, sizeof *h);
    struct nst_stream *s = nst_stream_tcp(f->l.ny, tt_client_fd(&f->l, WH_PORT));
    CHECK(s != NULL);
    h->c = nst_ws_h2_new(s, "london.lab");
    CHECK(h->c != NULL);
    for (int i = 0; i < n; i++) {
        h->e[i].st = f->l.ny;
        h->e[i].ws = nst_ws_h2_open(h->c, "/ws", cfg, &wu_handler, &h->e[i]);
        CHECK(h->e[i].ws != NULL);
    }
    for (int i = n; i < 4; i++)
        h->e[i].opened = 1;
}

static void h2c_free(struct h2c *h)
{
    for (int i = 0; i < 4; i++)
        wu_end_free(&h->e[i]);
    nst_ws_h2_free(h->c);
}

/* Four WebSockets on one HTTP/2 connection: each opens one round trip
 * after TCP's (the CONNECTs wait for the server's SETTINGS, which come
 * with its first flight), echoes its own message, answers a ping; one
 * closes with 1000 (its stream ends, the others go on); the server drops
 * another (RST_STREAM CANCEL: 1006 at the client, and only there). */
static void http2_multiplexed(void)
{
    struct fix f;
    fix_up(&f, 34, 1, 1);
    struct h2c h;
    nst_time_t t0 = nst_world_now(f.l.w);
    h2c_open(&h, &f, 4, NULL);
    CHECK(nst_world_run_until_cond(f.l.w, all_opened, &h, t0 + NST_SEC(2)));
    for (int i = 0; i < 4; i++) {
        CHECK(h.e[i].opened);
        CHECK_EQ(h.e[i].t_open - t0, h.e[0].t_open - t0);
    }
    CHECK(h.e[0].t_open - t0 >= NST_MSEC(240) && h.e[0].t_open - t0 < NST_MSEC(241));
    CHECK_EQ(nst_ws_h2_state(h.c), 1);
    CHECK_EQ(f.h.n, 4);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(nst_ws_http_status(f.h.c[i].ws), 200);
        CHECK(strcmp(nst_ws_path(f.h.c[i].ws), "/ws") == 0);
    }
    const struct nst_http_server_stats *ss = nst_http_server_stats(f.h.sv);
    CHECK_EQ(ss->connections, 1);
    CHECK_EQ(ss->h2.connections, 1);
    CHECK_EQ(ss->h2.max_concurrent, 4);
    CHECK_EQ(ss->upgrades, 4);
    char msg[4][16];
    for (int i = 0; i < 4; i++) {
        snprintf(msg[i], sizeof msg[i], "stream %d", i);
        CHECK_EQ(nst_ws_send(h.e[i].ws, NST_WS_TEXT, msg[i], strlen(msg[i])), 0);
    }
    CHECK_EQ(nst_ws_ping(h.e[2].ws, "hi", 2), 0);
    nst_world_run_for(f.l.w, NST_MSEC(100));
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(h.e[i].nmsgs, 1);
        CHECK(h.e[i].nmsgs == 1 && h.e[i].msgs[0].len == strlen(msg[i]) &&
              memcmp(h.e[i].msgs[0].data, msg[i], strlen(msg[i])) == 0);
        CHECK(h.e[i].msgs[0].at - h.e[0].msgs[0].at < NST_USEC(10)); /* one flight each way */
    }
    CHECK_EQ(nst_ws_stats(h.e[2].ws)->pongs_in, 1);
    CHECK_EQ(nst_ws_stats(f.h.c[2].ws)->pings_in, 1);
    /* A close handshake on stream 0. */
    nst_time_t t = nst_world_now(f.l.w);
    CHECK_EQ(nst_ws_close(h.e[0].ws, NST_WS_NORMAL, "done"), 0);
    CHECK(nst_world_run_until_cond(f.l.w, wu_closed, &h.e[0], t + NST_SEC(3)));
    nst_world_run_for(f.l.w, NST_MSEC(100));
    CHECK_EQ(h.e[0].code, 1000);
    CHECK_EQ(h.e[0].err, 0);
    CHECK(h.e[0].t_close - t >= NST_MSEC(80) && h.e[0].t_close - t < NST_MSEC(81));
    CHECK(f.h.c[0].closed);
    CHECK_EQ(f.h.c[0].code, 1000);
    CHECK_EQ(f.h.c[0].err, 0);
    /* The server drops stream 1: RST_STREAM CANCEL. */
    nst_ws_free(f.h.c[1].ws);
    f.h.c[1].ws = NULL;
    t = nst_world_now(f.l.w);
    CHECK(nst_world_run_until_cond(f.l.w, wu_closed, &h.e[1], t + NST_SEC(1)));
    CHECK_EQ(h.e[1].code, NST_WS_ABNORMAL);
    CHECK_EQ(h.e[1].err, -ECONNRESET);
    CHECK(h.e[1].t_close - t >= NST_MSEC(40) && h.e[1].t_close - t < NST_MSEC(41));
    CHECK_EQ(nst_ws_h2_stats(h.c)->rst_recv, 1);
    /* Streams 2 and 3 are untouched. */
    CHECK(!h.e[2].closed && !h.e[3].closed);
    CHECK_EQ(nst_ws_send(h.e[3].ws, NST_WS_BINARY, "\x00\x01\x02", 3), 0);
    nst_world_run_for(f.l.w, NST_MSEC(100));
    CHECK_EQ(h.e[3].nmsgs, 2);
    CHECK(h.e[3].nmsgs == 2 && h.e[3].msgs[1].len == 3 && h.e[3].msgs[1].opcode == NST_WS_BINARY);
    CHECK_EQ(ss->h2.streams_open, 2);
    CHECK_EQ(ss->open, 1);
    h2c_free(&h);
    fix_down(&f);
}

/* A message of 3 MB each way through a 1 MiB stream window: the window
 * opens as the WebSocket reads, the bytes come back identical. */
static void http2_flow_control(void)
{
    struct fix f;
    fix_up(&f, 35, 1, 1);
    f.h.cfg.max_message = 4u << 20;
    struct nst_ws_config cc;
    nst_ws_config_default(&cc);
    cc.max_message = 4u << 20;
    struct h2c h;
    h2c_open(&h, &f, 1, &cc);
    CHECK(nst_world_run_until_cond(f.l.w, all_opened, &h, nst_world_now(f.l.w) + NST_SEC(2)));
    size_t len = 3u << 20;
    uint8_t *big = tt_pattern(len, 7);
    CHECK_EQ(nst_ws_send(h.e[0].ws, NST_WS_BINARY, big, len), 0);
    for (int i = 0; i < 200 && h.e[0].nmsgs < 1 && !h.e[0].closed; i++)
        nst_world_run_for(f.l.w, NST_MSEC(100));
    CHECK_EQ(h.e[0].nmsgs, 1);
    CHECK(h.e[0].nmsgs == 1 && h.e[0].msgs[0].len == len && memcmp(h.e[0].msgs[0].data, big, len) == 0);
    CHECK_EQ(f.h.c[0].nmsgs, 1);
    /* The connection serves on: a small echo. */
    CHECK_EQ(nst_ws_send(h.e[0].ws, NST_WS_TEXT, "after", 5), 0);
    nst_world_run_for(f.l.w, NST_MSEC(200));
    CHECK_EQ(h.e[0].nmsgs, 2);
    free(big);
    h2c_free(&h);
    fix_down(&f);
}

/* RFC 8441 3: a server whose SETTINGS do not allow extended CONNECT gets
 * none: the client fails its WebSockets with -EPROTONOSUPPORT, unsent. */
static void http2_server_without_setting(void)
{
    struct fix f;
    fix_up(&f, 36, 1, 0);
    struct h2c h;
    h2c_open(&h, &f, 2, NULL);
    CHECK(nst_world_run_until_cond(f.l.w, all_opened, &h, nst_world_now(f.l.w) + NST_SEC(2)));
    for (int i = 0; i < 2; i++) {
        CHECK(!h.e[i].opened);
        CHECK(h.e[i].closed);
        CHECK_EQ(h.e[i].code, NST_WS_ABNORMAL);
        CHECK_EQ(h.e[i].err, -EPROTONOSUPPORT);
    }
    CHECK_EQ(nst_ws_h2_state(h.c), -EPROTONOSUPPORT);
    CHECK(nst_ws_h2_open(h.c, "/ws", NULL, &wu_handler, &h.e[2]) == NULL);
    CHECK_EQ(nst_http_server_stats(f.h.sv)->h2.streams, 0);
    h2c_free(&h);
    fix_down(&f);
}

/* ---- a peer breaking RFC 8441 --------------------------------------------------- */

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, 0}

/* The preface, empty SETTINGS, and one HEADERS on stream 1 with nv. */
static size_t request(uint8_t *out, const nghttp2_nv *nv, size_t n)
{
    memcpy(out, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    size_t at = 24 + ht_h2_frame(out + 24, NGHTTP2_SETTINGS, 0, 0, NULL, 0);
    uint8_t hb[512];
    nghttp2_hd_deflater *d;
    CHECK_EQ(nghttp2_hd_deflate_new(&d, 4096), 0);
    ssize_t hl = nghttp2_hd_deflate_hd(d, hb, sizeof hb, nv, n);
    nghttp2_hd_deflate_del(d);
    CHECK(hl > 0);
    return at + ht_h2_frame(out + at, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1, hb, (size_t)hl);
}

/* What the server sent on stream 1: the RST_STREAM code (or -1), and
 * whether a HEADERS came (an answer). */
static long rst_code(const struct ht_rawc *c, int *headers)
{
    size_t at = 0;
    long code = -1;
    *headers = 0;
    while (at + 9 <= c->got_len) {
        const uint8_t *h = (const uint8_t *)c->got + at;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        uint32_t id = (uint32_t)(h[5] & 0x7f) << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8];
        if (at + 9 + len > c->got_len)
            break;
        if (h[3] == NGHTTP2_RST_STREAM && id == 1 && len == 4)
            code = (long)((uint32_t)h[9] << 24 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 8 | h[12]);
        if (h[3] == NGHTTP2_HEADERS && id == 1)
            *headers = 1;
        at += 9 + len;
    }
    return code;
}

/* Sends one request as raw frames; returns the RST_STREAM code on stream 1
 * (-1: none). The connection survives (no GOAWAY, still open). */
static long bad_request(uint64_t seed, int connect_protocol, const nghttp2_nv *nv, size_t n, int *headers)
{
    struct fix f;
    fix_up(&f, seed, 1, connect_protocol);
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, WH_PORT);
    uint8_t out[1024];
    ht_rawc_send(&c, out, request(out, nv, n));
    nst_world_run_for(f.l.w, NST_MSEC(200));
    long code = rst_code(&c, headers);
    CHECK(!c.eof && !c.err);
    CHECK_EQ(nst_http_server_stats(f.h.sv)->h2.goaway_sent, 0);
    CHECK_EQ(f.h.n, 0);
    ht_rawc_close(&c);
    fix_down(&f);
    return code;
}

static void http2_bad_input(void)
{
    int headers;
    /* RFC 8441 4: :protocol only with CONNECT; RFC 9113 8.1.1: malformed,
     * a stream error PROTOCOL_ERROR. */
    nghttp2_nv get_with_protocol[] = {NV(":method", "GET"), NV(":protocol", "websocket"), NV(":scheme", "http"),
                                      NV(":path", "/ws"), NV(":authority", "london.lab"),
                                      NV("sec-websocket-version", "13")};
    CHECK_EQ(bad_request(40, 1, get_with_protocol, 6, &headers), NGHTTP2_PROTOCOL_ERROR);
    CHECK(!headers);
    /* CONNECT with :path and :scheme but no :protocol: not a classic
     * CONNECT either (RFC 9113 8.5), malformed. */
    nghttp2_nv no_protocol[] = {NV(":method", "CONNECT"), NV(":scheme", "http"), NV(":path", "/ws"),
                                NV(":authority", "london.lab"), NV("sec-websocket-version", "13")};
    CHECK_EQ(bad_request(41, 1, no_protocol, 5, &headers), NGHTTP2_PROTOCOL_ERROR);
    CHECK(!headers);
    /* :protocol when our SETTINGS did not allow it (RFC 8441 3). */
    nghttp2_nv ext[] = {NV(":method", "CONNECT"), NV(":protocol", "websocket"), NV(":scheme", "http"),
                        NV(":path", "/ws"), NV(":authority", "london.lab"), NV("sec-websocket-version", "13")};
    CHECK_EQ(bad_request(42, 0, ext, 6, &headers), NGHTTP2_PROTOCOL_ERROR);
    CHECK(!headers);
    /* Version 8: answered (HEADERS 426), the stream ends, no reset. */
    nghttp2_nv v8[] = {NV(":method", "CONNECT"), NV(":protocol", "websocket"), NV(":scheme", "http"),
                       NV(":path", "/ws"), NV(":authority", "london.lab"), NV("sec-websocket-version", "8")};
    struct fix f;
    fix_up(&f, 43, 1, 1);
    struct ht_rawc c;
    ht_rawc_open(&c, &f.l, WH_PORT);
    uint8_t out[1024];
    ht_rawc_send(&c, out, request(out, v8, 6));
    nst_world_run_for(f.l.w, NST_MSEC(200));
    CHECK_EQ(rst_code(&c, &headers), -1);
    CHECK(headers);
    CHECK_EQ(f.h.shared.handshake_bad_version, 1);
    CHECK_EQ(f.h.refused, 1);
    CHECK_EQ(nst_http_server_stats(f.h.sv)->status_4xx, 1);
    ht_rawc_close(&c);
    fix_down(&f);
}

int main(void)
{
    RUN(http1_page_then_upgrade);
    RUN(http1_client_echo_close);
    RUN(http1_bad_handshakes);
    RUN(http2_multiplexed);
    RUN(http2_flow_control);
    RUN(http2_server_without_setting);
    RUN(http2_bad_input);
    return nst_test_done();
}
