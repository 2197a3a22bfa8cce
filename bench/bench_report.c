/* Turns the result lines the benchmark programs wrote (CSV, BU_CSV_HEADER)
 * into bench/results/: results.csv (with its header), results.json,
 * summary.md (the tables docs/PERFORMANCE.md quotes), plot.svg and, when
 * the run has the message-size sweep, sweep.svg (both drawn here, no
 * plotting tool needed; the sweep's parts are in bench_report_sweep.c); the
 * summary also goes to stdout.
 *
 *   nst_bench_report RAW.csv OUTDIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "bench_report.h"
#include "bench_util.h"

#define MAX_ROWS 512
#define F_LEN REP_F_LEN

static struct row rows[MAX_ROWS];
static int nrows;

const struct row *rep_rows(int *n)
{
    *n = nrows;
    return rows;
}

/* ---- reading -------------------------------------------------------------------- */

/* Copies the next comma-separated field of *p into out. */
static void next_field(const char **p, char *out, size_t cap)
{
    size_t n = 0;
    const char *s = *p;
    while (*s && *s != ',' && *s != '\n') {
        if (n + 1 < cap)
            out[n++] = *s;
        s++;
    }
    out[n] = 0;
    *p = *s == ',' ? s + 1 : s;
}

/* The quoted last field (quotes doubled inside). */
static void quoted_field(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    if (*s != '"') {
        next_field(&s, out, cap);
        return;
    }
    for (s++; *s; s++) {
        if (*s == '"') {
            if (s[1] != '"')
                break;
            s++;
        }
        if (n + 1 < cap)
            out[n++] = *s;
    }
    out[n] = 0;
}

static int read_rows(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[1024], num[F_LEN];
    while (fgets(line, sizeof(line), f) && nrows < MAX_ROWS) {
        if (!strncmp(line, "bench,", 6) || line[0] == '\n' || line[0] == '#')
            continue;
        struct row *r = &rows[nrows];
        const char *p = line;
        next_field(&p, r->bench, F_LEN);
        next_field(&p, r->variant, F_LEN);
        next_field(&p, r->impl, F_LEN);
        next_field(&p, r->metric, F_LEN);
        next_field(&p, num, F_LEN);
        r->value = atof(num);
        next_field(&p, r->unit, F_LEN);
        next_field(&p, num, F_LEN);
        r->reps = atoi(num);
        next_field(&p, num, F_LEN);
        r->cpu_s = atof(num);
        next_field(&p, num, F_LEN);
        r->wall_s = atof(num);
        quoted_field(p, r->note, sizeof(r->note));
        nrows++;
    }
    fclose(f);
    return 0;
}

const struct row *rep_find(const char *bench, const char *variant, const char *impl, const char *metric)
{
    for (int i = 0; i < nrows; i++)
        if (!strcmp(rows[i].bench, bench) && !strcmp(rows[i].variant, variant) && !strcmp(rows[i].impl, impl) &&
            !strcmp(rows[i].metric, metric))
            return &rows[i];
    return NULL;
}

/* ---- formatting ------------------------------------------------------------------- */

int rep_failed(const struct row *r) { return r && !strncmp(r->note, BU_FAILED, strlen(BU_FAILED)); }

