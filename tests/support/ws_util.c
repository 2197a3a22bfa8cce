/* Test helpers for WebSocket on the simulator (ws_util.h). */
#include "support/ws_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                   \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: WebSocket test setup failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static void on_open(void *arg, struct nst_ws *ws)
{
    (void)ws;
    struct wu_end *e = arg;
    e->opened = 1;
    e->t_open = nst_stack_now(e->st);
}

static void on_message(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    struct wu_end *e = arg;
    if (e->nmsgs < WU_MAX_MSGS) {
        struct wu_msg *m = &e->msgs[e->nmsgs++];
        m->opcode = opcode;
        m->data = malloc(len ? len : 1);
        memcpy(m->data, data, len);
        m->len = len;
        m->at = nst_stack_now(e->st);
    }
    if (e->echo)
        nst_ws_send(ws, opcode, data, len);
}

static void on_close(void *arg, struct nst_ws *ws, int code)
{
    struct wu_end *e = arg;
    e->closed = 1;
    e->code = code;
    e->err = nst_ws_error(ws);
    e->t_close = nst_stack_now(e->st);
    e->final = *nst_ws_stats(ws);
}

const struct nst_ws_handler wu_handler = {on_open, on_message, on_close};

static void on_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct wu_server *sv = arg;
    if (!(ev & NST_EV_IN))
        return;
    int cfd;
    while ((cfd = nst_accept(sv->st, sv->lfd, NULL)) >= 0) {
        REQUIRE(sv->n < WU_MAX_CONNS);
        struct wu_end *e = &sv->c[sv->n++];
        e->st = sv->st;
        e->echo = 1;
        struct nst_stream *s = nst_stream_tcp(sv->st, cfd);
        REQUIRE(s != NULL);
        e->ws = nst_ws_server(s, &sv->cfg, &wu_handler, e);
        REQUIRE(e->ws != NULL);
    }
}

/* A listener on st:port whose readiness goes to cb. */
static int listen_on(struct nst_stack *st, uint16_t port, nst_event_cb cb, void *arg)
{
    int fd = nst_socket(st, NST_SOCK_STREAM);
    int one = 1;
    nst_setsockopt(st, fd, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof(one));
    struct nst_sockaddr a = {0, port};
    REQUIRE(nst_bind(st, fd, &a) == 0);
    REQUIRE(nst_listen(st, fd, 16) == 0);
    REQUIRE(nst_socket_set_event_cb(st, fd, cb, arg) == 0);
    return fd;
}

void wu_server_start(struct wu_server *sv, struct nst_stack *st, uint16_t port, const struct nst_ws_config *cfg)
{
    memset(sv, 0, sizeof(*sv));
    sv->st = st;
    if (cfg)
        sv->cfg = *cfg;
    else
        nst_ws_config_default(&sv->cfg);
    sv->cfg.shared = &sv->shared;
    sv->lfd = listen_on(st, port, on_listener, sv);
}

void wu_end_free(struct wu_end *e)
{
    nst_ws_free(e->ws);
    e->ws = NULL;
    for (int i = 0; i < e->nmsgs; i++)
        free(e->msgs[i].data);
    e->nmsgs = 0;
}

void wu_server_stop(struct wu_server *sv)
{
    for (int i = 0; i < sv->n; i++)
        wu_end_free(&sv->c[i]);
    nst_close(sv->st, sv->lfd);
}

void wu_client_open(struct wu_end *e, struct tt_lab *l, uint16_t port, const char *path,
                    const struct nst_ws_config *cfg)
{
    memset(e, 0, sizeof(*e));
    e->st = l->ny;
    struct nst_stream *s = nst_stream_tcp(l->ny, tt_client_fd(l, port));
    REQUIRE(s != NULL);
    e->ws = nst_ws_client(s, "london.lab", path, cfg, &wu_handler, e);
    REQUIRE(e->ws != NULL);
}

int wu_opened(void *arg)
{
    struct wu_end *e = arg;
    return e->opened || e->closed;
}

int wu_closed(void *arg) { return ((struct wu_end *)arg)->closed; }

/* ---- raw peers ------------------------------------------------------------ */

static void raw_read(struct wu_raw *r)
{
    for (;;) {
        ssize_t n = nst_recv(r->st, r->fd, r->got + r->got_len, sizeof(r->got) - r->got_len, 0);
        if (n > 0) {
            r->got_len += (size_t)n;
            if (r->got_len == sizeof(r->got))
                return;
            continue;
        }
        if (n == 0 && !r->eof) {
            r->eof = 1;
            r->t_eof = nst_stack_now(r->st);
        } else if (n < 0 && n != -EAGAIN && !r->err) {
            r->err = (int)n;
            r->t_eof = nst_stack_now(r->st);
        }
        return;
    }
}

static void on_raw(void *arg, int fd, int ev)
{
    (void)fd;
    struct wu_raw *r = arg;
    if (ev & (NST_EV_IN | NST_EV_ERR | NST_EV_HUP | NST_EV_RDHUP))
        raw_read(r);
}

static void on_raw_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct wu_raw *r = arg;
    if (!(ev & NST_EV_IN) || r->fd >= 0)
        return;
    r->fd = nst_accept(r->st, r->lfd, NULL);
    if (r->fd >= 0) {
        nst_socket_set_event_cb(r->st, r->fd, on_raw, r);
        raw_read(r);
    }
}

void wu_raw_connect(struct wu_raw *r, struct tt_lab *l, uint16_t port)
{
    memset(r, 0, sizeof(*r));
    r->st = l->ny;
    r->lfd = -1;
    r->fd = tt_client_fd(l, port);
    REQUIRE(nst_socket_set_event_cb(r->st, r->fd, on_raw, r) == 0);
}

void wu_raw_listen(struct wu_raw *r, struct tt_lab *l, uint16_t port)
{
    memset(r, 0, sizeof(*r));
    r->st = l->ldn;
    r->fd = -1;
    r->lfd = listen_on(r->st, port, on_raw_listener, r);
}

void wu_raw_send(struct wu_raw *r, const void *data, size_t len)
{
    REQUIRE(nst_send(r->st, r->fd, data, len, 0) == (ssize_t)len);
}

void wu_raw_close(struct wu_raw *r)
{
    if (r->fd >= 0)
        nst_close(r->st, r->fd);
    if (r->lfd >= 0)
        nst_close(r->st, r->lfd);
    r->fd = r->lfd = -1;
}

int wu_raw_ended(void *arg)
{
    struct wu_raw *r = arg;
    return r->eof || r->err;
}

size_t wu_frame(uint8_t *out, int fin, int rsv, int opcode, int masked, const void *payload, size_t len)
{
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | (rsv & 7) << 4 | (opcode & 0xf));
    uint8_t m = masked ? 0x80 : 0;
    if (len < 126) {
        out[n++] = (uint8_t)(m | len);
    } else if (len < 65536) {
        out[n++] = m | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (masked) {
        memcpy(out + n, key, 4);
        n += 4;
    }
    const uint8_t *p = payload;
    for (size_t i = 0; i < len; i++)
        out[n + i] = masked ? p[i] ^ key[i & 3] : p[i];
    return n + len;
}

size_t wu_upgrade_request(char *out, size_t cap, const char *key, const char *version)
{
    int n = snprintf(out, cap,
                     "GET /echo HTTP/1.1\r\nHost: london.lab\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n\r\n",
                     key, version);
    REQUIRE(n > 0 && (size_t)n < cap);
    return (size_t)n;
}
