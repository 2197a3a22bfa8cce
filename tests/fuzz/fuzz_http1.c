/* libFuzzer target for the HTTP/1.1 parser (src/app/http1_*.c).
 *
 * The first byte chooses the settings: request or response, the method of
 * the request a response answers (GET, HEAD, CONNECT), small or default
 * limits, LF alone accepted or not, EOF after the last byte. The rest is
 * the connection's bytes. They are parsed in one piece and then in pieces
 * cut where a generator seeded from the input says, and 1 byte at a time:
 * the outcome (every message's fields, body and trailers, where each ends,
 * the error and its status) must be the same text each time, or the
 * target aborts. A result must also be one of the statuses a server can
 * send. Then the writer: a head that parses is written again with
 * src/app/http1_write.c (same start line, fields and framing) and parsed
 * back, and must say the same. Any other crash, leak or sanitizer report
 * is libFuzzer's to show.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds] fuzz_http1. */
#include "app/http1_lex.h"
#include "app/http1_parse.h"
#include "app/http1_write.h"

/* The fuzzers are built with src/ alone on the include path. */
#include "../support/http1_drive.c"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)   \
    do {                \
        if (!(cond))    \
            abort();    \
    } while (0)

static struct http1_drive whole, cut;

static void configure(struct http1_drive *d, uint8_t cfg)
{
    static const enum nst_http1_method methods[] = {NST_HTTP1_M_GET, NST_HTTP1_M_HEAD, NST_HTTP1_M_CONNECT,
                                                    NST_HTTP1_M_GET};
    http1_drive_init(d, (cfg & 1) ? NST_HTTP1_RESPONSE : NST_HTTP1_REQUEST);
    d->req_method = methods[(cfg >> 1) & 3];
    if (cfg & 8) {
        d->lim = (struct nst_http1_limits){64, 128, 256, 32, 0};
        d->max_fields = 4;
    }
    d->lim.reject_bare_lf = (cfg >> 4) & 1;
    d->eof = (cfg >> 5) & 1;
}

static void compare(const char *what)
{
    if (strcmp(whole.text, cut.text) != 0) {
        fprintf(stderr, "%s differs:\n%s--- vs one piece:\n%s", what, cut.text, whole.text);
        abort();
    }
}

/* A span as a NUL-terminated string, in a bump arena. */
static const char *cstr(char **arena, const uint8_t *base, struct nst_http1_span s)
{
    char *out = *arena;
    memcpy(out, base + s.off, s.len);
    out[s.len] = '\0';
    *arena += s.len + 1;
    return out;
}

static int is_framing(const uint8_t *base, const struct nst_http1_field *f)
{
    const uint8_t *n = base + f->name.off;
    return nst_http1_ci_equal(n, f->name.len, "content-length") ||
           nst_http1_ci_equal(n, f->name.len, "transfer-encoding") || nst_http1_ci_equal(n, f->name.len, "host");
}

static int same_span(const uint8_t *a, struct nst_http1_span x, const uint8_t *b, struct nst_http1_span y)
{
    return x.len == y.len && memcmp(a + x.off, b + y.off, x.len) == 0;
}

