/* WebSocket over HTTP/2, the client (RFC 8441; ws.h: nst_ws_h2_*): one
 * HTTP/2 connection (nghttp2 over a stream, h2_session.c) carries any
 * number of WebSockets, each an extended CONNECT stream whose DATA frames
 * carry its frames (a tunnel stream, stream_tunnel.h).
 *
 * RFC 8441 3: a client may send an extended CONNECT only once the server's
 * SETTINGS said SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, so connections opened
 * before that wait; if the SETTINGS do not say so, they fail with
 * -EPROTONOSUPPORT (the application may then try HTTP/1.1).
 *
 * Flow control: a stream's window opens as its WebSocket reads the bytes
 * (tunnel consumed), the connection's with it (RFC 9113 5.2). What the
 * WebSocket writes waits in a bounded per-stream buffer that nghttp2's data
 * source drains as the peer's windows allow. */
#include <nstack/ws.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nstack/timer.h>

#include "app/h2_impl.h"
#include "app/stream_tunnel.h"
#include "app/ws_upgrade.h"

#define OUT_CAP (64 * 1024) /* bytes a WebSocket may have waiting for the peer's window */

struct wsh2_stream {
    struct nst_ws_h2 *c;
    struct wsh2_stream *prev, *next;
    int32_t id;                 /* 0 until submitted */
    struct nst_stream *tunnel;  /* NULL once the WebSocket let go */
    struct nst_ws *ws;
    struct http_buf out;
    size_t unread;
    int ended, deferred, status, has_ext, answered, delivered;
    char path[256], protocol[128], offer[256], extensions[256];
};

struct nst_ws_h2 {
    struct h2_io io; /* first: the session's user data */
    struct nst_stack *st;
    char authority[256];
    struct nst_http2_config cfg;
    struct nst_http2_stats stats;
    struct wsh2_stream *streams;
    struct nst_app_timer *kick;
    int state; /* 0 waiting for SETTINGS, 1 extended CONNECT allowed, else -errno */
    int stepping;
};

static void step(struct nst_ws_h2 *c);

/* ---- streams ------------------------------------------------------------- */

static void stream_unlink_free(struct wsh2_stream *t)
{
    struct nst_ws_h2 *c = t->c;
    if (t->prev)
        t->prev->next = t->next;
    else
        c->streams = t->next;
    if (t->next)
        t->next->prev = t->prev;
    if (t->unread && c->io.ng) /* the connection's window gets them back */
        nghttp2_session_consume_connection(c->io.ng, t->unread);
    http_buf_free(&t->out);
    free(t);
}

/* The stream is over on our side: the tunnel hears why (once). */
static void stream_gone(struct wsh2_stream *t, int err)
{
    if (t->tunnel)
        tunnel_stream_gone(t->tunnel, err);
    t->tunnel = NULL;
}

/* The later, the safer: the HTTP/2 session is not inside a callback. */
static void later(struct nst_ws_h2 *c)
{
    if (!nst_app_timer_armed(c->kick))
        nst_app_timer_arm(c->kick, nst_stack_now(c->st));
}

static ssize_t t_write(void *carrier, const void *buf, size_t len)
{
    struct wsh2_stream *t = carrier;
    if (t->ended)
        return -EPIPE;
    size_t room = http_buf_room(&t->out);
    if (!room)
        return -EAGAIN;
    size_t n = len < room ? len : room;
    http_buf_put(&t->out, buf, n);
    if (t->deferred && t->id) {
        t->deferred = 0;
        nghttp2_session_resume_data(t->c->io.ng, t->id);
    }
    later(t->c);
    return (ssize_t)n;
}

static int t_end(void *carrier)
{
    struct wsh2_stream *t = carrier;
    t->ended = 1;
    if (t->deferred && t->id) {
        t->deferred = 0;
        nghttp2_session_resume_data(t->c->io.ng, t->id);
    }
    later(t->c);
    return 0;
}

static void t_consumed(void *carrier, size_t n)
{
    struct wsh2_stream *t = carrier;
    t->unread -= n;
    if (t->id)
        nghttp2_session_consume(t->c->io.ng, t->id, n);
    later(t->c);
}

static void t_detach(void *carrier, int clean)
{
    struct wsh2_stream *t = carrier;
    t->tunnel = NULL;
    if (!t->id) { /* never sent: nothing on the wire to end */
        stream_unlink_free(t);
        return;
    }
    if (!clean) /* RFC 9113 8.7: CANCEL, the connection serves on */
        nghttp2_submit_rst_stream(t->c->io.ng, NGHTTP2_FLAG_NONE, t->id, NGHTTP2_CANCEL);
    later(t->c);
}

static const struct tunnel_ops wsh2_tunnel_ops = {t_write, t_end, t_consumed, t_detach};

/* The request's data source: what the WebSocket wrote. */
static ssize_t data_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    (void)ng;
    (void)id;
    (void)user;
    struct wsh2_stream *t = src->ptr;
    size_t have = t->out.len - t->out.off;
    size_t n = have < len ? have : len;
    memcpy(buf, t->out.b + t->out.off, n);
    http_buf_drop(&t->out, n);
    if (n && t->tunnel)
        tunnel_stream_writable(t->tunnel);
    if (t->ended && t->out.len == t->out.off) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return (ssize_t)n;
    }
    if (!n) {
        t->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)n;
}

