/* HTTP/1.1 message heads (RFC 9112 2-6, RFC 9110 semantics): start line,
 * field lines, and what they decide: the body's framing (RFC 9112 6.3),
 * persistence (RFC 9112 9.3), Host, Expect and Upgrade. Pure. */
#include "http1_parse.h"

#include "http1_lex.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

int nst_http1_fail(struct nst_http1_parser *p, int err, enum nst_http1_why why)
{
    p->state = NST_HTTP1_FAILED;
    p->err = err;
    p->why = (uint8_t)why;
    return err;
}

/* A malformed message: 400 Bad Request. */
static int bad(struct nst_http1_parser *p, enum nst_http1_why why)
{
    return nst_http1_fail(p, -EBADMSG, why);
}

void nst_http1_parser_next(struct nst_http1_parser *p, enum nst_http1_method req_method)
{
    p->req_method = (uint8_t)req_method;
    p->state = NST_HTTP1_HEAD;
    p->why = NST_HTTP1_OK;
    p->err = 0;
    p->line = 0;
    p->scan = 0;
    p->seen_start = 0;
    p->fields_start = 0;
    p->remaining = 0;
    p->body_total = 0;
    memset(&p->msg, 0, sizeof p->msg);
    p->msg.host = -1;
    p->msg.upgrade_field = -1;
}

void nst_http1_parser_init(struct nst_http1_parser *p, enum nst_http1_kind kind, enum nst_http1_method req_method,
                           const struct nst_http1_limits *lim, struct nst_http1_field *fields, uint16_t max_fields)
{
    memset(p, 0, sizeof *p);
    p->lim = lim ? *lim : NST_HTTP1_LIMITS_DEFAULT;
    p->fields = fields;
    p->max_fields = max_fields;
    p->kind = (uint8_t)kind;
    nst_http1_parser_next(p, req_method);
}

int nst_http1_status_of(int err)
{
    switch (err) {
    case -EBADMSG:
        return 400;
    case -EMSGSIZE:
        return 413;
    case -ENAMETOOLONG:
        return 414;
    case -E2BIG:
        return 431;
    case -ENOTSUP:
        return 501;
    case -EPROTONOSUPPORT:
        return 505;
    default:
        return 0;
    }
}

/* ---- the start line ---- */

static const struct {
    const char *name;
    enum nst_http1_method id;
} methods[] = {
    {"GET", NST_HTTP1_M_GET},         {"HEAD", NST_HTTP1_M_HEAD},       {"POST", NST_HTTP1_M_POST},
    {"PUT", NST_HTTP1_M_PUT},         {"DELETE", NST_HTTP1_M_DELETE},   {"CONNECT", NST_HTTP1_M_CONNECT},
    {"OPTIONS", NST_HTTP1_M_OPTIONS}, {"TRACE", NST_HTTP1_M_TRACE},     {"PATCH", NST_HTTP1_M_PATCH},
};

/* RFC 9110 9.1: methods are case-sensitive. */
static enum nst_http1_method method_id(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strlen(methods[i].name) == n && memcmp(s, methods[i].name, n) == 0)
            return methods[i].id;
    return NST_HTTP1_M_OTHER;
}

/* RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
 * Returns OK with the minor version, or why not. */
static enum nst_http1_why parse_version(const uint8_t *s, size_t n, uint8_t *minor)
{
    if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.' || s[5] < '0' || s[5] > '9' || s[7] < '0' ||
        s[7] > '9')
        return NST_HTTP1_BAD_VERSION;
    if (s[5] != '1')
        return NST_HTTP1_VERSION_UNSUPPORTED;
    /* RFC 9110 6.2: a higher minor version is read as the highest we
     * speak. */
    *minor = s[7] > '1' ? 1 : (uint8_t)(s[7] - '0');
    return NST_HTTP1_OK;
}