void rep_fmt_value(double v, char *out, size_t cap)
{
    if (v >= 1e6)
        snprintf(out, cap, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(out, cap, "%.1fk", v / 1e3);
    else if (v >= 100)
        snprintf(out, cap, "%.0f", v);
    else
        snprintf(out, cap, "%.2f", v);
}

static void fmt_cell(const struct row *r, char *out, size_t cap)
{
    if (rep_failed(r))
        snprintf(out, cap, "FAILED");
    else if (r)
        rep_fmt_value(r->value, out, cap);
    else
        snprintf(out, cap, "-");
}

static void fmt_ratio(const struct row *a, const struct row *b, char *out, size_t cap)
{
    if (a && b && b->value > 0 && !rep_failed(a) && !rep_failed(b))
        snprintf(out, cap, "%.2fx", a->value / b->value);
    else
        snprintf(out, cap, "-");
}

/* ---- the comparison table ----------------------------------------------------------- */

/* Targets a comparison line carries (docs/PERFORMANCE.md, "Targets"). */
enum {
    T_10G = 1,         /* nstack >= 10 Gbit/s per CPU s */
    T_3X_LWIP = 2,     /* nstack >= 3x its lwIP column */
    T_ABOVE_LINUX = 4, /* nstack > its Linux column */
};

struct cmp_line {
    const char *bench, *variant, *metric, *label, *unit;
    const char *nstack; /* the nstack run in the nstack column */
    const char *lwip;   /* the lwIP run in the lwIP column (NULL: none) */
    const char *linux_; /* the Linux run in the Linux column (NULL: none) */
    int targets;
};

/* The fair rows first: lwIP built as nstack is (tuned, -O3, LTO, static),
 * Linux over a veth pair at MTU 1500 with offloads off. Then the same
 * figures against lwIP as Debian packages it and Linux over loopback (GSO,
 * no checksums): labelled, and carrying only the target that names
 * loopback. What-if rows (receivers reading in place) carry none. */
static const struct cmp_line cmp_lines[] = {
    {"bulk", "mtu1500", "goodput", "Bulk, MTU 1500", "Gbit/s per CPU s", "nstack", "lwip", "linux-veth",
     T_10G | T_3X_LWIP},
    {"bulk", "mtu1500", "goodput", "Bulk, MTU 1500 (lwIP Debian package; Linux loopback, GSO)", "Gbit/s per CPU s",
     "nstack", "lwip-debian", "linux", 0},
    {"bulk", "mtu1500", "goodput", "Bulk, MTU 1500, receivers reading in place (what-if)", "Gbit/s per CPU s",
     "nstack-zerocopy", "lwip-inplace", NULL, 0},
    {"bulk", "mtu9000", "goodput", "Bulk, MTU 9000 (both at MSS 8960; no Linux like-for-like)", "Gbit/s per CPU s",
     "nstack", "lwip", NULL, 0},
    {"crr", "64B", "connections", "Connection rate (CRR, 64 B)", "conn per CPU s", "nstack", "lwip", "linux-veth",
     T_3X_LWIP},
    {"crr", "64B", "connections", "CRR (lwIP Debian package; Linux loopback)", "conn per CPU s", "nstack",
     "lwip-debian", "linux", T_ABOVE_LINUX},
    {"rr", "64B", "transactions", "Request/response (RR, 64 B)", "trans per CPU s", "nstack", "lwip", "linux-veth",
     0},
    {"rr", "64B", "transactions", "RR (lwIP Debian package; Linux loopback)", "trans per CPU s", "nstack",
     "lwip-debian", "linux", 0},
};

/* Set when a figure failed or a figure a target needs is missing: the
 * report still writes everything, then exits 1 (scripts/bench.sh fails). */
static int g_failed;

static const struct row *cmp_find(const struct cmp_line *l, const char *impl)
{
    return impl ? rep_find(l->bench, l->variant, impl, l->metric) : NULL;
}

/* One target's verdict: "met" only when both figures exist and neither
 * failed; otherwise FAILED, and the run fails. */
static const char *verdict(const struct row *n, const struct row *peer, int need_peer, int ok)
{
    if (!n || rep_failed(n) || (need_peer && (!peer || rep_failed(peer) || peer->value <= 0))) {
        g_failed = 1;
        return !n || rep_failed(n) ? "FAILED (nstack's run)" : !peer ? "FAILED (peer missing)" : "FAILED (peer's run)";
    }
    return ok ? "met" : "MISSED";
}

static void target_of(const struct cmp_line *l, const struct row *n, const struct row *lw, const struct row *lx,
                      char *tgt, size_t tcap, char *status, size_t scap)
{
    snprintf(tgt, tcap, "-");
    snprintf(status, scap, "-");
    size_t tl = 0, sl = 0;
    tgt[0] = status[0] = 0;
    double nv = n ? n->value : 0;
    if (l->targets & T_10G) {
        tl += (size_t)snprintf(tgt + tl, tcap - tl, ">= 10 Gbit/s");
        sl += (size_t)snprintf(status + sl, scap - sl, "%s", verdict(n, NULL, 0, nv >= 10));
    }
    if (l->targets & T_3X_LWIP) {
        tl += (size_t)snprintf(tgt + tl, tcap - tl, "%s>= 3x lwIP", tl ? "; " : "");
        sl += (size_t)snprintf(status + sl, scap - sl, "%s%s", sl ? "; " : "",
                               verdict(n, lw, 1, lw && nv >= 3 * lw->value));
    }
    if (l->targets & T_ABOVE_LINUX) {
        tl += (size_t)snprintf(tgt + tl, tcap - tl, "%s> Linux loopback", tl ? "; " : "");
        sl += (size_t)snprintf(status + sl, scap - sl, "%s%s", sl ? "; " : "", verdict(n, lx, 1, lx && nv > lx->value));
    }
    if (!tl) {
        snprintf(tgt, tcap, "-");
        snprintf(status, scap, "-");
    }
}

static void print_cmp(FILE *f)
{
    fprintf(f, "| Benchmark | unit | nstack | lwIP | Linux | nstack/lwIP | nstack/Linux | target | status |\n");
    fprintf(f, "|---|---|---:|---:|---:|---:|---:|---|---|\n");
    for (size_t i = 0; i < sizeof(cmp_lines) / sizeof(cmp_lines[0]); i++) {
        const struct cmp_line *l = &cmp_lines[i];
        const struct row *n = cmp_find(l, l->nstack), *lw = cmp_find(l, l->lwip), *lx = cmp_find(l, l->linux_);
        if (!n && !lw && !lx)
            continue; /* not part of this run (--only) */
        if (!l->targets && (!n || !lw) && !rep_failed(n) && !rep_failed(lw) && strcmp(l->nstack, "nstack"))
            continue; /* a what-if row shows only when both of its runs were made */
        char cn[32], cw[32], cx[32], rw[32], rx[32], tgt[96], st[96];
        fmt_cell(n, cn, sizeof(cn));
        fmt_cell(lw, cw, sizeof(cw));
        fmt_cell(lx, cx, sizeof(cx));
        fmt_ratio(n, lw, rw, sizeof(rw));
        fmt_ratio(n, lx, rx, sizeof(rx));
        target_of(l, n, lw, lx, tgt, sizeof(tgt), st, sizeof(st));
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", l->label, l->unit, cn, cw, cx, rw, rx, tgt, st);
    }
}

/* ---- nstack-only figures ------------------------------------------------------------- */

static void scale_target(const struct row *r, char *tgt, size_t tcap, char *status, size_t scap)
{
    snprintf(tgt, tcap, "-");
    snprintf(status, scap, "-");
    double limit = 0;
    if (!strcmp(r->metric, "bytes_per_idle_conn"))
        limit = 1024;
    else if (!strcmp(r->metric, "bytes_per_time_wait"))
        limit = 128;
    if (limit > 0) {
        snprintf(tgt, tcap, "<= %.0f B", limit);
        snprintf(status, scap, r->value <= limit ? "met" : "MISSED");
    }
}

static void print_single(FILE *f, const char *bench, const char *title)
{
    int any = 0;
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        if (strcmp(r->bench, bench))
            continue;
        if (!any) {
            fprintf(f, "\n%s\n\n| case | stack | metric | value | unit | target | status | notes |\n", title);
            fprintf(f, "|---|---|---|---:|---|---|---|---|\n");
            any = 1;
        }
        char v[32], tgt[32], st[16];
        rep_fmt_value(r->value, v, sizeof(v));
        scale_target(r, tgt, sizeof(tgt), st, sizeof(st));
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r->variant, r->impl, r->metric, v, r->unit, tgt, st,
                r->note);
    }
}

