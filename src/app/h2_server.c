/* The HTTP server's HTTP/2 connections (RFC 9113): each request stream is
 * an exchange of the same API as HTTP/1.1 (nstack/http.h), routed the same
 * way. http_server.c hands a connection over when ALPN chose "h2" or the
 * client preface arrived on plain TCP (h2c with prior knowledge, RFC 9113
 * 3.3).
 *
 * A stream's response body goes through a bounded per-stream buffer
 * (out_limit): nst_http_write takes what fits, nghttp2's data source reads
 * from it as the peer's flow-control windows allow (RFC 9113 5.2), and
 * on_writable fires once it has drained below half. Graceful shutdown
 * sends GOAWAY with the last stream id processed (RFC 9113 6.8): streams
 * in flight finish, then the connection closes. A session that ends
 * cleanly before the peer's end lingers first, as HTTP/1.1 does
 * (sconn_linger). */
#include "http_server_impl.h"
#include "h2_impl.h"
#include "stream_tunnel.h"

#include <nstack/timer.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct h2_sconn {
    struct h2_io io; /* first: the session's user data */
    struct nst_http_server *sv;
    struct h2_sconn *prev, *next;
    struct nst_app_timer *timer; /* idle_timeout while no stream is open */
    struct h2_sstream *streams;
    int stepping, dead, draining, stall_head;
    int lingering, shut; /* the session is over: see sconn_linger */
};

struct h2_sstream {
    struct h2_sconn *k;
    struct h2_sstream *prev, *next;
    int32_t id;
    struct nst_http_exchange x;
    char *arena; /* pseudo-headers and fields as NUL-terminated strings */
    size_t arena_len, arena_cap;
    size_t nfields;
    size_t method, path, scheme, authority, protocol; /* arena offsets + 1; 0: absent */
    struct http_buf body; /* response body not yet taken by nghttp2: grows to out_limit as needed */
    int head_done, aborted, want_writable, deferred;
    struct nst_stream *tunnel; /* RFC 8441: the stream's DATA carry this stream's bytes */
    size_t unread;             /* bytes the tunnel holds, not yet consumed */
};

static int sconn_step(struct h2_sconn *k);

/* ---- streams --------------------------------------------------------------- */

static struct h2_sstream *sstream_new(struct h2_sconn *k, int32_t id)
{
    struct h2_sstream *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->arena_cap = k->sv->cfg.max_head + 256;
    t->arena = malloc(t->arena_cap);
    if (!t->arena) {
        free(t->arena);
        free(t);
        return NULL;
    }
    t->k = k;
    t->id = id;
    t->x.h2 = t;
    t->x.length = -1;
    t->next = k->streams;
    if (k->streams)
        k->streams->prev = t;
    k->streams = t;
    h2_stream_opened(&k->io);
    nst_app_timer_cancel(k->timer);
    return t;
}

/* Bytes a tunnel held unread when it or its stream went: the connection's
 * window must still get them back, or it shrinks for good. */
static void tunnel_forget_unread(struct h2_sstream *t)
{
    if (t->unread && t->k->io.ng)
        nghttp2_session_consume_connection(t->k->io.ng, t->unread);
    t->unread = 0;
}

static void sstream_free(struct h2_sstream *t)
{
    struct h2_sconn *k = t->k;
    if (t->tunnel) /* ends cleanly only if both sides sent END_STREAM */
        tunnel_stream_gone(t->tunnel, t->x.ended && t->x.body_done ? 0 : -ECONNRESET);
    tunnel_forget_unread(t);
    if (t->prev)
        t->prev->next = t->next;
    else
        k->streams = t->next;
    if (t->next)
        t->next->prev = t->prev;
    h2_stream_closed(&k->io);
    http_buf_free(&t->body);
    free(t->arena);
    free(t);
    if (!k->streams && k->sv->cfg.idle_timeout && !k->draining)
        nst_app_timer_arm(k->timer, nst_stack_now(k->sv->st) + k->sv->cfg.idle_timeout);
}

