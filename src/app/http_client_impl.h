/* Inside the HTTP client: calls (http_client.c) and pooled connections
 * (http_pool.c). */
#ifndef NST_APP_HTTP_CLIENT_IMPL_H
#define NST_APP_HTTP_CLIENT_IMPL_H

#include "http_impl.h"

#include <nstack/timer.h>

enum call_phase { PH_QUEUED, PH_CONNECT, PH_TLS, PH_SEND, PH_WAIT, PH_READ, PH_DONE };

struct http_conn;
struct h2_cconn;
struct h2_req;
struct http_origin;

struct nst_http_call {
    struct nst_http_client *cl;
    struct nst_http_call *prev, *next; /* its origin's queue while PH_QUEUED */
    struct http_origin *origin;        /* held from send to free */
    struct http_conn *conn;            /* while it has one */
    struct h2_cconn *h2k;              /* or its HTTP/2 connection (prev/next link it there) */
    int32_t h2id;                      /* its stream there, 0 before the request is submitted */
    struct h2_req *h2r;                /* the request as HTTP/2 sends it, the response head */
    char *key;                         /* origin: scheme, host, address */
    char *method, *host;
    uint8_t method_id;
    struct nst_sockaddr addr;
    int tls, close;
    uint8_t *req; /* head and body as sent, kept for a retry */
    size_t req_len;
    struct nst_http_call_cbs cbs;
    void *arg;
    enum call_phase phase;
    struct nst_app_timer *timer;
    nst_time_t phase_due, deadline_due; /* 0: none */
    int got_byte;
    const char *why;
    struct nst_http_timing t;
};

enum conn_state { K_BUSY, K_IDLE };

struct http_conn {
    struct nst_http_client *cl;
    struct http_conn *prev, *next;
    struct http_origin *origin;        /* held while the connection lives */
    struct http_conn *onext, *oprev;   /* the origin's connections */
    char *key;
    struct nst_stream *s;
    struct nst_app_timer *idle_timer;
    struct http_buf in, out;
    struct nst_http1_parser p;
    struct nst_http1_field pf[NST_HTTP_MAX_FIELDS];
    enum conn_state state;
    int tcp_up, tls_up, head_done;
    size_t sent; /* bytes of the call's request written */
    uint32_t served; /* requests answered on it */
    struct nst_http_call *call;
    int stepping, dead;
};

struct nst_http_client {
    struct nst_stack *st;
    struct nst_http_client_config cfg;
    uint32_t queued; /* calls waiting, all origins: at most cfg.max_queued */
    /* Origins by key (http_origin.c), and those that may start a call now,
     * in turn. */
    struct http_origin **origin_table;
    uint32_t origin_buckets, origins;
    struct http_origin *ready_head, *ready_tail;
    struct http_conn *conns;
    struct h2_cconn *h2conns;
    struct h2_origin *h1_origins; /* proto HTTP2: origins whose ALPN chose HTTP/1.1 */
    struct nst_app_timer *kick; /* dispatches the queue, outside any caller's stack frame */
    int freeing;
    struct nst_http_client_stats stats;
};

/* An origin (http_origin.c): its queued calls in order and its HTTP/1.1
 * connections. */
struct http_origin {
    struct nst_http_client *cl;
    struct http_origin *hnext;          /* the client's table */
    struct http_origin *rnext, *rprev;  /* the ready list, while ready */
    int ready;
    uint32_t hash, refs;                /* refs: calls and connections */
    struct nst_http_call *head, *tail;  /* queued calls, oldest first */
    uint32_t queued;
    struct http_conn *conns;
    char key[];
};

/* The record for key, created if new (NULL: no memory), with a reference
 * taken; http_origin_put gives it back. */
struct http_origin *http_origin_get(struct nst_http_client *cl, const char *key);
struct http_origin *http_origin_find(const struct nst_http_client *cl, const char *key);
void http_origin_put(struct http_origin *o);
/* Capacity for o may have come back: on the ready list if it has calls
 * queued, and the dispatcher kicked. */
void http_origin_wake(struct http_origin *o);
void http_origin_wake_key(struct nst_http_client *cl, const char *key);
/* The dispatcher found o unable to start its first call: off the list. */
void http_origin_blocked(struct http_origin *o);
/* o started a call: to the list's tail if it has more. */
void http_origin_took_turn(struct http_origin *o);
void http_origin_push(struct http_origin *o, struct nst_http_call *c, int front);
void http_origin_unlink(struct http_origin *o, struct nst_http_call *c);
/* Some queued call, or NULL: for freeing the client. */
struct nst_http_call *http_origin_any_queued(const struct nst_http_client *cl);
void http_origin_table_free(struct nst_http_client *cl);

nst_time_t http_now(const struct nst_http_client *cl);
int http_origin_key(char **out, const char *scheme, const char *host, const struct nst_sockaddr *addr);

/* Calls. */
void http_call_phase(struct nst_http_call *c, enum call_phase ph, nst_time_t timeout);
void http_call_queue(struct nst_http_call *c, int front);
/* Takes a queued call off the client's queue (a connection starts it). */
void http_call_dequeue(struct nst_http_call *c);
void http_call_fail(struct nst_http_call *c, int err);
void http_call_succeed(struct nst_http_call *c);
void http_call_conn_lost(struct nst_http_call *c, int err);
void http_call_bad_response(struct nst_http_call *c, int err, const char *why);
void http_call_byte_arrived(struct nst_http_call *c);
void http_call_deliver_head(struct nst_http_call *c, const struct nst_http1_parser *p, const uint8_t *buf);
void http_call_deliver_body(struct nst_http_call *c, const uint8_t *data, size_t len);

/* The pool. */
void http_pool_kick(struct nst_http_client *cl);
void http_pool_dispatch(void *arg, struct nst_app_timer *t);
/* Detaches the connection from its call and closes it. */
void http_conn_abandon(struct http_conn *k);
void http_conn_close(struct http_conn *k);
/* Makes an established stream (an HTTP/2 connection whose ALPN chose
 * HTTP/1.1) an idle pooled connection of origin key. 0 or -ENOMEM. */
int http_pool_adopt(struct nst_http_client *cl, const char *key, struct nst_stream *s);

#endif
