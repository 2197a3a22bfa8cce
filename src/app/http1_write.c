/* HTTP/1.1 message writer (RFC 9112, RFC 9110 framing rules). Pure. */
#include "http1_write.h"

#include "http1_lex.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A cursor over the caller's buffer; the first error sticks. */
struct out {
    uint8_t *buf;
    size_t cap, len;
    int err;
};

static void put(struct out *o, const void *s, size_t n)
{
    if (o->err)
        return;
    if (o->cap - o->len < n) {
        o->err = -ENOSPC;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v, int hex)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, hex ? "%llx" : "%llu", (unsigned long long)v);
    put(o, tmp, (size_t)n);
}

static int finish(struct out *o)
{
    return o->err ? o->err : (int)o->len;
}

/* Whether a reason phrase may be sent: VCHAR, obs-text, SP, HTAB
 * (RFC 9112 4). */
static int reason_ok(const char *v)
{
    for (; *v; v++)
        if (!nst_http1_is_field_char((uint8_t)*v))
            return 0;
    return 1;
}

/* Whether a field value may be sent: the same characters, and no leading
 * or trailing whitespace, which a recipient would strip (RFC 9110 5.5). */
static int value_ok(const char *v)
{
    size_t n = strlen(v);
    if (n && (NST_HTTP1_IS_OWS(v[0]) || NST_HTTP1_IS_OWS(v[n - 1])))
        return 0;
    return reason_ok(v);
}

static void field(struct out *o, const char *name, const char *value)
{
    if (!nst_http1_is_token((const uint8_t *)name, strlen(name)) || !value_ok(value)) {
        if (!o->err)
            o->err = -EINVAL;
        return;
    }
    puts_(o, name);
    puts_(o, ": ");
    puts_(o, value);
    puts_(o, "\r\n");
}

/* The caller's own fields; the framing fields are the writer's to write,
 * so that a message never carries two framings (RFC 9112 6.3). */
static void fields(struct out *o, const struct nst_http1_out_field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(f[i].name);
        if (nst_http1_ci_equal((const uint8_t *)f[i].name, len, "content-length") ||
            nst_http1_ci_equal((const uint8_t *)f[i].name, len, "transfer-encoding")) {
            if (!o->err)
                o->err = -EINVAL;
            return;
        }
        field(o, f[i].name, f[i].value);
    }
}

static void framing(struct out *o, enum nst_http1_out_body body, uint64_t length)
{
    if (body == NST_HTTP1_OUT_CHUNKED) {
        field(o, "Transfer-Encoding", "chunked");
    } else if (body == NST_HTTP1_OUT_LENGTH) {
        puts_(o, "Content-Length: ");
        put_u64(o, length, 0);
        puts_(o, "\r\n");
    }
}

/* A token, or a request-target of visible characters. */
static int visible(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if ((uint8_t)*s < 0x21 || (uint8_t)*s > 0x7e)
            return 0;
    return 1;
}

int nst_http1_write_request(uint8_t *out, size_t cap, const struct nst_http1_request_head *h)
{
    struct out o = {out, cap, 0, 0};
    if (!nst_http1_is_token((const uint8_t *)h->method, strlen(h->method)) || !visible(h->target) || !h->host ||
        h->body == NST_HTTP1_OUT_CLOSE)
        return -EINVAL; /* a request body cannot be delimited by closing (RFC 9112 6.3 item 7) */
    puts_(&o, h->method);
    puts_(&o, " ");
    puts_(&o, h->target);
    puts_(&o, " HTTP/1.1\r\n");
    /* RFC 9110 7.2: Host first. */
    field(&o, "Host", h->host);
    fields(&o, h->fields, h->nfields);
    framing(&o, h->body, h->content_length);
    if (h->expect_continue && h->body != NST_HTTP1_OUT_NONE)
        field(&o, "Expect", "100-continue");
    if (h->close)
        field(&o, "Connection", "close");
    puts_(&o, "\r\n");
    return finish(&o);
}

int nst_http1_write_response(uint8_t *out, size_t cap, const struct nst_http1_response_head *h, int *body_follows)
{
    struct out o = {out, cap, 0, 0};
    const char *reason = h->reason ? h->reason : nst_http1_reason(h->status);
    if (h->status < 100 || h->status > 999 || !reason_ok(reason))
        return -EINVAL;
    int connect_ok = h->req_method == NST_HTTP1_M_CONNECT && h->status >= 200 && h->status < 300;
    int no_framing = h->status < 200 || h->status == 204 || h->status == 304 || connect_ok;
    *body_follows = !no_framing && h->req_method != NST_HTTP1_M_HEAD && h->body != NST_HTTP1_OUT_NONE;
    puts_(&o, "HTTP/1.1 ");
    put_u64(&o, h->status, 0);
    puts_(&o, " ");
    puts_(&o, reason);
    puts_(&o, "\r\n");
    fields(&o, h->fields, h->nfields);
    /* RFC 9112 6.3: a response without framing fields would be read until
     * close, so "no body" is said with Content-Length: 0. */
    if (!no_framing && h->body != NST_HTTP1_OUT_CLOSE)
        framing(&o, h->body == NST_HTTP1_OUT_NONE ? NST_HTTP1_OUT_LENGTH : h->body,
                h->body == NST_HTTP1_OUT_LENGTH ? h->content_length : 0);
    if (h->close || h->body == NST_HTTP1_OUT_CLOSE)
        field(&o, "Connection", "close");
    puts_(&o, "\r\n");
    return finish(&o);
}

int nst_http1_write_continue(uint8_t *out, size_t cap)
{
    struct out o = {out, cap, 0, 0};
    puts_(&o, "HTTP/1.1 100 Continue\r\n\r\n");
    return finish(&o);
}

int nst_http1_write_chunk_head(uint8_t *out, size_t cap, uint64_t size)
{
    struct out o = {out, cap, 0, 0};
    if (size == 0)
        return -EINVAL; /* that is the last chunk */
    put_u64(&o, size, 1);
    puts_(&o, "\r\n");
    return finish(&o);
}

int nst_http1_write_chunk_end(uint8_t *out, size_t cap)
{
    struct out o = {out, cap, 0, 0};
    puts_(&o, "\r\n");
    return finish(&o);
}

int nst_http1_write_last_chunk(uint8_t *out, size_t cap, const struct nst_http1_out_field *trailers, size_t n)
{
    struct out o = {out, cap, 0, 0};
    puts_(&o, "0\r\n");
    fields(&o, trailers, n);
    puts_(&o, "\r\n");
    return finish(&o);
}

const char *nst_http1_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } phrases[] = {
        {100, "Continue"},
        {101, "Switching Protocols"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {411, "Length Required"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {417, "Expectation Failed"},
        {425, "Too Early"},        /* RFC 8470 5.2 */
        {426, "Upgrade Required"}, /* RFC 9110 15.5.22 */
        {429, "Too Many Requests"}, /* RFC 6585 4 */
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
        if (phrases[i].status == status)
            return phrases[i].reason;
    return "";
}
