/* HTTP/1.1 message bodies: Content-Length, until close, and the chunked
 * transfer coding with its extensions and trailer section (RFC 9112 6, 7.1).
 * Pure. */
#include "http1_lex.h"
#include "http1_parse.h"

#include <errno.h>
#include <limits.h>

static void skip_ows(const uint8_t *s, uint32_t n, uint32_t *i)
{
    while (*i < n && NST_HTTP1_IS_OWS(s[*i]))
        (*i)++;
}

/* RFC 9110 5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE,
 * starting at s[*i] == '"'. */
static int skip_quoted_string(const uint8_t *s, uint32_t n, uint32_t *i)
{
    for ((*i)++; *i < n; (*i)++) {
        uint8_t c = s[*i];
        if (c == '"') {
            (*i)++;
            return 1;
        }
        if (c == '\\') {
            if (++(*i) == n || !nst_http1_is_field_char(s[*i]))
                return 0;
        } else if (!nst_http1_is_field_char(c)) {
            return 0;
        }
    }
    return 0;
}

static int skip_token(const uint8_t *s, uint32_t n, uint32_t *i)
{
    uint32_t start = *i;
    while (*i < n && nst_http1_is_tchar(s[*i]))
        (*i)++;
    return *i > start;
}

/* RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name
 * [ BWS "=" BWS chunk-ext-val ] ), each value a token or a quoted-string.
 * Checked, then ignored. Whitespace before the line end is tolerated. */
static int chunk_ext_valid(const uint8_t *s, uint32_t n, uint32_t i)
{
    for (;;) {
        skip_ows(s, n, &i);
        if (i == n)
            return 1;
        if (s[i++] != ';')
            return 0;
        skip_ows(s, n, &i);
        if (!skip_token(s, n, &i))
            return 0;
        skip_ows(s, n, &i);
        if (i < n && s[i] == '=') {
            i++;
            skip_ows(s, n, &i);
            if (i < n && s[i] == '"' ? !skip_quoted_string(s, n, &i) : !skip_token(s, n, &i))
                return 0;
        }
    }
}

/* RFC 9112 7.1: chunk-size = 1*HEXDIG, then chunk-ext. */
static enum nst_http1_why chunk_size_line(const uint8_t *s, uint32_t n, uint64_t *size)
{
    uint64_t v = 0;
    uint32_t i = 0;
    for (int d; i < n && (d = nst_http1_hex_value(s[i])) >= 0; i++) {
        if (v >> 60)
            return NST_HTTP1_CHUNK_SIZE_OVERFLOW;
        v = v << 4 | (uint64_t)d;
    }
    if (i == 0 || (i < n && s[i] != ';' && !NST_HTTP1_IS_OWS(s[i])))
        return NST_HTTP1_BAD_CHUNK_SIZE;
    if (!chunk_ext_valid(s, n, i))
        return NST_HTTP1_BAD_CHUNK_EXT;
    *size = v;
    return NST_HTTP1_OK;
}

/* A chunk-size line at the start of in/len. Returns the bytes it takes, 0
 * until it is complete, or an error. */
static int take_chunk_size(struct nst_http1_parser *p, const uint8_t *in, size_t len)
{
    uint32_t content, next;
    if (!nst_http1_next_line(in, len, 0, &p->scan, &content, &next)) {
        if (nst_http1_partial_line_len(in, len, 0) > p->lim.max_chunk_line)
            return nst_http1_fail(p, -EBADMSG, NST_HTTP1_CHUNK_LINE_TOO_LONG);
        return 0;
    }
    if (content > p->lim.max_chunk_line)
        return nst_http1_fail(p, -EBADMSG, NST_HTTP1_CHUNK_LINE_TOO_LONG);
    enum nst_http1_why why = nst_http1_line_check(in, 0, content, next, p->lim.reject_bare_lf);
    uint64_t size = 0;
    if (why == NST_HTTP1_OK)
        why = chunk_size_line(in, content, &size);
    if (why != NST_HTTP1_OK)
        return nst_http1_fail(p, -EBADMSG, why);
    /* Refuse an oversized body at the chunk that announces it. */
    if (size > p->lim.max_body - p->body_total)
        return nst_http1_fail(p, -EMSGSIZE, NST_HTTP1_BODY_TOO_LARGE);
    p->body_total += size;
    p->scan = 0;
    if (size == 0) {
        p->state = NST_HTTP1_TRAILERS;
        p->line = 0;
    } else {
        p->state = NST_HTTP1_CHUNK_DATA;
        p->remaining = size;
    }
    return (int)next;
}

