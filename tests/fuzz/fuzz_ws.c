/* libFuzzer target: a WebSocket server connection's input (src/app/ws.c,
 * wslay underneath).
 *
 * A simulated world of two hosts: the server runs nst_ws_server on port
 * 80; the peer is a plain TCP socket sending the fuzzer's bytes. The first
 * input byte picks:
 *   bit 0     send a valid Upgrade request first, so the rest are frames
 *             (else the input is the handshake itself)
 *   bit 1     the peer sends FIN after its bytes
 *   bit 2     a 64-byte message limit (else 1 MiB)
 *   bit 3     the server sends in 7-byte fragments and pings every 100 ms
 *             with a 50 ms pong deadline
 *   bits 5-7  the bytes go out in 1 + n pieces, 1 ms apart
 * then the world runs for 2 s (the close timeout is 1 s), and everything
 * is freed.
 *
 * What must hold besides no crash, leak or undefined behaviour: a close
 * code reported is one the API names, messages delivered are counted, a
 * text message delivered is valid UTF-8, nothing arrives after on_close.
 * Any violation aborts.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds] fuzz_ws. */
#include <errno.h>
#include <nstack/nstack.h>
#include <nstack/stream.h>
#include <nstack/ws.h>
#include <stdlib.h>
#include <string.h>

#include "app/ws_utf8.h"

#define SRV_ADDR NST_IP4(10, 0, 0, 1)
#define PEER_ADDR NST_IP4(10, 0, 0, 2)

struct world {
    struct nst_world *w;
    struct nst_stack *srv, *peer;
    int lfd;
    struct nst_ws *ws;
    struct nst_ws_config cfg;
    int closed;
    uint64_t delivered;
};

static void on_message(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    struct world *x = arg;
    if (x->closed || (opcode != NST_WS_TEXT && opcode != NST_WS_BINARY) || len > x->cfg.max_message)
        abort();
    if (opcode == NST_WS_TEXT && !nst_utf8_valid(data, len))
        abort();
    x->delivered++;
    nst_ws_send(ws, opcode, data, len); /* echo, exercising the send side */
}

static void on_close(void *arg, struct nst_ws *ws, int code)
{
    struct world *x = arg;
    if (x->closed++)
        abort();
    int ok = code == 1005 || code == 1006 || (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
             (code >= 3000 && code <= 4999);
    if (!ok || nst_ws_stats(ws)->msgs_in != x->delivered)
        abort();
}

static const struct nst_ws_handler handler = {NULL, on_message, on_close};

static void on_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct world *x = arg;
    if (!(ev & NST_EV_IN) || x->ws)
        return;
    int c = nst_accept(x->srv, x->lfd, NULL);
    if (c < 0)
        return;
    struct nst_stream *s = nst_stream_tcp(x->srv, c);
    if (!s || !(x->ws = nst_ws_server(s, &x->cfg, &handler, x))) {
        if (s)
            nst_stream_close(s);
        else
            nst_close(x->srv, c);
    }
}

static const char upgrade[] = "GET /fuzz HTTP/1.1\r\nHost: srv\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    struct world x;
    memset(&x, 0, sizeof(x));
    nst_ws_config_default(&x.cfg);
    x.cfg.close_timeout = NST_SEC(1);
    if (mode & 4)
        x.cfg.max_message = 64;
    if (mode & 8) {
        x.cfg.send_fragment = 7;
        x.cfg.ping_interval = NST_MSEC(100);
        x.cfg.pong_timeout = NST_MSEC(50);
    }
    x.w = nst_world_new(1);
    x.srv = nst_world_add_host(x.w, "srv", NULL);
    x.peer = nst_world_add_host(x.w, "peer", NULL);
    if (!nst_world_connect(x.w, x.srv, SRV_ADDR, 24, x.peer, PEER_ADDR, 24, NULL))
        abort();
    x.lfd = nst_socket(x.srv, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, 80};
    nst_bind(x.srv, x.lfd, &a);
    nst_listen(x.srv, x.lfd, 4);
    nst_socket_set_event_cb(x.srv, x.lfd, on_listener, &x);
    int fd = nst_socket(x.peer, NST_SOCK_STREAM);
    struct nst_sockaddr to = {SRV_ADDR, 80};
    nst_connect(x.peer, fd, &to);
    nst_world_run_for(x.w, NST_MSEC(10));
    if (mode & 1)
        nst_send(x.peer, fd, upgrade, sizeof(upgrade) - 1, 0);
    int pieces = 1 + (mode >> 5);
    size_t per = size / (size_t)pieces + 1, off = 0;
    while (off < size) {
        size_t n = size - off < per ? size - off : per;
        ssize_t w = nst_send(x.peer, fd, data + off, n, 0);
        if (w <= 0)
            break;
        off += (size_t)w;
        nst_world_run_for(x.w, NST_MSEC(1));
    }
    if (mode & 2)
        nst_shutdown(x.peer, fd, NST_SHUT_WR);
    /* Drain what the server sends so its window stays open. */
    for (int i = 0; i < 20; i++) {
        uint8_t sink[4096];
        while (nst_recv(x.peer, fd, sink, sizeof(sink), 0) > 0)
            ;
        nst_world_run_for(x.w, NST_MSEC(100));
    }
    nst_ws_free(x.ws);
    nst_close(x.peer, fd);
    nst_close(x.srv, x.lfd);
    nst_world_free(x.w);
    return 0;
}
