/* What the HTTP fuzz targets (fuzz_http_conn.c, fuzz_h2.c) share: a
 * simulated world of two hosts, the server's test routes, and a raw peer
 * that sends the fuzzer's bytes in pieces and keeps the start of what
 * comes back. A header of static functions, so each target stays one
 * file for libFuzzer (CMake builds every tests/fuzz/fuzz_*.c on its own). */
#ifndef NST_TESTS_HTTP_FUZZ_WORLD_H
#define NST_TESTS_HTTP_FUZZ_WORLD_H

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
    /* the HTTP server under test and its routes' state */
    struct nst_http_server *sv;
    struct nst_app_timer *late;
    struct nst_http_exchange *late_x;
    uint8_t echo[256];
    size_t echo_len;
    uint64_t big_left;
    /* the raw side: its stack, connection, listener, what it received */
    struct nst_stack *raw;
    int fd, lfd;
    uint8_t got[512];
    size_t got_len;
    /* the HTTP client under test */
    struct nst_http_client *cl;
    int calls_done, last_err;
};

/* "/": a short reply. */
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

/* "POST /echo": the request body back (its first 256 bytes). */
static void h_echo(void *arg, struct nst_http_exchange *x)
{
    struct world *w = arg;
    w->echo_len = 0;
    struct nst_http_exchange_cbs cbs = {.on_body = echo_body, .on_end = echo_end};
    nst_http_exchange_set_cbs(x, &cbs, w);
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

/* "/late": answered 100 ms later (one at a time; others get 503). */
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

/* The raw side reads everything and keeps the first bytes in w->got. */
static void peer_read(void *arg, int fd, int ev)
{
    (void)ev;
    struct world *w = arg;
    uint8_t sink[4096];
    ssize_t n;
    while ((n = nst_recv(w->raw, fd, sink, sizeof sink, 0)) > 0) {
        size_t take = (size_t)n < sizeof w->got - w->got_len ? (size_t)n : sizeof w->got - w->got_len;
        memcpy(w->got + w->got_len, sink, take);
        w->got_len += take;
    }
}

static int world_up(struct world *x)
{
    memset(x, 0, sizeof *x);
    x->fd = x->lfd = -1;
    x->w = nst_world_new(7);
    x->srv = nst_world_add_host(x->w, "srv", NULL);
    x->peer = nst_world_add_host(x->w, "peer", NULL);
    return nst_world_connect(x->w, x->srv, SRV_ADDR, 24, x->peer, PEER_ADDR, 24, NULL) ? 0 : -1;
}

static void world_down(struct world *x)
{
    nst_http_client_free(x->cl);
    nst_http_server_free(x->sv);
    nst_app_timer_free(x->late);
    nst_world_free(x->w);
}

/* The server under test on srv:80 with "/", "POST /echo" and "/late";
 * the caller adds its own routes. Aborts when it cannot be built. */
static void server_up(struct world *x, const struct nst_http_server_config *c)
{
    int lfd = nst_socket(x->srv, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, 80};
    nst_bind(x->srv, lfd, &a);
    nst_listen(x->srv, lfd, 4);
    x->sv = nst_http_server_new(x->srv, lfd, NULL, c);
    x->late = nst_app_timer_new(x->srv, late_fire, x);
    if (!x->sv || !x->late)
        abort();
    nst_http_server_route(x->sv, NULL, "/", h_root, x);
    nst_http_server_route(x->sv, "POST", "/echo", h_echo, x);
    nst_http_server_route(x->sv, NULL, "/late", h_late, x);
}

/* The raw peer connects to the server and gets 5 ms to finish the handshake. */
static void peer_connect(struct world *x)
{
    x->raw = x->peer;
    x->fd = nst_socket(x->peer, NST_SOCK_STREAM);
    struct nst_sockaddr to = {SRV_ADDR, 80};
    nst_connect(x->peer, x->fd, &to);
    nst_socket_set_event_cb(x->peer, x->fd, peer_read, x);
    nst_world_run_for(x->w, NST_MSEC(5));
}

/* Sends d in `pieces` pieces 10 ms apart, then FIN if asked. */
static void send_pieces(struct world *x, struct nst_stack *st, int fd, const uint8_t *d, size_t len, int pieces,
                        int fin)
{
    size_t per = len / (size_t)pieces + 1;
    for (size_t off = 0; off < len; off += per) {
        size_t n = len - off < per ? len - off : per;
        nst_send(st, fd, d + off, n, 0); /* a full buffer drops the rest: fine for a fuzzer */
        nst_world_run_for(x->w, NST_MSEC(10));
    }
    if (fin)
        nst_shutdown(st, fd, NST_SHUT_WR);
}

static int server_settled(void *arg) { return nst_http_server_connections(((struct world *)arg)->sv) == 0; }

/* Runs until every server connection has ended; one that outlives every
 * timeout (60 virtual seconds) is a bug and aborts. */
static void wait_server_settled(struct world *x)
{
    if (!nst_world_run_until_cond(x->w, server_settled, x, nst_world_now(x->w) + NST_SEC(60)))
        abort();
}

#endif
