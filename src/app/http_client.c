/* The HTTP client (nstack/http.h) over HTTP/1.1: calls, their phases and
 * timeouts, the response read. Connections and the pool are in
 * http_pool.c (http_client_impl.h).
 *
 * A call goes QUEUED (waiting for a connection) -> CONNECT (TCP handshake,
 * connect_timeout) -> TLS (handshake, tls_timeout) -> SEND (request bytes
 * going out) -> WAIT (last request byte written to the first response
 * byte, response_timeout) -> READ (each response byte re-arms
 * read_timeout) -> done. Each phase's timeout is its own error; the
 * overall deadline runs from nst_http_request_send over all of them. One
 * app timer per call holds the nearer of the phase's and the overall
 * deadline.
 *
 * Retry (RFC 9110 9.2.2, RFC 9112 9.3.1): a request sent on a reused
 * connection that ends (FIN, RST) before any byte of the response may
 * have lost a race with the server closing an idle connection; an
 * idempotent one is sent once more on a new connection, a non-idempotent
 * one fails (the server may have acted on it). */
#include "http_client_impl.h"
#include "h2_impl.h"

#include <nstack/tcp_info.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void nst_http_client_config_default(struct nst_http_client_config *c)
{
    *c = (struct nst_http_client_config){
        .proto = NST_HTTP_PROTO_HTTP1,
        .connect_timeout = NST_SEC(10),
        .tls_timeout = NST_SEC(10),
        .response_timeout = NST_SEC(30),
        .read_timeout = NST_SEC(30),
        .idle_timeout = NST_SEC(90),
        .max_per_origin = 6,
        .max_queued = 1024,
        .max_head = 16384,
        .max_body = 1ull << 30,
    };
    h2_config_default(&c->h2);
}

/* ---- the call's timer ------------------------------------------------------ */

nst_time_t http_now(const struct nst_http_client *cl) { return nst_stack_now(cl->st); }

static void call_rearm(struct nst_http_call *c)
{
    nst_time_t when = c->phase_due;
    if (c->deadline_due && (!when || c->deadline_due < when))
        when = c->deadline_due;
    if (when)
        nst_app_timer_arm(c->timer, when);
    else
        nst_app_timer_cancel(c->timer);
}

/* Enters a phase whose timeout (0: none) starts now. */
void http_call_phase(struct nst_http_call *c, enum call_phase ph, nst_time_t timeout)
{
    c->phase = ph;
    c->phase_due = timeout ? http_now(c->cl) + timeout : 0;
    call_rearm(c);
}

static int phase_error(enum call_phase ph)
{
    switch (ph) {
    case PH_CONNECT: return NST_HTTP_E_CONNECT_TIMEOUT;
    case PH_TLS: return NST_HTTP_E_TLS_TIMEOUT;
    case PH_WAIT: return NST_HTTP_E_RESPONSE_TIMEOUT;
    case PH_READ: return NST_HTTP_E_READ_TIMEOUT;
    default: return NST_HTTP_E_DEADLINE;
    }
}

static void call_timer(void *arg, struct nst_app_timer *t)
{
    (void)t;
    struct nst_http_call *c = arg;
    struct nst_http_client *cl = c->cl;
    nst_time_t now = http_now(cl);
    int err = c->deadline_due && now >= c->deadline_due ? NST_HTTP_E_DEADLINE : phase_error(c->phase);
    switch (err) {
    case NST_HTTP_E_CONNECT_TIMEOUT: cl->stats.connect_timeouts++; break;
    case NST_HTTP_E_TLS_TIMEOUT: cl->stats.tls_timeouts++; break;
    case NST_HTTP_E_RESPONSE_TIMEOUT: cl->stats.response_timeouts++; break;
    case NST_HTTP_E_READ_TIMEOUT: cl->stats.read_timeouts++; break;
    default: cl->stats.deadlines++; break;
    }
    http_call_fail(c, err);
}

/* ---- ending a call --------------------------------------------------------- */

static void call_free(struct nst_http_call *c)
{
    h2_call_free(c);
    nst_app_timer_free(c->timer);
    http_origin_put(c->origin);
    free(c->req);
    free(c->key);
    free(c->method);
    free(c->host);
    free(c);
}

void http_call_dequeue(struct nst_http_call *c) { http_origin_unlink(c->origin, c); }

static void unlink_call(struct nst_http_call *c)
{
    if (c->phase == PH_QUEUED)
        http_call_dequeue(c);
}

