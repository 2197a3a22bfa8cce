/* The script parser: packetdrill's syntax, one event per logical line.
 *
 * A logical line ends at a newline outside parentheses, brackets and
 * braces; `//` and C comments are dropped; `%{ ... }%` blocks and `...`
 * shell commands may span lines. Settings (`--name=value`, `%{ nstack: }%`)
 * must come before the first event; other `%{ }%` blocks and shell
 * commands are skipped with a note on the notes stream, never silently. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"
#include "wire/tcp.h"

/* ---- logical lines ------------------------------------------------------------- */

struct lline {
    char *text;
    int line;
};

struct lines {
    struct lline *v;
    int n, cap;
};

static int lines_push(struct lines *ls, const char *s, size_t len, int line)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (!len)
        return 0;
    if (ls->n == ls->cap) {
        int cap = ls->cap ? ls->cap * 2 : 64;
        struct lline *v = realloc(ls->v, (size_t)cap * sizeof(*v));
        if (!v)
            return -1;
        ls->v = v;
        ls->cap = cap;
    }
    char *t = malloc(len + 1);
    if (!t)
        return -1;
    /* Newlines inside a logical line become spaces, except in a %{ }%
     * block, whose statements are lines. */
    int in_block = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 1 < len && s[i + 1] == '{')
            in_block = 1;
        else if (s[i] == '}' && i + 1 < len && s[i + 1] == '%')
            in_block = 0;
        t[i] = s[i] == '\n' && !in_block ? ' ' : s[i];
    }
    t[len] = 0;
    ls->v[ls->n].text = t;
    ls->v[ls->n].line = line;
    ls->n++;
    return 0;
}

/* Splits the file into logical lines with comments removed. */
static int split_lines(const char *src, struct lines *ls)
{
    size_t n = strlen(src);
    char *buf = malloc(n + 1);
    if (!buf)
        return -1;
    size_t b = 0;
    int line = 1, start_line = 1, depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '/' && src[i + 1] == '/') {
            while (i < n && src[i] != '\n')
                i++;
            i--;
            continue;
        }
        if (c == '/' && src[i + 1] == '*') {
            for (i += 2; i < n && !(src[i] == '*' && src[i + 1] == '/'); i++)
                if (src[i] == '\n')
                    line++;
            i++;
            continue;
        }
        if (c == '%' && src[i + 1] == '{') {
            /* A block, kept whole up to its }% */
            for (; i < n && !(src[i] == '}' && src[i + 1] == '%'); i++) {
                if (!b)
                    start_line = line;
                buf[b++] = src[i];
                if (src[i] == '\n')
                    line++;
            }
            if (i < n) {
                buf[b++] = '}';
                buf[b++] = '%';
                i++;
            }
            continue;
        }
        if (c == '`') {
            if (!b)
                start_line = line;
            buf[b++] = src[i++];
            for (; i < n && src[i] != '`'; i++) {
                buf[b++] = src[i];
                if (src[i] == '\n')
                    line++;
            }
            if (i < n)
                buf[b++] = '`';
            continue;
        }
        if (c == '(' || c == '[' || c == '{')
            depth++;
        else if ((c == ')' || c == ']' || c == '}') && depth > 0)
            depth--;
        if (c == '\n') {
            line++;
            if (depth == 0) {
                if (lines_push(ls, buf, b, start_line) < 0) {
                    free(buf);
                    return -1;
                }
                b = 0;
                start_line = line;
                continue;
            }
        }
        if (!b && !isspace((unsigned char)c))
            start_line = line;
        if (b || !isspace((unsigned char)c))
            buf[b++] = c;
    }
    int rc = lines_push(ls, buf, b, start_line);
    free(buf);
    return rc;
}

/* ---- a cursor over one line ------------------------------------------------------ */

struct cur {
    const char *p;
    char *err;
    size_t errlen;
    int failed;
    struct pd_script *sc;        /* for pd_script_skip (event lines only) */
    int line;
};