/* The first head of in/len, written again and parsed back. */
static void fuzz_write_round_trip(const uint8_t *in, size_t len, const struct http1_drive *cfg)
{
    enum { MAXF = 16 };
    struct nst_http1_field f[MAXF], g[MAXF + 2];
    struct nst_http1_parser p, q;
    nst_http1_parser_init(&p, cfg->kind, cfg->req_method, &cfg->lim, f, MAXF);
    int head = nst_http1_parse_head(&p, in, len);
    const struct nst_http1_msg *m = &p.msg;
    if (head <= 0 || m->ntrailers)
        return;
    enum nst_http1_out_body body = m->body == NST_HTTP1_BODY_CHUNKED  ? NST_HTTP1_OUT_CHUNKED
                                   : m->body == NST_HTTP1_BODY_LENGTH ? NST_HTTP1_OUT_LENGTH
                                                                      : NST_HTTP1_OUT_NONE;
    /* What the writer cannot say: no Host, a body until close, a head
     * whose framing fields the writer leaves out by rule. */
    if (cfg->kind == NST_HTTP1_REQUEST ? m->host < 0
                                       : (m->body != NST_HTTP1_BODY_LENGTH && m->body != NST_HTTP1_BODY_CHUNKED))
        return;
    char *strings = malloc(2 * (size_t)head + 64), *arena = strings;
    struct nst_http1_out_field out[MAXF];
    size_t n = 0;
    for (int i = 0; i < m->nfields; i++)
        if (!is_framing(in, &f[i]))
            out[n++] = (struct nst_http1_out_field){cstr(&arena, in, f[i].name), cstr(&arena, in, f[i].value)};
    size_t cap = 2 * (size_t)head + 256;
    uint8_t *w = malloc(cap);
    int wlen;
    if (cfg->kind == NST_HTTP1_REQUEST) {
        struct nst_http1_request_head h = {.method = cstr(&arena, in, m->method),
                                           .target = cstr(&arena, in, m->target),
                                           .host = cstr(&arena, in, f[m->host].value),
                                           .body = body,
                                           .content_length = m->content_length,
                                           .fields = out,
                                           .nfields = n};
        wlen = nst_http1_write_request(w, cap, &h);
    } else {
        int follows;
        struct nst_http1_response_head h = {.status = m->status, .reason = cstr(&arena, in, m->reason),
                                            .req_method = (enum nst_http1_method)cfg->req_method, .body = body,
                                            .content_length = m->content_length, .fields = out, .nfields = n};
        wlen = nst_http1_write_response(w, cap, &h, &follows);
        REQUIRE(wlen < 0 || follows);
    }
    REQUIRE(wlen > 0);
    struct nst_http1_limits big = NST_HTTP1_LIMITS_DEFAULT;
    big.max_start_line = big.max_field_section = 1u << 20;
    big.max_body = UINT64_MAX;
    nst_http1_parser_init(&q, cfg->kind, cfg->req_method, &big, g, MAXF + 2);
    REQUIRE(nst_http1_parse_head(&q, w, (size_t)wlen) == wlen);
    REQUIRE(q.msg.body == m->body && q.msg.content_length == m->content_length);
    if (cfg->kind == NST_HTTP1_REQUEST) {
        REQUIRE(q.msg.method_id == m->method_id && same_span(w, q.msg.method, in, m->method));
        REQUIRE(same_span(w, q.msg.target, in, m->target));
        REQUIRE(same_span(w, g[q.msg.host].value, in, f[m->host].value));
    } else {
        REQUIRE(q.msg.status == m->status && same_span(w, q.msg.reason, in, m->reason));
    }
    /* The same other fields in the same order. */
    int j = 0;
    for (int i = 0; i < m->nfields; i++) {
        if (is_framing(in, &f[i]))
            continue;
        while (j < q.msg.nfields && is_framing(w, &g[j]))
            j++;
        REQUIRE(j < q.msg.nfields && same_span(w, g[j].name, in, f[i].name) &&
                same_span(w, g[j].value, in, f[i].value));
        j++;
    }
    free(w);
    free(strings);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The text of a longer input might not fit the drive's record. */
    if (size < 1 || size > 8192)
        return 0;
    uint8_t cfg = data[0];
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    configure(&whole, cfg);
    http1_drive_run(&whole, in, len, NULL, 0);
    int status = nst_http1_status_of(whole.err);
    REQUIRE(whole.err == 0 || status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
            status == 505);
    REQUIRE((whole.err == 0) == (whole.why == 0));

    /* Random cuts, from a generator seeded by the bytes themselves. */
    size_t cuts[64], ncuts = 0;
    uint32_t x = 2166136261u;
    for (size_t i = 0; i < len; i++)
        x = (x ^ in[i]) * 16777619u;
    for (size_t at = 0; len && ncuts < 64;) {
        x = x * 1103515245u + 12345u;
        at += 1 + (x >> 16) % (len / 8 + 2);
        if (at >= len)
            break;
        cuts[ncuts++] = at;
    }
    configure(&cut, cfg);
    http1_drive_run(&cut, in, len, cuts, ncuts);
    compare("random pieces");
    if (len <= 2048) {
        configure(&cut, cfg);
        http1_drive_bytewise(&cut, in, len);
        compare("1-byte pieces");
    }
    fuzz_write_round_trip(in, len, &whole);
    return 0;
}
