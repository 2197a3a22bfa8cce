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
#include "http_fuzz_world.h"
#include <errno.h>

static void h_chunked(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    nst_http_respond(x, 200, NULL, 0, -1);
    nst_http_write(x, "abc", 3);
    nst_http_write(x, "defgh", 5);
    nst_http_end(x);
}

/* Client mode: the raw server accepts one connection and reads it. */
static void raw_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct world *w = arg;
    if (!(ev & NST_EV_IN) || w->fd >= 0)
        return;
    w->fd = nst_accept(w->srv, w->lfd, NULL);
    w->raw = w->srv;
    if (w->fd >= 0)
        nst_socket_set_event_cb(w->srv, w->fd, peer_read, w);
}

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
    server_up(&x, &c);
    nst_http_server_route(x.sv, NULL, "/chunked", h_chunked, &x);
    peer_connect(&x);
    send_pieces(&x, x.peer, x.fd, d, len, pieces, fin);
    wait_server_settled(&x); /* a connection outlived every timeout: abort */
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