static int cfail(struct cur *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cfail(struct cur *c, const char *fmt, ...)
{
    if (!c->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
        c->failed = 1;
    }
    return -1;
}

static void ws(struct cur *c)
{
    while (isspace((unsigned char)*c->p))
        c->p++;
}

static int peek(struct cur *c, char ch)
{
    ws(c);
    return *c->p == ch;
}

static int take(struct cur *c, char ch)
{
    if (!peek(c, ch))
        return 0;
    c->p++;
    return 1;
}

static int expect(struct cur *c, char ch)
{
    if (take(c, ch))
        return 0;
    return cfail(c, "expected '%c' at '%.20s'", ch, c->p);
}

static int take_word(struct cur *c, const char *w)
{
    ws(c);
    size_t n = strlen(w);
    if (strncmp(c->p, w, n) || isalnum((unsigned char)c->p[n]) || c->p[n] == '_')
        return 0;
    c->p += n;
    return 1;
}

static int ident(struct cur *c, char *out, size_t cap)
{
    ws(c);
    size_t n = 0;
    if (!isalpha((unsigned char)*c->p) && *c->p != '_')
        return -1;
    while (isalnum((unsigned char)c->p[n]) || c->p[n] == '_') {
        if (n + 1 < cap)
            out[n] = c->p[n];
        n++;
    }
    out[n < cap ? n : cap - 1] = 0;
    c->p += n;
    return 0;
}

/* An unsigned integer (decimal or 0x hex). */
static int uint_val(struct cur *c, unsigned long long *out)
{
    ws(c);
    if (!isdigit((unsigned char)*c->p))
        return cfail(c, "expected a number at '%.20s'", c->p);
    char *end;
    errno = 0;
    *out = strtoull(c->p, &end, 0);
    if (errno)
        return cfail(c, "number out of range at '%.20s'", c->p);
    c->p = end;
    return 0;
}

static int u32_val(struct cur *c, uint32_t *out)
{
    unsigned long long v = 0;
    if (uint_val(c, &v) < 0)
        return -1;
    if (v > 0xffffffffull)
        return cfail(c, "number %llu does not fit 32 bits", v);
    *out = (uint32_t)v;
    return 0;
}

/* Seconds with an optional fraction: "0.100", "1", ".5". */
static int seconds(struct cur *c, nst_time_t *out)
{
    ws(c);
    const char *p = c->p;
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
        return cfail(c, "expected a time at '%.20s'", p);
    long long whole = 0, frac = 0, scale = 1000000000LL;
    while (isdigit((unsigned char)*p))
        whole = whole * 10 + (*p++ - '0');
    if (*p == '.' && isdigit((unsigned char)p[1])) {
        p++;
        while (isdigit((unsigned char)*p)) {
            scale /= 10;
            frac += (*p++ - '0') * scale;
        }
    }
    *out = whole * 1000000000LL + frac;
    c->p = p;
    return 0;
}

/* ---- times ----------------------------------------------------------------------------- */

/* One time: [+]seconds. *rel says whether it had the '+'. */
static int one_time(struct cur *c, nst_time_t *t, int *rel)
{
    *rel = take(c, '+');
    return seconds(c, t);
}

static int parse_time(struct cur *c, struct pd_time *t)
{
    if (take(c, '*')) {
        t->kind = PD_T_ANY;
        t->lo = t->hi = 0;
        return 0;
    }
    int rel;
    if (one_time(c, &t->lo, &rel) < 0)
        return -1;
    t->kind = rel ? PD_T_REL : PD_T_ABS;
    t->hi = t->lo;
    if (take(c, '~')) {
        int rel2;
        if (one_time(c, &t->hi, &rel2) < 0)
            return -1;
        if (rel2 != rel)
            return cfail(c, "a time range mixes relative and absolute times");
        if (t->hi < t->lo)
            return cfail(c, "a time range ends before it starts");
    }
    return 0;
}

/* ---- TCP options -------------------------------------------------------------------------- */

static int parse_sack_blocks(struct cur *c, struct pd_opt *o)
{
    o->nsack = 0;
    for (;;) {
        ws(c);
        if (!isdigit((unsigned char)*c->p))
            break;
        if (o->nsack == PD_MAX_SACK)
            return cfail(c, "more than %d SACK blocks", PD_MAX_SACK);
        if (u32_val(c, &o->sack[o->nsack][0]) < 0 || expect(c, ':') < 0 || u32_val(c, &o->sack[o->nsack][1]) < 0)
            return -1;
        o->nsack++;
    }
    if (!o->nsack)
        return cfail(c, "sack without blocks");
    return 0;
}

/* An optional run of hex digits ("FO 1a2b3c4d", "md5 00ff...", "FO"),
 * at most max bytes. packetdrill writes cookies without 0x. */
static int hex_blob(struct cur *c, struct pd_opt *o, unsigned max)
{
    ws(c);
    const char *p = c->p;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    size_t n = 0;
    while (isxdigit((unsigned char)p[n]))
        n++;
    if (!n || isalnum((unsigned char)p[n]) || p[n] == '_')
        return 0; /* none: an empty cookie (a cookie request) */
    if (n % 2)
        return cfail(c, "odd number of hex digits in '%.*s'", (int)n, p);
    if (n / 2 > max)
        return cfail(c, "more than %u bytes in '%.20s'", max, p);
    for (size_t i = 0; i < n; i += 2) {
        char b[3] = {p[i], p[i + 1], 0};
        o->bytes[o->nbytes++] = (uint8_t)strtoul(b, NULL, 16);
    }
    c->p = p + n;
    return 0;
}

/* A TS value: a number, or `*` (or `...`) on an outbound line for "any". */
static int ts_field(struct cur *c, uint32_t *v, int *any)
{
    ws(c);
    if (!strncmp(c->p, "...", 3)) { /* FreeBSD's suite writes "TS val ... ecr 0" */
        c->p += 3;
        *any = 1;
        return 0;
    }
    if (take(c, '*')) {
        *any = 1;
        return 0;
    }
    return u32_val(c, v);
}

static int parse_one_opt(struct cur *c, struct pd_opt *o)
{
    memset(o, 0, sizeof(*o));
    if (take_word(c, "nop")) {
        o->kind = PD_OPT_NOP;
    } else if (take_word(c, "eol")) {
        o->kind = PD_OPT_EOL;
    } else if (take_word(c, "mss")) {
        o->kind = PD_OPT_MSS;
        return u32_val(c, &o->v);
    } else if (take_word(c, "wscale")) {
        o->kind = PD_OPT_WSCALE;
        return u32_val(c, &o->v);
    } else if (take_word(c, "sackOK")) {
        o->kind = PD_OPT_SACKOK;
    } else if (take_word(c, "sack")) {
        o->kind = PD_OPT_SACK;
        return parse_sack_blocks(c, o);
    } else if (take_word(c, "TS")) {
        o->kind = PD_OPT_TS;
        if (!take_word(c, "val") || ts_field(c, &o->val, &o->val_any) < 0 || !take_word(c, "ecr") ||
            ts_field(c, &o->ecr, &o->ecr_any) < 0)
            return cfail(c, "expected 'TS val N ecr N'");
    } else if (take_word(c, "FOEXP")) {
        o->kind = PD_OPT_FOEXP;
        return hex_blob(c, o, 16);
    } else if (take_word(c, "FO")) {
        o->kind = PD_OPT_FO;
        return hex_blob(c, o, 16);
    } else if (take_word(c, "md5")) {
        o->kind = PD_OPT_MD5;
        if (hex_blob(c, o, 16) < 0)
            return -1;
        if (o->nbytes && o->nbytes != 16)
            return cfail(c, "an md5 digest is 16 bytes");
        return 0;
    } else if (take_word(c, "kind")) {
        uint32_t k;
        o->kind = PD_OPT_RAW;
        if (u32_val(c, &k) < 0)
            return -1;
        if (k < 2 || k > 255)
            return cfail(c, "option kind %u is not a kind with a length byte (2..255)", k);
        o->kind_raw = (uint8_t)k;
        return hex_blob(c, o, 36);
    } else {
        return cfail(c, "unknown TCP option at '%.20s'", c->p);
    }
    return 0;
}

static int parse_options(struct cur *c, struct pd_packet *pk)
{
    /* The '<' is taken. */
    ws(c);
    if (!strncmp(c->p, "...", 3)) {
        c->p += 3;
        pk->opts_any = 1;
        return expect(c, '>');
    }
    if (take(c, '>'))
        return 0;
    for (;;) {
        if (pk->nopts == PD_MAX_OPTS)
            return cfail(c, "too many TCP options");
        if (parse_one_opt(c, &pk->opts[pk->nopts]) < 0)
            return -1;
        pk->nopts++;
        if (take(c, '>'))
            return 0;
        if (expect(c, ',') < 0)
            return -1;
    }
}

/* ---- packets ------------------------------------------------------------------------------- */

static int parse_flags(struct cur *c, uint8_t *flags)
{
    ws(c);
    *flags = 0;
    if (*c->p == '-' && !isdigit((unsigned char)c->p[1])) {
        c->p++; /* packetdrill's "no flags at all" */
        return 0;
    }
    const char *start = c->p;
    for (;; c->p++) {
        switch (*c->p) {
        case 'S': *flags |= NST_TCP_SYN; continue;
        case 'F': *flags |= NST_TCP_FIN; continue;
        case 'R': *flags |= NST_TCP_RST; continue;
        case 'P': *flags |= NST_TCP_PSH; continue;
        case '.': *flags |= NST_TCP_ACK; continue;
        case 'U': *flags |= NST_TCP_URG; continue;
        case 'E': *flags |= NST_TCP_ECE; continue;
        case 'W': *flags |= NST_TCP_CWR; continue;
        default: break;
        }
        break;
    }
    if (c->p == start)
        return cfail(c, "expected TCP flags (S . P F R U E W) at '%.20s'", c->p);
    return 0;
}

/* seq:end(len), checking that end - seq == len. */
static int parse_seq_range(struct cur *c, uint32_t *seq, uint32_t *len)
{
    uint32_t end;
    if (u32_val(c, seq) < 0 || expect(c, ':') < 0 || u32_val(c, &end) < 0 || expect(c, '(') < 0 ||
        u32_val(c, len) < 0 || expect(c, ')') < 0)
        return -1;
    if (end - *seq != *len)
        return cfail(c, "sequence range %u:%u does not hold %u bytes", *seq, end, *len);
    return 0;
}

static int parse_tcp(struct cur *c, struct pd_packet *pk)
{
    pk->proto = PD_TCP;
    if (parse_flags(c, &pk->flags) < 0 || parse_seq_range(c, &pk->seq, &pk->len) < 0)
        return -1;
    for (;;) {
        if (take_word(c, "ack")) {
            pk->has_ack = 1;
            if (u32_val(c, &pk->ack) < 0)
                return -1;
        } else if (take_word(c, "win")) {
            pk->has_win = 1;
            if (u32_val(c, &pk->win) < 0)
                return -1;
            if (pk->win > 65535)
                return cfail(c, "window %u does not fit the 16-bit field", pk->win);
        } else if (take_word(c, "urg")) {
            pk->has_urg = 1;
            if (u32_val(c, &pk->urg) < 0)
                return -1;
        } else if (take(c, '<')) {
            if (parse_options(c, pk) < 0)
                return -1;
        } else {
            break;
        }
    }
    if (pk->has_ack && !(pk->flags & NST_TCP_ACK))
        return cfail(c, "'ack' given but the ACK flag ('.') is not set");
    if ((pk->flags & NST_TCP_ACK) && !pk->has_ack)
        return cfail(c, "the ACK flag ('.') is set but no 'ack N' is given");
    return 0;
}

struct icmp_name {
    const char *name;
    int v;
};

static const struct icmp_name icmp_types[] = {
    {"echo_reply", 0}, {"unreachable", 3}, {"source_quench", 4}, {"redirect", 5},
    {"echo_request", 8}, {"time_exceeded", 11}, {"parameter_problem", 12},
};
static const struct icmp_name icmp_codes[] = {
    {"net_unreachable", 0}, {"host_unreachable", 1}, {"protocol_unreachable", 2},
    {"port_unreachable", 3}, {"frag_needed", 4}, {"source_route_failed", 5},
    {"net_unknown", 6}, {"host_unknown", 7}, {"net_prohibited", 9}, {"host_prohibited", 10},
    {"ttl_exceeded", 0}, {"frag_reassembly_exceeded", 1},
};

static int lookup_name(const struct icmp_name *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].name, name))
            return t[i].v;
    return -1;
}

