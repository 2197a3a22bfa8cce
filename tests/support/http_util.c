/* Helpers for the HTTP tests on the simulator: see http_util.h. Setup
 * failures abort; what a test asserts, it asserts itself. */
#include "support/http_util.h"

#include <nstack/timer.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                  \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: HTTP test setup failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* ---- the nstack server and its routes ---------------------------------- */

static void h_hello(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    nst_http_reply(x, 200, "text/plain", "hello\n", 6);
}

static void h_chunked(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    nst_http_respond(x, 200, NULL, 0, -1);
    nst_http_write(x, "one,", 4);
    nst_http_write(x, "two,", 4);
    nst_http_write(x, "three", 5);
    nst_http_end(x);
}

#define BIG_LEN 200000
struct big_state {
    uint64_t sent;
};
static struct big_state big_states[16];

static void big_more(void *arg, struct nst_http_exchange *x)
{
    struct big_state *b = arg;
    static uint8_t block[8192];
    while (b->sent < BIG_LEN) {
        size_t n = BIG_LEN - b->sent < sizeof block ? (size_t)(BIG_LEN - b->sent) : sizeof block;
        for (size_t i = 0; i < n; i++)
            block[i] = (uint8_t)((b->sent + i) * 7);
        ssize_t w = nst_http_write(x, block, n);
        if (w <= 0)
            return;
        b->sent += (uint64_t)w;
    }
    nst_http_end(x);
}

static void h_big(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static unsigned next;
    struct big_state *b = &big_states[next++ % 16];
    b->sent = 0;
    struct nst_http_exchange_cbs cbs = {.on_writable = big_more};
    nst_http_exchange_set_cbs(x, &cbs, b);
    nst_http_respond(x, 200, NULL, 0, BIG_LEN);
    big_more(b, x);
}

struct echo_state {
    uint8_t buf[65536];
    size_t len;
};
static struct echo_state echo_states[8];

static void echo_body(void *arg, struct nst_http_exchange *x, const uint8_t *d, size_t n)
{
    (void)x;
    struct echo_state *e = arg;
    if (e->len + n <= sizeof e->buf) {
        memcpy(e->buf + e->len, d, n);
        e->len += n;
    }
}

static void echo_end(void *arg, struct nst_http_exchange *x)
{
    struct echo_state *e = arg;
    nst_http_reply(x, 200, "application/octet-stream", e->buf, e->len);
}

static void h_echo(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static unsigned next;
    struct echo_state *e = &echo_states[next++ % 8];
    e->len = 0;
    struct nst_http_exchange_cbs cbs = {.on_body = echo_body, .on_end = echo_end};
    nst_http_exchange_set_cbs(x, &cbs, e);
}

static void hung_abort(void *arg, struct nst_http_exchange *x)
{
    (void)x;
    struct ht_server *h = arg;
    h->hung = NULL;
    h->hung_aborted++;
}

static void h_hang(void *arg, struct nst_http_exchange *x)
{
    struct ht_server *h = arg;
    h->hung = x;
    struct nst_http_exchange_cbs cbs = {.on_abort = hung_abort};
    nst_http_exchange_set_cbs(x, &cbs, h);
}

static void slow_fire(void *arg, struct nst_app_timer *t)
{
    struct ht_slow *sl = arg;
    (void)t;
    if (sl->x)
        nst_http_reply(sl->x, 200, "text/plain", "slow\n", 5);
    sl->x = NULL;
}

static void slow_abort(void *arg, struct nst_http_exchange *x)
{
    (void)x;
    struct ht_slow *sl = arg;
    sl->x = NULL;
}

static void h_slow(void *arg, struct nst_http_exchange *x)
{
    struct ht_server *h = arg;
    struct ht_slow *sl = &h->slow[h->nslow++ % HT_SLOW];
    REQUIRE(sl->x == NULL);
    sl->x = x;
    struct nst_http_exchange_cbs cbs = {.on_abort = slow_abort};
    nst_http_exchange_set_cbs(x, &cbs, sl);
    nst_app_timer_arm(sl->timer, nst_stack_now(h->st) + NST_MSEC(500));
}

void ht_server_start(struct ht_server *h, struct nst_stack *st, uint16_t port, struct nst_tls_ctx *tls,
                     const struct nst_http_server_config *cfg)
{
    memset(h, 0, sizeof *h);
    h->st = st;
    int lfd = nst_socket(st, NST_SOCK_STREAM);
    int one = 1;
    nst_setsockopt(st, lfd, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof one);
    struct nst_sockaddr a = {0, port};
    REQUIRE(nst_bind(st, lfd, &a) == 0);
    REQUIRE(nst_listen(st, lfd, 64) == 0);
    h->sv = nst_http_server_new(st, lfd, tls, cfg);
    REQUIRE(h->sv != NULL);
    for (int i = 0; i < HT_SLOW; i++)
        h->slow[i].timer = nst_app_timer_new(st, slow_fire, &h->slow[i]);
    REQUIRE(nst_http_server_route(h->sv, NULL, "/", h_hello, h) == 0);
    REQUIRE(nst_http_server_route(h->sv, NULL, "/chunked", h_chunked, h) == 0);
    REQUIRE(nst_http_server_route(h->sv, NULL, "/big", h_big, h) == 0);
    REQUIRE(nst_http_server_route(h->sv, "POST", "/echo", h_echo, h) == 0);
    REQUIRE(nst_http_server_route(h->sv, NULL, "/hang", h_hang, h) == 0);
    REQUIRE(nst_http_server_route(h->sv, NULL, "/slow", h_slow, h) == 0);
}

