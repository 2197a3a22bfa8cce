/* Drives the HTTP/1.1 parser over pieces of input; see http1_drive.h. */
#include "http1_drive.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void http1_drive_init(struct http1_drive *d, enum nst_http1_kind kind)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->req_method = NST_HTTP1_M_GET;
    d->lim = NST_HTTP1_LIMITS_DEFAULT;
    d->max_fields = HTTP1_DRIVE_FIELDS;
}

static void emit(struct http1_drive *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof d->text - d->text_len;
    int n = vsnprintf(d->text + d->text_len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        d->text_len += (size_t)n < room ? (size_t)n : room - 1;
}

/* Bytes as text, escaping what is not printable. */
static void emit_bytes(struct http1_drive *d, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        emit(d, (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') ? "%c" : "\\x%02x", s[i]);
}

static void emit_span(struct http1_drive *d, const uint8_t *base, struct nst_http1_span s)
{
    emit_bytes(d, base + s.off, s.len);
}

static void emit_head(struct http1_drive *d, const uint8_t *base, const struct nst_http1_parser *p,
                      const struct nst_http1_field *f)
{
    const struct nst_http1_msg *m = &p->msg;
    if (d->kind == NST_HTTP1_REQUEST) {
        emit(d, "request ");
        emit_span(d, base, m->method);
        emit(d, " (%d) ", m->method_id);
        emit_span(d, base, m->target);
        emit(d, " form %d", m->target_form);
    } else {
        emit(d, "response %d ", m->status);
        emit_span(d, base, m->reason);
    }
    emit(d, " HTTP/1.%d body %d cl %llu keep-alive %d expect %d/%d upgrade %d/%d host %d\n", m->version_minor,
         m->body, (unsigned long long)m->content_length, m->keep_alive, m->expect_continue, m->expect_other,
         m->upgrade, m->upgrade_field, m->host);
    for (int i = 0; i < m->nfields; i++) {
        emit_span(d, base, f[i].name);
        emit(d, ": [");
        emit_span(d, base, f[i].value);
        emit(d, "]\n");
    }
}

static int failed(struct http1_drive *d, struct nst_http1_parser *p, int rc)
{
    d->err = rc;
    d->why = p->why;
    emit(d, "error %d (%s) status %d\n", rc, nst_http1_why_str((enum nst_http1_why)p->why), nst_http1_status_of(rc));
    return rc;
}

/* State between pieces. */
struct drive_state {
    struct nst_http1_parser p;
    struct nst_http1_field fields[64];
    size_t start; /* where the current message starts */
    size_t pos;   /* where the body parser resumes */
    int in_body;
    int done;
};

static void message_done(struct http1_drive *d, struct drive_state *s, const uint8_t *trailer_base)
{
    struct http1_drive_msg *dm = &d->msgs[d->nmsgs - 1];
    dm->done = 1;
    dm->end = s->pos;
    dm->msg = s->p.msg;
    for (int i = 0; i < s->p.msg.ntrailers; i++) {
        const struct nst_http1_field *f = &s->fields[s->p.msg.nfields + i];
        emit(d, "trailer ");
        emit_span(d, trailer_base, f->name);
        emit(d, ": [");
        emit_span(d, trailer_base, f->value);
        emit(d, "]\n");
    }
    emit(d, "end at %zu, body %zu bytes\n", s->pos, dm->body_len);
}

/* Parses what can be parsed of in[0, have). Returns < 0 on error, 0 when
 * more bytes are needed or the messages are exhausted. */
static int advance(struct http1_drive *d, struct drive_state *s, const uint8_t *in, size_t have)
{
    for (;;) {
        if (!s->in_body) {
            if (s->start == have)
                return 0;
            if (d->nmsgs == HTTP1_DRIVE_MAX_MSGS)
                return 0;
            int rc = nst_http1_parse_head(&s->p, in + s->start, have - s->start);
            if (rc == -EAGAIN)
                return 0;
            if (d->nmsgs == 0 || d->msgs[d->nmsgs - 1].done) {
                d->nmsgs++;
                d->msgs[d->nmsgs - 1].start = s->start;
            }
            if (rc < 0)
                return failed(d, &s->p, rc);
            struct http1_drive_msg *dm = &d->msgs[d->nmsgs - 1];
            dm->head_len = (size_t)rc;
            emit_head(d, in + s->start, &s->p, s->fields);
            s->pos = s->start + (size_t)rc;
            s->in_body = 1;
        }
        struct http1_drive_msg *dm = &d->msgs[d->nmsgs - 1];
        while (s->p.state != NST_HTTP1_DONE) {
            const uint8_t *data;
            size_t n;
            const uint8_t *base = in + s->pos;
            int rc = nst_http1_parse_body(&s->p, base, have - s->pos, &data, &n);
            if (rc < 0)
                return failed(d, &s->p, rc);
            if (n) {
                emit(d, "data ");
                emit_bytes(d, data, n);
                emit(d, "\n");
                dm->body_len += n;
            }
            s->pos += (size_t)rc;
            if (s->p.state == NST_HTTP1_DONE) {
                message_done(d, s, base);
                break;
            }
            if (rc == 0)
                return 0;
        }
        if (!dm->done)
            message_done(d, s, in + s->pos);
        /* A tunnel is no longer HTTP. */
        if (s->p.msg.body == NST_HTTP1_BODY_TUNNEL)
            return 0;
        s->start = s->pos;
        s->in_body = 0;
        nst_http1_parser_next(&s->p, d->req_method);
    }
}

/* Joins consecutive "data " lines into one, so the text says what the
 * body was, not how it was cut. */
static void merge_data_lines(struct http1_drive *d)
{
    char *out = d->text, *in = d->text, *end = d->text + d->text_len;
    int prev_data = 0;
    while (in < end) {
        char *nl = memchr(in, '\n', (size_t)(end - in));
        size_t n = nl ? (size_t)(nl - in) + 1 : (size_t)(end - in);
        int is_data = n >= 5 && memcmp(in, "data ", 5) == 0;
        if (is_data && prev_data) {
            out--; /* drop the previous newline */
            memmove(out, in + 5, n - 5);
            out += n - 5;
        } else {
            memmove(out, in, n);
            out += n;
        }
        prev_data = is_data;
        in += n;
    }
    d->text_len = (size_t)(out - d->text);
    d->text[d->text_len] = '\0';
}

int http1_drive_run(struct http1_drive *d, const uint8_t *in, size_t len, const size_t *cuts, size_t ncuts)
{
    static struct drive_state s; /* tests are single-threaded */
    memset(&s, 0, sizeof s);
    uint16_t maxf = d->max_fields < 64 ? d->max_fields : 64;
    nst_http1_parser_init(&s.p, d->kind, d->req_method, &d->lim, s.fields, maxf);
    /* The buffer a connection would fill: exactly `have` bytes valid, so
     * ASan sees any read past what has arrived. */
    uint8_t *buf = malloc(len ? len : 1);
    size_t have = 0;
    int rc = 0;
    for (size_t i = 0; i <= ncuts && rc >= 0; i++) {
        size_t upto = i < ncuts ? cuts[i] : len;
        if (upto < have || upto > len)
            continue;
        memcpy(buf + have, in + have, upto - have);
        have = upto;
        rc = advance(d, &s, buf, have);
    }
    if (rc >= 0 && d->eof && d->nmsgs < HTTP1_DRIVE_MAX_MSGS) {
        d->eof_rc = nst_http1_parse_eof(&s.p);
        emit(d, "eof %d\n", d->eof_rc);
        if (d->eof_rc == 0 && d->nmsgs && !d->msgs[d->nmsgs - 1].done) {
            s.pos = have;
            message_done(d, &s, buf + have);
        }
    }
    free(buf);
    merge_data_lines(d);
    int completed = 0;
    for (int i = 0; i < d->nmsgs; i++)
        completed += d->msgs[i].done;
    return completed;
}

int http1_drive_bytewise(struct http1_drive *d, const uint8_t *in, size_t len)
{
    size_t *cuts = malloc((len ? len : 1) * sizeof *cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    int n = http1_drive_run(d, in, len, cuts, len);
    free(cuts);
    return n;
}
