/* Inside HTTP/2 (src/app/h2_*.c): nghttp2 sessions driven over nstack
 * streams. h2_session.c moves bytes between a stream and a session and
 * counts frames; h2_server.c and h2_client.c map streams onto the HTTP
 * API's exchanges and calls. */
#ifndef NST_APP_H2_IMPL_H
#define NST_APP_H2_IMPL_H

#include "http_impl.h"

#include <nghttp2/nghttp2.h>

/* RFC 9113 3.4: the client connection preface starts with these 24 bytes. */
#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24

/* A connection's byte mover: nghttp2 serializes frames into its own buffer
 * (nghttp2_session_mem_send); we write that straight to the stream and
 * keep only what the stream did not take (out), asking nghttp2 for more
 * only once out is empty, so out never holds more than one of nghttp2's
 * chunks. Input is read into a stack buffer and fed to
 * nghttp2_session_mem_recv at once; DATA payloads reach the application as
 * pointers into that buffer. */
struct h2_io {
    nghttp2_session *ng;
    struct nst_stream *s;
    struct http_buf out;
    struct nst_http2_stats *stats;
    uint64_t *bytes_in, *bytes_out; /* the server's byte counters (or NULL) */
    uint64_t open_streams; /* on this connection */
    /* This connection's own counts, for its `nstack ss -i` note. */
    uint64_t max_open, frames_tx, frames_rx, goaway_tx, goaway_rx, rst_tx, rst_rx;
    int fatal;             /* nghttp2 refused the input or failed: the connection is ending */
    int eof;               /* the stream ended (FIN, RST, error) */
    int in_early;          /* the bytes being fed are TLS 1.3 early data (0-RTT) */
    int counted;           /* its protocol error is counted */
};

/* Callbacks both sides use (frame counters); the caller adds its own, and
 * its on_frame_recv calls h2_count_recv. The session's user data is the
 * side's connection, whose first member is its struct h2_io. */
int h2_count_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user);
int h2_count_send(nghttp2_session *ng, const nghttp2_frame *f, void *user);
void h2_callbacks_common(nghttp2_session_callbacks *cb);
/* Options both sides use: nghttp2's defences on (see h2_session.c). */
int h2_option_new(nghttp2_option **opt, const struct nst_http2_config *c);
/* Sends our SETTINGS (RFC 9113 3.4) and raises the connection window. */
int h2_send_settings(struct h2_io *io, const struct nst_http2_config *c, int server);
int h2_io_init(struct h2_io *io, struct nst_stream *s, struct nst_http2_stats *stats);
void h2_io_free(struct h2_io *io);
/* Feeds bytes to the session: 0 or the fatal nghttp2 error (GOAWAY queued). */
int h2_io_feed(struct h2_io *io, const uint8_t *data, size_t len);
/* Reads the stream until it would block: 1 if bytes came, 0 if none, -1
 * at EOF or on error (io->eof set) or a fatal protocol error. */
int h2_io_pull(struct h2_io *io);
/* Writes what the session has to send until the stream is full: 0, or
 * -1 on a stream error. */
int h2_io_push(struct h2_io *io);
/* 1 when the session has nothing left to do (GOAWAY exchanged, streams
 * done, output flushed): the connection may close. */
int h2_io_finished(const struct h2_io *io);
void h2_stream_opened(struct h2_io *io);
void h2_stream_closed(struct h2_io *io);
/* The per-socket note for `nstack ss -i`. */
void h2_io_note(struct h2_io *io, const char *role);

void h2_config_default(struct nst_http2_config *c);

/* ---- server (h2_server.c), called by http_server.c ---- */
struct nst_http_server;
/* Takes stream s (its first `len` bytes already read are in `pre`) as an
 * HTTP/2 connection. 0, or negative (s untouched). */
int h2_server_take(struct nst_http_server *sv, struct nst_stream *s, const uint8_t *pre, size_t len);
void h2_server_shutdown(struct nst_http_server *sv);
void h2_server_free_all(struct nst_http_server *sv);
int h2_respond(struct nst_http_exchange *x, int status, const struct nst_http_field *f, size_t n, int64_t length);
ssize_t h2_write(struct nst_http_exchange *x, const void *data, size_t len);
int h2_end(struct nst_http_exchange *x);
struct nst_http_server *h2_exchange_server(const struct nst_http_exchange *x);
/* RFC 8441: an extended CONNECT answered 2xx becomes a tunnel stream
 * (stream_tunnel.h) over its DATA frames. NULL on ENOMEM or if the
 * exchange is not answered or is over. */
struct nst_stream *h2_exchange_tunnel(struct nst_http_exchange *x);

/* ---- client (h2_client.c), called by http_client.c and http_pool.c ---- */
struct nst_http_client;
struct nst_http_call;
struct nst_http_client_request;
/* Keeps what an HTTP/2 request needs (header list, body). */
int h2_call_prepare(struct nst_http_call *c, const struct nst_http_client_request *r);
void h2_call_free(struct nst_http_call *c);
/* The call leaves its stream (RST_STREAM CANCEL if still open). */
void h2_call_detach(struct nst_http_call *c);
/* Places a queued call on its origin's HTTP/2 connection: 1 started (or
 * waiting on the connection's handshake), 0 it must wait in the queue
 * (the connection is at the peer's SETTINGS_MAX_CONCURRENT_STREAMS), -1
 * the origin speaks HTTP/1.1 (ALPN said so): use the HTTP/1.1 pool. */
int h2_client_place(struct nst_http_client *cl, struct nst_http_call *c);
void h2_client_free_all(struct nst_http_client *cl);

#endif
