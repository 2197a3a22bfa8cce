/* Drives the HTTP/1.1 parser (src/app/http1_parse.h) the way a connection
 * does: bytes arrive in pieces into one buffer; heads are parsed from the
 * message's first byte, bodies consumed as they come, pipelined messages
 * one after another. The outcome is written as text, so that two ways of
 * cutting the same bytes can be compared exactly. Used by the unit tests
 * and the fuzzer. */
#ifndef NST_TEST_HTTP1_DRIVE_H
#define NST_TEST_HTTP1_DRIVE_H

#include "app/http1_parse.h"

#include <stddef.h>
#include <stdint.h>

#define HTTP1_DRIVE_MAX_MSGS 8
#define HTTP1_DRIVE_FIELDS 16

struct http1_drive_msg {
    struct nst_http1_msg msg;
    size_t start, head_len, end; /* offsets in the input; end valid once done */
    int done;
    size_t body_len;
};

struct http1_drive {
    /* in */
    enum nst_http1_kind kind;
    enum nst_http1_method req_method; /* for responses */
    struct nst_http1_limits lim;
    uint16_t max_fields;
    int eof; /* the peer closes after the last byte */
    /* out */
    int err, why;         /* the first error, 0 if none */
    int eof_rc;           /* parse_eof's result when eof */
    int nmsgs;            /* messages started */
    struct http1_drive_msg msgs[HTTP1_DRIVE_MAX_MSGS];
    char text[65536];     /* everything above, and fields, trailers and bodies, as text */
    size_t text_len;
};

/* Sets defaults: requests, default limits, 16 fields, no EOF. */
void http1_drive_init(struct http1_drive *d, enum nst_http1_kind kind);
/* Feeds in/len cut at cuts[0..ncuts) (increasing offsets), then the rest.
 * Returns the number of messages completed. */
int http1_drive_run(struct http1_drive *d, const uint8_t *in, size_t len, const size_t *cuts, size_t ncuts);
/* The same with one piece per byte. */
int http1_drive_bytewise(struct http1_drive *d, const uint8_t *in, size_t len);

#endif