static int parse_icmp_quote(struct cur *c, struct pd_packet *pk)
{
    pk->quote = 1;
    if (take_word(c, "raw")) {
        pk->quote_proto = PD_RAW;
        if (expect(c, '(') < 0 || u32_val(c, &pk->quote_len) < 0 || expect(c, ')') < 0)
            return -1;
    } else if (take_word(c, "udp")) {
        pk->quote_proto = PD_UDP;
        if (expect(c, '(') < 0 || u32_val(c, &pk->quote_len) < 0 || expect(c, ')') < 0)
            return -1;
    } else {
        pk->quote_proto = PD_TCP;
        if (parse_seq_range(c, &pk->quote_seq, &pk->quote_len) < 0)
            return -1;
    }
    return expect(c, ']');
}

static int parse_icmp(struct cur *c, struct pd_packet *pk)
{
    pk->proto = PD_ICMP;
    char w[40];
    if (ident(c, w, sizeof(w)) < 0)
        return cfail(c, "expected an ICMP type");
    int t = lookup_name(icmp_types, sizeof(icmp_types) / sizeof(icmp_types[0]), w);
    if (t < 0)
        return cfail(c, "unknown ICMP type '%s'", w);
    pk->icmp_type = (uint8_t)t;
    const char *save = c->p;
    if (ident(c, w, sizeof(w)) == 0) {
        if (!strcmp(w, "mtu") || !strcmp(w, "id")) {
            c->p = save;
        } else {
            int code = lookup_name(icmp_codes, sizeof(icmp_codes) / sizeof(icmp_codes[0]), w);
            if (code < 0)
                return cfail(c, "unknown ICMP code '%s'", w);
            pk->icmp_code = (uint8_t)code;
        }
    }
    for (;;) {
        if (take_word(c, "mtu")) {
            pk->has_mtu = 1;
            if (u32_val(c, &pk->mtu) < 0)
                return -1;
        } else if (take_word(c, "id")) {
            uint32_t id;
            if (u32_val(c, &id) < 0)
                return -1;
            if (id > 65535)
                return cfail(c, "ICMP id %u does not fit 16 bits", id);
            pk->has_echo_id = 1;
            pk->echo_id = (uint16_t)id;
        } else if (take(c, '[')) {
            if (parse_icmp_quote(c, pk) < 0)
                return -1;
        } else {
            return 0;
        }
    }
}

