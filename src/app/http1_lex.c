/* HTTP/1.1 lexical rules: character classes, lines, field lines, lists. */
#include "http1_lex.h"

#include <string.h>

int nst_http1_is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int nst_http1_is_field_char(uint8_t c)
{
    return (c >= 0x21 && c != 0x7f) || c == ' ' || c == '\t';
}

int nst_http1_is_token(const uint8_t *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!nst_http1_is_tchar(s[i]))
            return 0;
    return 1;
}

int nst_http1_hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 32; /* 'A'-'F' to 'a'-'f', and no other byte into them */
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

int nst_http1_ci_equal(const uint8_t *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n && lit[i]; i++)
        if (lower(s[i]) != lower((uint8_t)lit[i]))
            return 0;
    return i == n && lit[i] == '\0';
}

int nst_http1_next_line(const uint8_t *region, size_t len, uint32_t line, uint32_t *scan, uint32_t *content,
                        uint32_t *next)
{
    const uint8_t *lf = *scan < len ? memchr(region + *scan, '\n', len - *scan) : NULL;
    if (!lf) {
        *scan = (uint32_t)len;
        return 0;
    }
    uint32_t end = (uint32_t)(lf - region);
    /* RFC 9112 2.2: CRLF ends a line; a recipient MAY take LF alone and
     * ignore a CR before it. */
    *content = end - line - (end > line && region[end - 1] == '\r');
    *next = end + 1;
    *scan = end + 1;
    return 1;
}

enum nst_http1_why nst_http1_line_check(const uint8_t *region, uint32_t line, uint32_t content, uint32_t next,
                                        int reject_bare_lf)
{
    if (reject_bare_lf && next - line == content + 1)
        return NST_HTTP1_BARE_LF;
    /* RFC 9112 2.2: a bare CR is invalid. */
    if (memchr(region + line, '\r', content))
        return NST_HTTP1_BARE_CR;
    return NST_HTTP1_OK;
}

size_t nst_http1_partial_line_len(const uint8_t *region, size_t len, uint32_t line)
{
    size_t n = len - line;
    if (n && region[len - 1] == '\r')
        n--;
    return n;
}

enum nst_http1_why nst_http1_field_line(const uint8_t *region, uint32_t off, uint32_t n, struct nst_http1_field *f)
{
    const uint8_t *s = region + off;
    /* RFC 9112 5.2: obs-fold (and RFC 9112 2.2: whitespace before the
     * first field) is refused rather than unfolded. */
    if (n && NST_HTTP1_IS_OWS(s[0]))
        return NST_HTTP1_OBS_FOLD;
    const uint8_t *colon = memchr(s, ':', n);
    if (!colon)
        return NST_HTTP1_NO_COLON;
    uint32_t name_len = (uint32_t)(colon - s);
    /* RFC 9112 5.1: no whitespace between the name and the colon. */
    if (name_len && NST_HTTP1_IS_OWS(s[name_len - 1]))
        return NST_HTTP1_SPACE_BEFORE_COLON;
    if (!nst_http1_is_token(s, name_len))
        return NST_HTTP1_BAD_NAME;
    uint32_t v = name_len + 1, e = n;
    while (v < e && NST_HTTP1_IS_OWS(s[v]))
        v++;
    while (e > v && NST_HTTP1_IS_OWS(s[e - 1]))
        e--;
    /* RFC 9110 5.5: NUL, CR, LF and the other controls are refused. */
    for (uint32_t i = v; i < e; i++)
        if (!nst_http1_is_field_char(s[i]))
            return NST_HTTP1_BAD_VALUE;
    f->name = (struct nst_http1_span){off, name_len};
    f->value = (struct nst_http1_span){off + v, e - v};
    return NST_HTTP1_OK;
}

int nst_http1_list_next(const uint8_t *v, size_t len, size_t *pos, size_t *off, size_t *n)
{
    while (*pos < len) {
        size_t start = *pos;
        const uint8_t *comma = memchr(v + start, ',', len - start);
        size_t end = comma ? (size_t)(comma - v) : len;
        *pos = comma ? end + 1 : len;
        while (start < end && NST_HTTP1_IS_OWS(v[start]))
            start++;
        while (end > start && NST_HTTP1_IS_OWS(v[end - 1]))
            end--;
        /* RFC 9110 5.6.1: empty elements are ignored. */
        if (end > start) {
            *off = start;
            *n = end - start;
            return 1;
        }
    }
    return 0;
}
