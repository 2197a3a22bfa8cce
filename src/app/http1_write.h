/* HTTP/1.1 message writer (RFC 9112): request and response heads with the
 * framing fields the rules call for, chunk framing, the last chunk with
 * trailers, 100 Continue. Pure: writes into the caller's buffer, returns
 * the length written, -ENOSPC if it does not fit, or -EINVAL for a name
 * that is not a token or a value with a control character (no header
 * injection), or framing fields passed as ordinary fields. */
#ifndef NST_APP_HTTP1_WRITE_H
#define NST_APP_HTTP1_WRITE_H

#include "http1_parse.h"

#include <stddef.h>
#include <stdint.h>

struct nst_http1_out_field {
    const char *name;
    const char *value;
};

/* How the body that follows a head is framed. */
enum nst_http1_out_body {
    NST_HTTP1_OUT_NONE,    /* no body: a request without content (a POST or PUT
                              without content says LENGTH 0, RFC 9110 8.6) */
    NST_HTTP1_OUT_LENGTH,  /* Content-Length: content_length */
    NST_HTTP1_OUT_CHUNKED, /* Transfer-Encoding: chunked */
    NST_HTTP1_OUT_CLOSE,   /* responses only: no framing field, the body ends when the
                              connection closes (RFC 9112 6.3 item 8; for HTTP/1.0
                              clients, who cannot read chunked); implies close */
};

struct nst_http1_request_head {
    const char *method;
    const char *target;
    const char *host; /* required: HTTP/1.1 (RFC 9112 3.2) */
    enum nst_http1_out_body body;
    uint64_t content_length;
    uint8_t close;           /* Connection: close */
    uint8_t expect_continue; /* Expect: 100-continue (with a body only) */
    const struct nst_http1_out_field *fields;
    size_t nfields;
};

struct nst_http1_response_head {
    uint16_t status;
    const char *reason; /* NULL: the standard phrase */
    enum nst_http1_method req_method; /* the request answered: HEAD and CONNECT matter */
    enum nst_http1_out_body body;     /* what a GET would carry (for HEAD the fields only) */
    uint64_t content_length;
    uint8_t close;                    /* Connection: close */
    const struct nst_http1_out_field *fields;
    size_t nfields;
};

/* Writes a request head. */
int nst_http1_write_request(uint8_t *out, size_t cap, const struct nst_http1_request_head *h);

/* Writes a response head. *body_follows says whether body bytes may be
 * sent after it: never for 1xx, 204, 304, a HEAD request or a 2xx to
 * CONNECT (RFC 9112 6.3), whatever h->body says; 1xx and 204 carry no
 * Content-Length or Transfer-Encoding (RFC 9110 8.6, RFC 9112 6.1), nor do
 * 304 and 2xx to CONNECT. */
int nst_http1_write_response(uint8_t *out, size_t cap, const struct nst_http1_response_head *h, int *body_follows);

/* "HTTP/1.1 100 Continue" and its empty line (RFC 9110 15.2.1). */
int nst_http1_write_continue(uint8_t *out, size_t cap);

/* The chunk-size line of a chunk of `size` (> 0) bytes; the data and then
 * CRLF (nst_http1_write_chunk_end) follow it. */
int nst_http1_write_chunk_head(uint8_t *out, size_t cap, uint64_t size);
int nst_http1_write_chunk_end(uint8_t *out, size_t cap);
/* The last chunk, the trailer fields and the empty line ending the body. */
int nst_http1_write_last_chunk(uint8_t *out, size_t cap, const struct nst_http1_out_field *trailers, size_t n);

/* The standard reason phrase of a status (RFC 9110 15), or "". */
const char *nst_http1_reason(int status);

#endif