/* The exchange ends without its response: on_abort, as for HTTP/1.1. */
static void sstream_abort(struct h2_sstream *t)
{
    struct nst_http_exchange *x = &t->x;
    if (t->aborted || x->ended || !t->head_done)
        return;
    t->aborted = 1;
    x->ended = 1;
    t->k->sv->stats.aborted++;
    if (x->cbs && x->cbs->on_abort)
        x->cbs->on_abort(x->arg, x);
}

static const char *astr(const struct h2_sstream *t, size_t at) { return at ? t->arena + at - 1 : NULL; }

/* Appends name and value NUL-terminated; offset + 1 of the value. */
static size_t arena_put(struct h2_sstream *t, const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen,
                        size_t *name_at)
{
    if (t->arena_len + nlen + vlen + 2 > t->arena_cap)
        return 0;
    *name_at = t->arena_len + 1;
    memcpy(t->arena + t->arena_len, name, nlen);
    t->arena[t->arena_len + nlen] = 0;
    t->arena_len += nlen + 1;
    size_t v = t->arena_len + 1;
    memcpy(t->arena + t->arena_len, value, vlen);
    t->arena[t->arena_len + vlen] = 0;
    t->arena_len += vlen + 1;
    return v;
}

/* ---- nghttp2 callbacks ----------------------------------------------------- */

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    struct h2_sconn *k = user;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct h2_sstream *t = sstream_new(k, f->hd.stream_id);
    if (!t)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM, the connection serves on */
    nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, t);
    return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
    (void)flags;
    (void)user;
    struct h2_sstream *t = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
    if (!t || t->head_done)
        return 0; /* trailers: not delivered */
    size_t name_at;
    size_t v = arena_put(t, name, nlen, value, vlen, &name_at);
    if (!v)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* larger than max_head: RST_STREAM */
    if (nlen && name[0] == ':') {
        /* nghttp2 has checked the pseudo-headers (RFC 9113 8.3.1). */
        if (nlen == 7 && !memcmp(name, ":method", 7))
            t->method = v;
        else if (nlen == 5 && !memcmp(name, ":path", 5))
            t->path = v;
        else if (nlen == 7 && !memcmp(name, ":scheme", 7))
            t->scheme = v;
        else if (nlen == 10 && !memcmp(name, ":authority", 10))
            t->authority = v;
        else if (nlen == 9 && !memcmp(name, ":protocol", 9))
            t->protocol = v;
        return 0;
    }
    if (t->nfields >= NST_HTTP_MAX_FIELDS)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    t->x.fields[t->nfields++] = (struct nst_http_field){t->arena + name_at - 1, nlen, t->arena + v - 1, vlen};
    return 0;
}

static void run_handler(struct h2_sstream *t, int end_stream)
{
    struct nst_http_exchange *x = &t->x;
    struct nst_http_server *sv = t->k->sv;
    const char *host = astr(t, t->authority);
    if (!host) {
        int i = nst_http_field_find(x->fields, t->nfields, "host");
        host = i >= 0 ? x->fields[i].value : "";
    }
    x->req = (struct nst_http_request){
        .method = astr(t, t->method), .scheme = t->scheme ? astr(t, t->scheme) : "http", .authority = host,
        .target = t->path ? astr(t, t->path) : "", .fields = x->fields, .nfields = t->nfields,
        .content_length = end_stream ? 0 : -1, .has_body = !end_stream, .http2 = 1, .protocol = astr(t, t->protocol),
        .early = t->k->io.in_early};
    int cl = nst_http_field_find(x->fields, t->nfields, "content-length");
    if (cl >= 0 && !end_stream)
        x->req.content_length = strtoll(x->fields[cl].value, NULL, 10);
    x->method_id = (uint8_t)http_method_id(x->req.method);
    x->body_done = (uint8_t)end_stream;
    t->head_done = 1;
    sv->stats.requests++;
    const struct route *r = http_route_for(sv, x->req.method, x->req.target);
    x->in_handler = 1;
    if (r)
        r->fn(r->arg, x);
    else
        nst_http_reply(x, 404, "text/plain", "not found\n", 10);
    x->in_handler = 0;
    /* HEADERS with END_STREAM: the request is complete with its head; a
     * handler waiting for on_end gets it now, as over HTTP/1.1. */
    if (x->body_done && !x->ended && x->cbs && x->cbs->on_end)
        x->cbs->on_end(x->arg, x);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    h2_count_recv(ng, f, user);
    struct h2_sstream *t = f->hd.stream_id ? nghttp2_session_get_stream_user_data(ng, f->hd.stream_id) : NULL;
    if (!t)
        return 0;
    int end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (f->hd.type == NGHTTP2_HEADERS && !t->head_done)
        run_handler(t, end);
    else if (end && !t->x.body_done && (f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS)) {
        t->x.body_done = 1;
        if (t->tunnel)
            tunnel_stream_eof(t->tunnel);
        if (t->x.cbs && t->x.cbs->on_end && !t->x.ended)
            t->x.cbs->on_end(t->x.arg, &t->x);
    }
    return 0;
}