/* RFC 8441 4, 5: CONNECT with :protocol websocket; Sec-WebSocket-Version
 * 13 and the offers, no Key (the stream is the handshake). */
static int submit(struct wsh2_stream *t)
{
    struct nst_ws_h2 *c = t->c;
    const char *scheme = nst_stream_is_tls(c->io.s) ? "https" : "http";
    nghttp2_nv nv[8];
    size_t n = 0;
#define NV(name, value) \
    nv[n++] = (nghttp2_nv){(uint8_t *)(name), (uint8_t *)(value), strlen(name), strlen(value), NGHTTP2_NV_FLAG_NONE}
    NV(":method", "CONNECT");
    NV(":protocol", "websocket");
    NV(":scheme", scheme);
    NV(":path", t->path);
    NV(":authority", c->authority);
    NV("sec-websocket-version", "13");
    if (t->offer[0])
        NV("sec-websocket-protocol", t->offer);
    if (t->extensions[0])
        NV("sec-websocket-extensions", t->extensions);
#undef NV
    nghttp2_data_provider dp = {.source.ptr = t, .read_callback = data_read};
    int32_t id = nghttp2_submit_request(c->io.ng, NULL, nv, n, &dp, t);
    if (id < 0)
        return -ENOMEM;
    t->id = id;
    h2_stream_opened(&c->io);
    return 0;
}

/* ---- nghttp2's callbacks ---------------------------------------------------- */

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
    (void)flags;
    (void)user;
    struct wsh2_stream *t = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
    if (!t || t->answered)
        return 0;
    if (nlen == 7 && !memcmp(name, ":status", 7))
        t->status = atoi((const char *)value);
    else if (nlen == 22 && !memcmp(name, "sec-websocket-protocol", 22))
        snprintf(t->protocol, sizeof t->protocol, "%.*s", (int)vlen, (const char *)value);
    else if (nlen == 24 && !memcmp(name, "sec-websocket-extensions", 24))
        t->has_ext = 1;
    return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    struct nst_ws_h2 *c = user;
    h2_count_recv(ng, f, user);
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK) && c->state == 0) {
        /* RFC 8441 3: the first SETTINGS says whether we may. */
        c->state = nghttp2_session_get_remote_settings(ng, NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) == 1
                       ? 1
                       : -EPROTONOSUPPORT;
        later(c);
        return 0;
    }
    struct wsh2_stream *t = f->hd.stream_id ? nghttp2_session_get_stream_user_data(ng, f->hd.stream_id) : NULL;
    if (!t)
        return 0;
    if (f->hd.type == NGHTTP2_HEADERS && !t->answered && t->status >= 200) {
        t->answered = 1; /* delivered from step, outside the session */
        later(c);
    }
    if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        t->tunnel)
        tunnel_stream_eof(t->tunnel);
    return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
    (void)flags;
    (void)user;
    struct wsh2_stream *t = nghttp2_session_get_stream_user_data(ng, id);
    if (t && t->tunnel && tunnel_stream_input(t->tunnel, data, len) == 0) {
        t->unread += len;
        return 0;
    }
    nghttp2_session_consume(ng, id, len); /* nobody reads it */
    if (t && t->tunnel) /* over the window we gave: cannot happen with a sound peer */
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_FLOW_CONTROL_ERROR);
    return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t err, void *user)
{
    struct nst_ws_h2 *c = user;
    struct wsh2_stream *t = nghttp2_session_get_stream_user_data(ng, id);
    if (!t)
        return 0;
    nghttp2_session_set_stream_user_data(ng, id, NULL);
    h2_stream_closed(&c->io);
    /* A reset (RST_STREAM, either side) or both END_STREAMs. */
    stream_gone(t, err == NGHTTP2_NO_ERROR && t->ended ? 0 : -ECONNRESET);
    t->id = 0;
    t->delivered = 1;
    if (!t->tunnel)
        stream_unlink_free(t);
    return 0;
}

/* ---- the connection -------------------------------------------------------- */

/* What the session said that the WebSockets must hear. */
static void deliver(struct nst_ws_h2 *c)
{
    for (struct wsh2_stream *t = c->streams, *next; t; t = next) {
        next = t->next;
        if (!t->tunnel)
            continue;
        if (!t->id && c->state == 1 && submit(t) < 0) {
            stream_gone(t, -ENOMEM);
            continue;
        }
        if (!t->id && c->state < 0) {
            stream_gone(t, c->state);
            continue;
        }
        if (t->answered && !t->delivered && t->ws) {
            t->delivered = 1;
            ws_tunnel_answered(t->ws, t->status, t->protocol, t->has_ext); /* may detach t */
        }
    }
}

