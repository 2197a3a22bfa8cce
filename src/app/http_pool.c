/* The HTTP client's connections and their pool: which connection a queued
 * call gets (a pooled one of its origin, checked alive; a new one while the
 * origin is under max_per_origin; or it waits), how a connection carries
 * one call (connect, TLS, send, read the response) and what happens after
 * (back to the pool, or closed). Pooled connections are closed after
 * idle_timeout. */
#include "http_client_impl.h"
#include "h2_impl.h"

#include <nstack/tcp_info.h>
#include <nstack/tls.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int http_origin_key(char **out, const char *scheme, const char *host, const struct nst_sockaddr *addr)
{
    size_t len = strlen(scheme) + strlen(host) + 40;
    *out = malloc(len);
    if (!*out)
        return -ENOMEM;
    snprintf(*out, len, "%s://%s@%08x:%u", scheme, host, (unsigned)addr->addr, (unsigned)addr->port);
    return 0;
}

/* ---- connection lifetime --------------------------------------------------- */

static void conn_free(struct http_conn *k)
{
    struct nst_http_client *cl = k->cl;
    if (k->prev)
        k->prev->next = k->next;
    else
        cl->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    struct http_origin *o = k->origin;
    if (k->oprev)
        k->oprev->onext = k->onext;
    else
        o->conns = k->onext;
    if (k->onext)
        k->onext->oprev = k->oprev;
    cl->stats.open--;
    if (k->state == K_IDLE)
        cl->stats.pooled--;
    nst_app_timer_free(k->idle_timer);
    nst_stream_close(k->s);
    http_buf_free(&k->in);
    free(k->key);
    free(k);
    http_origin_wake(o); /* a queued call may take its place */
    http_origin_put(o);
}

void http_conn_close(struct http_conn *k)
{
    k->dead = 1;
    if (!k->stepping)
        conn_free(k);
}

void http_conn_abandon(struct http_conn *k)
{
    if (k->call)
        k->call->conn = NULL;
    k->call = NULL;
    http_conn_close(k);
}

static void idle_timer(void *arg, struct nst_app_timer *t)
{
    (void)t;
    struct http_conn *k = arg;
    k->cl->stats.evicted++;
    http_conn_close(k);
}

static void conn_event(void *arg, struct nst_stream *s, int ev);

/* A new connection's stream reports to it, its response parser is set to
 * the client's limits, and it joins the client's list. */
static void conn_attach(struct http_conn *k)
{
    struct nst_http_client *cl = k->cl;
    nst_stream_set_callback(k->s, conn_event, k);
    struct nst_http1_limits lim = NST_HTTP1_LIMITS_DEFAULT;
    lim.max_start_line = cl->cfg.max_head;
    lim.max_field_section = cl->cfg.max_head;
    lim.max_body = cl->cfg.max_body;
    nst_http1_parser_init(&k->p, NST_HTTP1_RESPONSE, NST_HTTP1_M_GET, &lim, k->pf, NST_HTTP_MAX_FIELDS);
    k->next = cl->conns;
    if (cl->conns)
        cl->conns->prev = k;
    cl->conns = k;
    struct http_origin *o = k->origin;
    k->onext = o->conns;
    if (o->conns)
        o->conns->oprev = k;
    o->conns = k;
}

static void conn_discard(struct http_conn *k);

/* A connection record for origin `key` with its input buffer and idle
 * timer, not yet attached to a stream; NULL when memory runs out. */
static struct http_conn *conn_new(struct nst_http_client *cl, const char *key)
{
    struct http_conn *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->cl = cl;
    if (!(k->key = strdup(key)) || !(k->origin = http_origin_get(cl, key)) || http_buf_init(&k->in, 2 * (size_t)cl->cfg.max_head + 64) ||
        !(k->idle_timer = nst_app_timer_new(cl->st, idle_timer, k))) {
        conn_discard(k);
        return NULL;
    }
    return k;
}

/* Frees a record conn_new made that never got a stream. */
static void conn_discard(struct http_conn *k)
{
    http_buf_free(&k->in);
    nst_app_timer_free(k->idle_timer);
    http_origin_put(k->origin);
    free(k->key);
    free(k);
}