static int port_val(struct cur *c, uint16_t *out)
{
    uint32_t port;
    if (u32_val(c, &port) < 0)
        return -1;
    if (port == 0 || port > 65535)
        return cfail(c, "bad port %u", port);
    *out = (uint16_t)port;
    return 0;
}

/* A number of at most max, for the field `what`. */
static int bounded(struct cur *c, const char *what, uint32_t max, uint32_t *v)
{
    if (u32_val(c, v) < 0)
        return -1;
    if (*v > max)
        return cfail(c, "%s %u is larger than %u", what, *v, max);
    return 0;
}

/* One IP field of `[...]` or `(...)`: noecn ect0 ect1 ce ect01, tos 0xNN,
 * ttl N, id N, flowlabel 0xN. */
static int parse_ip_field(struct cur *c, struct pd_ip_info *ip, char dir)
{
    static const struct {
        const char *name;
        int ecn;
    } ecns[] = {{"noecn", PD_ECN_NOT}, {"ect0", PD_ECN_ECT0}, {"ect1", PD_ECN_ECT1}, {"ce", PD_ECN_CE}};
    for (size_t i = 0; i < sizeof(ecns) / sizeof(ecns[0]); i++) {
        if (take_word(c, ecns[i].name)) {
            ip->ecn = ecns[i].ecn;
            return 0;
        }
    }
    uint32_t v;
    if (take_word(c, "ect01")) {
        if (dir != '>')
            return cfail(c, "[ect01] can only be used with outbound packets");
        ip->ect01 = 1;
    } else if (take_word(c, "tos")) {
        if (bounded(c, "tos", 0xff, &v) < 0)
            return -1;
        ip->has_tos = 1;
        ip->tos = (uint8_t)v;
    } else if (take_word(c, "ttl")) {
        if (bounded(c, "ttl", 0xff, &v) < 0)
            return -1;
        ip->has_ttl = 1;
        ip->ttl = (uint8_t)v;
    } else if (take_word(c, "id")) {
        if (bounded(c, "id", 0xffff, &v) < 0)
            return -1;
        ip->has_id = 1;
        ip->id = (uint16_t)v;
    } else if (take_word(c, "flowlabel")) {
        if (bounded(c, "flowlabel", 0xfffff, &v) < 0)
            return -1;
        ip->flowlabel = v;
    } else {
        return cfail(c, "unknown IP field at '%.20s'", c->p);
    }
    return 0;
}

/* The optional IP information right after the direction. */
static int parse_ip_info(struct cur *c, struct pd_ip_info *ip, char dir)
{
    ip->ecn = PD_ECN_UNSET;
    ws(c);
    char open = *c->p, close = open == '[' ? ']' : ')';
    if (open != '[' && open != '(')
        return 0;
    c->p++;
    for (;;) {
        if (parse_ip_field(c, ip, dir) < 0)
            return -1;
        if (take(c, close))
            return 0;
        if (expect(c, ',') < 0)
            return -1;
    }
}

/* packetdrill's optional `src>dst` ports (before a TCP line's flags,
 * after `udp`): the remote one is the source of an inbound line. */
static int port_pair(struct cur *c, struct pd_packet *pk)
{
    ws(c);
    const char *q = c->p;
    while (isdigit((unsigned char)*q))
        q++;
    if (q == c->p || *q != '>')
        return 0;
    uint16_t src = 0, dst = 0;
    if (port_val(c, &src) < 0 || expect(c, '>') < 0 || port_val(c, &dst) < 0)
        return -1;
    pk->rport = pk->dir == '<' ? src : dst;
    pk->lport = pk->dir == '<' ? dst : src;
    return 0;
}

/* Words that start packetdrill's encapsulation prefixes
 * (`ipv4 a > b: ...`, `gre: ...`, `mpls (label ...): ...`). */
static int is_encapsulation(struct cur *c)
{
    static const char *const words[] = {"ipv4", "ipv6", "gre", "GREv0", "mpls"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        const char *save = c->p;
        if (take_word(c, words[i])) {
            c->p = save;
            return 1;
        }
    }
    return 0;
}

static int parse_packet(struct cur *c, struct pd_packet *pk, struct pd_script *sc, int line)
{
    pk->dir = *c->p++;
    if (*c->p == ':') {
        c->p++;
        if (port_val(c, &pk->rport) < 0)
            return -1;
    }
    if (is_encapsulation(c)) {
        pd_script_skip(sc, line, "nstack has no IP-in-IP, GRE or MPLS encapsulation");
        return 0;
    }
    if (parse_ip_info(c, &pk->ip, pk->dir) < 0)
        return -1;
    if (port_pair(c, pk) < 0)
        return -1;
    if (take_word(c, "udp")) {
        pk->proto = PD_UDP;
        if (port_pair(c, pk) < 0)
            return -1;
        if (expect(c, '(') < 0 || u32_val(c, &pk->len) < 0 || expect(c, ')') < 0)
            return -1;
    } else if (take_word(c, "icmp")) {
        if (parse_icmp(c, pk) < 0)
            return -1;
    } else if (parse_tcp(c, pk) < 0) {
        return -1;
    }
    ws(c);
    if (*c->p)
        return cfail(c, "unexpected text at the end of a packet line: '%.30s'", c->p);
    return 0;
}

/* ---- system calls ----------------------------------------------------------------------------- */

static int parse_val(struct cur *c, struct pd_val *v);
static void val_free(struct pd_val *v);

static int push_item(struct pd_val *v, const struct pd_val *item)
{
    struct pd_val *items = realloc(v->items, (size_t)(v->n + 1) * sizeof(*items));
    if (!items)
        return -1;
    v->items = items;
    v->items[v->n++] = *item;
    return 0;
}

/* The `(...)` or `(N)` after msg_name and msg_iov in a msghdr. Returns 1. */
static int skip_paren(struct cur *c)
{
    if (!peek(c, '('))
        return 1;
    const char *q = strchr(c->p, ')');
    if (q)
        c->p = q + 1;
    return 1;
}

