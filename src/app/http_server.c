/* The HTTP server (nstack/http.h) over HTTP/1.1 (RFC 9112): connections
 * accepted from a listening socket, each a stream (plain or TLS), each
 * reading one request at a time and answering it before the next is
 * parsed, so pipelined requests are answered in order (RFC 9112 9.3.2).
 *
 * A connection is in one of three phases:
 *   WAIT     no request started: the idle timer runs (keep-alive)
 *   HEAD     a request's first bytes are in: the header timer runs (a
 *            slowloris peer trickling fields is cut at header_timeout)
 *   EXCHANGE the head is parsed, the handler owns an exchange until
 *            nst_http_end(); request body bytes flow to on_body
 * and, once it is to end, LINGER: the last response is flushed, our side
 * shut down, and the peer's remaining bytes read and dropped until its FIN
 * or a short timer, so that a close with unread bytes does not turn into a
 * RST that destroys the response in flight (RFC 9112 9.6). */
#include "http_server_impl.h"
#include "h2_impl.h"

#include <nstack/tcp_info.h>
#include <nstack/timer.h>
#include <nstack/tls.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum phase { P_WAIT, P_HEAD, P_EXCHANGE, P_LINGER };

struct conn {
    struct nst_http_server *sv;
    struct conn *prev, *next;
    struct nst_stream *s;
    struct nst_app_timer *timer;
    struct http_buf in, out;
    struct nst_http1_parser p;
    struct nst_http1_field pf[NST_HTTP_MAX_FIELDS];
    enum phase phase;
    uint32_t requests;
    uint64_t rx_total;    /* bytes read from the stream so far */
    uint64_t early_until; /* TLS 1.3: the first early_until of them were 0-RTT early data */
    uint8_t close_after; /* the connection ends after the current response */
    uint8_t shut, dead, stepping;
    struct nst_http_exchange x;
};

void nst_http_server_config_default(struct nst_http_server_config *c)
{
    *c = (struct nst_http_server_config){
        .proto = NST_HTTP_PROTO_HTTP1,
        .header_timeout = NST_SEC(10),
        .idle_timeout = NST_SEC(60),
        .body_timeout = NST_SEC(30),
        .max_requests = 1000,
        .max_connections = 1024,
        .max_head = 8192,
        .max_body = 1u << 20,
        .out_limit = 64 * 1024,
    };
    h2_config_default(&c->h2);
}

static int conn_step(struct conn *c);

/* ---- connection lifetime --------------------------------------------------- */

static void exchange_abort(struct conn *c)
{
    struct nst_http_exchange *x = &c->x;
    if (c->phase != P_EXCHANGE || x->ended)
        return;
    c->sv->stats.aborted++;
    x->ended = 1;
    if (x->cbs && x->cbs->on_abort)
        x->cbs->on_abort(x->arg, x);
}