static struct http_conn *conn_open(struct nst_http_client *cl, struct nst_http_call *c)
{
    struct http_conn *k = conn_new(cl, c->key);
    if (!k)
        return NULL;
    int fd = nst_socket(cl->st, NST_SOCK_STREAM);
    if (fd < 0)
        goto fail;
    /* The request leaves in one write; a small one after an unacked segment
     * must not wait for the ACK (Nagle), as curl and nginx do. */
    int one = 1;
    nst_setsockopt(cl->st, fd, NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof one);
    int r = nst_connect(cl->st, fd, &c->addr);
    if (r != -EINPROGRESS && r != 0)
        goto fail;
    k->s = c->tls ? nst_tls_client(cl->cfg.tls, cl->st, fd, c->host, c->addr.port)
                  : nst_stream_tcp(cl->st, fd);
    if (!k->s)
        goto fail;
    fd = -1;
    conn_attach(k);
    cl->stats.connections++;
    cl->stats.open++;
    return k;
fail:
    if (fd >= 0)
        nst_close(cl->st, fd);
    conn_discard(k);
    return NULL;
}

int http_pool_adopt(struct nst_http_client *cl, const char *key, struct nst_stream *s)
{
    struct http_conn *k = conn_new(cl, key);
    if (!k)
        return -ENOMEM;
    k->s = s;
    k->tcp_up = k->tls_up = 1;
    conn_attach(k);
    cl->stats.open++;
    k->state = K_IDLE;
    cl->stats.pooled++;
    if (cl->cfg.idle_timeout)
        nst_app_timer_arm(k->idle_timer, http_now(cl) + cl->cfg.idle_timeout);
    http_origin_wake(k->origin);
    return 0;
}

/* ---- one call on a connection ---------------------------------------------- */

static void conn_step(struct http_conn *k);

static void start_call(struct http_conn *k, struct nst_http_call *c, int reused)
{
    struct nst_http_client *cl = k->cl;
    http_call_dequeue(c); /* http_call_queue linked it */
    if (k->state == K_IDLE)
        cl->stats.pooled--;
    k->state = K_BUSY;
    nst_app_timer_cancel(k->idle_timer);
    k->call = c;
    c->conn = k;
    c->got_byte = 0;
    c->t.reused = reused;
    if (reused)
        cl->stats.reuses++;
    k->head_done = 0;
    k->in.off = k->in.len = 0;
    nst_http1_parser_next(&k->p, (enum nst_http1_method)c->method_id);
    k->p.req_method = c->method_id;
    k->sent = 0;
    if (!k->tcp_up)
        http_call_phase(c, PH_CONNECT, cl->cfg.connect_timeout);
    else if (c->tls && !k->tls_up)
        http_call_phase(c, PH_TLS, cl->cfg.tls_timeout);
    else
        http_call_phase(c, PH_SEND, 0);
    conn_step(k);
}

/* The response ended: the connection goes back to the pool or closes. */
static void finish(struct http_conn *k, int reusable)
{
    struct nst_http_client *cl = k->cl;
    struct nst_http_call *c = k->call;
    k->call = NULL;
    k->served++;
    if (reusable && !cl->freeing) {
        k->state = K_IDLE;
        cl->stats.pooled++;
        if (cl->cfg.idle_timeout)
            nst_app_timer_arm(k->idle_timer, http_now(cl) + cl->cfg.idle_timeout);
        http_origin_wake(k->origin);
    } else {
        http_conn_close(k);
    }
    http_call_succeed(c);
}

static int reusable_after(const struct http_conn *k, const struct nst_http_call *c)
{
    /* Extra bytes after a response were not asked for: the connection's
     * framing is in doubt, so it is not reused. */
    return k->p.msg.keep_alive && !c->close && k->in.len == k->in.off && k->p.msg.body != NST_HTTP1_BODY_CLOSE &&
           k->p.msg.status != 101;
}