/* RFC 9113 8.1: a response complete before its request (a handler that
 * answered from the head alone) ends the stream with RST_STREAM NO_ERROR
 * right after the END_STREAM, so that the client stops sending a body
 * nobody will read; a client must not discard the response for it. Not
 * for CONNECT (RFC 9113 8.5, RFC 8441): there the request body is the
 * tunnel's other direction, which outlives ours, and RST_STREAM would be
 * an abortive close of it. */
static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    h2_count_send(ng, f, user);
    if (!(f->hd.flags & NGHTTP2_FLAG_END_STREAM) || (f->hd.type != NGHTTP2_DATA && f->hd.type != NGHTTP2_HEADERS))
        return 0;
    struct h2_sstream *t = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
    if (t && t->head_done && !t->x.body_done && t->x.method_id != NST_HTTP1_M_CONNECT)
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, t->id, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
    (void)flags;
    (void)user;
    struct h2_sstream *t = nghttp2_session_get_stream_user_data(ng, id);
    if (t && t->tunnel) {
        /* A tunnel's window opens as its reader takes the bytes; the
         * peer cannot send more than the window, which the buffer holds. */
        if (tunnel_stream_input(t->tunnel, data, len) < 0) {
            nghttp2_session_consume_connection(ng, len);
            nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_FLOW_CONTROL_ERROR);
        } else {
            t->unread += len;
        }
        return 0;
    }
    /* Everything else is taken at once (RFC 9113 5.2: the window opens
     * as the receiver consumes; an HTTP exchange's body is handed on). */
    nghttp2_session_consume(ng, id, len);
    if (t && t->x.cbs && t->x.cbs->on_body && !t->x.ended)
        t->x.cbs->on_body(t->x.arg, &t->x, data, len); /* a pointer into the bytes read: no copy */
    return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t err, void *user)
{
    (void)err;
    (void)user;
    struct h2_sstream *t = nghttp2_session_get_stream_user_data(ng, id);
    if (!t)
        return 0;
    nghttp2_session_set_stream_user_data(ng, id, NULL);
    sstream_abort(t); /* a RST_STREAM or the connection's end before nst_http_end */
    sstream_free(t);
    return 0;
}

/* The response body's data source: bytes from the stream's buffer. */
static ssize_t body_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    (void)ng;
    (void)id;
    (void)user;
    struct h2_sstream *t = src->ptr;
    size_t have = t->body.len - t->body.off;
    size_t n = have < len ? have : len;
    if (n)
        memcpy(buf, t->body.b + t->body.off, n);
    http_buf_drop(&t->body, n);
    if (t->body.len - t->body.off < t->k->sv->cfg.out_limit / 2)
        t->want_writable = 1;
    if (t->x.ended && t->body.len == t->body.off) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return (ssize_t)n;
    }
    if (n == 0) {
        t->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)n;
}