void ht_server_stop(struct ht_server *h)
{
    nst_http_server_free(h->sv);
    for (int i = 0; i < HT_SLOW; i++)
        nst_app_timer_free(h->slow[i].timer);
}

/* ---- client calls ------------------------------------------------------ */

static void rec_head(void *arg, struct nst_http_call *c, const struct nst_http_response *resp)
{
    (void)c;
    struct ht_call *r = arg;
    r->heads++;
    r->status = resp->status;
    r->content_length = resp->content_length;
}

static void rec_body(void *arg, struct nst_http_call *c, const uint8_t *d, size_t n)
{
    (void)c;
    struct ht_call *r = arg;
    size_t keep = sizeof r->body - r->body_len < n ? sizeof r->body - r->body_len : n;
    memcpy(r->body + r->body_len, d, keep);
    r->body_len += keep;
    r->body_total += n;
}

static void rec_done(void *arg, struct nst_http_call *c, int err)
{
    struct ht_call *r = arg;
    r->done = 1;
    r->err = err;
    r->t = *nst_http_call_timing(c);
    snprintf(r->why, sizeof r->why, "%s", nst_http_call_why(c));
    r->c = NULL;
}

int ht_send(struct nst_http_client *cl, struct ht_call *r, const char *scheme, uint16_t port, const char *method,
            const char *target, const char *body, int close)
{
    memset(r, 0, sizeof *r);
    struct nst_http_client_request req = {.method = method, .scheme = scheme,
                                          .addr = {NST_LAB_LONDON_ADDR, port}, .host = "london.lab",
                                          .target = target, .body = body, .body_len = body ? strlen(body) : 0,
                                          .close = close};
    static const struct nst_http_call_cbs cbs = {rec_head, rec_body, rec_done};
    return nst_http_request_send(cl, &req, &cbs, r, &r->c);
}

int ht_call_done(void *arg) { return ((struct ht_call *)arg)->done; }

void ht_do(struct tt_lab *l, struct nst_http_client *cl, struct ht_call *r, const char *method, const char *target)
{
    REQUIRE(ht_send(cl, r, "http", HT_PORT, method, target, NULL, 0) == 0);
    nst_world_run_until_cond(l->w, ht_call_done, r, nst_world_now(l->w) + NST_SEC(60));
}

/* ---- the raw server ---------------------------------------------------- */

static void raw_conn_event(void *arg, int fd, int ev);

static void raw_answer(struct ht_raw *r, int k)
{
    int req = r->c[k].reqs++;
    const struct ht_raw_step *s = req < HT_RAW_REQS ? &r->script[k][req] : NULL;
    if (!s || (!s->bytes && s->close)) {
        nst_close(r->st, r->c[k].fd);
        r->c[k].closed = 1;
        return;
    }
    if (s->bytes)
        REQUIRE(nst_send(r->st, r->c[k].fd, s->bytes, strlen(s->bytes), 0) == (ssize_t)strlen(s->bytes));
    if (s->close) {
        nst_close(r->st, r->c[k].fd);
        r->c[k].closed = 1;
    }
}

static void raw_conn_event(void *arg, int fd, int ev)
{
    (void)ev;
    struct ht_raw *r = arg;
    int k = 0;
    while (k < r->n && (r->c[k].fd != fd || r->c[k].closed)) /* fds are reused after close */
        k++;
    if (k == r->n || r->c[k].closed)
        return;
    char buf[4096];
    ssize_t n;
    while ((n = nst_recv(r->st, fd, buf, sizeof buf, 0)) > 0) {
        for (ssize_t i = 0; i < n && !r->c[k].closed; i++) {
            memmove(r->c[k].tail, r->c[k].tail + 1, 3);
            r->c[k].tail[3] = buf[i];
            if (!memcmp(r->c[k].tail, "\r\n\r\n", 4))
                raw_answer(r, k);
        }
        if (r->c[k].closed)
            return;
    }
}

static void raw_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct ht_raw *r = arg;
    if (!(ev & NST_EV_IN))
        return;
    int cfd;
    while ((cfd = nst_accept(r->st, r->lfd, NULL)) >= 0) {
        REQUIRE(r->n < HT_RAW_CONNS);
        r->c[r->n].fd = cfd;
        r->n++;
        REQUIRE(nst_socket_set_event_cb(r->st, cfd, raw_conn_event, r) == 0);
        raw_conn_event(r, cfd, NST_EV_IN);
    }
}

