/* tcp_info as packetdrill scripts read it: Linux's tcpi_* names and units
 * over nstack's struct nst_tcp_info, for getsockopt(TCP_INFO, {...})
 * expectations and for the assertions of %{ }% blocks.
 *
 * The evaluator takes the part of Python those blocks use: `assert EXPR`
 * statements (an optional `, message` after them), `print(...)` (ignored),
 * `#` comments; expressions with or/and/not, comparisons (chained as
 * Python's), | & ^ << >>, + - * / // %, unary -, parentheses, integers and
 * decimals, True/False, tcpi_* fields and the symbol table's names. A
 * block beyond that is SKIPped, named, never silently passed. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"

/* ---- fields --------------------------------------------------------------------------------- */

/* Linux's TCP_* state numbers from nstack's (enum nst_tcp_conn_state). */
static long long linux_state(int s)
{
    static const int map[] = {7 /* CLOSED: TCP_CLOSE */, 10, 2, 3, 1, 4, 5, 8, 11, 9, 6};
    return s >= 0 && s < (int)(sizeof(map) / sizeof(map[0])) ? map[s] : 7;
}

/* Linux's TCP_CA_* (Open, Disorder, CWR, Recovery, Loss) from nstack's. */
static long long linux_ca_state(int s)
{
    static const int map[] = {0, 1, 3, 4};
    return s >= 0 && s < 4 ? map[s] : 0;
}

static long long segs(uint32_t bytes, uint32_t mss) { return mss ? (bytes + mss - 1) / mss : 0; }

static long long usecs(nst_time_t t) { return (long long)(t / 1000); }

/* Fields Linux has and nstack's tcp_info does not: a script asking for one
 * is skipped with its name. */
static const char *const lacking_tcpi[] = {
    "tcpi_probes", "tcpi_ato", "tcpi_rcv_mss", "tcpi_lost", "tcpi_fackets", "tcpi_last_data_sent",
    "tcpi_last_ack_recv", "tcpi_pmtu", "tcpi_rcv_ssthresh", "tcpi_reordering", "tcpi_rcv_rtt", "tcpi_rcv_space",
    "tcpi_pacing_rate", "tcpi_max_pacing_rate", "tcpi_min_rtt", "tcpi_data_segs_in", "tcpi_data_segs_out",
    "tcpi_delivery_rate", "tcpi_busy_time", "tcpi_rwnd_limited", "tcpi_sndbuf_limited", "tcpi_delivered",
    "tcpi_delivered_ce", "tcpi_dsack_dups", "tcpi_reord_seen", "tcpi_rcv_ooopack", "tcpi_fastopen_client_fail",
    "tcpi_delivery_rate_app_limited", "tcpi_total_rto", "tcpi_total_rto_recoveries", "tcpi_total_rto_time",
};

void pd_list_unsupported_tcpi(FILE *out)
{
    for (size_t i = 0; i < sizeof(lacking_tcpi) / sizeof(lacking_tcpi[0]); i++)
        fprintf(out, "nstack's tcp_info has no %s\n", lacking_tcpi[i]);
}

