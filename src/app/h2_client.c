/* The HTTP client's HTTP/2 connections (RFC 9113): one per origin, each
 * call a stream on it. A call waits in the client's queue while its
 * connection has as many streams as the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS allows (RFC 9113 5.1.2) and starts as
 * another ends. Before the server's SETTINGS arrive we assume 100 (RFC
 * 9113 6.5.2 asks servers to allow at least that); a stream the server
 * refuses (REFUSED_STREAM, or above a GOAWAY's last stream id) was not
 * processed (RFC 9113 8.7) and goes back to the front of the queue.
 *
 * The three timeouts are per call as over HTTP/1.1: connect and TLS while
 * the connection comes up (every call waiting on it has them), response
 * from the request's last frame (END_STREAM sent) to the first response
 * frame, read between response frames. A call that times out or is
 * cancelled resets its stream (RST_STREAM CANCEL, RFC 9113 8.7); the
 * connection and its other streams go on.
 *
 * Over TLS, ALPN decides: "h2" keeps the connection; anything else makes
 * it an HTTP/1.1 pooled connection (http_pool_adopt) and the origin is
 * remembered as HTTP/1.1. */
#include "http_client_impl.h"
#include "h2_impl.h"

#include <nstack/tcp_info.h>
#include <nstack/tls.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSUMED_MAX_STREAMS 100

struct h2_origin {
    struct h2_origin *next;
    char key[];
};

struct h2_req {
    nghttp2_nv *nv;
    size_t nnv;
    const uint8_t *body;
    size_t body_len, body_off;
    /* The response head as it arrives. */
    int status;
    size_t nfields;
    struct nst_http_field f[NST_HTTP_MAX_FIELDS];
    size_t arena_len, resp_len;
    char arena[]; /* the request's strings, then room for the response's fields */
};

struct h2_cconn {
    struct h2_io io; /* first: the session's user data */
    struct nst_http_client *cl;
    struct h2_cconn *prev, *next;
    char *key;
    int tls, tcp_up, tls_up, ready, settled, goaway, dead, stepping;
    struct nst_app_timer *idle_timer;
    struct nst_http_call *calls; /* attached, linked by their prev/next */
    uint32_t ncalls;
};

static void cconn_step(struct h2_cconn *k);

/* ---- requests -------------------------------------------------------------- */

#define REQ_ARENA_RESPONSE 16384 /* room kept for the response's fields */

static int connection_specific(const char *name, size_t len)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                        "upgrade", "host"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (len == strlen(names[i]) && !strncasecmp(name, names[i], len))
            return 1;
    return 0;
}

int h2_call_prepare(struct nst_http_call *c, const struct nst_http_client_request *r)
{
    size_t need = REQ_ARENA_RESPONSE + strlen(r->method) + strlen(r->scheme) + strlen(r->host) + strlen(r->target) +
                  r->body_len + 64;
    for (size_t i = 0; i < r->nfields; i++)
        need += r->fields[i].name_len + r->fields[i].value_len;
    struct h2_req *q = calloc(1, sizeof *q + need);
    if (!q)
        return -ENOMEM;
    q->nv = calloc(r->nfields + 5, sizeof *q->nv);
    if (!q->nv) {
        free(q);
        return -ENOMEM;
    }
    size_t at = 0;
#define PUT(str, len) (memcpy(q->arena + at, (str), (len)), at += (len), (uint8_t *)q->arena + at - (len))
    const char *pseudo[4][2] = {{":method", r->method}, {":scheme", r->scheme}, {":authority", r->host},
                                {":path", r->target}};
    for (int i = 0; i < 4; i++)
        q->nv[q->nnv++] = (nghttp2_nv){(uint8_t *)pseudo[i][0], PUT(pseudo[i][1], strlen(pseudo[i][1])),
                                       strlen(pseudo[i][0]), strlen(pseudo[i][1]), NGHTTP2_NV_FLAG_NONE};
    for (size_t i = 0; i < r->nfields; i++) {
        const struct nst_http_field *f = &r->fields[i];
        if (connection_specific(f->name, f->name_len))
            continue;
        uint8_t *name = PUT(f->name, f->name_len);
        for (size_t j = 0; j < f->name_len; j++) /* RFC 9113 8.2.1: lowercase */
            if (name[j] >= 'A' && name[j] <= 'Z')
                name[j] = (uint8_t)(name[j] + 32);
        q->nv[q->nnv++] = (nghttp2_nv){name, PUT(f->value, f->value_len), f->name_len, f->value_len,
                                       NGHTTP2_NV_FLAG_NONE};
    }
    if (r->body) {
        q->body = PUT(r->body, r->body_len);
        q->body_len = r->body_len;
    }
#undef PUT
    q->arena_len = at;
    c->h2r = q;
    return 0;
}