static void step(struct nst_ws_h2 *c)
{
    if (c->stepping || (c->state < 0 && c->io.eof))
        return;
    c->stepping = 1;
    for (int i = 0; i < 64; i++) {
        int got = c->io.fatal || c->io.eof ? 0 : h2_io_pull(&c->io);
        h2_io_push(&c->io);
        if (c->io.eof || (c->io.fatal && !nghttp2_session_want_write(c->io.ng))) {
            /* The connection is gone: so is every WebSocket on it. */
            if (c->state >= 0)
                c->state = -ECONNRESET;
            for (struct wsh2_stream *t = c->streams; t; t = t->next)
                stream_gone(t, -ECONNRESET);
            break;
        }
        deliver(c);
        if (got <= 0 && !nghttp2_session_want_write(c->io.ng))
            break;
    }
    c->stepping = 0;
}

static void on_event(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    (void)ev;
    step(arg);
}

static void on_kick(void *arg, struct nst_app_timer *t)
{
    (void)t;
    step(arg);
}

struct nst_ws_h2 *nst_ws_h2_new(struct nst_stream *s, const char *authority)
{
    struct nst_ws_h2 *c = calloc(1, sizeof *c);
    nghttp2_session_callbacks *cb = NULL;
    nghttp2_option *opt = NULL;
    if (!c)
        return NULL;
    h2_config_default(&c->cfg);
    c->st = nst_stream_stack(s);
    snprintf(c->authority, sizeof c->authority, "%s", authority);
    if (h2_io_init(&c->io, s, &c->stats) || nghttp2_session_callbacks_new(&cb) || h2_option_new(&opt, &c->cfg) ||
        !(c->kick = nst_app_timer_new(c->st, on_kick, c)))
        goto fail;
    h2_callbacks_common(cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_option_set_no_auto_window_update(opt, 1);
    if (nghttp2_session_client_new2(&c->io.ng, cb, c, opt) || h2_send_settings(&c->io, &c->cfg, 0))
        goto fail;
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(opt);
    c->stats.connections++;
    int one = 1;
    nst_setsockopt(c->st, nst_stream_fd(s), NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof one);
    nst_stream_set_callback(s, on_event, c);
    later(c);
    return c;
fail:
    if (cb)
        nghttp2_session_callbacks_del(cb);
    if (opt)
        nghttp2_option_del(opt);
    if (c->io.ng)
        nghttp2_session_del(c->io.ng);
    c->io.ng = NULL;
    http_buf_free(&c->io.out);
    nst_app_timer_free(c->kick);
    free(c);
    return NULL;
}

struct nst_ws *nst_ws_h2_open(struct nst_ws_h2 *c, const char *path, const struct nst_ws_config *cfg,
                              const struct nst_ws_handler *h, void *arg)
{
    if (c->state < 0 || !path || path[0] != '/' || strlen(path) >= sizeof(((struct wsh2_stream *)0)->path))
        return NULL;
    struct wsh2_stream *t = calloc(1, sizeof *t);
    if (!t || http_buf_init(&t->out, OUT_CAP)) {
        free(t);
        return NULL;
    }
    t->c = c;
    snprintf(t->path, sizeof t->path, "%s", path);
    size_t ol = 0;
    for (size_t k = 0; cfg && k < cfg->nprotocols; k++)
        ol += (size_t)snprintf(t->offer + ol, ol < sizeof t->offer ? sizeof t->offer - ol : 0, "%s%s",
                               ol ? ", " : "", cfg->protocols[k]);
    if (cfg && cfg->extensions)
        snprintf(t->extensions, sizeof t->extensions, "%s", cfg->extensions);
    if (ol >= sizeof t->offer) {
        http_buf_free(&t->out);
        free(t);
        return NULL;
    }
    /* At the list's end: streams are sent in the order they were opened. */
    struct wsh2_stream **pp = &c->streams;
    while (*pp) {
        t->prev = *pp;
        pp = &(*pp)->next;
    }
    *pp = t;
    t->tunnel = tunnel_stream_new(c->st, &wsh2_tunnel_ops, t, c->cfg.stream_window, nst_stream_is_tls(c->io.s));
    if (!t->tunnel) {
        stream_unlink_free(t);
        return NULL;
    }
    if (!(t->ws = ws_tunnel_client(t->tunnel, path, cfg, h, arg))) {
        nst_stream_close(t->tunnel); /* detaches: t is freed (never sent) */
        return NULL;
    }
    later(c);
    return t->ws;
}

int nst_ws_h2_state(const struct nst_ws_h2 *c) { return c->state; }

const struct nst_http2_stats *nst_ws_h2_stats(const struct nst_ws_h2 *c) { return &c->stats; }

void nst_ws_h2_free(struct nst_ws_h2 *c)
{
    if (!c)
        return;
    /* WebSockets still open see their stream reset; they stay the
     * application's to free. */
    while (c->streams) {
        struct wsh2_stream *t = c->streams;
        stream_gone(t, -ECONNRESET);
        stream_unlink_free(t);
    }
    nst_app_timer_free(c->kick);
    struct nst_stream *s = c->io.s;
    h2_io_free(&c->io);
    nst_stream_close(s);
    free(c);
}
