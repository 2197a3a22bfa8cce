/* Shared by the HTTP server and client (src/app/http_*.c): a bounded byte
 * buffer for a connection's input or output, and field conversions between
 * the protocol-agnostic API (nstack/http.h) and the HTTP/1.1 writer. */
#ifndef NST_APP_HTTP_IMPL_H
#define NST_APP_HTTP_IMPL_H

#include <nstack/http.h>
#include <nstack/stack.h>
#include <nstack/stream.h>

#include "http1_parse.h"
#include "http1_write.h"

#define NST_HTTP_MAX_FIELDS 64 /* fields kept per message (more: 431 / a bad response) */

/* Bytes [off, len) are pending; cap is fixed at creation, or grows up to a
 * limit with http_buf_reserve (every queue bounded). */
struct http_buf {
    uint8_t *b;
    size_t off, len, cap;
};
int http_buf_init(struct http_buf *q, size_t cap);
void http_buf_free(struct http_buf *q);
size_t http_buf_room(const struct http_buf *q);
/* Appends all of data or nothing: 0 or -ENOSPC. Compacts first if needed. */
int http_buf_put(struct http_buf *q, const void *data, size_t len);
/* Drops n pending bytes from the front. */
void http_buf_drop(struct http_buf *q, size_t n);
/* Makes room for n more bytes, growing the buffer (it may start empty,
 * from {0}) up to `limit` bytes in all: 0, -ENOSPC past the limit, -ENOMEM. */
int http_buf_reserve(struct http_buf *q, size_t n, size_t limit);
/* Writes pending bytes to the stream until done or -EAGAIN: 0, -EAGAIN
 * (bytes remain) or the stream's error. The -EAGAIN rule of
 * nst_stream_write holds: the same bytes stay at the front. */
int http_buf_flush(struct http_buf *q, struct nst_stream *s);
/* Reads from the stream into the free room: count, 0 at EOF, -EAGAIN,
 * -ENOBUFS when there is no room, or an error. */
ssize_t http_buf_fill(struct http_buf *q, struct nst_stream *s);

/* Copies API fields into NUL-terminated strings in arena[0..cap) for the
 * HTTP/1.1 writer. Number of fields, or -ENOSPC / -EINVAL (a NUL inside). */
int http_fields_to_out(const struct nst_http_field *f, size_t n, struct nst_http1_out_field *out, size_t max,
                       char *arena, size_t cap);
/* Parsed fields (spans into buf) as API fields. */
void http_fields_from_parser(const struct nst_http1_field *pf, size_t n, const uint8_t *buf,
                             struct nst_http_field *out);

/* RFC 9110 9.2.2: methods whose repetition has the effect of one request. */
int http_method_idempotent(const char *method);
enum nst_http1_method http_method_id(const char *method);

#endif