static void call_done(struct nst_http_call *c, int err)
{
    struct nst_http_client *cl = c->cl;
    unlink_call(c);
    c->phase = PH_DONE;
    nst_app_timer_cancel(c->timer);
    c->t.total = http_now(cl) - c->t.start;
    if (err)
        cl->stats.failures++;
    else
        cl->stats.responses++;
    if (c->cbs.on_done)
        c->cbs.on_done(c->arg, c, err);
    call_free(c);
    http_pool_kick(cl);
}

void http_call_fail(struct nst_http_call *c, int err)
{
    if (c->h2k)
        h2_call_detach(c); /* RST_STREAM: the connection serves its other streams */
    if (c->conn)
        http_conn_abandon(c->conn); /* half an exchange: the connection cannot be reused */
    c->conn = NULL;
    call_done(c, err);
}

void http_call_succeed(struct nst_http_call *c)
{
    c->conn = NULL;
    call_done(c, 0);
}

/* The connection ended before a response byte: retry or fail. */
void http_call_conn_lost(struct nst_http_call *c, int err)
{
    struct nst_http_client *cl = c->cl;
    if (c->t.reused && !c->got_byte && !c->t.retried && http_method_idempotent(c->method)) {
        c->t.retried = 1;
        cl->stats.retries++;
        c->conn = NULL;
        http_call_queue(c, 1);
        return;
    }
    http_call_fail(c, err ? err : NST_HTTP_E_CLOSED);
}

void http_call_queue(struct nst_http_call *c, int front)
{
    c->phase = PH_QUEUED;
    c->phase_due = 0;
    call_rearm(c);
    http_origin_push(c->origin, c, front);
}

void nst_http_call_cancel(struct nst_http_call *c) { http_call_fail(c, NST_HTTP_E_CANCELLED); }

const struct nst_http_timing *nst_http_call_timing(const struct nst_http_call *c) { return &c->t; }
const char *nst_http_call_why(const struct nst_http_call *c) { return c->why ? c->why : ""; }

/* ---- making a call --------------------------------------------------------- */

/* The request's bytes, head and body, kept for a retry. */
static int serialize(struct nst_http_call *c, const struct nst_http_client_request *r)
{
    struct nst_http1_out_field of[NST_HTTP_MAX_FIELDS];
    char arena[8192];
    int nf = http_fields_to_out(r->fields, r->nfields, of, NST_HTTP_MAX_FIELDS, arena, sizeof arena);
    if (nf < 0)
        return nf;
    int with_body = r->body != NULL;
    int needs_length = !strcmp(r->method, "POST") || !strcmp(r->method, "PUT") || !strcmp(r->method, "PATCH");
    struct nst_http1_request_head h = {
        .method = r->method, .target = r->target, .host = r->host,
        .body = with_body || needs_length ? NST_HTTP1_OUT_LENGTH : NST_HTTP1_OUT_NONE,
        .content_length = with_body ? r->body_len : 0, .close = (uint8_t)!!r->close,
        .fields = of, .nfields = (size_t)nf};
    size_t cap = sizeof arena + 1024 + strlen(r->target) + strlen(r->host) + (with_body ? r->body_len : 0);
    c->req = malloc(cap);
    if (!c->req)
        return -ENOMEM;
    int n = nst_http1_write_request(c->req, cap, &h);
    if (n < 0)
        return n;
    if (with_body)
        memcpy(c->req + n, r->body, r->body_len);
    c->req_len = (size_t)n + (with_body ? r->body_len : 0);
    return 0;
}

int nst_http_request_send(struct nst_http_client *cl, const struct nst_http_client_request *r,
                          const struct nst_http_call_cbs *cbs, void *arg, struct nst_http_call **out)
{
    if (!r->method || !r->target || !r->host || !r->scheme)
        return -EINVAL;
    int tls = !strcmp(r->scheme, "https");
    if ((!tls && strcmp(r->scheme, "http")) || (tls && !cl->cfg.tls))
        return -EINVAL;
    if (cl->queued >= cl->cfg.max_queued)
        return NST_HTTP_E_QUEUE_FULL;
    struct nst_http_call *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->cl = cl;
    c->tls = tls;
    c->addr = r->addr;
    c->close = r->close;
    c->method_id = (uint8_t)http_method_id(r->method);
    c->timer = nst_app_timer_new(cl->st, call_timer, c);
    c->method = strdup(r->method);
    c->host = strdup(r->host);
    int err = c->timer && c->method && c->host ? serialize(c, r) : -ENOMEM;
    if (!err && cl->cfg.proto == NST_HTTP_PROTO_HTTP2)
        err = h2_call_prepare(c, r);
    if (!err)
        err = http_origin_key(&c->key, r->scheme, r->host, &r->addr);
    if (!err && !(c->origin = http_origin_get(cl, c->key)))
        err = -ENOMEM;
    if (err) {
        call_free(c);
        return err;
    }
    if (cbs)
        c->cbs = *cbs;
    c->arg = arg;
    c->t.start = http_now(cl);
    if (cl->cfg.deadline)
        c->deadline_due = c->t.start + cl->cfg.deadline;
    cl->stats.requests++;
    http_call_queue(c, 0);
    if (out)
        *out = c;
    return 0;
}