static int parse_list(struct cur *c, struct pd_val *v, char close, int named)
{
    v->kind = named ? PD_V_STRUCT : PD_V_LIST;
    if (take(c, close))
        return 0;
    for (;;) {
        struct pd_val item;
        memset(&item, 0, sizeof(item));
        if (named) {
            char name[32];
            const char *save = c->p;
            if (ident(c, name, sizeof(name)) == 0 && skip_paren(c) && take(c, '=')) {
                item.name = strdup(name);
            } else {
                c->p = save;
            }
        }
        if (parse_val(c, &item) < 0 || push_item(v, &item) < 0) {
            val_free(&item); /* what of it was parsed */
            return cfail(c, "bad list item at '%.20s'", c->p);
        }
        if (take(c, close))
            return 0;
        if (expect(c, ',') < 0)
            return -1;
    }
}

/* Marks the script skipped for what this line needs (event lines only). */
static void pd_script_skip_at(struct cur *c, const char *reason)
{
    if (c->sc)
        pd_script_skip(c->sc, c->line, reason);
}

static int is_constant_name(const char *n)
{
    if (!isupper((unsigned char)*n))
        return 0;
    for (; *n; n++)
        if (!isupper((unsigned char)*n) && !isdigit((unsigned char)*n) && *n != '_')
            return 0;
    return 1;
}

/* A term: number, -number, SYMBOL, htons(x), inet_addr("a.b.c.d"). */
static int parse_term(struct cur *c, long long *out)
{
    ws(c);
    int neg = take(c, '-');
    ws(c);
    if (isdigit((unsigned char)*c->p)) {
        unsigned long long u;
        if (uint_val(c, &u) < 0)
            return -1;
        *out = neg ? -(long long)u : (long long)u;
        return 0;
    }
    char name[40];
    if (ident(c, name, sizeof(name)) < 0)
        return cfail(c, "expected a value at '%.20s'", c->p);
    if (!strcmp(name, "htons") || !strcmp(name, "ntohs") || !strcmp(name, "htonl")) {
        /* Values stay in host order: the runner hands them to nstack as such. */
        if (expect(c, '(') < 0 || parse_term(c, out) < 0 || expect(c, ')') < 0)
            return -1;
    } else if (!strcmp(name, "inet_addr")) {
        if (expect(c, '(') < 0 || expect(c, '"') < 0)
            return -1;
        char a[32];
        size_t n = 0;
        while (*c->p && *c->p != '"' && n + 1 < sizeof(a))
            a[n++] = *c->p++;
        a[n] = 0;
        nst_ip4_t ip;
        if (expect(c, '"') < 0 || expect(c, ')') < 0)
            return -1;
        if (nst_ip4_parse(a, &ip, NULL) < 0)
            return cfail(c, "bad address \"%s\"", a);
        *out = ip;
    } else if (!strcmp(name, "inet6_addr")) {
        pd_script_skip_at(c, "nstack has no IPv6");
        return cfail(c, "an IPv6 address");
    } else if (pd_symbol(name, out) < 0) {
        /* A constant's name (all capitals) the table lacks: the script
         * cannot be read as its author meant, so it is skipped, naming it. */
        if (is_constant_name(name)) {
            char why[96];
            snprintf(why, sizeof(why), "runner: unknown symbol %s", name);
            pd_script_skip_at(c, why);
        }
        return cfail(c, "unknown symbol '%s'", name);
    }
    if (neg)
        *out = -*out;
    return 0;
}

/* "abc", "ab" "c" (concatenated, as C and packetdrill do), and "abc"...
 * (a buffer that starts so: only its start is compared). */
static int parse_string(struct cur *c, struct pd_val *v)
{
    v->kind = PD_V_STR;
    size_t n = 0;
    while (take(c, '"')) {
        const char *s = c->p;
        while (*c->p && *c->p != '"')
            c->p++;
        size_t k = (size_t)(c->p - s);
        char *t = realloc(v->s, n + k + 1);
        if (!t)
            return cfail(c, "out of memory");
        memcpy(t + n, s, k);
        n += k;
        t[n] = 0;
        v->s = t;
        if (expect(c, '"') < 0)
            return -1;
    }
    ws(c);
    if (!strncmp(c->p, "...", 3)) {
        c->p += 3;
        v->str_prefix = 1;
    }
    return 0;
}

static int parse_val(struct cur *c, struct pd_val *v)
{
    ws(c);
    if (!strncmp(c->p, "...", 3)) {
        c->p += 3;
        v->kind = PD_V_ELLIPSIS;
        return 0;
    }
    if (take(c, '['))
        return parse_list(c, v, ']', 0);
    if (take(c, '{'))
        return parse_list(c, v, '}', 1);
    if (peek(c, '"'))
        return parse_string(c, v);
    v->kind = PD_V_INT;
    if (parse_term(c, &v->i) < 0)
        return -1;
    while (take(c, '|')) {
        long long t;
        if (parse_term(c, &t) < 0)
            return -1;
        v->i |= t;
    }
    return 0;
}

static int parse_syscall(struct cur *c, struct pd_syscall *sc)
{
    if (ident(c, sc->name, sizeof(sc->name)) < 0)
        return cfail(c, "expected a packet ('<' or '>') or a system call at '%.20s'", c->p);
    if (expect(c, '(') < 0)
        return -1;
    if (!take(c, ')')) {
        for (;;) {
            if (sc->nargs == (int)(sizeof(sc->args) / sizeof(sc->args[0])))
                return cfail(c, "too many arguments");
            if (parse_val(c, &sc->args[sc->nargs]) < 0) {
                val_free(&sc->args[sc->nargs]);
                memset(&sc->args[sc->nargs], 0, sizeof(sc->args[0]));
                return -1;
            }
            sc->nargs++;
            if (take(c, ')'))
                break;
            if (expect(c, ',') < 0)
                return -1;
        }
    }
    if (expect(c, '=') < 0)
        return -1;
    ws(c);
    if (!strncmp(c->p, "...", 3)) {
        c->p += 3;
        sc->ret_any = 1;
    } else if (parse_term(c, &sc->ret) < 0) {
        return -1;
    }
    char name[32];
    const char *save = c->p;
    if (ident(c, name, sizeof(name)) == 0) {
        sc->err = pd_errno_value(name);
        if (!sc->err)
            return cfail(c, "unknown errno name '%s'", name);
        if (sc->ret != -1)
            return cfail(c, "an errno name follows a return value other than -1");
    } else {
        c->p = save;
    }
    /* Anything in parentheses after the result is a comment:
     * "= -1 EINPROGRESS (Operation now in progress)", "= 0x2 (flags O_RDWR)". */
    ws(c);
    if (*c->p && *c->p != '(')
        return cfail(c, "unexpected text after the result: '%.30s'", c->p);
    return 0;
}