/* The runs of the comparison's columns (the others are what-if variants). */
static int is_primary(const char *impl)
{
    static const char *const p[] = {"nstack", "lwip", "lwip-debian", "linux", "linux-veth"};
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        if (!strcmp(impl, p[i]))
            return 1;
    return 0;
}

/* Variant runs (a peer configured otherwise, nstack under another
 * allocator setting...): each against nstack's default figure. */
static void print_variants(FILE *f)
{
    int any = 0;
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        if (strcmp(r->bench, "bulk") && strcmp(r->bench, "crr") && strcmp(r->bench, "rr"))
            continue;
        if (is_primary(r->impl))
            continue;
        if (!any) {
            fprintf(f, "\nVariants (what-if runs, against nstack's default figure):\n\n");
            fprintf(f, "| case | run | value | unit | nstack default | run/nstack | notes |\n");
            fprintf(f, "|---|---|---:|---|---:|---:|---|\n");
            any = 1;
        }
        const struct row *n = rep_find(r->bench, r->variant, "nstack", r->metric);
        char v[32], nv[32], ratio[32];
        rep_fmt_value(r->value, v, sizeof(v));
        fmt_cell(n, nv, sizeof(nv));
        fmt_ratio(r, n, ratio, sizeof(ratio));
        fprintf(f, "| %s/%s | %s | %s | %s | %s | %s | %s |\n", r->bench, r->variant, r->impl, v, r->unit, nv, ratio,
                r->note);
    }
}