/* ---- the exchange API for HTTP/2 streams ------------------------------------ */

static void kick(struct h2_sstream *t)
{
    if (t->deferred) {
        t->deferred = 0;
        nghttp2_session_resume_data(t->k->io.ng, t->id);
    }
    if (!t->x.in_handler)
        sconn_step(t->k);
}

/* RFC 9113 8.2.2: connection-specific fields are not sent in HTTP/2. */
static int connection_specific(const struct nst_http_field *f)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                        "upgrade"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (f->name_len == strlen(names[i]) && !strncasecmp(f->name, names[i], f->name_len))
            return 1;
    return 0;
}

int h2_respond(struct nst_http_exchange *x, int status, const struct nst_http_field *fields, size_t n,
               int64_t length)
{
    struct h2_sstream *t = x->h2;
    if (x->responded || x->ended)
        return -EALREADY;
    if (status < 200 || status > 999 || n > NST_HTTP_MAX_FIELDS)
        return -EINVAL;
    nghttp2_nv nv[NST_HTTP_MAX_FIELDS + 2];
    char names[8192], st[4], len[24];
    size_t used = 0, nn = 0;
    snprintf(st, sizeof st, "%03d", status);
    nv[nn++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)st, 7, 3, NGHTTP2_NV_FLAG_NONE};
    int no_body = x->method_id == NST_HTTP1_M_HEAD || status == 204 || status == 304;
    for (size_t i = 0; i < n; i++) {
        if (connection_specific(&fields[i]) || memchr(fields[i].value, 0, fields[i].value_len) ||
            (fields[i].name_len == 14 && !strncasecmp(fields[i].name, "content-length", 14)))
            continue;
        if (used + fields[i].name_len > sizeof names)
            return -ENOSPC;
        /* RFC 9113 8.2.1: field names are lowercase on the wire. */
        for (size_t j = 0; j < fields[i].name_len; j++) {
            char ch = fields[i].name[j];
            names[used + j] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        nv[nn++] = (nghttp2_nv){(uint8_t *)names + used, (uint8_t *)fields[i].value, fields[i].name_len,
                                fields[i].value_len, NGHTTP2_NV_FLAG_NONE};
        used += fields[i].name_len;
    }
    if (length >= 0 && status != 204 && status != 304) {
        int l = snprintf(len, sizeof len, "%lld", (long long)length);
        nv[nn++] = (nghttp2_nv){(uint8_t *)"content-length", (uint8_t *)len, 14, (size_t)l, NGHTTP2_NV_FLAG_NONE};
    }
    nghttp2_data_provider dp = {.source.ptr = t, .read_callback = body_read};
    if (nghttp2_submit_response(t->k->io.ng, t->id, nv, nn, no_body ? NULL : &dp))
        return -EPIPE;
    x->responded = 1;
    x->body_allowed = (uint8_t)!no_body;
    x->length = length;
    http_count_status(t->k->sv, status);
    if (!x->in_handler)
        sconn_step(t->k);
    return 0;
}

ssize_t h2_write(struct nst_http_exchange *x, const void *data, size_t len)
{
    struct h2_sstream *t = x->h2;
    if (!x->responded || x->ended)
        return -EPIPE;
    if (x->length >= 0 && len > (uint64_t)x->length - x->written)
        return -EMSGSIZE;
    if (len == 0)
        return 0;
    size_t limit = t->k->sv->cfg.out_limit, pending = t->body.len - t->body.off;
    if (pending >= limit) {
        t->want_writable = 1;
        return -EAGAIN;
    }
    size_t take = len < limit - pending ? len : limit - pending;
    if (!x->body_allowed) {
        x->written += take;
        return (ssize_t)take;
    }
    if (http_buf_reserve(&t->body, take, limit))
        return -ENOMEM;
    x->written += take;
    http_buf_put(&t->body, data, take);
    kick(t);
    return (ssize_t)take;
}

