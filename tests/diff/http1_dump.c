/* What nstack's HTTP/1.1 parser makes of each case (dump.h), for
 * tests/diff/http1_diff.py to compare with h11 and llhttp. */
#include "app/http1_parse.h"
#include "dump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_fields(const uint8_t *base, const struct nst_http1_field *f, int n)
{
    putchar('[');
    for (int i = 0; i < n; i++)
        dump_pair(i == 0, base + f[i].name.off, f[i].name.len, base + f[i].value.off, f[i].value.len);
    putchar(']');
}

/* One case: parses every message in buf in one piece. */
void dump_case(int response, const char *method_name, int eof, const uint8_t *buf, size_t len)
{
    enum nst_http1_kind kind = response ? NST_HTTP1_RESPONSE : NST_HTTP1_REQUEST;
    enum nst_http1_method method = strcmp(method_name, "HEAD") == 0      ? NST_HTTP1_M_HEAD
                                   : strcmp(method_name, "CONNECT") == 0 ? NST_HTTP1_M_CONNECT
                                                                         : NST_HTTP1_M_GET;
    struct nst_http1_field fields[64];
    struct nst_http1_parser p;
    static uint8_t body[1 << 20];
    nst_http1_parser_init(&p, kind, method, NULL, fields, 64);
    size_t start = 0;
    int first = 1, err = 0;
    printf("{\"messages\":[");
    while (start < len) {
        int rc = nst_http1_parse_head(&p, buf + start, len - start);
        if (rc < 0) {
            err = rc == -EAGAIN ? 0 : rc;
            break;
        }
        size_t pos = start + (size_t)rc, blen = 0;
        const uint8_t *tbase = buf;
        while (p.state != NST_HTTP1_DONE) {
            const uint8_t *data;
            size_t n;
            int used = nst_http1_parse_body(&p, buf + pos, len - pos, &data, &n);
            if (used < 0) {
                err = used;
                break;
            }
            if (n && blen + n <= sizeof body) {
                memcpy(body + blen, data, n);
                blen += n;
            }
            tbase = buf + pos;
            pos += (size_t)used;
            if (used == 0)
                break;
        }
        if (err)
            break;
        if (p.state != NST_HTTP1_DONE) {
            if (!eof)
                break;
            err = nst_http1_parse_eof(&p);
            if (err)
                break;
        }
        printf("%s{\"start\":%zu,\"headers\":", first ? "" : ",", start);
        first = 0;
        json_fields(buf + start, fields, p.msg.nfields);
        printf(",\"body\":");
        dump_bytes(body, blen);
        printf(",\"trailers\":");
        json_fields(tbase, fields + p.msg.nfields, p.msg.ntrailers);
        printf(",\"status\":%d,\"keep_alive\":%d}", p.msg.status, p.msg.keep_alive);
        if (p.msg.body == NST_HTTP1_BODY_TUNNEL)
            break;
        start = pos;
        nst_http1_parser_next(&p, method);
    }
    printf("],\"error\":");
    if (err)
        printf("\"%s\"", nst_http1_why_str((enum nst_http1_why)p.why));
    else
        printf("null");
    printf("}\n");
}
