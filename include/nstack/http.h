/* nstack — HTTP requests and responses over nstack streams.
 *
 * The API speaks of requests, responses, fields and body chunks, never of
 * a wire format: today HTTP/1.1 (RFC 9112) carries them; HTTP/2 is meant to
 * carry the same objects later, so an application changes protocol by
 * configuration (nst_http_server_config.proto, nst_http_client_config.proto).
 *
 * Everything is non-blocking and driven by the stack: callbacks run inside
 * nst_stack_poll() (in virtual time on the simulator), timeouts are app
 * timers on the stack's heap. One stack carries any number of servers,
 * clients and connections.
 *
 * Server. nst_http_server_new() takes a listening TCP socket (and a TLS
 * context for HTTPS) and routes: each request whose head has arrived goes to
 * the handler of the longest matching path prefix, as an exchange. The
 * handler answers with nst_http_respond(), then body bytes
 * (nst_http_write(), which takes bytes until the connection's bounded output
 * buffer is full: -EAGAIN, then on_writable), then nst_http_end(). The
 * request body arrives through on_body/on_end. Requests on one connection
 * are answered in order (pipelined requests wait, unread, until the answer
 * before them has ended). Parse errors are answered with their status (400,
 * 413, 414, 431, 501, 505) and Connection: close.
 *
 * Client. nst_http_client_new() makes a client with a connection pool.
 * nst_http_request_send() sends a request to an origin (scheme, address,
 * host) and reports the response head, body chunks and the end (or an
 * error) through callbacks. Connections kept alive return to the pool and
 * serve the next request to the same origin.
 *
 * Errors are negative: errno values from the stream (-ECONNRESET,
 * -ECONNREFUSED, -EPROTO for TLS...) or one of enum nst_http_error below,
 * each its own code so a caller can tell a connect timeout from a response
 * timeout. nst_http_strerror() names any of them. */
#ifndef NSTACK_HTTP_H
#define NSTACK_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "socket.h"
#include "types.h"
#include "api.h"

NST_API_BEGIN

struct nst_tls_ctx;

/* Codes of failures that are HTTP's own (negative, beyond errno's range). */
enum nst_http_error {
    NST_HTTP_E_CONNECT_TIMEOUT = -2001,  /* SYN sent, not established in connect_timeout */
    NST_HTTP_E_TLS_TIMEOUT = -2002,      /* TCP established, TLS handshake not done in tls_timeout */
    NST_HTTP_E_RESPONSE_TIMEOUT = -2003, /* request sent, no response byte in response_timeout */
    NST_HTTP_E_READ_TIMEOUT = -2004,     /* a gap between response bytes longer than read_timeout */
    NST_HTTP_E_DEADLINE = -2005,         /* the whole exchange took longer than deadline */
    NST_HTTP_E_BAD_RESPONSE = -2006,     /* the response broke the protocol (nst_http_call_why) */
    NST_HTTP_E_CLOSED = -2007,           /* the connection ended before the response did */
    NST_HTTP_E_QUEUE_FULL = -2008,       /* too many requests waiting for a connection */
    NST_HTTP_E_CANCELLED = -2009,        /* nst_http_call_cancel() or the client freed */
};

const char *nst_http_strerror(int err);

enum nst_http_proto {
    NST_HTTP_PROTO_HTTP1, /* HTTP/1.1 only */
    /* HTTP/2 (RFC 9113, docs/HTTP2.md). A server serves HTTP/2 or HTTP/1.1
     * per connection: ALPN "h2" over TLS, the client preface ("PRI *
     * HTTP/2.0") on plain TCP (h2c with prior knowledge), else HTTP/1.1. A
     * client runs many requests as streams on one connection per origin:
     * h2 over TLS when ALPN says so (else HTTP/1.1 on that connection), h2c
     * with prior knowledge on plain TCP. */
    NST_HTTP_PROTO_HTTP2,
};

/* HTTP/2 settings (both sides). Windows are bytes a peer may send before
 * we take them: the 65,535-byte default caps a stream at ~6.5 Mbit/s over
 * an 80 ms round trip (RFC 9113 6.9.2), so ours are larger. */
struct nst_http2_config {
    uint32_t max_concurrent_streams; /* SETTINGS_MAX_CONCURRENT_STREAMS we announce: 100 */
    uint32_t stream_window;          /* SETTINGS_INITIAL_WINDOW_SIZE: 1 MiB */
    uint32_t conn_window;            /* the connection's receive window: 16 MiB */
    uint32_t max_frame_size;         /* SETTINGS_MAX_FRAME_SIZE: 16,384 */
    uint32_t max_header_list;        /* SETTINGS_MAX_HEADER_LIST_SIZE: 64 KiB */
    int enable_connect_protocol;     /* server: RFC 8441 extended CONNECT: 1 */
};