int h2_end(struct nst_http_exchange *x)
{
    struct h2_sstream *t = x->h2;
    if (!x->responded || x->ended)
        return -EPIPE;
    if (x->length >= 0 && x->written < (uint64_t)x->length && x->body_allowed)
        return -EMSGSIZE;
    x->ended = 1;
    kick(t);
    return 0;
}

/* ---- the connection -------------------------------------------------------- */

/* Ends the session (if not ended yet): streams still open end with it
 * (on_abort), their handlers told while k->stepping holds off re-entry. */
static void sconn_end_session(struct h2_sconn *k)
{
    k->stepping = 1;
    nghttp2_session_del(k->io.ng);
    k->io.ng = NULL;
    while (k->streams) {
        sstream_abort(k->streams);
        sstream_free(k->streams);
    }
}

static void sconn_free(struct h2_sconn *k)
{
    struct nst_http_server *sv = k->sv;
    if (k->prev)
        k->prev->next = k->next;
    else
        sv->h2conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    sv->stats.open--;
    sconn_end_session(k);
    h2_io_free(&k->io);
    nst_app_timer_free(k->timer);
    nst_stream_close(k->io.s);
    free(k);
}

/* Tells handlers whose buffers drained that they may write again. */
static void writables(struct h2_sconn *k)
{
    for (struct h2_sstream *t = k->streams, *next; t && !k->dead; t = next) {
        next = t->next;
        if (!t->want_writable || !t->x.responded || t->x.ended)
            continue;
        t->want_writable = 0;
        if (t->tunnel)
            tunnel_stream_writable(t->tunnel);
        if (t->x.cbs && t->x.cbs->on_writable)
            t->x.cbs->on_writable(t->x.arg, &t->x);
    }
}

/* A peer that goes quiet while we wait for it would hold streams and their
 * buffers for ever: a header block it never finishes (header_timeout, as
 * slowloris in HTTP/1.1), a request body it stops sending, or response
 * bytes it never takes (it stops reading, or never opens its flow-control
 * windows) (body_timeout). The timeout runs from the last frame either
 * way; when it fires the connection ends. Streams whose handler is still
 * working have no timer, as in HTTP/1.1. */
static void stall_watch(struct h2_sconn *k, int moved)
{
    if (!k->streams)
        return;
    int head = 0, body = k->io.out.len > k->io.out.off;
    for (struct h2_sstream *t = k->streams; t; t = t->next) {
        head |= !t->head_done;
        /* A request body still owed counts even once we have answered:
         * the stream stays open until the client ends it. */
        body |= (t->x.responded && t->body.len > t->body.off) || (t->head_done && !t->x.body_done && !t->tunnel);
    }
    nst_time_t after = head ? k->sv->cfg.header_timeout : body ? k->sv->cfg.body_timeout : 0;
    k->stall_head = head;
    if (!after)
        nst_app_timer_cancel(k->timer);
    else if (moved || !nst_app_timer_armed(k->timer))
        nst_app_timer_arm(k->timer, nst_stack_now(k->sv->st) + after);
}

/* The session ended cleanly (the peer's GOAWAY, or ours after an idle
 * timeout) but the peer has not ended its side: it may still be sending
 * (frames crossing our GOAWAY, the close_notify that answers ours, RFC
 * 8446 6.1). A close now would make TCP answer those bytes with a RST
 * (RFC 9293 3.10.4, RFC 2525 2.17), which can destroy what we sent last
 * before the peer has read it. So, RFC 9112 9.6's staged close as for
 * HTTP/1.1: our side is shut down (close_notify, FIN), the peer's bytes
 * are read and dropped until its end, or HTTP_LINGER_TIME. Returns 0 once
 * k is freed. */
