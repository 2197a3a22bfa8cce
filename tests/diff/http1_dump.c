/* Reads HTTP/1.1 test cases and prints what nstack's parser makes of each,
 * as one JSON line, for tests/diff/http1_h11.py to compare with h11.
 *
 * Input, one case per line: "req|resp METHOD EOF HEX" where METHOD is the
 * method of the request a response answers, EOF 1 if the peer closes after
 * the bytes, HEX the bytes. Output: {"error": why or null, "messages":
 * [{"start": ..., "headers": [[name, value]...], "body": hex, "trailers":
 * [...]}]}, with names lowercased; only complete messages are listed. */
#include "app/http1_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_bytes(const uint8_t *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            printf("\\%c", s[i]);
        else if (s[i] >= 0x20 && s[i] < 0x7f)
            putchar(s[i]);
        else
            printf("\\u%04x", s[i]);
    }
    putchar('"');
}

static void json_fields(const uint8_t *base, const struct nst_http1_field *f, int n)
{
    putchar('[');
    for (int i = 0; i < n; i++) {
        uint8_t name[256];
        size_t len = f[i].name.len < sizeof name ? f[i].name.len : sizeof name;
        for (size_t k = 0; k < len; k++) {
            uint8_t c = base[f[i].name.off + k];
            name[k] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
        }
        printf(i ? ",[" : "[");
        json_bytes(name, len);
        putchar(',');
        json_bytes(base + f[i].value.off, f[i].value.len);
        putchar(']');
    }
    putchar(']');
}

static int hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

/* One case: parses every message in buf in one piece. */
static void run_case(enum nst_http1_kind kind, enum nst_http1_method method, int eof, const uint8_t *buf, size_t len)
{
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
        json_bytes(body, blen);
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

int main(void)
{
    static char line[1 << 21];
    static uint8_t buf[1 << 20];
    while (fgets(line, sizeof line, stdin)) {
        char kind[8], method[16];
        int eof, off;
        if (sscanf(line, "%7s %15s %d %n", kind, method, &eof, &off) != 3)
            return 2;
        size_t n = 0;
        for (const char *h = line + off; h[0] && h[1] && h[0] != '\n' && n < sizeof buf; h += 2)
            buf[n++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
        enum nst_http1_method m = strcmp(method, "HEAD") == 0      ? NST_HTTP1_M_HEAD
                                  : strcmp(method, "CONNECT") == 0 ? NST_HTTP1_M_CONNECT
                                                                   : NST_HTTP1_M_GET;
        run_case(strcmp(kind, "resp") == 0 ? NST_HTTP1_RESPONSE : NST_HTTP1_REQUEST, m, eof, buf, n);
        fflush(stdout);
    }
    return 0;
}