static int is_scheme(const uint8_t *s, size_t n)
{
    if (n == 0 || !((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z'))
        return 0;
    for (size_t i = 1; i < n; i++) {
        uint8_t c = s[i];
        if (!(((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* RFC 9112 3.2.3: authority-form = uri-host ":" port, with no userinfo. */
static int is_authority_form(const uint8_t *s, size_t n)
{
    size_t colon = n;
    while (colon > 0 && s[colon - 1] != ':')
        colon--;
    if (colon < 2 || colon == n)
        return 0; /* no host, no colon, or no port */
    for (size_t i = colon; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    for (size_t i = 0; i + 1 < colon; i++)
        if (s[i] == '/' || s[i] == '@' || s[i] == '?' || s[i] == '#')
            return 0;
    return 1;
}

/* RFC 9112 3.2: which of the four forms, and the one each method allows. */
static enum nst_http1_why classify_target(struct nst_http1_msg *m, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return NST_HTTP1_BAD_TARGET;
    if (m->method_id == NST_HTTP1_M_CONNECT) {
        m->target_form = NST_HTTP1_AUTHORITY_FORM;
        return is_authority_form(s, n) ? NST_HTTP1_OK : NST_HTTP1_BAD_TARGET;
    }
    if (n == 1 && s[0] == '*') {
        m->target_form = NST_HTTP1_ASTERISK_FORM;
        return m->method_id == NST_HTTP1_M_OPTIONS ? NST_HTTP1_OK : NST_HTTP1_BAD_TARGET;
    }
    if (s[0] == '/') {
        m->target_form = NST_HTTP1_ORIGIN_FORM;
        return NST_HTTP1_OK;
    }
    const uint8_t *colon = memchr(s, ':', n);
    if (colon && is_scheme(s, (size_t)(colon - s))) {
        m->target_form = NST_HTTP1_ABSOLUTE_FORM;
        return NST_HTTP1_OK;
    }
    return NST_HTTP1_BAD_TARGET;
}

/* RFC 9112 3: request-line = method SP request-target SP HTTP-version. */
static int parse_request_line(struct nst_http1_parser *p, const uint8_t *buf, uint32_t off, uint32_t n)
{
    struct nst_http1_msg *m = &p->msg;
    const uint8_t *s = buf + off;
    const uint8_t *sp1 = memchr(s, ' ', n);
    if (!sp1 || !nst_http1_is_token(s, (size_t)(sp1 - s)))
        return bad(p, NST_HTTP1_BAD_METHOD);
    uint32_t mlen = (uint32_t)(sp1 - s);
    uint32_t sp2 = n;
    while (sp2 > mlen + 1 && s[sp2 - 1] != ' ')
        sp2--;
    if (sp2 <= mlen + 1)
        /* One SP only: nothing after it (no target), or no version. */
        return bad(p, sp2 == n ? NST_HTTP1_BAD_TARGET : NST_HTTP1_BAD_VERSION);
    sp2--; /* the last SP */
    m->method = (struct nst_http1_span){off, mlen};
    m->method_id = (uint8_t)method_id(s, mlen);
    m->target = (struct nst_http1_span){off + mlen + 1, sp2 - mlen - 1};
    enum nst_http1_why why = parse_version(s + sp2 + 1, n - sp2 - 1, &m->version_minor);
    if (why == NST_HTTP1_VERSION_UNSUPPORTED)
        return nst_http1_fail(p, -EPROTONOSUPPORT, why);
    if (why != NST_HTTP1_OK)
        return bad(p, why);
    if (m->target.len == 0)
        return bad(p, NST_HTTP1_BAD_TARGET);
    why = classify_target(m, buf + m->target.off, m->target.len);
    return why == NST_HTTP1_OK ? 0 : bad(p, why);
}

/* RFC 9112 4: status-line = HTTP-version SP status-code SP [reason-phrase].
 * The SP before an empty reason is often left out; we accept that. */
static int parse_status_line(struct nst_http1_parser *p, const uint8_t *buf, uint32_t off, uint32_t n)
{
    struct nst_http1_msg *m = &p->msg;
    const uint8_t *s = buf + off;
    enum nst_http1_why why = n >= 8 ? parse_version(s, 8, &m->version_minor) : NST_HTTP1_BAD_VERSION;
    if (why == NST_HTTP1_OK && (n < 9 || s[8] != ' '))
        why = NST_HTTP1_BAD_VERSION;
    if (why == NST_HTTP1_VERSION_UNSUPPORTED)
        return nst_http1_fail(p, -EPROTONOSUPPORT, why);
    if (why != NST_HTTP1_OK)
        return bad(p, why);
    if (n < 12 || (n > 12 && s[12] != ' '))
        return bad(p, NST_HTTP1_BAD_STATUS);
    uint16_t code = 0;
    for (int i = 9; i < 12; i++) {
        if (s[i] < '0' || s[i] > '9')
            return bad(p, NST_HTTP1_BAD_STATUS);
        code = (uint16_t)(code * 10 + (s[i] - '0'));
    }
    /* RFC 9110 15: status codes are 100..599; a recipient must understand
     * any three digits by their class, but below 100 there is none. */
    if (code < 100)
        return bad(p, NST_HTTP1_BAD_STATUS);
    m->status = code;
    uint32_t r = n > 12 ? 13 : 12;
    for (uint32_t i = r; i < n; i++)
        if (!nst_http1_is_field_char(s[i]))
            return bad(p, NST_HTTP1_BAD_REASON);
    m->reason = (struct nst_http1_span){off + r, n - r};
    return 0;
}

/* ---- fields and what they decide ---- */

int nst_http1_find(const struct nst_http1_parser *p, const uint8_t *buf, const char *name, int from)
{
    for (int i = from < 0 ? 0 : from; i < p->msg.nfields; i++)
        if (nst_http1_ci_equal(buf + p->fields[i].name.off, p->fields[i].name.len, name))
            return i;
    return -1;
}

int nst_http1_list_has(const uint8_t *value, size_t len, const char *token)
{
    size_t pos = 0, off, n;
    while (nst_http1_list_next(value, len, &pos, &off, &n))
        if (nst_http1_ci_equal(value + off, n, token))
            return 1;
    return 0;
}

/* Whether any field named `name` lists `token`. */
static int any_list_has(const struct nst_http1_parser *p, const uint8_t *buf, const char *name, const char *token)
{
    for (int i = nst_http1_find(p, buf, name, 0); i >= 0; i = nst_http1_find(p, buf, name, i + 1))
        if (nst_http1_list_has(buf + p->fields[i].value.off, p->fields[i].value.len, token))
            return 1;
    return 0;
}

/* RFC 3986 3.2.2/3.2.3 characters of uri-host [":" port]. */
static int is_host_char(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return strchr("-._~!$&'()*+,;=%:[]", c) != NULL;
}

/* RFC 9112 3.2: an HTTP/1.1 request has exactly one Host; no request has
 * two; its value is a valid uri-host [":" port] (empty allowed). */
static int check_host(struct nst_http1_parser *p, const uint8_t *buf)
{
    struct nst_http1_msg *m = &p->msg;
    m->host = nst_http1_find(p, buf, "host", 0);
    if (m->host < 0)
        return m->version_minor >= 1 ? bad(p, NST_HTTP1_NO_HOST) : 0;
    if (nst_http1_find(p, buf, "host", m->host + 1) >= 0)
        return bad(p, NST_HTTP1_MANY_HOST);
    const struct nst_http1_span *v = &p->fields[m->host].value;
    for (uint32_t i = 0; i < v->len; i++)
        if (!is_host_char(buf[v->off + i]))
            return bad(p, NST_HTTP1_BAD_HOST);
    return 0;
}

/* RFC 9110 8.6: Content-Length = 1*DIGIT. A list of identical values, or
 * identical field lines, is read as one value; differing values are an
 * error. Returns 1 if present (*out set), 0 if absent, or an error. */
static int content_length(struct nst_http1_parser *p, const uint8_t *buf, uint64_t *out)
{
    const uint8_t *first = NULL;
    size_t first_len = 0;
    for (int i = nst_http1_find(p, buf, "content-length", 0); i >= 0;
         i = nst_http1_find(p, buf, "content-length", i + 1)) {
        const uint8_t *v = buf + p->fields[i].value.off;
        size_t len = p->fields[i].value.len, pos = 0, off, n;
        int elements = 0;
        while (nst_http1_list_next(v, len, &pos, &off, &n)) {
            elements++;
            if (!first) {
                first = v + off;
                first_len = n;
            } else if (n != first_len || memcmp(v + off, first, n) != 0) {
                return bad(p, NST_HTTP1_CONFLICTING_CONTENT_LENGTH);
            }
        }
        if (elements == 0)
            return bad(p, NST_HTTP1_BAD_CONTENT_LENGTH);
    }
    if (!first)
        return 0;
    uint64_t value = 0;
    for (size_t i = 0; i < first_len; i++) {
        if (first[i] < '0' || first[i] > '9')
            return bad(p, NST_HTTP1_BAD_CONTENT_LENGTH);
        /* Beyond 2^63 - 1 no sender means it. */
        if (value > ((uint64_t)INT64_MAX - (uint64_t)(first[i] - '0')) / 10)
            return bad(p, NST_HTTP1_BAD_CONTENT_LENGTH);
        value = value * 10 + (uint64_t)(first[i] - '0');
    }
    *out = value;
    return 1;
}

/* What Transfer-Encoding says: its codings in order, over all its lines. */
struct te_summary {
    int present;
    int codings;
    int chunked;      /* how many times chunked appears */
    int chunked_last; /* the final coding is chunked */
    int malformed;
};

/* RFC 9112 6.1: Transfer-Encoding = #transfer-coding; transfer-coding =
 * token *( OWS ";" OWS transfer-parameter ). Parameters are not checked
 * beyond their place: chunked takes none and we decode nothing else. */
static void transfer_encoding(const struct nst_http1_parser *p, const uint8_t *buf, struct te_summary *te)
{
    memset(te, 0, sizeof *te);
    for (int i = nst_http1_find(p, buf, "transfer-encoding", 0); i >= 0;
         i = nst_http1_find(p, buf, "transfer-encoding", i + 1)) {
        const uint8_t *v = buf + p->fields[i].value.off;
        size_t len = p->fields[i].value.len, pos = 0, off, n;
        te->present = 1;
        while (nst_http1_list_next(v, len, &pos, &off, &n)) {
            size_t name = 0;
            while (name < n && nst_http1_is_tchar(v[off + name]))
                name++;
            size_t rest = name;
            while (rest < n && NST_HTTP1_IS_OWS(v[off + rest]))
                rest++;
            if (name == 0 || (rest < n && v[off + rest] != ';'))
                te->malformed = 1;
            int is_chunked = nst_http1_ci_equal(v + off, name, "chunked") && rest == n;
            te->codings++;
            te->chunked += is_chunked;
            te->chunked_last = is_chunked;
        }
    }
}

/* RFC 9112 6.3 for a request: items 3, 4, 6 and 7. */
static int request_framing(struct nst_http1_parser *p, const struct te_summary *te, int has_cl, uint64_t cl)
{
    struct nst_http1_msg *m = &p->msg;
    if (te->present) {
        /* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing. */
        if (m->version_minor == 0)
            return bad(p, NST_HTTP1_TE_HTTP10);
        /* Item 3: both present smell of request smuggling: refused. */
        if (has_cl)
            return bad(p, NST_HTTP1_CL_AND_TE);
        if (te->malformed || te->codings == 0)
            return bad(p, NST_HTTP1_TE_BAD);
        /* Item 4: the final coding must be chunked (400). */
        if (!te->chunked_last)
            return bad(p, NST_HTTP1_TE_NOT_CHUNKED);
        /* RFC 9112 6.1: chunked at most once. */
        if (te->chunked > 1)
            return bad(p, NST_HTTP1_TE_CHUNKED_TWICE);
        /* RFC 9112 6.1: a coding we do not decode: 501. */
        if (te->codings > 1)
            return nst_http1_fail(p, -ENOTSUP, NST_HTTP1_TE_UNKNOWN);
        m->body = NST_HTTP1_BODY_CHUNKED;
    } else if (has_cl) {
        m->body = NST_HTTP1_BODY_LENGTH;
        m->content_length = cl;
    } else {
        m->body = NST_HTTP1_BODY_NONE; /* item 7 */
    }
    return 0;
}

/* RFC 9112 6.3 for a response: items 1 to 6 and 8. */
static int response_framing(struct nst_http1_parser *p, const struct te_summary *te, int has_cl, uint64_t cl)
{
    struct nst_http1_msg *m = &p->msg;
    /* Item 1: HEAD responses and 1xx, 204, 304 end with their head. */
    if (p->req_method == NST_HTTP1_M_HEAD || m->status < 200 || m->status == 204 || m->status == 304) {
        m->body = NST_HTTP1_BODY_NONE;
        return 0;
    }
    /* Item 2: a 2xx to CONNECT turns the connection into a tunnel. */
    if (p->req_method == NST_HTTP1_M_CONNECT && m->status < 300) {
        m->body = NST_HTTP1_BODY_TUNNEL;
        m->keep_alive = 0;
        return 0;
    }
    if (te->present) {
        if (te->malformed || te->codings == 0)
            return bad(p, NST_HTTP1_TE_BAD);
        if (te->chunked > 1)
            return bad(p, NST_HTTP1_TE_CHUNKED_TWICE);
        /* Item 3: Transfer-Encoding overrides Content-Length, but such a
         * response is suspect: the connection is not reused after it.
         * RFC 9112 6.1: in HTTP/1.0 the framing is faulty: read to close.
         * Item 4: a final coding other than chunked: read to close. */
        if (has_cl)
            m->keep_alive = 0;
        if (m->version_minor == 0 || !te->chunked_last) {
            m->body = NST_HTTP1_BODY_CLOSE;
            m->keep_alive = 0;
        } else {
            m->body = NST_HTTP1_BODY_CHUNKED;
        }
    } else if (has_cl) {
        m->body = NST_HTTP1_BODY_LENGTH; /* item 6 */
        m->content_length = cl;
    } else {
        m->body = NST_HTTP1_BODY_CLOSE; /* item 8 */
        m->keep_alive = 0;
    }
    return 0;
}

/* RFC 9112 9.3: persistence; RFC 9110 10.1.1 Expect; RFC 9110 7.8 Upgrade. */
static void connection_options(struct nst_http1_parser *p, const uint8_t *buf)
{
    struct nst_http1_msg *m = &p->msg;
    if (any_list_has(p, buf, "connection", "close"))
        m->keep_alive = 0;
    else if (m->version_minor >= 1)
        m->keep_alive = 1;
    else
        m->keep_alive = (uint8_t)any_list_has(p, buf, "connection", "keep-alive");
    /* RFC 9110 7.8: Upgrade counts only with the "upgrade" option, and a
     * server ignores it in an HTTP/1.0 request. */
    int up = nst_http1_find(p, buf, "upgrade", 0);
    if (up >= 0 && any_list_has(p, buf, "connection", "upgrade") &&
        (m->version_minor >= 1 || p->kind == NST_HTTP1_RESPONSE)) {
        m->upgrade = 1;
        m->upgrade_field = up;
    }
    /* RFC 9110 10.1.1: 100-continue is ignored in an HTTP/1.0 request. */
    if (p->kind != NST_HTTP1_REQUEST || m->version_minor == 0)
        return;
    for (int i = nst_http1_find(p, buf, "expect", 0); i >= 0; i = nst_http1_find(p, buf, "expect", i + 1)) {
        const uint8_t *v = buf + p->fields[i].value.off;
        size_t len = p->fields[i].value.len, pos = 0, off, n;
        while (nst_http1_list_next(v, len, &pos, &off, &n)) {
            if (nst_http1_ci_equal(v + off, n, "100-continue"))
                m->expect_continue = 1;
            else
                m->expect_other = 1;
        }
    }
}

/* The head is complete: decide what it means and what comes next. */
static int finish_head(struct nst_http1_parser *p, const uint8_t *buf)
{
    struct nst_http1_msg *m = &p->msg;
    if (p->kind == NST_HTTP1_REQUEST && check_host(p, buf) < 0)
        return p->err;
    uint64_t cl = 0;
    int has_cl = content_length(p, buf, &cl);
    if (has_cl < 0)
        return has_cl;
    struct te_summary te;
    transfer_encoding(p, buf, &te);
    connection_options(p, buf);
    int rc = p->kind == NST_HTTP1_REQUEST ? request_framing(p, &te, has_cl, cl) : response_framing(p, &te, has_cl, cl);
    if (rc < 0)
        return rc;
    switch (m->body) {
    case NST_HTTP1_BODY_LENGTH:
        if (cl > p->lim.max_body)
            return nst_http1_fail(p, -EMSGSIZE, NST_HTTP1_BODY_TOO_LARGE);
        p->remaining = cl;
        p->state = cl ? NST_HTTP1_BODY_BYTES : NST_HTTP1_DONE;
        break;
    case NST_HTTP1_BODY_CHUNKED:
        p->state = NST_HTTP1_CHUNK_SIZE;
        break;
    case NST_HTTP1_BODY_CLOSE:
        p->remaining = UINT64_MAX;
        p->state = NST_HTTP1_BODY_BYTES;
        break;
    default:
        p->state = NST_HTTP1_DONE;
        break;
    }
    p->line = p->scan = 0; /* the body parser's lines start afresh */
    return 0;
}

/* A too-long line is refused as soon as it is certain, whether or not its
 * end has arrived: the start line (from the message's first byte, leading
 * empty lines included) with 414 for a request and 400 for a response,
 * the field section with 431. */
static int start_line_too_long(struct nst_http1_parser *p)
{
    if (p->kind == NST_HTTP1_REQUEST)
        return nst_http1_fail(p, -ENAMETOOLONG, NST_HTTP1_START_LINE_TOO_LONG);
    return bad(p, NST_HTTP1_START_LINE_TOO_LONG);
}

static int fields_too_large(struct nst_http1_parser *p, enum nst_http1_why why)
{
    return nst_http1_fail(p, -E2BIG, why);
}

/* One complete line of the head (content bytes at p->line, next line at
 * `next`). Returns 1 when it was the empty line ending the head, 0 to go
 * on, or an error. */
static int head_line(struct nst_http1_parser *p, const uint8_t *buf, uint32_t content, uint32_t next)
{
    if (!p->seen_start) {
        if (p->line + content > p->lim.max_start_line)
            return start_line_too_long(p);
    } else if (next - p->fields_start > p->lim.max_field_section) {
        return fields_too_large(p, NST_HTTP1_FIELDS_TOO_LARGE);
    }
    enum nst_http1_why why = nst_http1_line_check(buf, p->line, content, next, p->lim.reject_bare_lf);
    if (why != NST_HTTP1_OK)
        return bad(p, why);
    if (!p->seen_start) {
        /* RFC 9112 2.2: a server ignores empty lines before the request
         * line (what a client may send after a POST body). */
        if (content == 0 && p->kind == NST_HTTP1_REQUEST)
            return 0;
        int rc = p->kind == NST_HTTP1_REQUEST ? parse_request_line(p, buf, p->line, content)
                                              : parse_status_line(p, buf, p->line, content);
        p->seen_start = 1;
        p->fields_start = next;
        return rc;
    }
    if (content == 0)
        return 1;
    if (p->msg.nfields >= p->max_fields)
        return fields_too_large(p, NST_HTTP1_TOO_MANY_FIELDS);
    why = nst_http1_field_line(buf, p->line, content, &p->fields[p->msg.nfields]);
    if (why != NST_HTTP1_OK)
        return bad(p, why);
    p->msg.nfields++;
    return 0;
}

int nst_http1_parse_head(struct nst_http1_parser *p, const uint8_t *buf, size_t len)
{
    if (p->state == NST_HTTP1_FAILED)
        return p->err;
    if (p->state != NST_HTTP1_HEAD)
        return -EINVAL;
    /* Offsets are 32-bit and the length is returned as an int. */
    if (len > INT_MAX)
        len = INT_MAX;
    for (;;) {
        uint32_t content, next;
        if (!nst_http1_next_line(buf, len, p->line, &p->scan, &content, &next)) {
            size_t partial = nst_http1_partial_line_len(buf, len, p->line);
            if (!p->seen_start && p->line + partial > p->lim.max_start_line)
                return start_line_too_long(p);
            if (p->seen_start && len - p->fields_start > p->lim.max_field_section)
                return fields_too_large(p, NST_HTTP1_FIELDS_TOO_LARGE);
            return -EAGAIN;
        }
        int rc = head_line(p, buf, content, next);
        if (rc < 0)
            return rc;
        p->line = next;
        if (rc == 1) {
            rc = finish_head(p, buf);
            return rc < 0 ? rc : (int)next;
        }
    }
}

int nst_http1_parse_eof(struct nst_http1_parser *p)
{
    switch (p->state) {
    case NST_HTTP1_DONE:
        return 0;
    case NST_HTTP1_FAILED:
        return p->err;
    case NST_HTTP1_HEAD:
        /* Closed between messages: not an error, but no message either. */
        if (p->scan == 0)
            return -ENODATA;
        break;
    case NST_HTTP1_BODY_BYTES:
        if (p->msg.body == NST_HTTP1_BODY_CLOSE) {
            p->state = NST_HTTP1_DONE;
            return 0;
        }
        break;
    default:
        break;
    }
    return bad(p, NST_HTTP1_TRUNCATED);
}

static const char *const why_names[] = {
    [NST_HTTP1_OK] = "ok",
    [NST_HTTP1_BAD_METHOD] = "bad method",
    [NST_HTTP1_BAD_TARGET] = "bad request-target",
    [NST_HTTP1_BAD_VERSION] = "bad HTTP-version",
    [NST_HTTP1_VERSION_UNSUPPORTED] = "HTTP major version not 1",
    [NST_HTTP1_BAD_STATUS] = "bad status code",
    [NST_HTTP1_BAD_REASON] = "bad reason phrase",
    [NST_HTTP1_BARE_CR] = "bare CR",
    [NST_HTTP1_BARE_LF] = "bare LF",
    [NST_HTTP1_BAD_NAME] = "bad field name",
    [NST_HTTP1_SPACE_BEFORE_COLON] = "whitespace before colon",
    [NST_HTTP1_NO_COLON] = "field line without colon",
    [NST_HTTP1_BAD_VALUE] = "bad field value",
    [NST_HTTP1_OBS_FOLD] = "obs-fold",
    [NST_HTTP1_NO_HOST] = "no Host",
    [NST_HTTP1_MANY_HOST] = "more than one Host",
    [NST_HTTP1_BAD_HOST] = "bad Host",
    [NST_HTTP1_BAD_CONTENT_LENGTH] = "bad Content-Length",
    [NST_HTTP1_CONFLICTING_CONTENT_LENGTH] = "conflicting Content-Length",
    [NST_HTTP1_CL_AND_TE] = "Content-Length and Transfer-Encoding",
    [NST_HTTP1_TE_NOT_CHUNKED] = "final transfer coding not chunked",
    [NST_HTTP1_TE_CHUNKED_TWICE] = "chunked applied twice",
    [NST_HTTP1_TE_UNKNOWN] = "transfer coding not implemented",
    [NST_HTTP1_TE_BAD] = "bad Transfer-Encoding",
    [NST_HTTP1_TE_HTTP10] = "Transfer-Encoding in HTTP/1.0",
    [NST_HTTP1_BAD_CHUNK_SIZE] = "bad chunk size",
    [NST_HTTP1_CHUNK_SIZE_OVERFLOW] = "chunk size overflows 64 bits",
    [NST_HTTP1_BAD_CHUNK_EXT] = "bad chunk extension",
    [NST_HTTP1_BAD_CHUNK_END] = "chunk data not followed by CRLF",
    [NST_HTTP1_START_LINE_TOO_LONG] = "start line too long",
    [NST_HTTP1_FIELDS_TOO_LARGE] = "field section too large",
    [NST_HTTP1_TOO_MANY_FIELDS] = "too many fields",
    [NST_HTTP1_BODY_TOO_LARGE] = "body too large",
    [NST_HTTP1_CHUNK_LINE_TOO_LONG] = "chunk line too long",
    [NST_HTTP1_TRUNCATED] = "connection closed inside the message",
};

const char *nst_http1_why_str(enum nst_http1_why why)
{
    if ((size_t)why < sizeof why_names / sizeof why_names[0] && why_names[why])
        return why_names[why];
    return "?";
}