/* The CRLF after chunk data (RFC 9112 7.1). */
static int take_chunk_end(struct nst_http1_parser *p, const uint8_t *in, size_t len)
{
    int n;
    if (len == 0 || (in[0] == '\r' && len < 2))
        return 0;
    if (in[0] == '\r' && in[1] == '\n')
        n = 2;
    else if (in[0] == '\n' && !p->lim.reject_bare_lf)
        n = 1;
    else
        return nst_http1_fail(p, -EBADMSG, in[0] == '\n' ? NST_HTTP1_BARE_LF : NST_HTTP1_BAD_CHUNK_END);
    p->state = NST_HTTP1_CHUNK_SIZE;
    p->scan = 0;
    return n;
}

/* RFC 9112 7.1.2: trailer-section = *( field-line CRLF ), then CRLF, at
 * in[base...]. Lines are parsed as they complete, offsets relative to the
 * section; nothing is consumed until the empty line arrives, when the
 * offsets are moved to be relative to `in`. */
static int take_trailers(struct nst_http1_parser *p, const uint8_t *in, size_t base, size_t len)
{
    const uint8_t *s = in + base;
    size_t n = len - base;
    struct nst_http1_msg *m = &p->msg;
    for (;;) {
        uint32_t content, next;
        if (!nst_http1_next_line(s, n, p->line, &p->scan, &content, &next)) {
            if (n > p->lim.max_field_section)
                return nst_http1_fail(p, -E2BIG, NST_HTTP1_FIELDS_TOO_LARGE);
            return 0;
        }
        if (next > p->lim.max_field_section)
            return nst_http1_fail(p, -E2BIG, NST_HTTP1_FIELDS_TOO_LARGE);
        enum nst_http1_why why = nst_http1_line_check(s, p->line, content, next, p->lim.reject_bare_lf);
        if (why != NST_HTTP1_OK)
            return nst_http1_fail(p, -EBADMSG, why);
        if (content == 0)
            break;
        if (m->nfields + m->ntrailers >= p->max_fields)
            return nst_http1_fail(p, -E2BIG, NST_HTTP1_TOO_MANY_FIELDS);
        why = nst_http1_field_line(s, p->line, content, &p->fields[m->nfields + m->ntrailers]);
        if (why != NST_HTTP1_OK)
            return nst_http1_fail(p, -EBADMSG, why);
        m->ntrailers++;
        p->line = next;
    }
    for (uint16_t i = 0; i < m->ntrailers; i++) {
        p->fields[m->nfields + i].name.off += (uint32_t)base;
        p->fields[m->nfields + i].value.off += (uint32_t)base;
    }
    p->state = NST_HTTP1_DONE;
    return (int)p->scan;
}

/* Body bytes at in/len, up to what the framing still expects. */
static size_t take_data(struct nst_http1_parser *p, size_t len)
{
    size_t n = p->remaining < len ? (size_t)p->remaining : len;
    p->remaining -= n;
    return n;
}

int nst_http1_parse_body(struct nst_http1_parser *p, const uint8_t *in, size_t len, const uint8_t **data,
                         size_t *data_len)
{
    *data = NULL;
    *data_len = 0;
    if (p->state == NST_HTTP1_FAILED)
        return p->err;
    if (p->state == NST_HTTP1_HEAD)
        return -EINVAL;
    if (len > INT_MAX)
        len = INT_MAX;
    size_t used = 0;
    for (;;) {
        int rc;
        switch (p->state) {
        case NST_HTTP1_BODY_BYTES: {
            size_t n = take_data(p, len - used);
            if (p->msg.body == NST_HTTP1_BODY_CLOSE) {
                /* Up to the limit as it arrives, then refused: the same
                 * bytes delivered however they were cut. */
                uint64_t room = p->lim.max_body - p->body_total;
                if (n > room) {
                    if (room == 0)
                        return nst_http1_fail(p, -EMSGSIZE, NST_HTTP1_BODY_TOO_LARGE);
                    n = (size_t)room;
                }
                p->body_total += n;
            } else if (p->remaining == 0) {
                p->state = NST_HTTP1_DONE;
            }
            *data = n ? in + used : NULL;
            *data_len = n;
            return (int)(used + n);
        }
        case NST_HTTP1_CHUNK_DATA: {
            size_t n = take_data(p, len - used);
            if (p->remaining == 0)
                p->state = NST_HTTP1_CHUNK_END;
            *data = n ? in + used : NULL;
            *data_len = n;
            return (int)(used + n);
        }
        case NST_HTTP1_CHUNK_END:
            rc = take_chunk_end(p, in + used, len - used);
            break;
        case NST_HTTP1_CHUNK_SIZE:
            rc = take_chunk_size(p, in + used, len - used);
            break;
        case NST_HTTP1_TRAILERS:
            rc = take_trailers(p, in, used, len);
            break;
        default: /* DONE */
            return (int)used;
        }
        if (rc <= 0)
            return rc < 0 ? rc : (int)used;
        used += (size_t)rc;
    }
}
