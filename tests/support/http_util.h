/* Test helpers for HTTP on the simulator (tests/sim/test_http_*.c): the
 * NY–London lab path with an nstack HTTP server in London (routes below),
 * a scripted raw TCP server (a misbehaving peer under the test's control),
 * a raw TCP client (bytes in, bytes out), and a recorder for client calls. */
#ifndef NST_TEST_HTTP_UTIL_H
#define NST_TEST_HTTP_UTIL_H

#include <nstack/http.h>

#include "support/tls_util.h"

#define HT_PORT 80
#define HT_TLS_PORT 443
#define HT_RAW_PORT 81

/* The server's routes:
 *   /           200 "hello\n" (Content-Length)
 *   /chunked    200, three chunks "one,two,three" (Transfer-Encoding: chunked)
 *   /big        200, 200,000 bytes streamed through on_writable
 *   /echo       the request body back, read with on_body/on_end
 *   /hang       never answered
 *   /slow       answered 500 ms after the head arrived */
#define HT_SLOW 8
struct ht_slow {
    struct nst_app_timer *timer;
    struct nst_http_exchange *x;
};
struct ht_server {
    struct nst_http_server *sv;
    struct nst_stack *st;
    struct ht_slow slow[HT_SLOW];
    unsigned nslow;
    struct nst_http_exchange *hung;
    int hung_aborted;
};
void ht_server_start(struct ht_server *h, struct nst_stack *st, uint16_t port, struct nst_tls_ctx *tls,
                     const struct nst_http_server_config *cfg);
void ht_server_stop(struct ht_server *h);

/* One recorded client call. */
struct ht_call {
    struct nst_http_call *c;
    int done, err, status, heads;
    int64_t content_length;
    uint8_t body[4096];
    size_t body_len;   /* bytes kept (first 4096) */
    uint64_t body_total;
    struct nst_http_timing t;
    nst_time_t t_done;
    char why[96];
};
/* Sends method target to London:port (scheme "http"/"https"), host london.lab. */
int ht_send(struct nst_http_client *cl, struct ht_call *r, const char *scheme, uint16_t port, const char *method,
            const char *target, const char *body, int close);
int ht_call_done(void *arg);
/* ht_send, then runs the world until it is done (at most 60 s). */
void ht_do(struct tt_lab *l, struct nst_http_client *cl, struct ht_call *r, const char *method, const char *target);

/* A raw server: for the n-th request (by "\r\n\r\n" count; requests have
 * no body) on the k-th connection, sends script[k][n].bytes, then closes
 * if .close; a NULL .bytes with .close closes without answering; an entry
 * with NULL bytes and no close leaves the request unanswered. */
struct ht_raw_step {
    const char *bytes;
    int close;
};
#define HT_RAW_CONNS 4
#define HT_RAW_REQS 4
struct ht_raw {
    struct nst_stack *st;
    int lfd;
    struct ht_raw_step script[HT_RAW_CONNS][HT_RAW_REQS];
    struct {
        int fd, reqs, closed;
        char tail[4];
    } c[HT_RAW_CONNS];
    int n;
};
void ht_raw_start(struct ht_raw *r, struct nst_stack *st, uint16_t port);
void ht_raw_stop(struct ht_raw *r);

/* A raw client: connects from NY, sends bytes, collects what comes back. */
struct ht_rawc {
    struct nst_stack *st;
    int fd;
    char got[65536];
    size_t got_len;
    int eof, err;
    nst_time_t t_eof;
};
void ht_rawc_open(struct ht_rawc *c, struct tt_lab *l, uint16_t port);
void ht_rawc_send(struct ht_rawc *c, const void *data, size_t len);
int ht_rawc_eof(void *arg);
void ht_rawc_close(struct ht_rawc *c);

/* A raw client over TLS from NY to London's `port` ("london.lab"): writes
 * out[0..out_len), keeps the first sizeof got bytes that come back (all
 * are counted), and notes the server's end; with answer_close it answers
 * the server's close_notify with its own and FIN (RFC 8446 6.1), as
 * nghttp and h2load do at the end of a run. */
struct ht_tlsc {
    struct nst_stream *s;
    const void *out;
    size_t out_len, sent;
    char got[4096];
    size_t got_len, got_total;
    int eof, err, answer_close, shut;
    nst_time_t t_eof;
};
void ht_tlsc_open(struct ht_tlsc *c, struct tt_lab *l, struct nst_tls_ctx *ctx, uint16_t port, const void *out,
                  size_t out_len, int answer_close);
int ht_tlsc_ended(void *arg); /* the server's end (close_notify) or an error */

/* An HTTP/2 frame (RFC 9113 4.1) written by hand, for tests that play a
 * peer breaking the protocol: the 9-byte header, then the payload.
 * Returns 9 + len. */
size_t ht_h2_frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t id, const void *payload, size_t len);

#endif
