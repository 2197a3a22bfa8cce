/* nstack serve's internals: the server, its table of services, and the
 * helpers services use for their descriptors and connections.
 *
 * A service owns descriptors: its own socket (a UDP socket, or a TCP
 * listener) and, for TCP, each connection it accepted. When the stack says a
 * descriptor's readiness changed, the server calls the owner's handler with
 * the current readiness (NST_EV_*), from the run loop's step (never from
 * inside the stack). */
#ifndef NST_TOOLS_SERVE_H
#define NST_TOOLS_SERVE_H

#include <stdio.h>

#include <nstack/http.h>
#include <nstack/socket.h>
#include <nstack/stream.h>

#include "tools/cmd_tap.h"

#define SERVE_MAX_FDS 4096     /* descriptors the server tracks (sockets and connections) */
#define SERVE_CHUNK 65536      /* bytes moved per recv/send call */
#define SERVE_MAX_SERVICES 8

struct server;
struct digest;
struct serve_ws;
struct nst_control;
struct nst_tls_ctx;
struct nst_http_server;
struct nst_http_static;

/* An accepted TCP connection's state. */
struct serve_conn {
    uint8_t *out;              /* bytes queued to send (echo, http); malloc'd */
    size_t out_len, out_off;
    int close_after;           /* close once `out` is sent */
    char *req;                 /* http: the request bytes so far */
    size_t req_len;
    uint64_t pattern_off;      /* source: where the pattern continues */
    struct digest *digest;     /* sink-sha256: the hash so far (NULL until the first call) */
    uint64_t bytes;            /* sink-sha256: bytes read */
    nst_time_t first;          /* sink-sha256: when the first byte was read */
    struct nst_stream *stream; /* TLS services: the connection's TLS stream (owns fd); NULL: plain */
};

struct serve_stats {
    uint64_t datagrams;        /* UDP */
    uint64_t conns;            /* TCP connections accepted */
    uint64_t bytes_in, bytes_out;
    uint64_t requests;         /* http */
};

struct service {
    const char *name;          /* the option: --NAME PORT */
    const char *help;
    int type;                  /* NST_SOCK_DGRAM or NST_SOCK_STREAM */
    /* The service's own socket is ready (UDP: datagrams; TCP: the listener,
     * NULL for the default, serve_accept_ready). */
    void (*on_socket)(struct server *sv, int fd, int events);
    /* An accepted connection is ready (TCP only). */
    void (*on_conn)(struct server *sv, int fd, struct serve_conn *c, int events);
    int tls;                   /* each connection is a TLS stream (serve_tls.h) */
};

struct serve_owner {
    const struct service *svc; /* NULL: not the server's */
    struct serve_stats *stats;
    struct serve_conn *conn;   /* NULL: the service's own socket */
};

struct server {
    struct tap_host h;
    struct serve_owner own[SERVE_MAX_FDS];
    uint8_t marked[SERVE_MAX_FDS];
    int pending[SERVE_MAX_FDS]; /* marked descriptors, in order */
    int npending;
    int batch[SERVE_MAX_FDS];   /* the step's copy of pending */
    struct serve_stats stats[SERVE_MAX_SERVICES]; /* per entry of the services table */
    struct nst_control *control; /* --control: the inspection socket (tools/serve_control.c) */
    struct nst_tls_ctx *tls;    /* --tls: the server context (--cert, --key, ...) */
    struct nst_http_server *http; /* --http: the library's server, given each accepted connection */
    struct nst_http_static *http_root; /* --root: its files; NULL: the built-in page */
    size_t http_service;        /* the http entry of the services table (its stats) */
    size_t https_service;       /* the tls entry (its stats) */
    /* Date on every answer: the run loop's time plus the wall clock's
     * offset (read once, at start), formatted once a second. */
    nst_time_t wall_offset;
    struct nst_http_date date;
    struct serve_ws *ws;         /* --ws: its connections (tools/serve_ws.c) */
    uint8_t buf[SERVE_CHUNK];   /* scratch for recv */
};

/* Marks fd as worth a look at the next step. */
void serve_mark(struct server *sv, int fd);
/* Accepts every waiting connection of a TCP listener (the default on_socket). */
void serve_accept_ready(struct server *sv, int fd, int events);
/* Appends bytes to the connection's output (copied). 0 or -ENOMEM. */
int serve_conn_queue(struct serve_conn *c, const void *data, size_t len);
/* Sends queued output until done or the socket is full; closes the
 * connection if it failed, or if it is done and close_after is set.
 * Returns 1 if the connection is still open. */
int serve_conn_flush(struct server *sv, int fd, struct serve_conn *c);
/* Forgets a connection without closing it (its descriptor now belongs to
 * someone else: the library HTTP server). */
void serve_conn_release(struct server *sv, int fd);
/* Closes a connection (TCP close: FIN after the queued data) and forgets it. */
void serve_conn_close(struct server *sv, int fd);
/* The statistics of fd's service. */
struct serve_stats *serve_stats_of(struct server *sv, int fd);

/* Handlers, one file per kind of service. */
void serve_udp_echo(struct server *sv, int fd, int events);
void serve_tcp_echo(struct server *sv, int fd, struct serve_conn *c, int events);
void serve_discard(struct server *sv, int fd, struct serve_conn *c, int events);
void serve_source(struct server *sv, int fd, struct serve_conn *c, int events);
void serve_sink_sha256(struct server *sv, int fd, struct serve_conn *c, int events);
void serve_http(struct server *sv, int fd, struct serve_conn *c, int events);
/* --http's library server (tools/serve_http.c): made before the listener
 * opens (root: --root DIR or NULL), its counters, freed before the stack. */
int serve_http_start(struct server *sv, size_t service, int tls, const char *root, int http2);
void serve_http_report(const struct server *sv, const char *name);
void serve_http_stop(struct server *sv);
/* WebSocket (tools/serve_ws.c): the HTTP handler that upgrades (/ws and
 * /chat of --http and --tls; every path of --ws); --ws's own HTTP server
 * (made before its listener) and its connection handler; the summary;
 * frees the connections. */
struct nst_http_exchange;
void serve_ws_handler(void *arg, struct nst_http_exchange *x);
int serve_ws_start(struct server *sv);
void serve_ws_conn(struct server *sv, int fd, struct serve_conn *c, int events);
void serve_ws_report(struct server *sv);
void serve_ws_free(struct server *sv);

#endif