void h2_call_free(struct nst_http_call *c)
{
    if (!c->h2r)
        return;
    free(c->h2r->nv);
    free(c->h2r);
    c->h2r = NULL;
}

static ssize_t body_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    (void)ng;
    (void)id;
    (void)user;
    struct h2_req *q = src->ptr;
    size_t n = q->body_len - q->body_off < len ? q->body_len - q->body_off : len;
    memcpy(buf, q->body + q->body_off, n);
    q->body_off += n;
    if (q->body_off == q->body_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* ---- calls on a connection ------------------------------------------------- */

static void attach(struct h2_cconn *k, struct nst_http_call *c)
{
    c->h2k = k;
    c->h2id = 0;
    c->prev = NULL;
    c->next = k->calls;
    if (k->calls)
        k->calls->prev = c;
    k->calls = c;
    k->ncalls++;
    nst_app_timer_cancel(k->idle_timer);
}

/* Off the connection (the stream, if any, is no longer the call's). */
static void unlink_call(struct nst_http_call *c)
{
    struct h2_cconn *k = c->h2k;
    if (!k)
        return;
    if (c->h2id && k->io.ng)
        nghttp2_session_set_stream_user_data(k->io.ng, c->h2id, NULL);
    if (c->prev)
        c->prev->next = c->next;
    else
        k->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->h2k = NULL;
    c->h2id = 0;
    k->ncalls--;
    if (!k->ncalls && !k->dead && k->cl->cfg.idle_timeout)
        nst_app_timer_arm(k->idle_timer, http_now(k->cl) + k->cl->cfg.idle_timeout);
    http_origin_wake_key(k->cl, k->key); /* a queued call may take the slot */
}

void h2_call_detach(struct nst_http_call *c)
{
    struct h2_cconn *k = c->h2k;
    int32_t id = c->h2id;
    unlink_call(c);
    if (id && k->io.ng && !k->dead) {
        /* RFC 9113 8.7: the request is withdrawn; the connection serves on. */
        nghttp2_submit_rst_stream(k->io.ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        cconn_step(k);
    }
}

static void submit(struct h2_cconn *k, struct nst_http_call *c)
{
    struct h2_req *q = c->h2r;
    nghttp2_data_provider dp = {.source.ptr = q, .read_callback = body_read};
    q->body_off = 0;
    q->status = 0;
    q->nfields = 0;
    q->resp_len = 0;
    int32_t id = nghttp2_submit_request(k->io.ng, NULL, q->nv, q->nnv, q->body ? &dp : NULL, c);
    if (id < 0) {
        unlink_call(c);
        http_call_fail(c, id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE ? NST_HTTP_E_CLOSED : -ENOMEM);
        return;
    }
    c->h2id = id;
    c->t.http2 = 1;
    h2_stream_opened(&k->io);
    http_call_phase(c, PH_SEND, 0);
}

/* Every attached call lost its connection before its response ended. */
static void lose_calls(struct h2_cconn *k, int err)
{
    while (k->calls) {
        struct nst_http_call *c = k->calls;
        unlink_call(c);
        if (c->got_byte)
            http_call_fail(c, err);
        else
            http_call_conn_lost(c, err); /* retried once if idempotent on a reused connection */
    }
}

/* ---- nghttp2 callbacks ----------------------------------------------------- */

static struct nst_http_call *call_of(nghttp2_session *ng, int32_t id)
{
    return id ? nghttp2_session_get_stream_user_data(ng, id) : NULL;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
    (void)flags;
    (void)user;
    struct nst_http_call *c = call_of(ng, f->hd.stream_id);
    if (!c || f->hd.type != NGHTTP2_HEADERS || f->headers.cat == NGHTTP2_HCAT_HEADERS)
        return 0; /* trailers are not delivered */
    struct h2_req *q = c->h2r;
    if (nlen == 7 && !memcmp(name, ":status", 7)) {
        q->status = atoi((const char *)value); /* nghttp2 has checked it is three digits */
        q->nfields = 0;
        q->resp_len = 0;
        return 0;
    }
    /* The response's fields, copied (nghttp2's buffers live only during
     * this call) into the room after the request's strings. */
    if (q->nfields >= NST_HTTP_MAX_FIELDS || q->resp_len + nlen + vlen + 2 > REQ_ARENA_RESPONSE)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM; the call fails */
    char *at = q->arena + q->arena_len + q->resp_len;
    memcpy(at, name, nlen);
    at[nlen] = 0;
    memcpy(at + nlen + 1, value, vlen);
    at[nlen + 1 + vlen] = 0;
    q->f[q->nfields++] = (struct nst_http_field){at, nlen, at + nlen + 1, vlen};
    q->resp_len += nlen + vlen + 2;
    return 0;
}

/* The response's head is in: on_head (1xx interim heads are skipped). */
static void deliver_head(nghttp2_session *ng, struct nst_http_call *c, int32_t id)
{
    struct h2_req *q = c->h2r;
    int64_t length = -1;
    int i = nst_http_field_find(q->f, q->nfields, "content-length");
    if (i >= 0)
        length = strtoll(q->f[i].value, NULL, 10); /* nghttp2 has checked it is a number */
    else if (c->method_id == NST_HTTP1_M_HEAD || q->status == 204 || q->status == 304)
        length = 0;
    struct nst_http_response resp = {.status = q->status, .fields = q->f, .nfields = q->nfields,
                                     .content_length = length};
    (void)ng;
    (void)id;
    if (c->cbs.on_head)
        c->cbs.on_head(c->arg, c, &resp);
}

/* The response ended: the call succeeds; the stream is closing. */
static void finish(struct nst_http_call *c)
{
    unlink_call(c);
    http_call_succeed(c);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    struct h2_cconn *k = user;
    h2_count_recv(ng, f, user);
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK)) {
        k->settled = 1;
        http_origin_wake_key(k->cl, k->key); /* the limit may have grown */
        return 0;
    }
    if (f->hd.type == NGHTTP2_GOAWAY) {
        k->goaway = 1; /* no new streams here; nghttp2 closes ours above last_stream_id (REFUSED_STREAM) */
        http_origin_wake_key(k->cl, k->key); /* its calls may open a new connection */
        return 0;
    }
    struct nst_http_call *c = call_of(ng, f->hd.stream_id);
    if (!c)
        return 0;
    int end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (f->hd.type == NGHTTP2_HEADERS) {
        http_call_byte_arrived(c);
        if (f->headers.cat == NGHTTP2_HCAT_RESPONSE && c->h2r->status >= 200) {
            deliver_head(ng, c, f->hd.stream_id);
            if (call_of(ng, f->hd.stream_id) != c)
                return 0; /* on_head cancelled it */
        }
    }
    if (end && (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA))
        finish(c);
    return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
    (void)flags;
    (void)user;
    struct nst_http_call *c = call_of(ng, id);
    if (!c)
        return 0;
    http_call_byte_arrived(c); /* re-arms read_timeout */
    http_call_deliver_body(c, data, len);
    return 0;
}

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    h2_count_send(ng, f, user);
    struct nst_http_call *c = call_of(ng, f->hd.stream_id);
    /* The request's last frame left: response_timeout runs from here. */
    if (c && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) && !c->got_byte &&
        (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA))
        http_call_phase(c, PH_WAIT, c->cl->cfg.response_timeout);
    return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t err, void *user)
{
    struct h2_cconn *k = user;
    h2_stream_closed(&k->io);
    struct nst_http_call *c = call_of(ng, id);
    if (!c)
        return 0;
    unlink_call(c);
    if (err == NGHTTP2_REFUSED_STREAM && !c->got_byte) {
        /* RFC 9113 8.7: not processed; safe to send again, whatever the method. */
        k->cl->stats.h2.refused++;
        http_call_queue(c, 1);
        return 0;
    }
    c->why = err ? "the server reset the stream" : "the stream ended before the response";
    http_call_fail(c, err ? -ECONNRESET : NST_HTTP_E_CLOSED);
    return 0;
}

