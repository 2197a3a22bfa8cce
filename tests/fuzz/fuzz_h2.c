/* libFuzzer target: the HTTP server's HTTP/2 connections (src/app/h2_*.c
 * and nghttp2 behind them), over TCP on a simulated world of two hosts.
 *
 * The first input byte picks:
 *   bit 0     0: a valid client preface (RFC 9113 3.4) goes first, so the
 *             fuzzer's bytes are frames; 1: the bytes go as they are (the
 *             server decides between HTTP/2 and HTTP/1.1 on them)
 *   bit 1     the peer sends FIN after its bytes
 *   bit 2     small windows and limits (stream and connection windows
 *             65,535, 2 concurrent streams, 1 KiB per-stream output)
 *   bits 5-7  the bytes go out in 1 + n pieces, 10 ms apart
 * Routes: "/" a reply, "/echo" the request body back, "/late" answered
 * 100 ms later, "/big" 100,000 bytes through the flow-control windows,
 * "/ws" a WebSocket over an RFC 8441 extended CONNECT (echo; pings every
 * 500 ms with a 1 s deadline end it once the peer is quiet, so that its
 * connection can end too).
 *
 * What must hold besides no crash, leak or undefined behaviour: every
 * server connection ends (a GOAWAY for bad input, the idle timeout
 * otherwise); after a preface, what the server sent starts with its
 * SETTINGS frame. Any violation aborts.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds] fuzz_h2. */
#include "http_fuzz_world.h"

#include <nstack/ws.h>

#define FUZZ_WS_MAX 8
static struct nst_ws *fuzz_ws[FUZZ_WS_MAX]; /* this run's WebSockets still open */

static void ws_message(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    (void)arg;
    nst_ws_send(ws, opcode, data, len);
}

static void ws_close(void *arg, struct nst_ws *ws, int code)
{
    (void)code;
    fuzz_ws[(intptr_t)arg] = NULL;
    nst_ws_free(ws);
}

static void h_ws(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static const struct nst_ws_handler h = {NULL, ws_message, ws_close};
    intptr_t slot = 0;
    while (slot < FUZZ_WS_MAX && fuzz_ws[slot])
        slot++;
    if (slot == FUZZ_WS_MAX) {
        nst_http_reply(x, 503, NULL, "", 0);
        return;
    }
    struct nst_ws_config c;
    nst_ws_config_default(&c);
    c.max_message = 4096;
    c.ping_interval = NST_MSEC(500);
    c.pong_timeout = NST_SEC(1);
    c.close_timeout = NST_SEC(1);
    fuzz_ws[slot] = nst_ws_upgrade(x, &c, &h, (void *)slot);
}

static void big_more(void *arg, struct nst_http_exchange *x)
{
    struct world *w = arg;
    static const uint8_t block[4096];
    while (w->big_left) {
        ssize_t n = nst_http_write(x, block, w->big_left < sizeof block ? (size_t)w->big_left : sizeof block);
        if (n <= 0)
            return;
        w->big_left -= (uint64_t)n;
    }
    nst_http_end(x);
}

static void h_big(void *arg, struct nst_http_exchange *x)
{
    struct world *w = arg;
    if (w->big_left) {
        nst_http_reply(x, 503, NULL, "", 0);
        return;
    }
    w->big_left = 100000;
    struct nst_http_exchange_cbs cbs = {.on_writable = big_more};
    nst_http_exchange_set_cbs(x, &cbs, w);
    nst_http_respond(x, 200, NULL, 0, 100000);
    big_more(w, x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    uint8_t mode = data[0];
    int raw = mode & 1, fin = (mode >> 1) & 1, small = (mode >> 2) & 1, pieces = 1 + (mode >> 5);
    data++;
    size--;
    struct world x;
    if (world_up(&x) < 0)
        abort();
    struct nst_http_server_config c;
    nst_http_server_config_default(&c);
    c.proto = NST_HTTP_PROTO_HTTP2;
    c.header_timeout = c.body_timeout = c.idle_timeout = NST_SEC(2);
    if (small) {
        c.h2.stream_window = c.h2.conn_window = 65535;
        c.h2.max_concurrent_streams = 2;
        c.out_limit = 1024;
    }
    server_up(&x, &c);
    nst_http_server_route(x.sv, NULL, "/big", h_big, &x);
    nst_http_server_route(x.sv, NULL, "/ws", h_ws, &x);
    peer_connect(&x);
    if (!raw)
        nst_send(x.peer, x.fd, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24, 0);
    send_pieces(&x, x.peer, x.fd, data, size, pieces, fin);
    wait_server_settled(&x); /* a connection outlived every timeout: abort */
    /* RFC 9113 3.4: the server's preface is a SETTINGS frame (type 4 on stream 0). */
    if (!raw && x.got_len >= 9 && (x.got[3] != 4 || x.got[5] | x.got[6] | x.got[7] | x.got[8]))
        abort();
    nst_close(x.peer, x.fd);
    for (int i = 0; i < FUZZ_WS_MAX; i++) {
        nst_ws_free(fuzz_ws[i]);
        fuzz_ws[i] = NULL;
    }
    world_down(&x);
    return 0;
}