int pd_tcpi_field(struct pd_run *r, const struct nst_tcp_info *t, const char *name, long long *out)
{
    uint32_t mss = t->snd_mss;
    const struct {
        const char *name;
        long long v;
    } f[] = {
        {"tcpi_state", linux_state(t->state)},
        {"tcpi_ca_state", linux_ca_state(t->ca_state)},
        {"tcpi_retransmits", t->backoff},
        {"tcpi_backoff", t->backoff},
        {"tcpi_options", t->options},
        {"tcpi_snd_wscale", t->snd_wscale},
        {"tcpi_rcv_wscale", t->rcv_wscale},
        {"tcpi_rto", usecs(t->rto)},
        {"tcpi_snd_mss", t->snd_mss},
        {"tcpi_advmss", t->rcv_mss},
        /* Linux counts these in segments: nstack's bytes over the MSS. */
        {"tcpi_unacked", segs(t->unacked, mss)},
        {"tcpi_sacked", segs(t->sacked, mss)},
        {"tcpi_snd_cwnd", mss ? t->cwnd / mss : 0},
        {"tcpi_snd_ssthresh", mss ? t->ssthresh / mss : 0},
        {"tcpi_retrans", 0}, /* segments retransmitted and still unacked: nstack does not keep it apart */
        {"tcpi_rtt", usecs(t->rtt)},
        {"tcpi_rttvar", usecs(t->rttvar)},
        {"tcpi_total_retrans", (long long)t->retransmits},
        {"tcpi_last_data_recv", t->last_recv ? usecs(r->now - t->last_recv) / 1000 : 0},
        {"tcpi_bytes_acked", (long long)t->bytes_acked},
        {"tcpi_bytes_received", (long long)t->bytes_received},
        {"tcpi_bytes_sent", (long long)t->bytes_sent},
        {"tcpi_bytes_retrans", (long long)t->bytes_retrans},
        {"tcpi_segs_out", (long long)t->segs_out},
        {"tcpi_segs_in", (long long)t->segs_in},
        {"tcpi_snd_wnd", t->snd_wnd},
        {"tcpi_rcv_wnd", t->rcv_wnd},
        {"tcpi_notsent_bytes", (long long)t->send_queue - t->unacked},
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (!strcmp(f[i].name, name)) {
            if (!strcmp(name, "tcpi_retrans"))
                break; /* listed for the reader; not mapped */
            *out = f[i].v;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(lacking_tcpi) / sizeof(lacking_tcpi[0]); i++) {
        if (!strcmp(lacking_tcpi[i], name) || !strcmp(name, "tcpi_retrans")) {
            char why[96];
            snprintf(why, sizeof(why), "nstack's tcp_info has no %s", name);
            return pd_skip(r, why);
        }
    }
    pd_fail(r, "%d: unknown tcp_info field %s", r->line, name);
    return -1;
}

/* ---- the expression evaluator ------------------------------------------------------------------ */

struct ev {
    const char *p;
    struct pd_run *r;
    const struct nst_tcp_info *ti;
    int failed;                  /* a syntax error (or a skip/fail already recorded) */
    char err[128];
};

static void ews(struct ev *e)
{
    while (*e->p == ' ' || *e->p == '\t' || *e->p == '\\')
        e->p++;
}

static int eword(struct ev *e, const char *w)
{
    ews(e);
    size_t n = strlen(w);
    if (strncmp(e->p, w, n) || isalnum((unsigned char)e->p[n]) || e->p[n] == '_')
        return 0;
    e->p += n;
    return 1;
}

static int eop(struct ev *e, const char *op)
{
    ews(e);
    size_t n = strlen(op);
    if (strncmp(e->p, op, n))
        return 0;
    /* "<" is not "<<" or "<=", "*" is not "**", "/" is not "//" */
    if (n == 1 && (e->p[1] == op[0] || e->p[1] == '=') && strchr("<>*/=!", op[0]))
        return 0;
    e->p += n;
    return 1;
}

static double esyntax(struct ev *e, const char *what)
{
    if (!e->failed)
        snprintf(e->err, sizeof(e->err), "%s at '%.20s'", what, e->p);
    e->failed = 1;
    return 0;
}

static double expr(struct ev *e);

/* A double as a 64-bit integer for the bit operators, saturated (the
 * conversion of an out-of-range double is undefined in C). */
static long long to_ll(double v)
{
    if (v != v)
        return 0;
    if (v >= 9.2e18)
        return LLONG_MAX;
    if (v <= -9.2e18)
        return LLONG_MIN;
    return (long long)v;
}

/* a << n, a >> n for n in 0..63 (Python's shifts are unbounded; beyond
 * 64 bits tcp_info has nothing to say). */
static double shifted(struct ev *e, double a, double n, int left)
{
    long long x = to_ll(a), k = to_ll(n);
    if (k < 0 || k > 63)
        return esyntax(e, "shift count out of range");
    if (left)
        return (double)(long long)((unsigned long long)x << k);
    return (double)(x >> k);
}

static double atom(struct ev *e)
{
    ews(e);
    if (*e->p == '(') {
        e->p++;
        double v = expr(e);
        ews(e);
        if (*e->p != ')')
            return esyntax(e, "expected ')'");
        e->p++;
        return v;
    }
    if (isdigit((unsigned char)*e->p) || (*e->p == '.' && isdigit((unsigned char)e->p[1]))) {
        char *end;
        double v = (e->p[0] == '0' && (e->p[1] == 'x' || e->p[1] == 'X')) ? (double)strtoll(e->p, &end, 16)
                                                                         : strtod(e->p, &end);
        e->p = end;
        return v;
    }
    char name[64];
    size_t n = 0;
    while ((isalnum((unsigned char)e->p[n]) || e->p[n] == '_') && n + 1 < sizeof(name)) {
        name[n] = e->p[n];
        n++;
    }
    name[n] = 0;
    if (!n)
        return esyntax(e, "expected a value");
    e->p += n;
    if (!strcmp(name, "True"))
        return 1;
    if (!strcmp(name, "False"))
        return 0;
    long long v;
    if (!strncmp(name, "tcpi_", 5)) {
        if (pd_tcpi_field(e->r, e->ti, name, &v) < 0) {
            e->failed = 2; /* recorded by pd_skip / pd_fail */
            return 0;
        }
        return (double)v;
    }
    if (pd_symbol(name, &v) == 0)
        return (double)v;
    return esyntax(e, "unknown name");
}

static double unary(struct ev *e)
{
    if (eop(e, "-"))
        return -unary(e);
    if (eop(e, "+"))
        return unary(e);
    if (eop(e, "~"))
        return (double)~to_ll(unary(e));
    return atom(e);
}

static double term(struct ev *e)
{
    double v = unary(e);
    for (;;) {
        if (eop(e, "*"))
            v *= unary(e);
        else if (eop(e, "//")) {
            double d = unary(e);
            v = d ? floor(v / d) : esyntax(e, "division by zero");
        } else if (eop(e, "/")) {
            double d = unary(e);
            v = d ? v / d : esyntax(e, "division by zero");
        } else if (eop(e, "%")) {
            double d = unary(e);
            v = d ? fmod(v, d) : esyntax(e, "division by zero");
        } else
            return v;
    }
}

static double sum(struct ev *e)
{
    double v = term(e);
    for (;;) {
        if (eop(e, "+"))
            v += term(e);
        else if (eop(e, "-"))
            v -= term(e);
        else
            return v;
    }
}

static double shift(struct ev *e)
{
    double v = sum(e);
    for (;;) {
        if (eop(e, "<<"))
            v = shifted(e, v, sum(e), 1);
        else if (eop(e, ">>"))
            v = shifted(e, v, sum(e), 0);
        else
            return v;
    }
}

static double bits(struct ev *e)
{
    double v = shift(e);
    for (;;) {
        if (eop(e, "&"))
            v = (double)(to_ll(v) & to_ll(shift(e)));
        else if (eop(e, "^"))
            v = (double)(to_ll(v) ^ to_ll(shift(e)));
        else if (eop(e, "|"))
            v = (double)(to_ll(v) | to_ll(shift(e)));
        else
            return v;
    }
}

/* a < b <= c: each pair holds (Python's chaining). */
static double compare(struct ev *e)
{
    double v = bits(e);
    int ok = 1, any = 0;
    for (;;) {
        static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">"};
        int k = -1;
        for (int i = 0; i < 6 && k < 0; i++)
            if (eop(e, ops[i]))
                k = i;
        if (k < 0)
            return any ? ok : v;
        double w = bits(e);
        int h = k == 0 ? v == w : k == 1 ? v != w : k == 2 ? v <= w : k == 3 ? v >= w : k == 4 ? v < w : v > w;
        ok = ok && h;
        any = 1;
        v = w;
    }
}

