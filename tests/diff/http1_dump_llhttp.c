/* What llhttp (Node.js's parser; its C sources ship in Debian's
 * node-llhttp) makes of each case (dump.h), for tests/diff/http1_diff.py.
 * Built only where /usr/share/llhttp/llhttp.c exists. llhttp calls back
 * with pieces of each element; they are gathered and printed once each
 * message completes. */
#include "dump.h"

#include <llhttp.h>
#include <stdio.h>
#include <string.h>

#define MAX_FIELDS 64

struct gathered {
    uint8_t text[1 << 16];
    size_t len;
    struct {
        size_t name, name_len, value, value_len;
        int trailer;
    } f[MAX_FIELDS];
    int nf;
    int in_value, headers_done;
    uint8_t body[1 << 16];
    size_t blen;
    int messages;
    int skip_body; /* the request answered was HEAD */
    int connect;   /* ... or CONNECT */
};

static struct gathered g;

static int append(const char *at, size_t n)
{
    if (g.len + n > sizeof g.text)
        return -1;
    memcpy(g.text + g.len, at, n);
    g.len += n;
    return 0;
}

static int on_field(llhttp_t *p, const char *at, size_t n)
{
    (void)p;
    if (g.in_value || g.nf == 0) {
        if (g.nf == MAX_FIELDS)
            return -1;
        g.f[g.nf].name = g.len;
        g.f[g.nf].name_len = 0;
        g.f[g.nf].value = g.len;
        g.f[g.nf].value_len = 0;
        g.f[g.nf].trailer = g.headers_done;
        g.nf++;
        g.in_value = 0;
    }
    g.f[g.nf - 1].name_len += n;
    return append(at, n);
}

static int on_value(llhttp_t *p, const char *at, size_t n)
{
    (void)p;
    if (!g.in_value) {
        g.f[g.nf - 1].value = g.len;
        g.in_value = 1;
    }
    g.f[g.nf - 1].value_len += n;
    return append(at, n);
}

static int on_headers_complete(llhttp_t *p)
{
    g.headers_done = 1;
    g.in_value = 1; /* a trailer starts a new field */
    /* As Node.js does: 1 = no body (a response to HEAD), 2 = no body and
     * the connection is upgraded (a 2xx to CONNECT). */
    if (p->type == HTTP_RESPONSE && g.connect && p->status_code / 100 == 2)
        return 2;
    return (p->type == HTTP_RESPONSE && g.skip_body) ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    (void)p;
    if (g.blen + n > sizeof g.body)
        return -1;
    memcpy(g.body + g.blen, at, n);
    g.blen += n;
    return 0;
}

static void print_fields(int trailers)
{
    int first = 1;
    putchar('[');
    for (int i = 0; i < g.nf; i++) {
        if (g.f[i].trailer != trailers)
            continue;
        /* llhttp keeps the whitespace before a value's end; RFC 9112 5
         * excludes it, as nstack and h11 do. */
        size_t vl = g.f[i].value_len;
        while (vl && (g.text[g.f[i].value + vl - 1] == ' ' || g.text[g.f[i].value + vl - 1] == '\t'))
            vl--;
        dump_pair(first, g.text + g.f[i].name, g.f[i].name_len, g.text + g.f[i].value, vl);
        first = 0;
    }
    putchar(']');
}

static int on_message_complete(llhttp_t *p)
{
    printf("%s{\"start\":0,\"headers\":", g.messages ? "," : "");
    print_fields(0);
    printf(",\"body\":");
    dump_bytes(g.body, g.blen);
    printf(",\"trailers\":");
    print_fields(1);
    printf(",\"status\":%d,\"keep_alive\":%d}", p->type == HTTP_RESPONSE ? p->status_code : 0,
           llhttp_should_keep_alive(p));
    g.messages++;
    g.nf = 0;
    g.len = 0;
    g.blen = 0;
    g.in_value = 0;
    g.headers_done = 0;
    return 0;
}

void dump_case(int response, const char *method, int eof, const uint8_t *buf, size_t len)
{
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_header_field = on_field;
    s.on_header_value = on_value;
    s.on_headers_complete = on_headers_complete;
    s.on_body = on_body;
    s.on_message_complete = on_message_complete;
    llhttp_t p;
    llhttp_init(&p, response ? HTTP_RESPONSE : HTTP_REQUEST, &s);
    memset(&g, 0, sizeof g);
    g.skip_body = strcmp(method, "HEAD") == 0;
    g.connect = strcmp(method, "CONNECT") == 0;
    printf("{\"messages\":[");
    llhttp_errno_t err = llhttp_execute(&p, (const char *)buf, len);
    if (err == HPE_OK && eof)
        err = llhttp_finish(&p);
    /* A paused upgrade (CONNECT, Upgrade) ends the HTTP part: no error. */
    if (err == HPE_PAUSED_UPGRADE)
        err = HPE_OK;
    printf("],\"error\":");
    if (err != HPE_OK)
        dump_bytes((const uint8_t *)llhttp_errno_name(err), strlen(llhttp_errno_name(err)));
    else
        printf("null");
    printf("}\n");
}
