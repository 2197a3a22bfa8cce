/* nstack — the byte stream that application protocols sit on.
 *
 * A stream is a connected nstack TCP socket, read and written either as it
 * is (nst_stream_tcp) or through TLS (nst_tls_client / nst_tls_server in
 * tls.h). HTTP/1.1, HTTP/2 and WebSocket use only this interface and never
 * know which one they have.
 *
 * Same non-blocking rules as the socket API: calls return a count or a
 * negative errno code; -EAGAIN means "not now, wait for the event".
 *
 * Readiness is stream-level: NST_EV_IN means a read will return bytes, EOF
 * or an error now (for TLS: decrypted bytes are ready, which can be true
 * while the socket shows nothing readable); NST_EV_OUT means a write will
 * take bytes (for TLS: the handshake is complete, or 0-RTT data can be
 * queued); NST_EV_ERR an error is pending (nst_stream_error); NST_EV_RDHUP
 * the peer finished its side cleanly (TLS: close_notify received);
 * NST_EV_HUP both directions are done.
 *
 * Driving: a stream registers itself as its socket's per-socket callback
 * (nst_socket_set_event_cb) and advances on its own (a TLS handshake makes
 * progress as the peer's flights arrive, without the application calling
 * anything). After each step it calls the application's callback
 * (nst_stream_set_callback) with the stream-level events. That callback may
 * read, write and close the stream (and any other). On the simulator this
 * all happens in virtual time, at the instant the packet arrives.
 *
 * Library: streams and TLS are in the nstack_app library (src/app/), which
 * links OpenSSL; libnstack alone (TCP/IP) does not. */
#ifndef NSTACK_STREAM_H
#define NSTACK_STREAM_H

#include "socket.h"
#include "api.h"

NST_API_BEGIN

struct nst_stream;

/* Called after the stream has processed a socket event or a timer, with
 * the stream-level events (nst_stream_events). */
typedef void (*nst_stream_cb)(void *arg, struct nst_stream *s, int events);

/* A plain TCP stream over fd, a TCP socket connected or connecting (or
 * accepted). The stream owns fd from now on: nst_stream_close closes it.
 * NULL on ENOMEM or if fd is not a TCP socket of st. */
struct nst_stream *nst_stream_tcp(struct nst_stack *st, int fd);

/* Up to len bytes. Returns the count, 0 at a clean end of stream (TCP FIN;
 * TLS: close_notify), -EAGAIN if nothing is ready, or an error: TCP's
 * (-ECONNRESET, -ETIMEDOUT...) or TLS's (tls.h: -EPROTO, -ECONNABORTED for
 * a truncated stream, -EKEYREJECTED, -ETIMEDOUT). A TLS stream never
 * reports a TCP FIN that came without close_notify as a clean EOF. */
ssize_t nst_stream_read(struct nst_stream *s, void *buf, size_t len);

/* 1 if the bytes the last nst_stream_read returned were TLS 1.3 early data
 * (0-RTT: replayable, so serve only idempotent requests from them), 0 if
 * not. One read never mixes early and ordinary bytes. */
int nst_stream_read_was_early(const struct nst_stream *s);

/* Takes up to len bytes; returns the count taken (> 0), -EAGAIN, or an
 * error (-EPIPE after shutdown, a pending error). As with OpenSSL, after
 * -EAGAIN call it again with the same bytes first (the buffer may have
 * moved; more bytes may follow them): a TLS stream may have framed a record
 * from them already. A plain TCP stream does not need this but is content
 * with it, so code written for streams obeys it always. */
ssize_t nst_stream_write(struct nst_stream *s, const void *buf, size_t len);

/* Ends the sending side: TLS sends close_notify, then TCP sends FIN. The
 * peer can still send. 0, -EAGAIN (call again when writable) or an error. */
int nst_stream_shutdown(struct nst_stream *s);

/* Closes the socket and frees the stream (TLS: sends close_notify first if
 * the handshake finished and shutdown was not called). NULL is ignored. */
void nst_stream_close(struct nst_stream *s);

/* Stream-level readiness (NST_EV_*), see above. May read from the socket
 * to learn whether a whole record is there. */
int nst_stream_events(struct nst_stream *s);

/* The pending error (negative errno) or 0; not cleared by reading it. */
int nst_stream_error(const struct nst_stream *s);
/* A sentence saying what failed ("TLS alert received: protocol_version",
 * "certificate verify failed: hostname mismatch", "handshake timed out"),
 * or "" when nothing did. */
const char *nst_stream_error_string(const struct nst_stream *s);

/* 1 once the stream is ready for application data both ways (plain TCP:
 * connected; TLS: handshake finished), 0 before, or the error. */
int nst_stream_established(struct nst_stream *s);

/* The protocol ALPN chose ("h2", "http/1.1"), or NULL (plain TCP, none
 * agreed, or handshake not finished). */
const char *nst_stream_alpn(const struct nst_stream *s);

/* 1 for a TLS stream, 0 for plain TCP. */
int nst_stream_is_tls(const struct nst_stream *s);

/* The application's callback (see above); NULL: none. */
void nst_stream_set_callback(struct nst_stream *s, nst_stream_cb cb, void *arg);
/* The stack and the TCP descriptor under the stream. */
struct nst_stack *nst_stream_stack(const struct nst_stream *s);
int nst_stream_fd(const struct nst_stream *s);

NST_API_END

#endif