static void print_notes(FILE *f)
{
    fprintf(f, "\nNotes per comparison figure:\n\n");
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        if (strcmp(r->bench, "bulk") && strcmp(r->bench, "crr") && strcmp(r->bench, "rr"))
            continue;
        if (!is_primary(r->impl))
            continue;
        if (!strcmp(r->bench, "rr") && strcmp(r->variant, "64B"))
            continue; /* the sweep's points: their table says how they were measured */
        fprintf(f, "- %s/%s %s: %s (median of %d, %.2f CPU s, %.2f s wall)\n", r->bench, r->variant, r->impl, r->note,
                r->reps, r->cpu_s, r->wall_s);
    }
}

/* Bench 5: over a TAP, in wall-clock time, against the kernel over veth.
 * Target: nstack's bulk goodput within 2x of the kernel's (>= 0.5x). */
static void print_tap(FILE *f)
{
    int any = 0;
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        if (strcmp(r->bench, "tap"))
            continue;
        if (!any) {
            fprintf(f, "\nBench 5, over a TAP against the kernel (every figure wall-clock, per second of real time; two "
                       "processes, two CPUs):\n\n");
            fprintf(f, "| test | stack | value | unit | vs kernel over veth | target | status | notes |\n");
            fprintf(f, "|---|---|---:|---|---:|---|---|---|\n");
            any = 1;
        }
        const struct row *k = rep_find("tap", r->variant, "linux-veth", r->metric);
        char v[32], ratio[32];
        rep_fmt_value(r->value, v, sizeof(v));
        fmt_ratio(r, k, ratio, sizeof(ratio));
        const char *tgt = "-", *st = "-";
        if (!strcmp(r->variant, "bulk") && !strncmp(r->impl, "nstack-tap", 10) && !strstr(r->impl, "nooffload")) {
            tgt = ">= 0.5x kernel";
            st = verdict(r, k, 1, k && r->value >= 0.5 * k->value);
        }
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r->variant, r->impl, v, r->unit, ratio, tgt, st,
                r->note);
    }
}

/* Every figure a program wrote as FAILED, and the runs scripts/bench.sh
 * saw fail (rows "run/...", written when a program exited non-zero). */
static void print_failed(FILE *f)
{
    int any = 0;
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        if (!rep_failed(r))
            continue;
        if (!any)
            fprintf(f, "\nFAILED (the run fails; no target counts as met from these):\n\n");
        any = 1;
        g_failed = 1;
        fprintf(f, "- %s/%s %s: %s\n", r->bench, r->variant, r->impl, r->note);
    }
}

static void write_summary(FILE *f)
{
    fprintf(f, "Comparison (higher is better; per CPU second of the one thread that runs both ends). lwIP: 2.1.3 "
               "built from Debian's source as nstack is built (-O3, LTO, static; bench/lwip/lwipopts.h), unless "
               "the row says Debian package. Linux: system calls + kernel, over a veth pair at MTU 1500 with "
               "GSO/TSO/GRO and checksum offloads off, unless the row says loopback (GSO, no checksums):\n\n");
    print_cmp(f);
    if (sweep_present())
        sweep_write_summary(f);
    tls_write_summary(f);
    if (http_write_summary(f))
        g_failed = 1;
    print_variants(f);
    print_single(f, "lossy", "Lossy long path on the simulator (goodput per virtual second):");
    print_single(f, "scale", "Scale (two nstack stacks in memory):");
    print_tap(f);
    print_notes(f);
    print_failed(f);
}