/* Parses what is buffered. Returns 1 if the call is over (done or failed). */
static int parse_response(struct http_conn *k)
{
    struct nst_http_call *c = k->call;
    while (!k->head_done) {
        int len = nst_http1_parse_head(&k->p, k->in.b + k->in.off, k->in.len - k->in.off);
        if (len == -EAGAIN)
            return 0;
        if (len < 0) {
            http_call_bad_response(c, len, nst_http1_why_str(k->p.why));
            return 1;
        }
        /* RFC 9110 15.2: interim responses (100 Continue...) precede the final one. */
        if (k->p.msg.status < 200 && k->p.msg.status != 101) {
            http_buf_drop(&k->in, (size_t)len);
            nst_http1_parser_next(&k->p, (enum nst_http1_method)c->method_id);
            continue;
        }
        k->head_done = 1;
        http_call_deliver_head(c, &k->p, k->in.b + k->in.off);
        if (k->dead || k->call != c)
            return 1;
        http_buf_drop(&k->in, (size_t)len);
    }
    while (k->p.state != NST_HTTP1_DONE && k->in.len > k->in.off) {
        const uint8_t *data;
        size_t dlen;
        int n = nst_http1_parse_body(&k->p, k->in.b + k->in.off, k->in.len - k->in.off, &data, &dlen);
        if (n < 0) {
            http_call_bad_response(c, n, nst_http1_why_str(k->p.why));
            return 1;
        }
        http_call_deliver_body(c, data, dlen);
        if (k->dead || k->call != c)
            return 1;
        http_buf_drop(&k->in, (size_t)n);
        if (n == 0)
            break;
    }
    if (k->p.state == NST_HTTP1_DONE) {
        finish(k, reusable_after(k, c));
        return 1;
    }
    return 0;
}

/* The stream ended (r == 0) or failed (r < 0) during a call. */
static void call_stream_end(struct http_conn *k, ssize_t r)
{
    struct nst_http_call *c = k->call;
    if (r == 0 && k->head_done && nst_http1_parse_eof(&k->p) == 0) {
        finish(k, 0); /* a body delimited by the close */
        return;
    }
    if (!c->got_byte) {
        http_conn_abandon(k);
        http_call_conn_lost(c, r < 0 ? (int)r : NST_HTTP_E_CLOSED);
        return;
    }
    if (r == 0 && k->head_done) {
        c->cl->stats.parse_errors++; /* shorter than its framing said */
        c->why = "the connection closed inside the body";
    }
    http_call_fail(c, r < 0 ? (int)r : NST_HTTP_E_CLOSED);
}

/* Connect and TLS phases: note when each completes. */
static void track_handshakes(struct http_conn *k, struct nst_http_call *c)
{
    struct nst_http_client *cl = k->cl;
    if (!k->tcp_up) {
        struct nst_tcp_info ti;
        size_t len = sizeof ti;
        if (nst_getsockopt(cl->st, nst_stream_fd(k->s), NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len) < 0 ||
            ti.state < NST_TCPS_ESTABLISHED)
            return;
        k->tcp_up = 1;
        c->t.connect = http_now(cl) - c->t.start;
        if (c->tls)
            http_call_phase(c, PH_TLS, cl->cfg.tls_timeout);
        else
            http_call_phase(c, PH_SEND, 0);
    }
    if (c->tls && !k->tls_up) {
        if (nst_stream_established(k->s) != 1)
            return;
        k->tls_up = 1;
        c->t.tls = http_now(cl) - c->t.start;
        http_call_phase(c, PH_SEND, 0);
    }
}

/* One pass over a busy connection. 1 if something moved. */
static int call_step(struct http_conn *k)
{
    struct nst_http_call *c = k->call;
    if (c->phase == PH_CONNECT || c->phase == PH_TLS) {
        track_handshakes(k, c);
        if (c->phase == PH_CONNECT || c->phase == PH_TLS) {
            int err = nst_stream_error(k->s);
            if (err)
                call_stream_end(k, err);
            return 0;
        }
    }
    int moved = 0;
    while (k->sent < c->req_len) {
        ssize_t w = nst_stream_write(k->s, c->req + k->sent, c->req_len - k->sent);
        if (w == -EAGAIN)
            break;
        if (w < 0) {
            call_stream_end(k, w);
            return 0;
        }
        k->sent += (size_t)w;
        moved = 1;
        if (k->sent == c->req_len && !c->got_byte)
            http_call_phase(c, PH_WAIT, k->cl->cfg.response_timeout);
    }
    ssize_t r = http_buf_fill(&k->in, k->s);
    if (r == -EAGAIN || r == -ENOBUFS)
        return moved;
    if (r <= 0) {
        call_stream_end(k, r);
        return 0;
    }
    http_call_byte_arrived(c);
    if (k->sent < c->req_len)
        c->phase = PH_SEND; /* the server answered early; the read timer runs anyway */
    parse_response(k);
    return 1;
}