/* ---- the connection -------------------------------------------------------- */

static void cconn_free(struct h2_cconn *k, int close_stream)
{
    struct nst_http_client *cl = k->cl;
    if (k->prev)
        k->prev->next = k->next;
    else
        cl->h2conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    cl->stats.open--;
    if (k->io.ng)
        h2_io_free(&k->io);
    else
        http_buf_free(&k->io.out);
    nst_app_timer_free(k->idle_timer);
    if (close_stream)
        nst_stream_close(k->io.s);
    if (!cl->freeing)
        http_origin_wake_key(cl, k->key); /* its calls may open a new connection */
    free(k->key);
    free(k);
}

static void cconn_kill(struct h2_cconn *k)
{
    k->dead = 1;
    if (!k->stepping) {
        k->stepping = 1;
        lose_calls(k, NST_HTTP_E_CLOSED);
        cconn_free(k, 1);
    }
}

static int session_new(struct h2_cconn *k)
{
    nghttp2_session_callbacks *cb;
    nghttp2_option *opt;
    if (nghttp2_session_callbacks_new(&cb))
        return -ENOMEM;
    if (h2_option_new(&opt, &k->cl->cfg.h2)) {
        nghttp2_session_callbacks_del(cb);
        return -ENOMEM;
    }
    h2_callbacks_common(cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    int r = nghttp2_session_client_new2(&k->io.ng, cb, k, opt);
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(opt);
    if (r)
        return -ENOMEM;
    /* The frame counters and the response timer both watch sent frames. */
    return h2_send_settings(&k->io, &k->cl->cfg.h2, 0);
}

/* ALPN chose HTTP/1.1: the connection joins the HTTP/1.1 pool, its calls
 * go back to the queue's front in their order, the origin is remembered. */
static void fall_back(struct h2_cconn *k)
{
    struct nst_http_client *cl = k->cl;
    cl->stats.h2.fallbacks++;
    size_t len = strlen(k->key) + 1;
    struct h2_origin *o = malloc(sizeof *o + len);
    if (o) {
        memcpy(o->key, k->key, len);
        o->next = cl->h1_origins;
        cl->h1_origins = o;
    }
    int adopted = o && http_pool_adopt(cl, k->key, k->io.s) == 0;
    struct nst_http_call *back[64];
    size_t n = 0;
    while (k->calls) {
        struct nst_http_call *c = k->calls; /* newest first */
        unlink_call(c);
        if (n < 64)
            back[n++] = c;
        else
            http_call_queue(c, 1);
    }
    for (size_t i = 0; i < n; i++)
        http_call_queue(back[i], 1); /* the oldest ends at the front */
    k->dead = 1;
    cconn_free(k, !adopted);
}

/* Connect and TLS: note each as it completes; once up, the session
 * starts. -1 if the connection fell back to HTTP/1.1 (k is gone). */
static int bring_up(struct h2_cconn *k)
{
    struct nst_http_client *cl = k->cl;
    nst_time_t now = http_now(cl);
    if (!k->tcp_up) {
        struct nst_tcp_info ti;
        size_t len = sizeof ti;
        if (nst_getsockopt(cl->st, nst_stream_fd(k->io.s), NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len) < 0 ||
            ti.state < NST_TCPS_ESTABLISHED)
            return 0;
        k->tcp_up = 1;
        for (struct nst_http_call *c = k->calls; c; c = c->next) {
            c->t.connect = now - c->t.start;
            if (k->tls)
                http_call_phase(c, PH_TLS, cl->cfg.tls_timeout);
        }
    }
    if (k->tls && !k->tls_up) {
        if (nst_stream_established(k->io.s) != 1)
            return 0;
        k->tls_up = 1;
        for (struct nst_http_call *c = k->calls; c; c = c->next)
            c->t.tls = now - c->t.start;
        const char *alpn = nst_stream_alpn(k->io.s);
        if (!alpn || strcmp(alpn, "h2")) {
            fall_back(k);
            return -1;
        }
    }
    if (session_new(k) < 0) {
        k->dead = 1;
        return 0;
    }
    k->cl->stats.h2.connections++;
    k->ready = 1;
    /* Oldest first: the list is newest first. */
    struct nst_http_call *last = k->calls;
    while (last && last->next)
        last = last->next;
    for (struct nst_http_call *c = last, *prev; c && !k->dead; c = prev) {
        prev = c->prev;
        submit(k, c);
    }
    return 0;
}

static void cconn_step(struct h2_cconn *k)
{
    if (k->stepping)
        return;
    k->stepping = 1;
    if (!k->ready && !k->dead && bring_up(k) < 0)
        return; /* fell back to HTTP/1.1: k is gone */
    for (int i = 0; i < 64 && k->ready && !k->dead; i++) {
        int got = k->io.fatal || k->io.eof ? -1 : h2_io_pull(&k->io);
        h2_io_push(&k->io);
        if (k->io.eof || h2_io_finished(&k->io))
            k->dead = 1;
        if (got <= 0 && !nghttp2_session_want_write(k->io.ng))
            break;
    }
    if (!k->ready && !k->dead) {
        int err = nst_stream_error(k->io.s);
        if (err) {
            k->dead = 1;
            k->stepping = 1;
            while (k->calls) {
                struct nst_http_call *c = k->calls;
                unlink_call(c);
                http_call_fail(c, err);
            }
        }
    }
    if (k->ready && !k->dead)
        h2_io_note(&k->io, "h2");
    if (k->dead) {
        lose_calls(k, NST_HTTP_E_CLOSED);
        cconn_free(k, 1);
        return;
    }
    k->stepping = 0;
    if (k->goaway && !k->ncalls)
        cconn_kill(k);
}

static void cconn_event(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    (void)ev;
    cconn_step(arg);
}

static void idle_timer(void *arg, struct nst_app_timer *t)
{
    (void)t;
    struct h2_cconn *k = arg;
    if (k->ncalls)
        return;
    k->cl->stats.evicted++;
    if (k->ready) {
        /* RFC 9113 6.8: a graceful end says so (GOAWAY NO_ERROR). */
        nghttp2_session_terminate_session(k->io.ng, NGHTTP2_NO_ERROR);
        k->goaway = 1;
        h2_io_push(&k->io);
    }
    cconn_kill(k);
}

static struct h2_cconn *cconn_open(struct nst_http_client *cl, struct nst_http_call *c)
{
    struct h2_cconn *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->cl = cl;
    k->tls = c->tls;
    k->key = strdup(c->key);
    int fd = nst_socket(cl->st, NST_SOCK_STREAM);
    if (!k->key || fd < 0 || h2_io_init(&k->io, NULL, &cl->stats.h2) ||
        !(k->idle_timer = nst_app_timer_new(cl->st, idle_timer, k)))
        goto fail;
    int one = 1; /* frames leave as written (as for HTTP/1.1, no Nagle wait) */
    nst_setsockopt(cl->st, fd, NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof one);
    int r = nst_connect(cl->st, fd, &c->addr);
    if (r != -EINPROGRESS && r != 0)
        goto fail;
    k->io.s = c->tls ? nst_tls_client(cl->cfg.tls, cl->st, fd, c->host, c->addr.port) : nst_stream_tcp(cl->st, fd);
    if (!k->io.s)
        goto fail;
    nst_stream_set_callback(k->io.s, cconn_event, k);
    k->next = cl->h2conns;
    if (cl->h2conns)
        cl->h2conns->prev = k;
    cl->h2conns = k;
    cl->stats.connections++;
    cl->stats.open++;
    return k;
fail:
    if (fd >= 0 && !k->io.s)
        nst_close(cl->st, fd);
    http_buf_free(&k->io.out);
    nst_app_timer_free(k->idle_timer);
    free(k->key);
    free(k);
    return NULL;
}

/* ---- placing calls --------------------------------------------------------- */

static int speaks_http1(const struct nst_http_client *cl, const char *key)
{
    for (const struct h2_origin *o = cl->h1_origins; o; o = o->next)
        if (!strcmp(o->key, key))
            return 1;
    return 0;
}

static uint32_t stream_limit(const struct h2_cconn *k)
{
    if (!k->settled)
        return ASSUMED_MAX_STREAMS;
    return nghttp2_session_get_remote_settings(k->io.ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

int h2_client_place(struct nst_http_client *cl, struct nst_http_call *c)
{
    if (speaks_http1(cl, c->key))
        return -1;
    struct h2_cconn *k = cl->h2conns;
    while (k && (k->dead || k->goaway || strcmp(k->key, c->key)))
        k = k->next;
    int reused = k != NULL;
    if (!k && !(k = cconn_open(cl, c))) {
        http_call_fail(c, -ENOMEM);
        return 1;
    }
    if (k->ncalls >= stream_limit(k))
        return 0;
    http_call_dequeue(c); /* http_call_queue linked it */
    c->got_byte = 0;
    c->t.reused = reused && k->ready;
    if (c->t.reused)
        cl->stats.reuses++;
    attach(k, c);
    if (!k->tcp_up)
        http_call_phase(c, PH_CONNECT, cl->cfg.connect_timeout);
    else if (k->tls && !k->tls_up)
        http_call_phase(c, PH_TLS, cl->cfg.tls_timeout);
    if (k->ready) {
        submit(k, c);
        cconn_step(k);
    } else {
        cconn_step(k);
    }
    return 1;
}

void h2_client_free_all(struct nst_http_client *cl)
{
    while (cl->h2conns) {
        struct h2_cconn *k = cl->h2conns;
        k->stepping = 1;
        k->dead = 1;
        while (k->calls) {
            struct nst_http_call *c = k->calls;
            unlink_call(c);
            http_call_fail(c, NST_HTTP_E_CANCELLED);
        }
        cconn_free(k, 1);
    }
    while (cl->h1_origins) {
        struct h2_origin *o = cl->h1_origins;
        cl->h1_origins = o->next;
        free(o);
    }
}
