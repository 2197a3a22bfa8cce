/* What the HTTP server and client share: buffers, field conversions,
 * method properties, error names. */
#include "http_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int http_buf_init(struct http_buf *q, size_t cap)
{
    q->b = malloc(cap);
    q->off = q->len = 0;
    q->cap = cap;
    return q->b ? 0 : -ENOMEM;
}

void http_buf_free(struct http_buf *q)
{
    free(q->b);
    q->b = NULL;
    q->off = q->len = q->cap = 0;
}

static void compact(struct http_buf *q)
{
    if (q->off == 0)
        return;
    memmove(q->b, q->b + q->off, q->len - q->off);
    q->len -= q->off;
    q->off = 0;
}

size_t http_buf_room(const struct http_buf *q) { return q->cap - (q->len - q->off); }

int http_buf_put(struct http_buf *q, const void *data, size_t len)
{
    if (len > http_buf_room(q))
        return -ENOSPC;
    if (q->cap - q->len < len)
        compact(q);
    memcpy(q->b + q->len, data, len);
    q->len += len;
    return 0;
}

void http_buf_drop(struct http_buf *q, size_t n)
{
    q->off += n;
    if (q->off == q->len)
        q->off = q->len = 0;
}

int http_buf_reserve(struct http_buf *q, size_t n, size_t limit)
{
    size_t pending = q->len - q->off;
    if (q->cap - pending >= n)
        return 0;
    if (pending + n > limit)
        return -ENOSPC;
    /* Doubling keeps a streamed body's reallocations few; a small answer
     * takes a small buffer (a full-size one per stream churned the heap). */
    size_t cap = q->cap * 2 > 256 ? q->cap * 2 : 256;
    if (cap < pending + n)
        cap = pending + n;
    if (cap > limit)
        cap = limit;
    compact(q);
    uint8_t *b = realloc(q->b, cap);
    if (!b)
        return -ENOMEM;
    q->b = b;
    q->cap = cap;
    return 0;
}

int http_buf_flush(struct http_buf *q, struct nst_stream *s)
{
    while (q->len > q->off) {
        ssize_t w = nst_stream_write(s, q->b + q->off, q->len - q->off);
        if (w < 0)
            return (int)w;
        http_buf_drop(q, (size_t)w);
    }
    return 0;
}

ssize_t http_buf_fill(struct http_buf *q, struct nst_stream *s)
{
    if (q->len == q->cap)
        compact(q);
    if (q->len == q->cap)
        return -ENOBUFS;
    ssize_t r = nst_stream_read(s, q->b + q->len, q->cap - q->len);
    if (r > 0)
        q->len += (size_t)r;
    return r;
}

int http_fields_to_out(const struct nst_http_field *f, size_t n, struct nst_http1_out_field *out, size_t max,
                       char *arena, size_t cap)
{
    size_t used = 0;
    if (n > max)
        return -ENOSPC;
    for (size_t i = 0; i < n; i++) {
        if (memchr(f[i].name, 0, f[i].name_len) || memchr(f[i].value, 0, f[i].value_len))
            return -EINVAL;
        if (cap - used < f[i].name_len + f[i].value_len + 2)
            return -ENOSPC;
        char *name = arena + used;
        memcpy(name, f[i].name, f[i].name_len);
        name[f[i].name_len] = 0;
        used += f[i].name_len + 1;
        char *value = arena + used;
        memcpy(value, f[i].value, f[i].value_len);
        value[f[i].value_len] = 0;
        used += f[i].value_len + 1;
        out[i] = (struct nst_http1_out_field){name, value};
    }
    return (int)n;
}

void http_fields_from_parser(const struct nst_http1_field *pf, size_t n, const uint8_t *buf,
                             struct nst_http_field *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (struct nst_http_field){(const char *)buf + pf[i].name.off, pf[i].name.len,
                                         (const char *)buf + pf[i].value.off, pf[i].value.len};
}

int http_method_idempotent(const char *m)
{
    static const char *const idem[] = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"};
    for (size_t i = 0; i < sizeof idem / sizeof idem[0]; i++)
        if (!strcmp(m, idem[i]))
            return 1;
    return 0;
}

enum nst_http1_method http_method_id(const char *m)
{
    static const struct {
        const char *name;
        enum nst_http1_method id;
    } ids[] = {{"GET", NST_HTTP1_M_GET},         {"HEAD", NST_HTTP1_M_HEAD},     {"POST", NST_HTTP1_M_POST},
               {"PUT", NST_HTTP1_M_PUT},         {"DELETE", NST_HTTP1_M_DELETE}, {"CONNECT", NST_HTTP1_M_CONNECT},
               {"OPTIONS", NST_HTTP1_M_OPTIONS}, {"TRACE", NST_HTTP1_M_TRACE},   {"PATCH", NST_HTTP1_M_PATCH}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (!strcmp(m, ids[i].name))
            return ids[i].id;
    return NST_HTTP1_M_OTHER;
}

int nst_http_field_find(const struct nst_http_field *f, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (f[i].name_len == len && !strncasecmp(f[i].name, name, len))
            return (int)i;
    return -1;
}

const char *nst_http_strerror(int err)
{
    switch (err) {
    case 0: return "ok";
    case NST_HTTP_E_CONNECT_TIMEOUT: return "connect timeout";
    case NST_HTTP_E_TLS_TIMEOUT: return "TLS handshake timeout";
    case NST_HTTP_E_RESPONSE_TIMEOUT: return "response timeout (no response byte)";
    case NST_HTTP_E_READ_TIMEOUT: return "read timeout (response stalled)";
    case NST_HTTP_E_DEADLINE: return "deadline exceeded";
    case NST_HTTP_E_BAD_RESPONSE: return "malformed response";
    case NST_HTTP_E_CLOSED: return "connection closed before the response ended";
    case NST_HTTP_E_QUEUE_FULL: return "too many requests waiting";
    case NST_HTTP_E_CANCELLED: return "cancelled";
    default: return err < 0 ? strerror(-err) : "unknown";
    }
}