/* ---- the response ---------------------------------------------------------- */

void http_call_bad_response(struct nst_http_call *c, int err, const char *why)
{
    c->cl->stats.parse_errors++;
    c->why = why;
    (void)err;
    http_call_fail(c, NST_HTTP_E_BAD_RESPONSE);
}

void http_call_byte_arrived(struct nst_http_call *c)
{
    nst_time_t now = http_now(c->cl);
    if (!c->got_byte) {
        c->got_byte = 1;
        c->t.first_byte = now - c->t.start;
    }
    http_call_phase(c, PH_READ, c->cl->cfg.read_timeout);
}

void http_call_deliver_head(struct nst_http_call *c, const struct nst_http1_parser *p, const uint8_t *buf)
{
    struct nst_http_field f[NST_HTTP_MAX_FIELDS];
    http_fields_from_parser(p->fields, p->msg.nfields, buf, f);
    struct nst_http_response resp = {
        .status = p->msg.status, .fields = f, .nfields = p->msg.nfields,
        .content_length = p->msg.body == NST_HTTP1_BODY_LENGTH ? (int64_t)p->msg.content_length
                          : p->msg.body == NST_HTTP1_BODY_NONE ? 0
                                                               : -1};
    /* A HEAD response has no body, but says how long the GET's would be
     * (RFC 9110 9.3.2); the parser has checked the field's syntax. */
    int cl = nst_http_field_find(f, resp.nfields, "content-length");
    if (c->method_id == NST_HTTP1_M_HEAD && cl >= 0) {
        resp.content_length = 0;
        for (size_t i = 0; i < f[cl].value_len && f[cl].value[i] >= '0' && f[cl].value[i] <= '9'; i++)
            resp.content_length = resp.content_length * 10 + (f[cl].value[i] - '0');
    }
    if (c->cbs.on_head)
        c->cbs.on_head(c->arg, c, &resp);
}

void http_call_deliver_body(struct nst_http_call *c, const uint8_t *data, size_t len)
{
    if (len && c->cbs.on_body)
        c->cbs.on_body(c->arg, c, data, len);
}

/* ---- the client ------------------------------------------------------------ */

struct nst_http_client *nst_http_client_new(struct nst_stack *st, const struct nst_http_client_config *cfg)
{
    struct nst_http_client *cl = calloc(1, sizeof *cl);
    if (!cl)
        return NULL;
    cl->st = st;
    if (cfg)
        cl->cfg = *cfg;
    else
        nst_http_client_config_default(&cl->cfg);
    if (!cl->cfg.max_per_origin)
        cl->cfg.max_per_origin = 1;
    if (cl->cfg.max_head < 256)
        cl->cfg.max_head = 256;
    cl->kick = nst_app_timer_new(st, http_pool_dispatch, cl);
    if (!cl->kick) {
        free(cl);
        return NULL;
    }
    return cl;
}

const struct nst_http_client_stats *nst_http_client_stats(const struct nst_http_client *cl) { return &cl->stats; }

void nst_http_client_free(struct nst_http_client *cl)
{
    if (!cl)
        return;
    cl->freeing = 1;
    h2_client_free_all(cl);
    while (cl->conns) {
        struct http_conn *k = cl->conns;
        if (k->call)
            http_call_fail(k->call, NST_HTTP_E_CANCELLED); /* abandons (frees) k */
        else
            http_conn_close(k);
    }
    struct nst_http_call *q;
    while ((q = http_origin_any_queued(cl)))
        call_done(q, NST_HTTP_E_CANCELLED);
    nst_app_timer_free(cl->kick);
    http_origin_table_free(cl);
    free(cl);
}