void ht_raw_start(struct ht_raw *r, struct nst_stack *st, uint16_t port)
{
    memset(r, 0, sizeof *r);
    r->st = st;
    r->lfd = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, port};
    REQUIRE(nst_bind(st, r->lfd, &a) == 0);
    REQUIRE(nst_listen(st, r->lfd, 16) == 0);
    REQUIRE(nst_socket_set_event_cb(st, r->lfd, raw_listener, r) == 0);
}

void ht_raw_stop(struct ht_raw *r)
{
    for (int k = 0; k < r->n; k++)
        if (!r->c[k].closed)
            nst_close(r->st, r->c[k].fd);
    nst_close(r->st, r->lfd);
}

/* ---- the raw client ---------------------------------------------------- */

static void rawc_event(void *arg, int fd, int ev)
{
    (void)fd;
    (void)ev;
    struct ht_rawc *c = arg;
    for (;;) {
        char sink[4096];
        size_t room = sizeof c->got - c->got_len;
        ssize_t n = nst_recv(c->st, c->fd, room ? c->got + c->got_len : sink, room ? room : sizeof sink, 0);
        if (n > 0) {
            if (room)
                c->got_len += (size_t)n;
            continue;
        }
        if (n == 0 && !c->eof) {
            c->eof = 1;
            c->t_eof = nst_stack_now(c->st);
        } else if (n < 0 && n != -EAGAIN && !c->err) {
            c->err = (int)n;
            c->t_eof = nst_stack_now(c->st);
        }
        break;
    }
}

void ht_rawc_open(struct ht_rawc *c, struct tt_lab *l, uint16_t port)
{
    memset(c, 0, sizeof *c);
    c->st = l->ny;
    c->fd = tt_client_fd(l, port);
    REQUIRE(nst_socket_set_event_cb(c->st, c->fd, rawc_event, c) == 0);
    REQUIRE(nst_world_run_until_events(l->w, c->st, c->fd, NST_EV_OUT, nst_world_now(l->w) + NST_SEC(5)));
}

void ht_rawc_send(struct ht_rawc *c, const void *data, size_t len)
{
    REQUIRE(nst_send(c->st, c->fd, data, len, 0) == (ssize_t)len);
}

int ht_rawc_eof(void *arg)
{
    struct ht_rawc *c = arg;
    return c->eof || c->err;
}

void ht_rawc_close(struct ht_rawc *c) { nst_close(c->st, c->fd); }

/* ---- the raw TLS client -------------------------------------------------- */

static void tlsc_event(void *arg, struct nst_stream *s, int ev)
{
    (void)ev;
    struct ht_tlsc *c = arg;
    while (c->sent < c->out_len) {
        ssize_t w = nst_stream_write(s, (const char *)c->out + c->sent, c->out_len - c->sent);
        if (w <= 0)
            break;
        c->sent += (size_t)w;
    }
    for (;;) {
        char sink[4096];
        size_t room = sizeof c->got - c->got_len;
        ssize_t r = nst_stream_read(s, room ? c->got + c->got_len : sink, room ? room : sizeof sink);
        if (r > 0) {
            c->got_len += room ? (size_t)r : 0;
            c->got_total += (size_t)r;
            continue;
        }
        if (r == 0 && !c->eof) {
            c->eof = 1;
            c->t_eof = nst_stack_now(nst_stream_stack(s));
        } else if (r < 0 && r != -EAGAIN && !c->err) {
            c->err = (int)r;
        }
        break;
    }
    if (c->eof && c->answer_close && !c->shut) {
        c->shut = 1;
        REQUIRE(nst_stream_shutdown(s) == 0);
    }
}

void ht_tlsc_open(struct ht_tlsc *c, struct tt_lab *l, struct nst_tls_ctx *ctx, uint16_t port, const void *out,
                  size_t out_len, int answer_close)
{
    memset(c, 0, sizeof *c);
    c->out = out;
    c->out_len = out_len;
    c->answer_close = answer_close;
    c->s = nst_tls_client(ctx, l->ny, tt_client_fd(l, port), "london.lab", port);
    REQUIRE(c->s != NULL);
    nst_stream_set_callback(c->s, tlsc_event, c);
}

int ht_tlsc_ended(void *arg)
{
    struct ht_tlsc *c = arg;
    return c->eof || c->err;
}

size_t ht_h2_frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t id, const void *payload, size_t len)
{
    out[0] = (uint8_t)(len >> 16);
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)len;
    out[3] = type;
    out[4] = flags;
    out[5] = (uint8_t)(id >> 24);
    out[6] = (uint8_t)(id >> 16);
    out[7] = (uint8_t)(id >> 8);
    out[8] = (uint8_t)id;
    if (len)
        memcpy(out + 9, payload, len);
    return 9 + len;
}