static void conn_free(struct conn *c)
{
    struct nst_http_server *sv = c->sv;
    exchange_abort(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        sv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    sv->stats.open--;
    nst_app_timer_free(c->timer);
    nst_stream_close(c->s);
    http_buf_free(&c->in);
    http_buf_free(&c->out);
    free(c->x.head);
    free(c);
}

/* Frees now unless a step of this connection is on the stack (then the
 * step frees it as it returns). */
static void conn_kill(struct conn *c)
{
    c->dead = 1;
    if (!c->stepping)
        conn_free(c);
}

static void arm(struct conn *c, nst_time_t after)
{
    if (after > 0)
        nst_app_timer_arm(c->timer, nst_stack_now(c->sv->st) + after);
    else
        nst_app_timer_cancel(c->timer);
}

static void enter_wait(struct conn *c)
{
    c->phase = P_WAIT;
    arm(c, c->sv->cfg.idle_timeout);
}

/* Flush what is queued, shut our side down, drain the peer (see top). */
static void enter_linger(struct conn *c)
{
    exchange_abort(c);
    c->phase = P_LINGER;
    arm(c, HTTP_LINGER_TIME);
}

/* ---- responses ------------------------------------------------------------- */

void http_count_status(struct nst_http_server *sv, int status)
{
    sv->stats.responses++;
    if (status >= 400 && status < 500)
        sv->stats.status_4xx++;
    else if (status >= 500)
        sv->stats.status_5xx++;
}

/* An error answered by the server itself (parse error, timeout): status,
 * empty body, Connection: close, then linger. */
static void answer_error_and_close(struct conn *c, int status)
{
    uint8_t head[256];
    int follows;
    struct nst_http1_response_head h = {.status = (uint16_t)status, .req_method = NST_HTTP1_M_GET,
                                        .body = NST_HTTP1_OUT_LENGTH, .content_length = 0, .close = 1};
    int n = nst_http1_write_response(head, sizeof head, &h, &follows);
    if (n > 0 && http_buf_put(&c->out, head, (size_t)n) == 0)
        http_count_status(c->sv, status);
    enter_linger(c);
}

int nst_http_respond(struct nst_http_exchange *x, int status, const struct nst_http_field *fields, size_t n,
                     int64_t content_length)
{
    if (x->h2)
        return h2_respond(x, status, fields, n, content_length);
    struct conn *c = x->c;
    if (x->responded || x->ended)
        return -EALREADY;
    if (status < 200 || status > 999)
        return -EINVAL; /* 1xx are the server's own (100 Continue) */
    struct nst_http1_out_field of[NST_HTTP_MAX_FIELDS + 1];
    char arena[8192];
    int nf = http_fields_to_out(fields, n, of, NST_HTTP_MAX_FIELDS, arena, sizeof arena);
    if (nf < 0)
        return nf;
    int http10 = c->p.msg.version_minor == 0;
    if (c->sv->shutting_down || (c->sv->cfg.max_requests && c->requests >= c->sv->cfg.max_requests)) {
        if (!c->close_after && !c->sv->shutting_down)
            c->sv->stats.max_requests_closes++;
        c->close_after = 1;
    }
    /* A body we have not read yet would be read as the next request: close
     * after answering instead (RFC 9112 9.3). */
    if (!x->body_done)
        c->close_after = 1;
    if (http10 && !c->close_after)
        of[nf++] = (struct nst_http1_out_field){"Connection", "keep-alive"};
    enum nst_http1_out_body body = content_length >= 0 ? NST_HTTP1_OUT_LENGTH
                                   : http10            ? NST_HTTP1_OUT_CLOSE
                                                       : NST_HTTP1_OUT_CHUNKED;
    if (body == NST_HTTP1_OUT_CLOSE)
        c->close_after = 1;
    struct nst_http1_response_head h = {.status = (uint16_t)status, .req_method = x->method_id, .body = body,
                                        .content_length = content_length >= 0 ? (uint64_t)content_length : 0,
                                        .close = c->close_after, .fields = of, .nfields = (size_t)nf};
    uint8_t head[sizeof arena + 512];
    int follows;
    int len = nst_http1_write_response(head, sizeof head, &h, &follows);
    if (len < 0)
        return len;
    if (http_buf_put(&c->out, head, (size_t)len) < 0)
        return -ENOSPC;
    x->responded = 1;
    x->body_allowed = (uint8_t)follows;
    x->chunked = body == NST_HTTP1_OUT_CHUNKED;
    x->length = content_length;
    http_count_status(c->sv, status);
    if (!x->in_handler)
        conn_step(c);
    return 0;
}

ssize_t nst_http_write(struct nst_http_exchange *x, const void *data, size_t len)
{
    if (x->h2)
        return h2_write(x, data, len);
    struct conn *c = x->c;
    if (!x->responded || x->ended)
        return -EPIPE;
    if (x->length >= 0 && len > (uint64_t)x->length - x->written)
        return -EMSGSIZE;
    if (len == 0)
        return 0;
    size_t room = c->sv->cfg.out_limit > c->out.len - c->out.off ? c->sv->cfg.out_limit - (c->out.len - c->out.off)
                                                                   : 0;
    const size_t framing = 32;
    if (room <= framing)
        return -EAGAIN;
    size_t take = len < room - framing ? len : room - framing;
    x->written += take;
    if (!x->body_allowed)
        return (ssize_t)take; /* HEAD, 204, 304: counted, never sent */
    if (x->chunked) {
        uint8_t line[24];
        int n = nst_http1_write_chunk_head(line, sizeof line, take);
        http_buf_put(&c->out, line, (size_t)n);
    }
    http_buf_put(&c->out, data, take);
    if (x->chunked)
        http_buf_put(&c->out, "\r\n", 2);
    if (!x->in_handler)
        conn_step(c);
    return (ssize_t)take;
}

static void exchange_finish(struct conn *c);

int nst_http_end(struct nst_http_exchange *x)
{
    if (x->h2)
        return h2_end(x);
    struct conn *c = x->c;
    if (!x->responded || x->ended)
        return -EPIPE;
    if (x->length >= 0 && x->written < (uint64_t)x->length && x->body_allowed)
        return -EMSGSIZE; /* (HEAD, 204, 304 send no body: nothing is owed) */
    if (x->chunked && x->body_allowed) {
        uint8_t last[8];
        int n = nst_http1_write_last_chunk(last, sizeof last, NULL, 0);
        if (http_buf_put(&c->out, last, (size_t)n) < 0)
            return -EAGAIN;
    }
    x->ended = 1;
    if (!x->in_handler)
        conn_step(c);
    return 0;
}

int nst_http_reply(struct nst_http_exchange *x, int status, const char *content_type, const void *body, size_t len)
{
    struct nst_http_field f = {"Content-Type", 12, content_type, content_type ? strlen(content_type) : 0};
    int err = nst_http_respond(x, status, content_type ? &f : NULL, content_type ? 1 : 0, (int64_t)len);
    if (err)
        return err;
    ssize_t w = nst_http_write(x, body, len);
    if (w >= 0 && (size_t)w != len)
        return -ENOSPC; /* larger than the output buffer: stream it with nst_http_write */
    return w < 0 ? (int)w : nst_http_end(x);
}

void nst_http_exchange_set_cbs(struct nst_http_exchange *x, const struct nst_http_exchange_cbs *cbs, void *arg)
{
    x->cbs_copy = *cbs;
    x->cbs = &x->cbs_copy;
    x->arg = arg;
}

const struct nst_http_request *nst_http_exchange_request(const struct nst_http_exchange *x) { return &x->req; }
struct nst_http_server *nst_http_exchange_server(const struct nst_http_exchange *x)
{
    return x->h2 ? h2_exchange_server(x) : x->c->sv;
}

/* ---- requests -------------------------------------------------------------- */

const struct route *http_route_for(const struct nst_http_server *sv, const char *method, const char *target)
{
    const struct route *best = NULL;
    for (size_t i = 0; i < sv->nroutes; i++) {
        const struct route *r = &sv->routes[i];
        if (r->method && strcmp(r->method, method))
            continue;
        if (strncmp(target, r->prefix, r->plen))
            continue;
        if (!best || r->plen > best->plen)
            best = r;
    }
    return best;
}

/* Copies a span of the head as a NUL-terminated string after the head. */
static const char *head_str(struct nst_http_exchange *x, size_t *used, const uint8_t *buf,
                            struct nst_http1_span sp)
{
    char *s = (char *)x->head + *used;
    memcpy(s, buf + sp.off, sp.len);
    s[sp.len] = 0;
    *used += sp.len + 1;
    return s;
}

/* The head is parsed (len bytes at the front of c->in): make the exchange. */
static int exchange_start(struct conn *c, size_t len)
{
    struct nst_http_exchange *x = &c->x;
    const struct nst_http1_msg *m = &c->p.msg;
    const uint8_t *buf = c->in.b + c->in.off;
    free(x->head);
    memset(x, 0, sizeof *x);
    x->c = c;
    /* The head, then method, target and authority again as C strings. */
    x->head = malloc(2 * len + 3);
    if (!x->head)
        return -ENOMEM;
    memcpy(x->head, buf, len);
    x->head_len = len;
    size_t used = len;
    x->req.method = head_str(x, &used, x->head, m->method);
    x->req.target = head_str(x, &used, x->head, m->target);
    struct nst_http1_span host = m->host >= 0 ? c->pf[m->host].value : (struct nst_http1_span){0, 0};
    x->req.authority = head_str(x, &used, x->head, host);
    x->req.scheme = nst_stream_is_tls(c->s) ? "https" : "http";
    http_fields_from_parser(c->pf, m->nfields, x->head, x->fields);
    x->req.fields = x->fields;
    x->req.nfields = m->nfields;
    x->req.has_body = m->body != NST_HTTP1_BODY_NONE;
    x->req.content_length = m->body == NST_HTTP1_BODY_LENGTH ? (int64_t)m->content_length
                            : m->body == NST_HTTP1_BODY_NONE ? 0
                                                             : -1;
    /* Early data comes first on a connection: a head that starts inside it
     * arrived (at least partly) in 0-RTT and may be a replay (RFC 8470). */
    x->req.early = c->rx_total - (c->in.len - c->in.off) < c->early_until;
    x->method_id = m->method_id;
    x->body_done = c->p.state == NST_HTTP1_DONE; /* no body, or Content-Length: 0 */
    x->length = -1;
    http_buf_drop(&c->in, len);
    c->phase = P_EXCHANGE;
    c->requests++;
    c->sv->stats.requests++;
    if (!m->keep_alive)
        c->close_after = 1;
    arm(c, x->body_done ? 0 : c->sv->cfg.body_timeout);
    return 0;
}

static void run_handler(struct conn *c)
{
    struct nst_http_exchange *x = &c->x;
    const struct route *r = http_route_for(c->sv, x->req.method, x->req.target);
    x->in_handler = 1;
    if (r)
        r->fn(r->arg, x);
    else
        nst_http_reply(x, 404, "text/plain", "not found\n", 10);
    x->in_handler = 0;
    /* A request without a body is complete with its head: a handler that
     * waits for on_end gets it now (read_body never runs for it). */
    if (x->body_done && !x->ended && x->cbs && x->cbs->on_end)
        x->cbs->on_end(x->arg, x);
    /* RFC 9110 10.1.1: the client waits for 100 Continue before sending
     * the body; send it unless the handler has already answered. */
    if (c->p.msg.expect_continue && !x->body_done && !x->responded) {
        uint8_t line[32];
        int n = nst_http1_write_continue(line, sizeof line);
        if (http_buf_put(&c->out, line, (size_t)n) == 0)
            c->sv->stats.continues++;
    }
}

/* Feeds buffered body bytes to the parser and the handler. */
static void read_body(struct conn *c)
{
    struct nst_http_exchange *x = &c->x;
    while (!x->body_done && c->in.len > c->in.off) {
        const uint8_t *data;
        size_t dlen;
        int n = nst_http1_parse_body(&c->p, c->in.b + c->in.off, c->in.len - c->in.off, &data, &dlen);
        if (n < 0) {
            c->sv->stats.parse_errors++;
            int answer = !x->responded;
            exchange_abort(c); /* the handler's exchange is over: on_abort */
            if (answer)
                answer_error_and_close(c, nst_http1_status_of(n));
            else
                enter_linger(c);
            return;
        }
        if (dlen && x->cbs && x->cbs->on_body && !x->ended)
            x->cbs->on_body(x->arg, x, data, dlen);
        http_buf_drop(&c->in, (size_t)n);
        if (n > 0)
            arm(c, c->sv->cfg.body_timeout); /* the gap is measured from the last body byte */
        if (c->p.state == NST_HTTP1_DONE) {
            x->body_done = 1;
            arm(c, 0);
            if (x->cbs && x->cbs->on_end && !x->ended)
                x->cbs->on_end(x->arg, x);
        }
        if (n == 0)
            break;
    }
}

/* Parses a head from the buffered bytes; runs the handler once it is in. */
static void read_head(struct conn *c)
{
    if (c->in.len == c->in.off)
        return;
    if (c->phase == P_WAIT) {
        c->phase = P_HEAD;
        arm(c, c->sv->cfg.header_timeout);
    }
    int len = nst_http1_parse_head(&c->p, c->in.b + c->in.off, c->in.len - c->in.off);
    if (len == -EAGAIN) {
        if (http_buf_room(&c->in) == 0) { /* cannot happen within the parser's limits: be safe */
            c->sv->stats.parse_errors++;
            answer_error_and_close(c, 431);
        }
        return;
    }
    if (len < 0) {
        c->sv->stats.parse_errors++;
        answer_error_and_close(c, nst_http1_status_of(len));
        return;
    }
    if (exchange_start(c, (size_t)len) < 0) {
        answer_error_and_close(c, 500);
        return;
    }
    run_handler(c);
}

/* The response has ended: the next request, or the end. */
static void exchange_finish(struct conn *c)
{
    if (c->close_after || !c->x.body_done) {
        enter_linger(c);
        return;
    }
    nst_http1_parser_next(&c->p, NST_HTTP1_M_OTHER);
    enter_wait(c);
}

/* ---- upgrades -------------------------------------------------------------- */

void http1_exchange_head(const struct nst_http_exchange *x, const struct nst_http1_parser **p, const uint8_t **head,
                         size_t *head_len, const uint8_t **after, size_t *after_len)
{
    struct conn *c = x->c;
    *p = &c->p;
    *head = x->head;
    *head_len = x->head_len;
    /* The client may send frames right behind its request (RFC 6455 4.1:
     * once it has the 101, but a 101 can be expected). */
    *after = c->in.b + c->in.off;
    *after_len = c->in.len - c->in.off;
}

struct nst_stream *http1_exchange_stream(const struct nst_http_exchange *x) { return x->c->s; }

/* The stream is someone else's now: the connection ends without a word
 * on it (the bytes after the head went with it). */
void http1_exchange_handover(struct nst_http_exchange *x, int status)
{
    struct conn *c = x->c;
    x->responded = x->ended = 1;
    http_count_status(c->sv, status);
    c->sv->stats.upgrades++;
    c->in.off = c->in.len;
    c->s = NULL;
    conn_kill(c);
}

/* ---- the connection's engine ----------------------------------------------- */

/* With proto HTTP2, a new connection's first bytes decide (RFC 9113 3.2,
 * 3.3): ALPN "h2" over TLS, or the client preface on plain TCP, hand the
 * stream to h2_server.c. Returns 1 if the connection was handed over or a
 * partial preface waits for more bytes; 0 for HTTP/1.1. */
static int h2_detect(struct conn *c)
{
    size_t have = c->in.len - c->in.off;
    if (c->sv->cfg.proto != NST_HTTP_PROTO_HTTP2 || c->requests || !have)
        return 0;
    const uint8_t *b = c->in.b + c->in.off;
    if (nst_stream_is_tls(c->s)) {
        const char *alpn = nst_stream_alpn(c->s);
        if (!alpn || strcmp(alpn, "h2"))
            return 0;
    } else {
        if (memcmp(b, H2_PREFACE, have < H2_PREFACE_LEN ? have : H2_PREFACE_LEN))
            return 0;
        if (have < H2_PREFACE_LEN)
            return 1;
    }
    if (h2_server_take(c->sv, c->s, b, have) < 0)
        return 0; /* out of memory: HTTP/1.1 answers (505) and closes */
    c->s = NULL;
    c->in.off = c->in.len;
    conn_kill(c);
    return 1;
}

/* Reads what the stream has: returns 1 if something changed, 0 if it
 * would block, -1 if the connection is gone (killed). */
static int pull(struct conn *c)
{
    ssize_t r = http_buf_fill(&c->in, c->s);
    if (r > 0) {
        c->sv->stats.bytes_in += (uint64_t)r;
        c->rx_total += (uint64_t)r;
        if (nst_stream_read_was_early(c->s))
            c->early_until = c->rx_total;
        return 1;
    }
    if (r == -EAGAIN || r == -ENOBUFS)
        return 0;
    /* EOF or an error. */
    if (c->phase == P_LINGER || c->phase == P_WAIT) {
        conn_kill(c);
        return -1;
    }
    if (r == 0 && c->phase == P_EXCHANGE && c->x.body_done && c->in.len > c->in.off) {
        /* Pipelined requests, then the peer's FIN: answer them, then close. */
        c->close_after = 1;
        return 0;
    }
    /* Otherwise a FIN or a reset while the handler works means the client
     * gave up (its timeout): the exchange is aborted, not answered into
     * the void. */
    if (c->phase == P_HEAD || (c->phase == P_EXCHANGE && !c->x.body_done))
        c->sv->stats.parse_errors += r == 0; /* truncated request */
    conn_kill(c);
    return -1;
}

static int step_once(struct conn *c)
{
    size_t queued = c->out.len - c->out.off;
    int f = http_buf_flush(&c->out, c->s);
    c->sv->stats.bytes_out += queued - (c->out.len - c->out.off);
    if (f < 0 && f != -EAGAIN) {
        conn_kill(c);
        return -1;
    }
    if (c->phase == P_EXCHANGE && c->x.ended && c->out.len == c->out.off)
        exchange_finish(c);
    if (c->phase == P_LINGER) {
        if (c->out.len > c->out.off)
            return 0;
        if (!c->shut && nst_stream_shutdown(c->s) == 0)
            c->shut = 1;
        c->in.off = c->in.len = 0; /* drained bytes are dropped */
        return pull(c);
    }
    if (c->phase == P_EXCHANGE && c->x.body_done) {
        /* Pipelined bytes wait, unparsed, until the answer is out; reading
         * on (while there is room) notices a client that gave up. */
        if (c->close_after && c->in.len > c->in.off)
            return 0;
        return pull(c);
    }
    if (c->phase == P_WAIT && h2_detect(c))
        return c->dead ? -1 : pull(c);
    if (c->phase == P_EXCHANGE)
        read_body(c);
    else
        read_head(c);
    return c->dead ? -1 : pull(c);
}

/* What a step can change; the engine runs until a step changes nothing. */
struct progress {
    int phase, ended, responded;
    size_t in, out;
    uint32_t requests;
};

static struct progress progress_of(const struct conn *c)
{
    return (struct progress){(int)c->phase, c->x.ended, c->x.responded, c->in.len - c->in.off,
                             c->out.len - c->out.off, c->requests};
}

static int progress_same(struct progress a, struct progress b)
{
    return a.phase == b.phase && a.ended == b.ended && a.responded == b.responded && a.in == b.in &&
           a.out == b.out && a.requests == b.requests;
}

/* Runs the connection until it would block. 0 if it is gone (freed). */
static int conn_step(struct conn *c)
{
    if (c->stepping)
        return 1;
    c->stepping = 1;
    for (int i = 0; i < 256 && !c->dead; i++) {
        struct progress a = progress_of(c);
        int r = step_once(c);
        if (r < 0 || c->dead)
            break;
        struct progress b = progress_of(c);
        if (r == 0 && progress_same(a, b))
            break;
    }
    c->stepping = 0;
    if (c->dead) {
        conn_free(c);
        return 0;
    }
    return 1;
}

static void conn_event(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    struct conn *c = arg;
    if (!conn_step(c))
        return;
    if ((ev & NST_EV_OUT) && c->phase == P_EXCHANGE && c->x.responded && !c->x.ended && c->x.cbs &&
        c->x.cbs->on_writable && c->out.len - c->out.off < c->sv->cfg.out_limit / 2)
        c->x.cbs->on_writable(c->x.arg, &c->x);
}

static void conn_timer(void *arg, struct nst_app_timer *t)
{
    (void)t;
    struct conn *c = arg;
    switch (c->phase) {
    case P_WAIT:
        c->sv->stats.idle_timeouts++;
        conn_kill(c);
        return;
    case P_HEAD:
        /* RFC 9110 15.5.9: 408, the server closes the connection. */
        c->sv->stats.header_timeouts++;
        c->stepping = 1;
        answer_error_and_close(c, 408);
        c->stepping = 0;
        conn_step(c);
        return;
    case P_LINGER:
        conn_kill(c);
        return;
    case P_EXCHANGE:
        /* The request body stalled (armed only while it is being read). */
        c->sv->stats.body_timeouts++;
        c->stepping = 1;
        if (!c->x.responded) {
            exchange_abort(c);
            answer_error_and_close(c, 408);
        } else {
            enter_linger(c);
        }
        c->stepping = 0;
        conn_step(c);
        return;
    }
}

/* ---- accepting ------------------------------------------------------------- */

/* A connection over stream s (owned from now on). 0 or -ENOMEM (s closed). */
static int conn_adopt(struct nst_http_server *sv, struct nst_stream *s)
{
    struct conn *c = calloc(1, sizeof *c);
    struct nst_http1_limits lim = NST_HTTP1_LIMITS_DEFAULT;
    lim.max_start_line = sv->cfg.max_head;
    lim.max_field_section = sv->cfg.max_head;
    lim.max_body = sv->cfg.max_body;
    if (!c || http_buf_init(&c->in, 2 * (size_t)sv->cfg.max_head + 64) ||
        http_buf_init(&c->out, sv->cfg.out_limit + 16384) || !(c->timer = nst_app_timer_new(sv->st, conn_timer, c))) {
        if (c) {
            http_buf_free(&c->in);
            http_buf_free(&c->out);
        }
        free(c);
        nst_stream_close(s);
        sv->stats.connections_refused++;
        return -ENOMEM;
    }
    c->sv = sv;
    c->s = s;
    nst_http1_parser_init(&c->p, NST_HTTP1_REQUEST, NST_HTTP1_M_OTHER, &lim, c->pf, NST_HTTP_MAX_FIELDS);
    c->next = sv->conns;
    if (sv->conns)
        sv->conns->prev = c;
    sv->conns = c;
    sv->stats.connections++;
    sv->stats.open++;
    nst_stream_set_callback(c->s, conn_event, c);
    enter_wait(c);
    conn_step(c);
    return 0;
}

static void conn_new(struct nst_http_server *sv, int fd)
{
    /* Answers leave in one write each; the next one must not wait for the
     * ACK of the last (Nagle), as nginx's tcp_nodelay does. */
    int one = 1;
    nst_setsockopt(sv->st, fd, NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof one);
    struct nst_stream *s = sv->tls ? nst_tls_server(sv->tls, sv->st, fd) : nst_stream_tcp(sv->st, fd);
    if (!s) {
        nst_close(sv->st, fd);
        sv->stats.connections_refused++;
        return;
    }
    conn_adopt(sv, s);
}

int nst_http_server_adopt(struct nst_http_server *sv, struct nst_stream *s)
{
    if (sv->shutting_down || sv->stats.open >= sv->cfg.max_connections) {
        nst_stream_close(s);
        sv->stats.connections_refused++;
        return -ECONNREFUSED;
    }
    return conn_adopt(sv, s);
}

static void on_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct nst_http_server *sv = arg;
    if (!(ev & NST_EV_IN) || sv->shutting_down)
        return;
    int cfd;
    while ((cfd = nst_accept(sv->st, sv->lfd, NULL)) >= 0) {
        if (sv->stats.open >= sv->cfg.max_connections) {
            sv->stats.connections_refused++;
            nst_close(sv->st, cfd);
            continue;
        }
        conn_new(sv, cfd);
    }
}