/* ---- JSON ----------------------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void write_json(FILE *f)
{
    fprintf(f, "{\n  \"results\": [\n");
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        fprintf(f, "    {\"bench\": ");
        json_str(f, r->bench);
        fprintf(f, ", \"variant\": ");
        json_str(f, r->variant);
        fprintf(f, ", \"impl\": ");
        json_str(f, r->impl);
        fprintf(f, ", \"metric\": ");
        json_str(f, r->metric);
        fprintf(f, ", \"value\": %.6g, \"unit\": ", r->value);
        json_str(f, r->unit);
        fprintf(f, ", \"reps\": %d, \"cpu_s\": %.4f, \"wall_s\": %.4f, \"note\": ", r->reps, r->cpu_s, r->wall_s);
        json_str(f, r->note);
        fprintf(f, "}%s\n", i + 1 < nrows ? "," : "");
    }
    fprintf(f, "  ],\n  \"ratios\": [\n");
    int first = 1;
    for (size_t i = 0; i < sizeof(cmp_lines) / sizeof(cmp_lines[0]); i++) {
        const struct cmp_line *l = &cmp_lines[i];
        const struct row *n = cmp_find(l, l->nstack);
        const char *const peers[] = {l->lwip, l->linux_};
        for (int k = 0; k < 2; k++) {
            const struct row *p = cmp_find(l, peers[k]);
            if (!n || !p || p->value <= 0 || rep_failed(n) || rep_failed(p))
                continue;
            fprintf(f,
                    "%s    {\"bench\": \"%s\", \"variant\": \"%s\", \"nstack\": \"%s\", \"peer\": \"%s\", "
                    "\"nstack_over_peer\": %.4f}",
                    first ? "" : ",\n", l->bench, l->variant, l->nstack, peers[k], n->value / p->value);
            first = 0;
        }
    }
    fprintf(f, "\n  ],\n  \"sweep\": ");
    sweep_write_json(f);
    fprintf(f, "\n}\n");
}

/* ---- SVG ------------------------------------------------------------------------------- */

#define PANEL_W 440
#define PANEL_H 230
#define BAR_H 26

struct bar {
    const char *label;
    double value;
    const char *color;
};

static const char *color_of(const char *impl)
{
    if (!strncmp(impl, "nstack", 6))
        return strstr(impl, "newreno") || strstr(impl, "tuned") ? "#7fb3d5" : "#1f6fb2";
    if (!strncmp(impl, "lwip", 4))
        return strstr(impl, "debian") ? "#f5c96b" : "#e69f00";
    return strstr(impl, "veth") ? "#6b8e23" : "#a9c27a";
}

/* One horizontal bar chart; `limit` > 0 draws a target line. */
static void svg_panel(FILE *f, int x0, int y0, const char *title, const char *unit, const struct bar *b, int n,
                      double limit)
{
    double max = limit;
    for (int i = 0; i < n; i++)
        if (b[i].value > max)
            max = b[i].value;
    if (max <= 0)
        max = 1;
    const int label_w = 140, plot_w = PANEL_W - label_w - 70;
    fprintf(f, "<g transform=\"translate(%d,%d)\">\n", x0, y0);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ddd\"/>\n", PANEL_W - 10, PANEL_H - 10);
    fprintf(f, "<text x=\"10\" y=\"20\" font-weight=\"bold\">%s</text>\n", title);
    fprintf(f, "<text x=\"10\" y=\"36\" fill=\"#666\" font-size=\"11\">%s</text>\n", unit);
    for (int i = 0; i < n; i++) {
        int y = 48 + i * (BAR_H + 6);
        double w = b[i].value / max * plot_w;
        char v[32];
        rep_fmt_value(b[i].value, v, sizeof(v));
        fprintf(f, "<text x=\"10\" y=\"%d\">%s</text>\n", y + 17, b[i].label);
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", label_w, y, w, BAR_H,
                b[i].color);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\">%s</text>\n", label_w + w + 4, y + 17, v);
    }
    if (limit > 0) {
        double x = label_w + limit / max * plot_w;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"44\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c00\" stroke-dasharray=\"4,3\"/>"
                "<text x=\"%.1f\" y=\"%d\" fill=\"#c00\" font-size=\"11\">target</text>\n",
                x, x, PANEL_H - 24, x - 14, PANEL_H - 14);
    }
    fprintf(f, "</g>\n");
}

/* A panel of every run of one comparison line. */
static int cmp_bars(const struct cmp_line *l, struct bar *b, int max)
{
    static const char *const impls[] = {"nstack", "lwip", "lwip-debian", "linux-veth", "linux"};
    static const char *const names[] = {"nstack", "lwIP (tuned)", "lwIP (Debian)", "Linux (veth)", "Linux (lo, GSO)"};
    int n = 0;
    for (int k = 0; k < 5 && n < max; k++) {
        const struct row *r = rep_find(l->bench, l->variant, impls[k], l->metric);
        if (r && !rep_failed(r))
            b[n++] = (struct bar){names[k], r->value, color_of(impls[k])};
    }
    return n;
}

