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
#include <nstack/http.h>
#include <nstack/nstack.h>
#include <nstack/timer.h>
#include <stdlib.h>
#include <string.h>

#define SRV_ADDR NST_IP4(10, 0, 0, 1)
#define PEER_ADDR NST_IP4(10, 0, 0, 2)

struct world {
    struct nst_world *w;
    struct nst_stack *srv, *peer;
    struct nst_http_server *sv;
    struct nst_app_timer *late;
    struct nst_http_exchange *late_x;
    uint8_t echo[256];
    size_t echo_len;
    uint64_t big_left;
    int fd;
    uint8_t got[512];
    size_t got_len;
};

static void h_root(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    nst_http_reply(x, 200, "text/plain", "ok\n", 3);
}

static void echo_body(void *arg, struct nst_http_exchange *x, const uint8_t *d, size_t n)
{
    (void)x;
    struct world *w = arg;
    size_t take = n < sizeof w->echo - w->echo_len ? n : sizeof w->echo - w->echo_len;
    memcpy(w->echo + w->echo_len, d, take);
    w->echo_len += take;
}

static void echo_end(void *arg, struct nst_http_exchange *x)
{
    struct world *w = arg;
    nst_http_reply(x, 200, NULL, w->echo, w->echo_len);
}

static void h_echo(void *arg, struct nst_http_exchange *x)
{
    struct world *w = arg;
    w->echo_len = 0;
    struct nst_http_exchange_cbs cbs = {.on_body = echo_body, .on_end = echo_end};
    nst_http_exchange_set_cbs(x, &cbs, w);
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

static void late_fire(void *arg, struct nst_app_timer *t)
{
    (void)t;
    struct world *w = arg;
    if (w->late_x)
        nst_http_reply(w->late_x, 200, NULL, "late\n", 5);
    w->late_x = NULL;
}

static void late_abort(void *arg, struct nst_http_exchange *x)
{
    (void)x;
    ((struct world *)arg)->late_x = NULL;
}

static void h_late(void *arg, struct nst_http_exchange *x)
{
    struct world *w = arg;
    if (w->late_x) {
        nst_http_reply(x, 503, NULL, "", 0);
        return;
    }
    w->late_x = x;
    struct nst_http_exchange_cbs cbs = {.on_abort = late_abort};
    nst_http_exchange_set_cbs(x, &cbs, w);
    nst_app_timer_arm(w->late, nst_stack_now(w->srv) + NST_MSEC(100));
}

static void peer_read(void *arg, int fd, int ev)
{
    (void)ev;
    struct world *w = arg;
    uint8_t sink[4096];
    ssize_t n;
    while ((n = nst_recv(w->peer, fd, sink, sizeof sink, 0)) > 0) {
        size_t take = (size_t)n < sizeof w->got - w->got_len ? (size_t)n : sizeof w->got - w->got_len;
        memcpy(w->got + w->got_len, sink, take);
        w->got_len += take;
    }
}

static int server_settled(void *arg) { return nst_http_server_connections(((struct world *)arg)->sv) == 0; }

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
    memset(&x, 0, sizeof x);
    x.w = nst_world_new(7);
    x.srv = nst_world_add_host(x.w, "srv", NULL);
    x.peer = nst_world_add_host(x.w, "peer", NULL);
    if (!nst_world_connect(x.w, x.srv, SRV_ADDR, 24, x.peer, PEER_ADDR, 24, NULL))
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
    int lfd = nst_socket(x.srv, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, 80};
    nst_bind(x.srv, lfd, &a);
    nst_listen(x.srv, lfd, 4);
    x.sv = nst_http_server_new(x.srv, lfd, NULL, &c);
    x.late = nst_app_timer_new(x.srv, late_fire, &x);
    if (!x.sv || !x.late)
        abort();
    nst_http_server_route(x.sv, NULL, "/", h_root, &x);
    nst_http_server_route(x.sv, "POST", "/echo", h_echo, &x);
    nst_http_server_route(x.sv, NULL, "/late", h_late, &x);
    nst_http_server_route(x.sv, NULL, "/big", h_big, &x);
    x.fd = nst_socket(x.peer, NST_SOCK_STREAM);
    struct nst_sockaddr to = {SRV_ADDR, 80};
    nst_connect(x.peer, x.fd, &to);
    nst_socket_set_event_cb(x.peer, x.fd, peer_read, &x);
    nst_world_run_for(x.w, NST_MSEC(5));
    if (!raw)
        nst_send(x.peer, x.fd, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24, 0);
    size_t per = size / (size_t)pieces + 1;
    for (size_t off = 0; off < size; off += per) {
        size_t n = size - off < per ? size - off : per;
        nst_send(x.peer, x.fd, data + off, n, 0); /* a full buffer drops the rest: fine for a fuzzer */
        nst_world_run_for(x.w, NST_MSEC(10));
    }
    if (fin)
        nst_shutdown(x.peer, x.fd, NST_SHUT_WR);
    if (!nst_world_run_until_cond(x.w, server_settled, &x, nst_world_now(x.w) + NST_SEC(60)))
        abort(); /* a connection outlived every timeout */
    /* RFC 9113 3.4: the server's preface is a SETTINGS frame (type 4 on stream 0). */
    if (!raw && x.got_len >= 9 && (x.got[3] != 4 || x.got[5] | x.got[6] | x.got[7] | x.got[8]))
        abort();
    nst_close(x.peer, x.fd);
    nst_http_server_free(x.sv);
    nst_app_timer_free(x.late);
    nst_world_free(x.w);
    return 0;
}
