/* Inside the HTTP server: what its HTTP/1.1 connections (http_server.c)
 * and its HTTP/2 connections (h2_server.c) share: the server, its routes
 * and the exchange the API hands to handlers. */
#ifndef NST_APP_HTTP_SERVER_IMPL_H
#define NST_APP_HTTP_SERVER_IMPL_H

#include "http_impl.h"

/* How long a connection we end lingers (our side shut down, the peer's
 * bytes read and dropped) for the peer's end before it is closed anyway:
 * RFC 9112 9.6's staged close, for HTTP/1.1 and HTTP/2 alike. */
#define HTTP_LINGER_TIME NST_SEC(2)

struct route {
    char *method; /* NULL: any */
    char *prefix;
    size_t plen;
    nst_http_handler fn;
    void *arg;
};

struct conn;
struct h2_sstream;
struct h2_sconn;

struct nst_http_exchange {
    struct conn *c;
    struct h2_sstream *h2; /* an HTTP/2 stream's exchange (then c is NULL) */
    struct nst_http_request req;
    struct nst_http_field fields[NST_HTTP_MAX_FIELDS];
    uint8_t *head; /* a copy of the request head, NUL-terminated pieces appended */
    size_t head_len; /* HTTP/1.1: the head's own bytes at the front of head */
    const struct nst_http_exchange_cbs *cbs;
    struct nst_http_exchange_cbs cbs_copy;
    void *arg;
    uint8_t method_id;
    uint8_t responded, body_allowed, chunked, ended, body_done, in_handler;
    int64_t length; /* response content length, -1 chunked or until close */
    uint64_t written;
};

struct nst_http_server {
    struct nst_stack *st;
    struct nst_tls_ctx *tls;
    int lfd;
    struct nst_http_server_config cfg;
    struct route *routes;
    size_t nroutes;
    struct conn *conns;
    struct h2_sconn *h2conns;
    int shutting_down;
    struct nst_http_server_stats stats;
};

/* HTTP/1.1 upgrade (WebSocket, ws_upgrade.c): the request as the parser
 * saw it (spans into head) and the bytes read past its head; then the
 * connection hands its stream over, having answered `status` on it (101),
 * and ends without touching the stream again. */
void http1_exchange_head(const struct nst_http_exchange *x, const struct nst_http1_parser **p, const uint8_t **head,
                         size_t *head_len, const uint8_t **after, size_t *after_len);
struct nst_stream *http1_exchange_stream(const struct nst_http_exchange *x);
void http1_exchange_handover(struct nst_http_exchange *x, int status);

const struct route *http_route_for(const struct nst_http_server *sv, const char *method, const char *target);
void http_count_status(struct nst_http_server *sv, int status);

#endif