/* ---- events and settings ------------------------------------------------------------------------- */

static void val_free(struct pd_val *v)
{
    for (int i = 0; i < v->n; i++)
        val_free(&v->items[i]);
    free(v->items);
    free(v->s);
    free(v->name);
}

void pd_script_free(struct pd_script *sc)
{
    for (int i = 0; i < sc->nevents; i++) {
        struct pd_event *e = &sc->events[i];
        free(e->text);
        free(e->code);
        for (int a = 0; a < e->call.nargs; a++)
            val_free(&e->call.args[a]);
    }
    free(sc->events);
    free(sc->path);
    memset(sc, 0, sizeof(*sc));
}

static struct pd_event *new_event(struct pd_script *sc)
{
    if (sc->nevents == sc->cap) {
        int cap = sc->cap ? sc->cap * 2 : 64;
        struct pd_event *v = realloc(sc->events, (size_t)cap * sizeof(*v));
        if (!v)
            return NULL;
        sc->events = v;
        sc->cap = cap;
    }
    struct pd_event *e = &sc->events[sc->nevents];
    memset(e, 0, sizeof(*e));
    return e;
}

/* packetdrill's own command-line options a script may carry. Those about
 * its machinery (tun devices, remote mode, verbosity) change nothing here
 * and are taken with a note; the addresses must be its defaults, which the
 * runner's world uses. Returns 1 if name was one of them (0 or -1 in *rc). */
static int foreign_option(struct pd_script *sc, const char *name, const char *value, FILE *notes, int line, int *rc,
                          char *err, size_t errlen)
{
    static const char *const ignored[] = {
        "non_fatal", "define", "init_scripts", "dry_run", "verbose", "strict_segments", "send_omit_free",
        "speculative_connect_port", "wire_client", "wire_server", "wire_server_ip", "wire_server_port",
        "wire_client_dev", "wire_server_dev", "so_filter", "persistent_tun_dev", "tun_dev", "tolerance_percent",
        "mss", "max_syscall_retries", "sniff_packets", "ipv6_prefix",
    };
    static const struct {
        const char *name, *value;
    } addrs[] = {
        {"local_ip", "192.168.0.1"}, {"remote_ip", "192.0.2.1"}, {"gateway_ip", "192.168.0.2"},
        {"netmask_ip", "255.255.255.0"},
    };
    *rc = 0;
    if (!strcmp(name, "ip_version")) {
        if (strcmp(value, "ipv4"))
            pd_script_skip(sc, line, "nstack has no IPv6");
        return 1;
    }
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        if (!strcmp(name, addrs[i].name)) {
            if (strcmp(value, addrs[i].value))
                pd_script_skip(sc, line, "runner: only packetdrill's default addresses (--local_ip...)");
            return 1;
        }
    }
    if (!strcmp(name, "mtu")) {
        *rc = pd_setting_apply(&sc->cfg, "nstack_mtu", value, err, errlen);
        return 1;
    }
    if (!strcmp(name, "bind_port") || !strcmp(name, "connect_port")) {
        char n[80];
        snprintf(n, sizeof(n), "nstack_%.60s", name);
        *rc = pd_setting_apply(&sc->cfg, n, value, err, errlen);
        return 1;
    }
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
        if (!strcmp(name, ignored[i])) {
            fprintf(notes, "%s:%d: note: packetdrill option --%s has no meaning here\n", sc->name, line, name);
            sc->notes++;
            return 1;
        }
    }
    return 0;
}

/* "--name=value" */
static int parse_option_line(struct pd_script *sc, const char *text, FILE *notes, int line, char *err,
                             size_t errlen)
{
    const char *eq = strchr(text, '=');
    if (!eq) {
        snprintf(err, errlen, "expected --name=value");
        return -1;
    }
    char name[64];
    size_t n = (size_t)(eq - (text + 2));
    if (n >= sizeof(name))
        n = sizeof(name) - 1;
    memcpy(name, text + 2, n);
    name[n] = 0;
    int rc;
    if (foreign_option(sc, name, eq + 1, notes, line, &rc, err, errlen))
        return rc;
    return pd_setting_apply(&sc->cfg, name, eq + 1, err, errlen);
}

/* %{ nstack: key=value key=value }% */
static int parse_nstack_block(struct pd_script *sc, const char *body, char *err, size_t errlen)
{
    char *copy = strdup(body);
    if (!copy)
        return -1;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t\r\n,;", &save); tok; tok = strtok_r(NULL, " \t\r\n,;", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(err, errlen, "expected key=value in the nstack block, got '%s'", tok);
            rc = -1;
            break;
        }
        *eq = 0;
        char name[80];
        if (!strcmp(tok, "tolerance_usecs") || !strcmp(tok, "tcp_ts_tick_usecs") || !strncmp(tok, "nstack_", 7))
            snprintf(name, sizeof(name), "%s", tok);
        else
            snprintf(name, sizeof(name), "nstack_%s", tok);
        if (pd_setting_apply(&sc->cfg, name, eq + 1, err, errlen) < 0) {
            rc = -1;
            break;
        }
    }
    free(copy);
    return rc;
}

/* A %{ }% block: ours if it starts with "nstack:", otherwise skipped. */
static int handle_block(struct pd_script *sc, const char *text, int line, const struct pd_time *t, int started,
                        char *err, size_t errlen)
{
    const char *body = text + 2;
    while (isspace((unsigned char)*body))
        body++;
    if (!strncmp(body, "nstack:", 7)) {
        if (started) {
            snprintf(err, errlen, "nstack settings must come before the first event");
            return -1;
        }
        char *b = strdup(body + 7);
        if (!b)
            return -1;
        char *end = strstr(b, "}%");
        if (end)
            *end = 0;
        int rc = parse_nstack_block(sc, b, err, errlen);
        free(b);
        return rc;
    }
    /* packetdrill's Python: its assertions run at the block's time. */
    struct pd_event *e = new_event(sc);
    if (!e)
        return -1;
    e->kind = PD_EV_CODE;
    e->line = line;
    e->time = *t;
    size_t n = strlen(body);
    if (n >= 2 && !strcmp(body + n - 2, "}%"))
        n -= 2;
    e->code = strndup(body, n);
    e->text = strdup(text);
    sc->nevents++;
    return 0;
}