/* HTTP/2 counters (nst_http_server_stats.h2, nst_http_client_stats.h2). */
#define NST_HTTP2_FRAME_TYPES 10 /* DATA .. CONTINUATION (RFC 9113 6) */
struct nst_http2_stats {
    uint64_t connections;      /* connections that spoke HTTP/2 */
    uint64_t streams;          /* streams opened (requests) */
    uint64_t streams_open;     /* now, all connections */
    uint64_t max_concurrent;   /* the most streams open at once on one connection */
    uint64_t frames_sent[NST_HTTP2_FRAME_TYPES], frames_recv[NST_HTTP2_FRAME_TYPES];
    uint64_t goaway_sent, goaway_recv, rst_sent, rst_recv;
    uint64_t protocol_errors;  /* connections ended by the peer breaking RFC 9113 (GOAWAY sent) */
    uint32_t last_goaway_error; /* error code of the last GOAWAY sent with an error */
    uint64_t refused;          /* client: streams the server refused (REFUSED_STREAM, GOAWAY): requeued */
    uint64_t fallbacks;        /* client: TLS connections where ALPN chose HTTP/1.1 */
};

/* A field as it is on the wire: name (compare case-insensitively) and
 * value, not NUL-terminated. */
struct nst_http_field {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* Index of the first field named `name` (case-insensitive) or -1. */
int nst_http_field_find(const struct nst_http_field *f, size_t n, const char *name);

/* A request as a server's handler sees it. Strings are NUL-terminated and
 * valid until the exchange ends. */
struct nst_http_request {
    const char *method;
    const char *scheme;    /* "http" or "https" */
    const char *authority; /* Host, or "" */
    const char *target;    /* path and query ("/a?b") */
    const struct nst_http_field *fields;
    size_t nfields;
    int64_t content_length; /* -1: chunked (unknown in advance) */
    int has_body;
    int early; /* 1: the head arrived in TLS 1.3 early data (0-RTT), which an attacker
                * can replay: answer only safe, idempotent requests from it, others
                * with 425 Too Early (RFC 8470 5.2) */
    int http2;            /* 1: came as an HTTP/2 stream */
    const char *protocol; /* RFC 8441 extended CONNECT's :protocol ("websocket"), else NULL */
};

/* A response head as the client sees it (fields valid during on_head). */
struct nst_http_response {
    int status;
    const struct nst_http_field *fields;
    size_t nfields;
    int64_t content_length; /* -1 when not known in advance */
};

/* ---- server ---------------------------------------------------------------- */

struct nst_http_server;
struct nst_http_exchange;

typedef void (*nst_http_handler)(void *arg, struct nst_http_exchange *x);

struct nst_http_server_config {
    enum nst_http_proto proto;
    nst_time_t header_timeout;  /* first byte of a request to its whole head (slowloris): 408 and close; 10 s */
    nst_time_t idle_timeout;    /* kept-alive connection with no request starting: closed; 60 s */
    nst_time_t body_timeout;    /* longest gap between request body bytes: 408 (or abort) and close; 30 s */
    uint32_t max_requests;      /* per connection, then Connection: close; 0 = no limit; 1000 */
    uint32_t max_connections;   /* more are accepted and closed at once (counted); 1024 */
    uint32_t max_head;          /* request line + fields, bytes: 8 KiB (414 / 431 beyond) */
    uint64_t max_body;          /* request body bytes: 413 beyond; 1 MiB */
    uint32_t out_limit;         /* bytes buffered per connection (HTTP/2: per stream) before nst_http_write says -EAGAIN; 64 KiB */
    struct nst_http2_config h2; /* proto NST_HTTP_PROTO_HTTP2 */
};
void nst_http_server_config_default(struct nst_http_server_config *c);

struct nst_http_server_stats {
    uint64_t connections, connections_refused, requests, responses;
    uint64_t parse_errors;      /* requests refused by the parser (answered with their status) */
    uint64_t status_4xx, status_5xx;
    uint64_t header_timeouts, idle_timeouts, body_timeouts, max_requests_closes;
    uint64_t continues;         /* 100 Continue sent */
    uint64_t aborted;           /* exchanges ended by a connection failure */
    uint64_t bytes_in, bytes_out; /* read from and written to the streams (TLS: plaintext) */
    uint64_t open;              /* connections open now */
    struct nst_http2_stats h2;
    uint64_t upgrades;          /* requests that became WebSockets (nst_ws_upgrade: 101, or 200 to an
                                   HTTP/2 extended CONNECT) */
};

/* A server on listening socket lfd of st (the server takes it: freed with
 * the server; -1: no listener, streams come by nst_http_server_adopt). tls: NULL for plain HTTP, else HTTPS with that server
 * context. NULL on ENOMEM or bad arguments. */
struct nst_http_server *nst_http_server_new(struct nst_stack *st, int lfd, struct nst_tls_ctx *tls,
                                            const struct nst_http_server_config *c);
/* Serves a stream accepted elsewhere (plain or TLS, e.g. after the
 * caller looked at its ALPN): the server owns it from now on. 0, or
 * -ECONNREFUSED (shutting down, max_connections) / -ENOMEM, the stream
 * closed. */
struct nst_stream;
int nst_http_server_adopt(struct nst_http_server *sv, struct nst_stream *s);
/* Routes requests whose target starts with `prefix` (and method equals
 * `method`, or any method if NULL) to fn(arg, x). The longest prefix wins.
 * Unrouted requests get 404. 0 or -ENOMEM. */
int nst_http_server_route(struct nst_http_server *sv, const char *method, const char *prefix, nst_http_handler fn,
                          void *arg);
/* Graceful shutdown: stops accepting, closes idle connections, lets
 * exchanges in flight finish (their responses say Connection: close). */
void nst_http_server_shutdown(struct nst_http_server *sv);
/* Connections open (0 once a shutdown has finished). */
size_t nst_http_server_connections(const struct nst_http_server *sv);
const struct nst_http_server_stats *nst_http_server_stats(const struct nst_http_server *sv);
/* Closes every connection at once and frees the server. NULL is ignored. */
void nst_http_server_free(struct nst_http_server *sv);

/* Exchange callbacks, all optional. on_body: request body bytes; on_end:
 * the request body is complete; on_writable: nst_http_write may take more
 * bytes; on_abort: the connection failed, x is gone after this returns. */
struct nst_http_exchange_cbs {
    void (*on_body)(void *arg, struct nst_http_exchange *x, const uint8_t *data, size_t len);
    void (*on_end)(void *arg, struct nst_http_exchange *x);
    void (*on_writable)(void *arg, struct nst_http_exchange *x);
    void (*on_abort)(void *arg, struct nst_http_exchange *x);
};
void nst_http_exchange_set_cbs(struct nst_http_exchange *x, const struct nst_http_exchange_cbs *cbs, void *arg);
const struct nst_http_request *nst_http_exchange_request(const struct nst_http_exchange *x);
struct nst_http_server *nst_http_exchange_server(const struct nst_http_exchange *x);

/* Sends the response head. content_length >= 0: that many body bytes
 * follow; -1: a body of unknown length (chunked). For HEAD requests and
 * 204/304 no body is sent whatever is written. 0, -EALREADY, -EINVAL (bad
 * field), -ENOSPC (head too large). */
int nst_http_respond(struct nst_http_exchange *x, int status, const struct nst_http_field *fields, size_t n,
                     int64_t content_length);
/* Body bytes: the count taken (all of them, or fewer when the output
 * buffer fills), -EAGAIN (full: wait for on_writable), -EMSGSIZE (more
 * than content_length), -EPIPE (connection gone). */
ssize_t nst_http_write(struct nst_http_exchange *x, const void *data, size_t len);
/* Ends the response. The exchange is gone once this returns 0 (its memory
 * is reused for the connection's next request). -EMSGSIZE if fewer bytes
 * than content_length were written. */
int nst_http_end(struct nst_http_exchange *x);
/* A whole response in one call: respond + write + end. */
int nst_http_reply(struct nst_http_exchange *x, int status, const char *content_type, const void *body, size_t len);

/* Static files: a handler (arg: the nst_http_static) serving GET and HEAD
 * of the files under root. A target's path is percent-decoded; a ".."
 * segment, a NUL, or a path that resolves (symlinks followed) outside the
 * root's real path is refused with 403; a directory serves its index.html.
 * Files are read as the connection drains (on_writable), never whole into
 * memory. Other methods get 405. */
struct nst_http_static;
/* NULL with errno set if root is not a directory. */
struct nst_http_static *nst_http_static_new(const char *root);
void nst_http_static_free(struct nst_http_static *s);
void nst_http_static_handler(void *arg, struct nst_http_exchange *x);

/* The Date field (RFC 9110 6.6.1: an origin server with a clock sends it)
 * in IMF-fixdate form (5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". The
 * library reads no clock: the caller passes the time, in nanoseconds since
 * 1970 (a run loop's time plus nst_runloop_wall_offset()). The text is
 * formatted again only when the second changes; otherwise the cached one
 * comes back. Start from a zeroed struct. */
struct nst_http_date {
    int64_t sec;       /* the second the text says */
    char text[40];
    size_t len;        /* 0: nothing formatted yet */
    uint64_t formatted; /* times the text was formatted */
};
const char *nst_http_date(struct nst_http_date *d, nst_time_t unix_ns, size_t *len);

/* ---- client ---------------------------------------------------------------- */

struct nst_http_client;
struct nst_http_call;

struct nst_http_client_config {
    enum nst_http_proto proto;
    struct nst_tls_ctx *tls;     /* client context for https origins (NULL: https refused) */
    nst_time_t connect_timeout;  /* SYN to established: 10 s; 0 = none */
    nst_time_t tls_timeout;      /* established to TLS handshake done: 10 s; 0 = none */
    nst_time_t response_timeout; /* last request byte to first response byte: 30 s; 0 = none */
    nst_time_t read_timeout;     /* longest gap between response bytes: 30 s; 0 = none */
    nst_time_t deadline;         /* whole exchange, queueing included: 0 = none */
    nst_time_t idle_timeout;     /* a pooled connection unused this long is closed: 90 s */
    uint32_t max_per_origin;     /* connections per origin: 6 */
    uint32_t max_queued;         /* requests waiting for a connection, all origins: 1024 */
    uint32_t max_head;           /* response head bytes: 16 KiB */
    uint64_t max_body;           /* response body bytes: 1 GiB */
    struct nst_http2_config h2;  /* proto NST_HTTP_PROTO_HTTP2 (max_concurrent_streams: what we
                                    announce; the peer's own limit is what we respect) */
};
void nst_http_client_config_default(struct nst_http_client_config *c);

struct nst_http_client_stats {
    uint64_t requests, responses, failures;
    uint64_t connections;      /* new connections opened */
    uint64_t reuses;           /* requests sent on a pooled connection */
    uint64_t retries;          /* idempotent requests sent again after a reused connection failed */
    uint64_t stale_closed;     /* pooled connections found closed by the server before reuse */
    uint64_t evicted;          /* pooled connections closed by idle_timeout */
    uint64_t connect_timeouts, tls_timeouts, response_timeouts, read_timeouts, deadlines;
    uint64_t parse_errors;     /* responses refused by the parser */
    uint64_t pooled;           /* idle connections in the pool now */
    uint64_t open;             /* connections open now */
    struct nst_http2_stats h2;
};

/* A request to send. The origin is scheme + addr + host: requests to the
 * same origin share pooled connections. Strings and body are copied. */
struct nst_http_client_request {
    const char *method;
    const char *scheme;          /* "http" or "https" */
    struct nst_sockaddr addr;    /* where to connect */
    const char *host;            /* Host field and TLS server name */
    const char *target;          /* "/path?query" */
    const struct nst_http_field *fields;
    size_t nfields;
    const void *body;            /* NULL: no body */
    size_t body_len;
    int close;                   /* ask for Connection: close (no reuse) */
};

/* Per-request timings, nanoseconds of the stack clock. Phases not gone
 * through (connect and tls on a reused connection) are 0. */
struct nst_http_timing {
    nst_time_t start;      /* nst_http_request_send */
    nst_time_t connect;    /* start to TCP established */
    nst_time_t tls;        /* start to TLS handshake done */
    nst_time_t first_byte; /* start to the first response byte */
    nst_time_t total;      /* start to the end of the response */
    int reused;            /* sent on a pooled connection (HTTP/2: on an open connection) */
    int http2;             /* carried by an HTTP/2 stream */
    int retried;           /* sent a second time */
};

struct nst_http_call_cbs {
    void (*on_head)(void *arg, struct nst_http_call *c, const struct nst_http_response *r);
    void (*on_body)(void *arg, struct nst_http_call *c, const uint8_t *data, size_t len);
    /* err 0: the response is complete; else why not. The call is freed
     * after this returns. */
    void (*on_done)(void *arg, struct nst_http_call *c, int err);
};

struct nst_http_client *nst_http_client_new(struct nst_stack *st, const struct nst_http_client_config *c);
/* Sends a request; callbacks fire later (never from inside this call).
 * *out (if not NULL) is the call, valid until on_done returns. 0,
 * -EINVAL (bad request: no method, target or host, https without a TLS
 * context), -ENOMEM. */
int nst_http_request_send(struct nst_http_client *cl, const struct nst_http_client_request *r,
                          const struct nst_http_call_cbs *cbs, void *arg, struct nst_http_call **out);
/* Ends a call at once: on_done(-> NST_HTTP_E_CANCELLED); its connection is
 * closed (HTTP/1.1) or its stream reset with CANCEL (HTTP/2, RFC 9113
 * 8.7: the connection serves on). */
void nst_http_call_cancel(struct nst_http_call *c);
const struct nst_http_timing *nst_http_call_timing(const struct nst_http_call *c);
/* With NST_HTTP_E_BAD_RESPONSE: the rule the response broke; else "". */
const char *nst_http_call_why(const struct nst_http_call *c);
const struct nst_http_client_stats *nst_http_client_stats(const struct nst_http_client *cl);
/* Ends every call (NST_HTTP_E_CANCELLED), closes every connection, frees. */
void nst_http_client_free(struct nst_http_client *cl);

NST_API_END

#endif
