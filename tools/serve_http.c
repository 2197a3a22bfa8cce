/* nstack serve --http: a minimal HTTP/1.1 responder (RFC 9112 framing,
 * RFC 9110 semantics), enough for curl and browsers to get a page from
 * nstack over a real network:
 *   GET / and HEAD /  -> 200 "Hello from nstack"
 *   another path      -> 404
 *   another method    -> 405 with Allow (RFC 9110 15.5.6)
 *   a bad request, a missing Host on HTTP/1.1 (RFC 9112 3.2) -> 400, closed
 *   a header section over HTTP_BUF bytes -> 431, closed (RFC 6585 5)
 *   over TLS (--tls), another method than GET/HEAD in 0-RTT early data
 *                     -> 425, closed (RFC 8470 5.2: early data can be replayed)
 * Connections persist (RFC 9112 9.3) unless the client says
 * "Connection: close", speaks HTTP/1.0 without keep-alive, or sends a body
 * (which this responder does not read: it could not find the next request). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tools/serve.h"

#define HTTP_BUF 16384 /* request bytes held per connection */
#define HTTP_BODY "Hello from nstack\n"

struct http_req {
    char method[16];
    char target[1024];
    int minor;          /* HTTP/1.minor */
    int close;          /* the connection ends after the response */
    int host;           /* a Host field was present */
};

/* The token list of a Connection field contains `token`. */
static int has_token(const char *v, size_t len, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i + tl <= len; i++)
        if (!strncasecmp(v + i, token, tl) && (i == 0 || v[i - 1] == ',' || v[i - 1] == ' ') &&
            (i + tl == len || v[i + tl] == ',' || v[i + tl] == ' '))
            return 1;
    return 0;
}

/* One header line (without CRLF). 0, or -1 if it is not "name: value". */
static int parse_field(const char *line, size_t len, struct http_req *r)
{
    const char *colon = memchr(line, ':', len);
    /* RFC 9112 5.1: no whitespace between the name and the colon. */
    if (!colon || colon == line || colon[-1] == ' ' || colon[-1] == '\t')
        return -1;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    if (nlen == 4 && !strncasecmp(line, "host", 4))
        r->host = 1;
    else if (nlen == 10 && !strncasecmp(line, "connection", 10)) {
        if (has_token(v, vlen, "close"))
            r->close = 1;
        else if (r->minor == 0 && has_token(v, vlen, "keep-alive"))
            r->close = 0;
    } else if ((nlen == 14 && !strncasecmp(line, "content-length", 14) && !(vlen == 1 && v[0] == '0')) ||
               (nlen == 17 && !strncasecmp(line, "transfer-encoding", 17)))
        r->close = 1;
    return 0;
}

/* The request line: METHOD SP target SP HTTP/1.x (RFC 9112 3). */
static int parse_request_line(const char *line, size_t len, struct http_req *r)
{
    char version[16];
    char fmt[64];
    char copy[1100];
    if (len >= sizeof(copy))
        return -1;
    memcpy(copy, line, len);
    copy[len] = '\0';
    snprintf(fmt, sizeof(fmt), "%%%zus %%%zus %%15s", sizeof(r->method) - 1, sizeof(r->target) - 1);
    if (sscanf(copy, fmt, r->method, r->target, version) != 3 || strncmp(version, "HTTP/1.", 7) ||
        version[7] < '0' || version[7] > '9' || version[8])
        return -1;
    r->minor = version[7] - '0';
    r->close = r->minor == 0; /* HTTP/1.0 closes unless it asks to keep alive */
    return 0;
}

/* Parses the header section buf[0..len) (ending with CRLF CRLF). */
static int parse_request(const char *buf, size_t len, struct http_req *r)
{
    memset(r, 0, sizeof(*r));
    const char *p = buf, *end = buf + len - 2; /* before the final empty line */
    const char *eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
    if (!eol || parse_request_line(p, (size_t)(eol - p), r))
        return -1;
    for (p = eol + 2; p < end; p = eol + 2) {
        eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
        if (!eol || parse_field(p, (size_t)(eol - p), r))
            return -1;
    }
    return 0;
}

static int respond(struct serve_conn *c, int status, const char *reason, const char *body, int head_only,
                   int close, const char *extra)
{
    char date[64], hdr[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    /* RFC 9110 6.6.1: an origin server with a clock sends Date. */
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: nstack\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n%s%s\r\n",
                     status, reason, date, strlen(body), extra ? extra : "", close ? "Connection: close\r\n" : "");
    if (serve_conn_queue(c, hdr, (size_t)n) < 0 || (!head_only && serve_conn_queue(c, body, strlen(body)) < 0))
        return -ENOMEM;
    c->close_after = close;
    return 0;
}

static int answer(struct serve_conn *c, const struct http_req *r)
{
    int head = !strcmp(r->method, "HEAD");
    /* RFC 8470 5.2: 0-RTT bytes can be replayed; only a safe method is
     * served from them, another is asked to come again after the handshake. */
    if (c->early && !head && strcmp(r->method, "GET"))
        return respond(c, 425, "Too Early", "Too early: send it again after the handshake\n", 0, 1, NULL);
    if (r->minor == 1 && !r->host)
        return respond(c, 400, "Bad Request", "Bad request: HTTP/1.1 needs Host\n", 0, 1, NULL);
    if (!head && strcmp(r->method, "GET"))
        return respond(c, 405, "Method Not Allowed", "Only GET and HEAD\n", 0, r->close, "Allow: GET, HEAD\r\n");
    if (strcmp(r->target, "/"))
        return respond(c, 404, "Not Found", "Not found\n", head, r->close, NULL);
    return respond(c, 200, "OK", HTTP_BODY, head, r->close, NULL);
}

/* Answers the first complete request held, if any. 1 if it did. */
static int take_request(struct server *sv, int fd, struct serve_conn *c)
{
    char *end = c->req_len ? memmem(c->req, c->req_len, "\r\n\r\n", 4) : NULL;
    if (!end) {
        if (c->req_len < HTTP_BUF)
            return 0;
        respond(c, 431, "Request Header Fields Too Large", "Request header too large\n", 0, 1, NULL);
        c->req_len = 0;
        return 1;
    }
    size_t hlen = (size_t)(end - c->req) + 4;
    struct http_req r;
    if (parse_request(c->req, hlen, &r) < 0)
        respond(c, 400, "Bad Request", "Bad request\n", 0, 1, NULL);
    else if (answer(c, &r) < 0)
        c->close_after = 1;
    serve_stats_of(sv, fd)->requests++;
    memmove(c->req, c->req + hlen, c->req_len - hlen);
    c->req_len -= hlen;
    return 1;
}

void serve_http(struct server *sv, int fd, struct serve_conn *c, int events)
{
    (void)events;
    if (!c->req && !(c->req = malloc(HTTP_BUF))) {
        serve_conn_close(sv, fd);
        return;
    }
    for (;;) {
        /* Answer in order; read more only once the answers are out. */
        if (!serve_conn_flush(sv, fd, c) || c->out_len)
            return;
        if (take_request(sv, fd, c))
            continue;
        ssize_t n = serve_conn_recv(sv, fd, c, c->req + c->req_len, HTTP_BUF - c->req_len);
        if (n == -EAGAIN)
            return;
        if (n <= 0) {
            serve_conn_close(sv, fd); /* the client is done (or gone) */
            return;
        }
        c->req_len += (size_t)n;
        serve_stats_of(sv, fd)->bytes_in += (uint64_t)n;
    }
}