/* ---- shell commands ------------------------------------------------------------------------------- */

/* Linux sysctls (net.ipv4.NAME) with an nstack setting; the value is
 * taken as written unless a conversion is named. */
static const struct {
    const char *sysctl, *setting; /* sysctl: Linux's net.ipv4.NAME, or FreeBSD's net.inet.tcp.NAME */
    int conv; /* 0: as is; 1: nonzero -> 1; 2: tcp_rmem's fields; 3: second field (tcp_wmem default);
               * 4: seconds; 5: milliseconds; 6: bit 0 */
} sysctl_map[] = {
    {"tcp_timestamps", "nstack_tcp_timestamps", 1},
    {"tcp_sack", "nstack_tcp_sack", 1},
    {"tcp_window_scaling", "nstack_tcp_window_scaling", 1},
    {"tcp_syncookies", "nstack_tcp_syncookies", 1},
    {"tcp_frto", "nstack_tcp_frto", 1},
    {"tcp_recovery", "nstack_tcp_rack", 6}, /* bit 0: RACK loss detection */
    {"tcp_fastopen", "nstack_tcp_fastopen", 0},
    {"tcp_ecn", "nstack_tcp_ecn", 0},
    {"tcp_syn_retries", "nstack_tcp_syn_retries", 0},
    {"tcp_synack_retries", "nstack_tcp_synack_retries", 0},
    {"tcp_retries2", "nstack_tcp_data_retries", 0},
    {"tcp_congestion_control", "nstack_tcp_congestion", 0},
    {"tcp_rmem", "nstack_tcp_rcvbuf", 2},
    {"tcp_wmem", "nstack_tcp_sndbuf", 3},
    {"tcp_fin_timeout", "nstack_tcp_fin_wait2_timeout", 4},
    {"tcp_keepalive_time", "nstack_tcp_keepidle", 4},
    {"tcp_keepalive_intvl", "nstack_tcp_keepintvl", 4},
    {"tcp_keepalive_probes", "nstack_tcp_keepcnt", 0},
    {"tcp_tw_reuse", "nstack_tcp_tw_reuse", 1},
    {"tcp_challenge_ack_limit", "nstack_tcp_challenge_ack_limit", 0},
    {"ecn.enable", "nstack_tcp_ecn", 0},
    {"rfc1323", "nstack_tcp_timestamps", 1},
    {"sack.enable", "nstack_tcp_sack", 1},
    {"syncookies", "nstack_tcp_syncookies", 1},
    {"initcwnd_segments", "nstack_tcp_initial_window", 0},
    {"cc.algorithm", "nstack_tcp_congestion", 0},
    {"recvspace", "nstack_tcp_rcvbuf", 0},
    {"sendspace", "nstack_tcp_sndbuf", 0},
    {"kern.ipc.maxsockbuf", "nstack_tcp_wscale_space", 0},
    {"rexmit_initial", "nstack_tcp_rto_initial", 5},
    {"rexmit_min", "nstack_tcp_rto_min", 5},
    {"delacktime", "nstack_tcp_delack", 5},
    {"msl", "nstack_tcp_msl", 5},
    {"finwait2_timeout", "nstack_tcp_fin_wait2_timeout", 5},
    {"keepidle", "nstack_tcp_keepidle", 5},
    {"keepintvl", "nstack_tcp_keepintvl", 5},
};

/* One "name=value" of a sysctl or set_sysctls.py command: applied when
 * nstack has the setting, a note otherwise. */
static int apply_sysctl(struct pd_script *sc, const char *name, const char *value, FILE *notes, int line, char *err,
                        size_t errlen)
{
    static const char *const prefixes[] = {"net.ipv4.", "/proc/sys/net/ipv4/", "net.inet.tcp."};
    const char *base = name;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
            base = name + strlen(prefixes[i]);
    for (size_t i = 0; i < sizeof(sysctl_map) / sizeof(sysctl_map[0]); i++) {
        if (strcmp(sysctl_map[i].sysctl, base))
            continue;
        char v[64];
        unsigned long long a = 0, b = 0, c = 0;
        int n = sscanf(value, "%llu %llu %llu", &a, &b, &c);
        switch (sysctl_map[i].conv) {
        case 1: snprintf(v, sizeof(v), "%d", n >= 1 && a != 0); break;
        case 2: /* tcp_rmem "min default max": the buffer, and the space the shift is sized for */
            if (n == 3) {
                snprintf(v, sizeof(v), "%llu", c);
                int rc = pd_setting_apply(&sc->cfg, "nstack_tcp_wscale_space", v, err, errlen);
                if (rc < 0)
                    return rc;
            }
            snprintf(v, sizeof(v), "%llu", n == 3 ? b : a);
            break;
        case 3: snprintf(v, sizeof(v), "%llu", n == 3 ? b : a); break;
        case 4: snprintf(v, sizeof(v), "%llus", a); break;
        case 5: snprintf(v, sizeof(v), "%llums", a); break;
        case 6: snprintf(v, sizeof(v), "%d", n >= 1 && (a & 1)); break;
        default: snprintf(v, sizeof(v), "%.60s", value); break;
        }
        return pd_setting_apply(&sc->cfg, sysctl_map[i].setting, v, err, errlen);
    }
    fprintf(notes, "%s:%d: note: sysctl %s has no nstack setting (not applied)\n", sc->name, line, name);
    sc->notes++;
    return 0;
}

/* A `...` line. packetdrill's tests/net/common/defaults.sh sets Linux up
 * as --defaults=linux does; `sysctl -q NAME=VALUE...` and
 * `set_sysctls.py /proc/sys/...=VALUE` are applied where nstack has the
 * setting (before the first event only: the stack is built then). Other
 * commands are not run, with a note. */