static int sconn_linger(struct h2_sconn *k)
{
    if (!k->lingering) {
        k->lingering = 1;
        k->draining = 1;
        sconn_end_session(k);
        k->stepping = 0;
        nst_app_timer_arm(k->timer, nst_stack_now(k->sv->st) + HTTP_LINGER_TIME);
    }
    if (!k->shut && nst_stream_shutdown(k->io.s) != -EAGAIN)
        k->shut = 1;
    uint8_t buf[4096];
    ssize_t n;
    while ((n = nst_stream_read(k->io.s, buf, sizeof buf)) > 0)
        *k->io.bytes_in += (uint64_t)n;
    if (n == -EAGAIN)
        return 1;
    sconn_free(k); /* the peer's end (FIN, close_notify) or an error */
    return 0;
}

static int sconn_step(struct h2_sconn *k)
{
    if (k->stepping)
        return 1;
    if (k->lingering)
        return sconn_linger(k);
    k->stepping = 1;
    uint64_t frames = k->io.frames_rx + k->io.frames_tx;
    for (int i = 0; i < 64 && !k->dead; i++) {
        int got = k->io.fatal || k->io.eof ? 0 : h2_io_pull(&k->io);
        if (h2_io_push(&k->io) < 0 && k->io.eof)
            k->dead = 1;
        if (k->io.eof && !k->io.fatal)
            k->dead = 1; /* the peer is gone: streams in flight abort */
        if (!k->dead && h2_io_finished(&k->io))
            k->dead = 1;
        if (k->dead)
            break;
        writables(k);
        if (got <= 0 && !nghttp2_session_want_write(k->io.ng))
            break;
    }
    if (!k->dead) {
        h2_io_note(&k->io, "h2");
        stall_watch(k, k->io.frames_rx + k->io.frames_tx != frames);
    }
    k->stepping = 0;
    /* After a protocol error the connection closes at once (RFC 9113
     * 5.4.1: the GOAWAY sent, close); after a clean end it lingers. */
    if (k->dead && !k->io.eof && !k->io.fatal && !k->io.counted)
        return sconn_linger(k);
    if (k->dead) {
        sconn_free(k);
        return 0;
    }
    return 1;
}

static void sconn_event(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    (void)ev;
    sconn_step(arg);
}

static void sconn_timer(void *arg, struct nst_app_timer *tm)
{
    (void)tm;
    struct h2_sconn *k = arg;
    if (k->lingering) {
        /* HTTP_LINGER_TIME passed without the peer's end: closed anyway. */
        if (!k->stepping) {
            k->stepping = 1;
            sconn_free(k);
        }
        return;
    }
    if (k->streams) {
        /* We waited header_timeout or body_timeout for the peer (see
         * stall_watch): it is gone or hostile. Streams abort; it closes. */
        if (k->stall_head)
            k->sv->stats.header_timeouts++;
        else
            k->sv->stats.body_timeouts++;
        if (!k->stepping) {
            k->stepping = 1;
            sconn_free(k);
        }
        return;
    }
    /* RFC 9113 6.8: an idle connection ends with GOAWAY (NO_ERROR). */
    k->sv->stats.idle_timeouts++;
    k->draining = 1;
    nghttp2_session_terminate_session(k->io.ng, NGHTTP2_NO_ERROR);
    sconn_step(k);
}