/* An idle pooled connection has an event: the server closed it (FIN, RST)
 * or sent bytes nobody asked for. Either way it is done. */
static void idle_event(struct http_conn *k)
{
    int ev = nst_stream_events(k->s);
    if (ev & (NST_EV_IN | NST_EV_ERR | NST_EV_HUP | NST_EV_RDHUP)) {
        k->cl->stats.stale_closed++;
        http_conn_close(k);
    }
}

static void conn_step(struct http_conn *k)
{
    if (k->stepping)
        return;
    k->stepping = 1;
    for (int i = 0; i < 256 && !k->dead; i++) {
        if (!k->call) {
            if (k->state == K_IDLE)
                idle_event(k);
            break;
        }
        if (!call_step(k))
            break;
    }
    k->stepping = 0;
    if (k->dead)
        conn_free(k);
}

static void conn_event(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    (void)ev;
    conn_step(arg);
}

/* ---- dispatch -------------------------------------------------------------- */

void http_pool_kick(struct nst_http_client *cl)
{
    if (!cl->freeing && cl->ready_head && !nst_app_timer_armed(cl->kick))
        nst_app_timer_arm(cl->kick, http_now(cl));
}

/* A pooled connection of the origin, checked alive first: the origin's
 * own connections only (at most max_per_origin). */
static struct http_conn *pooled(struct http_origin *o)
{
    struct http_conn *k = o->conns, *next;
    for (; k; k = next) {
        next = k->onext;
        if (k->state != K_IDLE || k->dead)
            continue;
        k->stepping = 1;
        idle_event(k); /* never send into a connection the server has closed */
        k->stepping = 0;
        if (!k->dead)
            return k;
        next = k->onext;
        conn_free(k);
    }
    return NULL;
}

static uint32_t origin_conns(const struct http_origin *o)
{
    uint32_t n = 0;
    for (const struct http_conn *k = o->conns; k; k = k->onext)
        n += !k->dead;
    return n;
}

/* Tries to start o's first call: 1 started (or failed, ending it), 0 o is
 * blocked, -1 the call ended and with it, perhaps, o (look no further). */
static int start_first(struct nst_http_client *cl, struct http_origin *o)
{
    struct nst_http_call *c = o->head;
    if (cl->cfg.proto == NST_HTTP_PROTO_HTTP2) {
        int p = h2_client_place(cl, c);
        if (p > 0)
            return 1;
        if (p == 0)
            return 0; /* its connection is at the peer's stream limit */
    }
    struct http_conn *k = pooled(o);
    int reused = k != NULL;
    if (!k && origin_conns(o) < cl->cfg.max_per_origin) {
        k = conn_open(cl, c);
        if (!k) {
            http_call_fail(c, -ENOMEM);
            return -1;
        }
    }
    if (!k)
        return 0;
    http_origin_took_turn(o);
    http_pool_kick(cl);
    start_call(k, c, reused);
    return -1;
}

void http_pool_dispatch(void *arg, struct nst_app_timer *t)
{
    (void)t;
    struct nst_http_client *cl = arg;
    /* Starts a call of the first ready origin that can start one; starting
     * runs callbacks that may end calls and free connections (and
     * origins), so an HTTP/1.1 start ends this turn and the next is the
     * next kick's (due at once). HTTP/2 streams start together (a burst of
     * HEADERS in one flight), up to 256 a turn. An origin found blocked
     * leaves the ready list until http_origin_wake. */
    int placed = 0;
    struct http_origin *o;
    while ((o = cl->ready_head) && placed < 256) {
        if (!o->head) {
            http_origin_blocked(o);
            continue;
        }
        o->refs++; /* placing may end the origin's last call */
        int r = start_first(cl, o);
        if (r == 0)
            http_origin_blocked(o);
        else if (r > 0)
            http_origin_took_turn(o);
        http_origin_put(o);
        if (r < 0)
            return;
        if (r > 0) {
            http_pool_kick(cl);
            placed++;
        }
    }
}
