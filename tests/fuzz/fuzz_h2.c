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
 * 100 ms later, "/big" 100,000 bytes through the flow-control windows.
 *
 * What must hold besides no crash, leak or undefined behaviour: every
 * server connection ends (a GOAWAY for bad input, the idle timeout
 * otherwise); after a preface, what the server sent starts with its
 * SETTINGS frame. Any violation aborts.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds] fuzz_h2. */
#include "http_fuzz_world.h"

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
    peer_connect(&x);
    if (!raw)
        nst_send(x.peer, x.fd, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24, 0);
    send_pieces(&x, x.peer, x.fd, data, size, pieces, fin);
    wait_server_settled(&x); /* a connection outlived every timeout: abort */
    /* RFC 9113 3.4: the server's preface is a SETTINGS frame (type 4 on stream 0). */
    if (!raw && x.got_len >= 9 && (x.got[3] != 4 || x.got[5] | x.got[6] | x.got[7] | x.got[8]))
        abort();
    nst_close(x.peer, x.fd);
    world_down(&x);
    return 0;
}