struct nst_http_server *nst_http_server_new(struct nst_stack *st, int lfd, struct nst_tls_ctx *tls,
                                            const struct nst_http_server_config *cfg)
{
    struct nst_http_server *sv = calloc(1, sizeof *sv);
    if (!sv)
        return NULL;
    sv->st = st;
    sv->lfd = lfd;
    sv->tls = tls;
    if (cfg)
        sv->cfg = *cfg;
    else
        nst_http_server_config_default(&sv->cfg);
    if (sv->cfg.max_head < 64 || sv->cfg.out_limit < 1024 ||
        (lfd >= 0 && nst_socket_set_event_cb(st, lfd, on_listener, sv) < 0)) {
        free(sv);
        return NULL;
    }
    if (lfd >= 0)
        on_listener(sv, lfd, NST_EV_IN); /* connections that queued before */
    return sv;
}

int nst_http_server_route(struct nst_http_server *sv, const char *method, const char *prefix, nst_http_handler fn,
                          void *arg)
{
    struct route *r = realloc(sv->routes, (sv->nroutes + 1) * sizeof *r);
    if (!r)
        return -ENOMEM;
    sv->routes = r;
    r = &sv->routes[sv->nroutes];
    r->method = method ? strdup(method) : NULL;
    r->prefix = strdup(prefix);
    if ((method && !r->method) || !r->prefix) {
        free(r->method);
        free(r->prefix);
        return -ENOMEM;
    }
    r->plen = strlen(prefix);
    r->fn = fn;
    r->arg = arg;
    sv->nroutes++;
    return 0;
}