static int shell_command(struct pd_script *sc, const char *cmd, int line, int started, FILE *notes, char *err,
                         size_t errlen)
{
    char *copy = strdup(cmd + 1);
    if (!copy)
        return -1;
    char *end = strrchr(copy, '`');
    if (end)
        *end = 0;
    /* Quoted values ("4096 540000 15728640") stay one word. */
    int quoted = 0;
    size_t k = 0;
    for (size_t i = 0; copy[i]; i++) {
        if (copy[i] == '"' || copy[i] == '\'') {
            quoted = !quoted;
            continue;
        }
        copy[k++] = quoted && copy[i] == ' ' ? '\x01' : copy[i];
    }
    copy[k] = 0;
    int rc = 0, applied = 0, other = 0;
    char *save = NULL;
    /* One word at a time: words with '=' after a sysctl or set_sysctls.py are settings. */
    int in_sysctl = 0;
    for (char *w = strtok_r(copy, " \t\n;", &save); w && rc == 0; w = strtok_r(NULL, " \t\n;", &save)) {
        if (strstr(w, "common/defaults.sh")) {
            if (started)
                goto late;
            rc = pd_profile_apply(&sc->cfg, "linux", err, errlen);
            applied = 1;
            in_sysctl = 0;
        } else if (!strcmp(w, "sysctl") || strstr(w, "set_sysctls.py")) {
            in_sysctl = 1;
        } else if (in_sysctl && w[0] != '-' && strchr(w, '=')) {
            if (started)
                goto late;
            char *eq = strchr(w, '=');
            *eq = 0;
            char *val = eq + 1;
            for (char *q = val; *q; q++)
                if (*q == '\x01')
                    *q = ' '; /* the spaces of a quoted value */
            rc = apply_sysctl(sc, w, val, notes, line, err, errlen);
            applied = 1;
        } else if (!in_sysctl || w[0] != '-') {
            other = 1;
            in_sysctl = 0;
        }
    }
    free(copy);
    if (other || !applied) {
        fprintf(notes, "%s:%d: note: skipping shell command %s\n", sc->name, line, cmd);
        sc->notes++;
    }
    return rc;
late:
    /* The stack is built at the first event: a later change (often the
     * restoring of a default at the end) is not applied, and said so. */
    free(copy);
    fprintf(notes, "%s:%d: note: shell command after the first event not applied: %s\n", sc->name, line, cmd);
    sc->notes++;
    return 0;
}

static int parse_event_line(struct pd_script *sc, const char *text, int line, FILE *notes, int *started, char *err,
                            size_t errlen)
{
    struct cur c = {text, err, errlen, 0, sc, line};
    struct pd_time t = {PD_T_REL, 0, 0};
    int timed = *c.p != '`' && !(c.p[0] == '%' && c.p[1] == '{');
    if (timed && parse_time(&c, &t) < 0)
        return -1;
    ws(&c);
    if (*c.p == '`')
        return shell_command(sc, c.p, line, *started, notes, err, errlen);
    if (c.p[0] == '%' && c.p[1] == '{')
        return handle_block(sc, c.p, line, &t, *started, err, errlen);
    struct pd_event *e = new_event(sc);
    if (!e)
        return -1;
    e->line = line;
    e->time = t;
    if (*c.p == '<' || *c.p == '>') {
        e->kind = PD_EV_PACKET;
        if (parse_packet(&c, &e->pkt, sc, line) < 0)
            return -1;
        if (sc->skip[0] && sc->skip_line == line) {
            *started = 1;
            return 0; /* a line nstack cannot run: the script is skipped */
        }
    } else {
        e->kind = PD_EV_SYSCALL;
        /* t1...t2: a blocking call that returns at t2. */
        if (!strncmp(c.p, "...", 3)) {
            c.p += 3;
            int rel;
            e->call.has_end = 1;
            if (one_time(&c, &e->call.end.lo, &rel) < 0)
                return -1;
            e->call.end.kind = rel ? PD_T_REL : PD_T_ABS;
            e->call.end.hi = e->call.end.lo;
        }
        if (parse_syscall(&c, &e->call) < 0) {
            for (int a = 0; a < e->call.nargs; a++)
                val_free(&e->call.args[a]);
            return -1;
        }
    }
    e->text = strdup(text);
    sc->nevents++;
    *started = 1;
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = 0;
    return buf;
}

void pd_script_skip(struct pd_script *sc, int line, const char *reason)
{
    if (sc->skip[0])
        return;
    snprintf(sc->skip, sizeof(sc->skip), "%s", reason);
    sc->skip_line = line;
}

int pd_script_load(struct pd_script *sc, const char *path, FILE *notes, const char *defaults, char *err,
                   size_t errlen)
{
    memset(sc, 0, sizeof(*sc));
    pd_config_default(&sc->cfg);
    if (defaults && pd_profile_apply(&sc->cfg, defaults, err, errlen) < 0)
        return -1;
    sc->path = strdup(path);
    const char *slash = strrchr(sc->path, '/');
    sc->name = slash ? slash + 1 : sc->path;
    char *src = read_file(path);
    if (!src) {
        snprintf(err, errlen, "0: cannot read %s", path);
        return -1;
    }
    struct lines ls = {0};
    int rc = split_lines(src, &ls);
    free(src);
    int started = 0;
    char msg[512] = "";
    /* A script that needs what nstack lacks is parsed up to that line. */
    for (int i = 0; rc == 0 && i < ls.n && !sc->skip[0]; i++) {
        const char *t = ls.v[i].text;
        if (t[0] == '-' && t[1] == '-') {
            if (started) {
                snprintf(msg, sizeof(msg), "settings must come before the first event");
                rc = -1;
            } else {
                rc = parse_option_line(sc, t, notes, ls.v[i].line, msg, sizeof(msg));
            }
        } else {
            rc = parse_event_line(sc, t, ls.v[i].line, notes, &started, msg, sizeof(msg));
        }
        if (rc < 0 && sc->skip[0])
            rc = 0; /* the line needs what is lacking: reported as SKIP */
        if (rc < 0)
            snprintf(err, errlen, "%d: parse error: %s\n  script: %s", ls.v[i].line, msg, t);
    }
    for (int i = 0; i < ls.n; i++)
        free(ls.v[i].text);
    free(ls.v);
    if (rc == 0 && sc->nevents == 0 && !sc->skip[0]) {
        snprintf(err, errlen, "0: no events");
        rc = -1;
    }
    return rc;
}
