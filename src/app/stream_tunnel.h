/* A stream whose bytes travel inside something else: an HTTP/2 stream's
 * DATA frames (RFC 8441: WebSocket over an extended CONNECT). It is a
 * whole nst_stream (stream.h), so WebSocket runs over it unchanged; the
 * carrier (the HTTP/2 server's exchange, the WebSocket HTTP/2 client)
 * pushes received bytes in and takes written bytes out through a small
 * ops table.
 *
 * Receive flow control: received bytes wait in a bounded buffer; the
 * carrier is told (consumed) as the reader takes them, and only then
 * opens the peer's window again, so a reader that stops reading stops
 * the peer (RFC 9113 5.2). */
#ifndef NST_APP_STREAM_TUNNEL_H
#define NST_APP_STREAM_TUNNEL_H

#include <nstack/stream.h>

struct tunnel_ops {
    /* Takes up to len bytes to send: the count, -EAGAIN (full: call
     * tunnel_writable later), or an error. */
    ssize_t (*write)(void *carrier, const void *buf, size_t len);
    /* Our side is done (END_STREAM after what was written). */
    int (*end)(void *carrier);
    /* The reader took n received bytes: open the window by n. */
    void (*consumed)(void *carrier, size_t n);
    /* The stream is closed: the carrier forgets it (no tunnel_* call
     * after this) and, unless both sides had ended (clean), resets its
     * stream (RST_STREAM CANCEL) so the peer learns at once. */
    void (*detach)(void *carrier, int clean);
};

/* A stream over `carrier` that buffers up to in_cap received bytes. NULL
 * on ENOMEM. */
struct nst_stream *tunnel_stream_new(struct nst_stack *st, const struct tunnel_ops *ops, void *carrier,
                                     size_t in_cap, int is_tls);
/* The carrier's side: bytes received (0, or -ENOBUFS: more than the
 * window allowed, a peer error), the peer's end of stream, the peer's
 * reset or the carrier's failure (err), room to write again, and the
 * carrier's end (the stream is gone; err 0 if both sides had ended). */
int tunnel_stream_input(struct nst_stream *s, const void *data, size_t len);
void tunnel_stream_eof(struct nst_stream *s);
void tunnel_stream_writable(struct nst_stream *s);
void tunnel_stream_gone(struct nst_stream *s, int err);

#endif