static void write_svg(FILE *f)
{
    const int cols = 2, panels = 7;
    int rows_n = (panels + cols - 1) / cols;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
            "font-size=\"13\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"10\" y=\"24\" font-size=\"17\" font-weight=\"bold\">nstack benchmarks</text>\n",
            cols * PANEL_W + 10, rows_n * PANEL_H + 40);
    int p = 0;
    struct bar b[5];
    for (size_t i = 0; i < sizeof(cmp_lines) / sizeof(cmp_lines[0]); i++) {
        if (!cmp_lines[i].lwip || strcmp(cmp_lines[i].lwip, "lwip") || strcmp(cmp_lines[i].nstack, "nstack"))
            continue; /* one panel per benchmark: its fair line */
        int n = cmp_bars(&cmp_lines[i], b, 5);
        double limit = !strcmp(cmp_lines[i].bench, "bulk") && !strcmp(cmp_lines[i].variant, "mtu1500") ? 10 : 0;
        svg_panel(f, 10 + (p % cols) * PANEL_W, 40 + (p / cols) * PANEL_H, cmp_lines[i].label, cmp_lines[i].unit, b, n,
                  limit);
        p++;
    }
    /* Lossy path: NewReno, CUBIC and BBR, with and without loss. */
    static const char *const lv[] = {"rtt80ms_loss1pct", "rtt80ms_loss0"};
    static const char *const lt[] = {"80 ms RTT, 1% loss (simulator)", "80 ms RTT, no loss (simulator)"};
    for (int k = 0; k < 2; k++, p++) {
        int n = 0;
        const struct row *r;
        if ((r = rep_find("lossy", lv[k], "nstack-newreno", "goodput")))
            b[n++] = (struct bar){"NewReno", r->value, color_of("nstack-newreno")};
        if ((r = rep_find("lossy", lv[k], "nstack-cubic", "goodput")))
            b[n++] = (struct bar){"CUBIC", r->value, color_of("nstack-cubic")};
        if ((r = rep_find("lossy", lv[k], "nstack-bbr", "goodput")))
            b[n++] = (struct bar){"BBR", r->value, color_of("nstack-bbr")};
        svg_panel(f, 10 + (p % cols) * PANEL_W, 40 + (p / cols) * PANEL_H, lt[k], "Mbit/s per virtual s", b, n, 0);
    }
    /* Memory per connection against the targets. */
    int n = 0;
    for (int i = 0; i < nrows; i++) {
        if (strcmp(rows[i].bench, "scale"))
            continue;
        if (!strcmp(rows[i].metric, "bytes_per_idle_conn"))
            b[n++] = (struct bar){"idle conn", rows[i].value, color_of("nstack")};
        else if (!strcmp(rows[i].metric, "bytes_per_time_wait"))
            b[n++] = (struct bar){"TIME_WAIT", rows[i].value, color_of("nstack")};
        if (n == 2)
            break;
    }
    svg_panel(f, 10 + (p % cols) * PANEL_W, 40 + (p / cols) * PANEL_H, "Memory per connection (targets 1024 / 128 B)",
              "bytes of heap", b, n, 1024);
    fprintf(f, "</svg>\n");
}

/* ---- main ------------------------------------------------------------------------------ */

static FILE *open_out(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        perror(path);
    return f;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: nst_bench_report RAW.csv OUTDIR\n");
        return 2;
    }
    if (read_rows(argv[1]))
        return 1;
    FILE *f;
    if (!(f = open_out(argv[2], "results.csv")))
        return 1;
    fprintf(f, "%s\n", BU_CSV_HEADER);
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        fprintf(f, "%s,%s,%s,%s,%.6g,%s,%d,%.4f,%.4f,\"%s\"\n", r->bench, r->variant, r->impl, r->metric, r->value,
                r->unit, r->reps, r->cpu_s, r->wall_s, r->note);
    }
    fclose(f);
    if (!(f = open_out(argv[2], "results.json")))
        return 1;
    write_json(f);
    fclose(f);
    if (!(f = open_out(argv[2], "plot.svg")))
        return 1;
    write_svg(f);
    fclose(f);
    char sweep_path[1024];
    snprintf(sweep_path, sizeof(sweep_path), "%s/sweep.svg", argv[2]);
    if (sweep_present()) {
        if (!(f = open_out(argv[2], "sweep.svg")))
            return 1;
        sweep_write_svg(f);
        fclose(f);
    } else {
        unlink(sweep_path); /* not one of an earlier run's */
    }
    if (!(f = open_out(argv[2], "summary.md")))
        return 1;
    write_summary(f);
    fclose(f);
    write_summary(stdout);
    if (g_failed)
        fprintf(stderr, "nst_bench_report: a benchmark failed or a figure a target needs is missing\n");
    return g_failed ? 1 : 0;
}