void nst_http_server_shutdown(struct nst_http_server *sv)
{
    if (sv->shutting_down)
        return;
    sv->shutting_down = 1;
    if (sv->lfd >= 0) {
        nst_close(sv->st, sv->lfd);
        sv->lfd = -1;
    }
    struct conn *next;
    for (struct conn *c = sv->conns; c; c = next) {
        next = c->next;
        if (c->phase == P_WAIT)
            conn_kill(c);
        else if (c->phase == P_HEAD)
            c->close_after = 1; /* its request is answered, then the connection ends */
        else if (c->phase == P_EXCHANGE)
            c->close_after = 1; /* a response already sent said keep-alive: end after it */
    }
    h2_server_shutdown(sv);
}

size_t nst_http_server_connections(const struct nst_http_server *sv) { return (size_t)sv->stats.open; }
const struct nst_http_server_stats *nst_http_server_stats(const struct nst_http_server *sv) { return &sv->stats; }

void nst_http_server_free(struct nst_http_server *sv)
{
    if (!sv)
        return;
    while (sv->conns)
        conn_free(sv->conns);
    h2_server_free_all(sv);
    if (sv->lfd >= 0)
        nst_close(sv->st, sv->lfd);
    for (size_t i = 0; i < sv->nroutes; i++) {
        free(sv->routes[i].method);
        free(sv->routes[i].prefix);
    }
    free(sv->routes);
    free(sv);
}
