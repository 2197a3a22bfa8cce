/* libFuzzer target: the HTTP server's connection handling and the HTTP
 * client's response handling (src/app/http_server.c, http_client.c,
 * http_pool.c), over TCP on a simulated world of two hosts.
 *
 * The first input byte picks:
 *   bit 0     0: the fuzzer's bytes are requests to nstack's HTTP server
 *             (routes: "/" a reply, "/echo" the body back, "/chunked" a
 *             streamed body, "/late" answered 100 ms later); 1: they are
 *             the response a raw server sends to nstack's HTTP client,
 *             which sends a GET (bit 4: HEAD) and then a second request on
 *             the pooled connection if the first succeeded
 *   bit 1     the peer sends FIN after its bytes
 *   bits 2-3  the server's/client's limits: default, or small (64-byte
 *             head, 16-byte body)
 *   bits 5-7  the bytes go out in 1 + n pieces, 10 ms apart
 * then the world runs (at most 60 virtual seconds) until it settles.
 *
 * What must hold besides no crash, leak or undefined behaviour: every
 * server connection ends (the header, body and idle timeouts guarantee
 * it); what the server sent starts with "HTTP/1.1 "; every client call ends
 * with 0 or one of http.h's errors, and the client holds no connection
 * that is not pooled. Any violation aborts.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds] fuzz_http_conn. */
#include <errno.h>
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
    /* server mode */
    struct nst_http_server *sv;
    struct nst_app_timer *late;
    struct nst_http_exchange *late_x;
    uint8_t echo[256];
    size_t echo_len;
    /* the raw side */
    int fd, lfd;
    uint8_t got[512];
    size_t got_len;
    /* client mode */
    struct nst_http_client *cl;
    int calls_done, last_err;
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

static void h_chunked(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    nst_http_respond(x, 200, NULL, 0, -1);
    nst_http_write(x, "abc", 3);
    nst_http_write(x, "defgh", 5);
    nst_http_end(x);
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

/* Client mode: the raw server accepts one connection and reads it. */
static void raw_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct world *w = arg;
    if (!(ev & NST_EV_IN) || w->fd >= 0)
        return;
    w->fd = nst_accept(w->srv, w->lfd, NULL);
    if (w->fd >= 0)
        nst_socket_set_event_cb(w->srv, w->fd, peer_read, w);
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

static void fuzz_server(const uint8_t *d, size_t len, int small, int pieces, int fin)
{
    struct world x;
    if (world_up(&x) < 0)
        abort();
    struct nst_http_server_config c;
    nst_http_server_config_default(&c);
    c.header_timeout = c.body_timeout = c.idle_timeout = NST_SEC(2);
    if (small) {
        c.max_head = 64;
        c.max_body = 16;
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
    nst_http_server_route(x.sv, NULL, "/chunked", h_chunked, &x);
    nst_http_server_route(x.sv, NULL, "/late", h_late, &x);
    x.fd = nst_socket(x.peer, NST_SOCK_STREAM);
    struct nst_sockaddr to = {SRV_ADDR, 80};
    nst_connect(x.peer, x.fd, &to);
    nst_socket_set_event_cb(x.peer, x.fd, peer_read, &x);
    nst_world_run_for(x.w, NST_MSEC(5));
    send_pieces(&x, x.peer, x.fd, d, len, pieces, fin);
    if (!nst_world_run_until_cond(x.w, server_settled, &x, nst_world_now(x.w) + NST_SEC(60)))
        abort(); /* a connection outlived every timeout */
    if (x.got_len && (x.got_len < 9 || memcmp(x.got, "HTTP/1.1 ", 9)))
        abort();
    nst_close(x.peer, x.fd);
    world_down(&x);
}

static void call_done(void *arg, struct nst_http_call *c, int err)
{
    (void)c;
    struct world *w = arg;
    w->calls_done++;
    w->last_err = err;
    switch (err) {
    case 0:
    case NST_HTTP_E_RESPONSE_TIMEOUT:
    case NST_HTTP_E_READ_TIMEOUT:
    case NST_HTTP_E_BAD_RESPONSE:
    case NST_HTTP_E_CLOSED:
    case NST_HTTP_E_DEADLINE:
    case NST_HTTP_E_CANCELLED:
    case -ECONNRESET:
    case -EPIPE:
        return;
    default:
        abort();
    }
}

static int calls_settled(void *arg)
{
    struct world *w = arg;
    return w->calls_done == 2;
}

static void fuzz_client(const uint8_t *d, size_t len, int small, int pieces, int fin, int head)
{
    struct world x;
    if (world_up(&x) < 0)
        abort();
    x.lfd = nst_socket(x.srv, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, 80};
    nst_bind(x.srv, x.lfd, &a);
    nst_listen(x.srv, x.lfd, 4);
    nst_socket_set_event_cb(x.srv, x.lfd, raw_listener, &x);
    struct nst_http_client_config c;
    nst_http_client_config_default(&c);
    c.response_timeout = c.read_timeout = NST_SEC(2);
    c.deadline = NST_SEC(20);
    c.max_per_origin = 1; /* the second request waits for the first one's connection */
    if (small) {
        c.max_head = 64;
        c.max_body = 16;
    }
    x.cl = nst_http_client_new(x.peer, &c);
    struct nst_http_client_request r = {.method = head ? "HEAD" : "GET", .scheme = "http",
                                        .addr = {SRV_ADDR, 80}, .host = "srv", .target = "/"};
    static const struct nst_http_call_cbs cbs = {NULL, NULL, call_done};
    if (!x.cl || nst_http_request_send(x.cl, &r, &cbs, &x, NULL) || nst_http_request_send(x.cl, &r, &cbs, &x, NULL))
        abort();
    nst_world_run_for(x.w, NST_MSEC(5));
    if (x.fd >= 0)
        send_pieces(&x, x.srv, x.fd, d, len, pieces, fin);
    nst_world_run_until_cond(x.w, calls_settled, &x, nst_world_now(x.w) + NST_SEC(60));
    if (!calls_settled(&x))
        abort(); /* a call outlived its timeouts */
    const struct nst_http_client_stats *s = nst_http_client_stats(x.cl);
    if (s->responses + s->failures != (uint64_t)x.calls_done || s->open < s->pooled)
        abort();
    if (x.fd >= 0)
        nst_close(x.srv, x.fd);
    nst_close(x.srv, x.lfd);
    world_down(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    uint8_t mode = data[0];
    int client = mode & 1, fin = (mode >> 1) & 1, small = (mode >> 2) & 3, head = (mode >> 4) & 1,
        pieces = 1 + (mode >> 5);
    if (client)
        fuzz_client(data + 1, size - 1, small == 1, pieces, fin, head);
    else
        fuzz_server(data + 1, size - 1, small == 1, pieces, fin);
    return 0;
}