static double negation(struct ev *e)
{
    if (eword(e, "not"))
        return !negation(e);
    return compare(e);
}

static double conjunction(struct ev *e)
{
    double v = negation(e);
    while (eword(e, "and")) {
        double w = negation(e);
        v = v && w;
    }
    return v;
}

static double expr(struct ev *e)
{
    double v = conjunction(e);
    while (eword(e, "or")) {
        double w = conjunction(e);
        v = v || w;
    }
    return v;
}

/* ---- blocks ---------------------------------------------------------------------------------------- */

/* One statement. 0, or -1 (failure or skip recorded). */
static int statement(struct pd_run *r, const struct pd_event *ev, const struct nst_tcp_info *ti, char *s)
{
    struct ev e = {.p = s, .r = r, .ti = ti};
    ews(&e);
    if (!*e.p || !strncmp(e.p, "print", 5) || !strncmp(e.p, "pass", 4))
        return 0;
    if (!eword(&e, "assert"))
        return pd_skip(r, "runner: a %{ }% block beyond the expression evaluator");
    ews(&e);
    const char *start = e.p;
    double v = expr(&e);
    const char *end = e.p;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    ews(&e);
    if (e.failed == 2)
        return -1;
    if (!e.failed && *e.p && *e.p != ',')
        esyntax(&e, "unexpected text");
    if (e.failed)
        return pd_skip(r, "runner: a %{ }% block beyond the expression evaluator");
    if (v)
        return 0;
    pd_fail(r, "%d: assertion failed: %.*s", ev->line, (int)(end - start), start);
    pd_detail(r, "  script: %s", ev->text);
    return -1;
}

int pd_python_run(struct pd_run *r, const struct pd_event *ev)
{
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    int have = r->info_fd >= 0 &&
               nst_getsockopt(r->st, r->info_fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len) == 0;
    const char *body = ev->code;
    if (strstr(body, "tcpi_") && !have)
        return pd_fail(r, "%d: a %%{ }%% block reads tcp_info but no TCP socket has been used", ev->line);
    char *copy = strdup(body);
    if (!copy)
        return pd_fail(r, "%d: out of memory", ev->line);
    int rc = 0;
    char *save = NULL;
    for (char *ln = strtok_r(copy, "\n", &save); ln && rc == 0; ln = strtok_r(NULL, "\n", &save)) {
        char *hash = strchr(ln, '#');
        if (hash)
            *hash = 0; /* a comment may hold ';' */
        char *save2 = NULL;
        for (char *st = strtok_r(ln, ";", &save2); st && rc == 0; st = strtok_r(NULL, ";", &save2))
            rc = statement(r, ev, &ti, st);
    }
    free(copy);
    return rc;
}