int h2_server_take(struct nst_http_server *sv, struct nst_stream *s, const uint8_t *pre, size_t len)
{
    struct h2_sconn *k = calloc(1, sizeof *k);
    nghttp2_session_callbacks *cb = NULL;
    nghttp2_option *opt = NULL;
    if (!k || h2_io_init(&k->io, s, &sv->stats.h2) || nghttp2_session_callbacks_new(&cb) ||
        h2_option_new(&opt, &sv->cfg.h2) || !(k->timer = nst_app_timer_new(sv->st, sconn_timer, k)))
        goto fail;
    h2_callbacks_common(cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    /* Windows open as data is consumed (on_data_chunk): at once for HTTP
     * exchanges, as the reader takes it for a tunnel. */
    nghttp2_option_set_no_auto_window_update(opt, 1);
    if (nghttp2_session_server_new2(&k->io.ng, cb, k, opt) || h2_send_settings(&k->io, &sv->cfg.h2, 1))
        goto fail;
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(opt);
    k->sv = sv;
    k->io.bytes_in = &sv->stats.bytes_in;
    k->io.bytes_out = &sv->stats.bytes_out;
    k->next = sv->h2conns;
    if (sv->h2conns)
        sv->h2conns->prev = k;
    sv->h2conns = k;
    sv->stats.open++;
    sv->stats.h2.connections++;
    nst_stream_set_callback(s, sconn_event, k);
    /* Frames leave as written (responses must not wait behind our SETTINGS
     * for an ACK under Nagle); h2_io_push gathers small ones itself. */
    int one = 1;
    nst_setsockopt(sv->st, nst_stream_fd(s), NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof one);
    k->stepping = 1;
    if (len)
        h2_io_feed(&k->io, pre, len);
    if (sv->shutting_down)
        h2_server_shutdown(sv);
    k->stepping = 0;
    if (sv->cfg.idle_timeout)
        nst_app_timer_arm(k->timer, nst_stack_now(sv->st) + sv->cfg.idle_timeout);
    sconn_step(k);
    return 0;
fail:
    if (cb)
        nghttp2_session_callbacks_del(cb);
    if (opt)
        nghttp2_option_del(opt);
    if (k) {
        if (k->io.ng)
            nghttp2_session_del(k->io.ng);
        http_buf_free(&k->io.out);
        nst_app_timer_free(k->timer);
        free(k);
    }
    return -ENOMEM;
}

void h2_server_shutdown(struct nst_http_server *sv)
{
    for (struct h2_sconn *k = sv->h2conns, *next; k; k = next) {
        next = k->next;
        if (k->draining)
            continue;
        k->draining = 1;
        /* RFC 9113 6.8: GOAWAY names the last stream we will process;
         * those finish, later ones the client retries elsewhere. */
        nghttp2_submit_goaway(k->io.ng, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(k->io.ng),
                              NGHTTP2_NO_ERROR, NULL, 0);
        nst_app_timer_cancel(k->timer);
        if (!k->stepping)
            sconn_step(k);
    }
}

void h2_server_free_all(struct nst_http_server *sv)
{
    while (sv->h2conns)
        sconn_free(sv->h2conns);
}

/* ---- RFC 8441 tunnels --------------------------------------------------------- */

static ssize_t tunnel_write(void *carrier, const void *buf, size_t len)
{
    return h2_write(&((struct h2_sstream *)carrier)->x, buf, len);
}

static int tunnel_end(void *carrier) { return h2_end(&((struct h2_sstream *)carrier)->x); }

static void tunnel_consumed(void *carrier, size_t n)
{
    struct h2_sstream *t = carrier;
    t->unread -= n;
    nghttp2_session_consume(t->k->io.ng, t->id, n);
    kick(t);
}

static void tunnel_detach(void *carrier, int clean)
{
    struct h2_sstream *t = carrier;
    t->tunnel = NULL;
    tunnel_forget_unread(t);
    if (clean)
        return;
    t->x.ended = 1; /* no more of the exchange: the stream is reset */
    nghttp2_submit_rst_stream(t->k->io.ng, NGHTTP2_FLAG_NONE, t->id, NGHTTP2_CANCEL);
    kick(t);
}

static const struct tunnel_ops h2_tunnel_ops = {tunnel_write, tunnel_end, tunnel_consumed, tunnel_detach};

struct nst_stream *h2_exchange_tunnel(struct nst_http_exchange *x)
{
    struct h2_sstream *t = x->h2;
    struct h2_sconn *k = t->k;
    if (t->tunnel || !x->responded || x->ended)
        return NULL;
    /* The peer may send up to our stream window before we take any. */
    t->tunnel = tunnel_stream_new(k->sv->st, &h2_tunnel_ops, t, k->sv->cfg.h2.stream_window,
                                  nst_stream_is_tls(k->io.s));
    return t->tunnel;
}

struct nst_http_server *h2_exchange_server(const struct nst_http_exchange *x) { return x->h2->k->sv; }
