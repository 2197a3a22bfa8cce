/* The message-size sweep in the report: the "Across message sizes" table
 * of summary.md, the "sweep" array of results.json and sweep.svg, two line
 * charts (RR transactions and bulk goodput per CPU second against the
 * size, log-scale x, a line per stack), drawn here like plot.svg.
 *
 * The sweep's rows are rr/<n>B and bulk-write/<n>B (bench_util.h); the RR
 * benchmark's own rr/64B is the sweep's 64-byte point when both ran. A
 * point a program could not measure is a row whose note starts with
 * BU_FAILED: it shows as FAILED in the table and as a cross on the x axis
 * of the chart, never as a missing point. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_report.h"
#include "bench_util.h"

struct sweep_kind {
    const char *bench, *metric, *label, *unit; /* the table's */
    const char *title, *xtitle, *ytitle;       /* the chart's */
    int ylog;                                  /* log-scale y: rates spanning decades */
};

static const struct sweep_kind kinds[] = {
    {"rr", "transactions", "RR", "trans per CPU s", "Request/response, one connection, MTU 1500",
     "request size = response size, bytes (log scale)", "transactions per CPU second (log scale)", 1},
    {"bulk-write", "goodput", "Bulk, MTU 1500", "Gbit/s per CPU s", "Bulk goodput, MTU 1500",
     "application write size = read size, bytes (log scale)", "goodput, Gbit/s per CPU second", 0},
};
#define NKINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

static const char *const impls[] = {"nstack", "lwip", "linux"};
static const char *const names[] = {"nstack", "lwIP", "Linux (lo)"};
static const char *const colors[] = {"#1f6fb2", "#e69f00", "#6b8e23"};
#define NIMPLS 3
#define MAX_SIZES 32

/* ---- the points -------------------------------------------------------------------- */

/* The size of a variant "<n>B", 0 if it is not one. */
static uint32_t size_of(const char *variant)
{
    char *e;
    unsigned long v = strtoul(variant, &e, 10);
    return e != variant && !strcmp(e, "B") && v > 0 && v <= (1ul << 30) ? (uint32_t)v : 0;
}

static int is_stack(const char *impl)
{
    for (int i = 0; i < NIMPLS; i++)
        if (!strcmp(impl, impls[i]))
            return 1;
    return 0;
}

/* The sizes the run holds for kind k, ascending, each once. */
static int sizes_of(const struct sweep_kind *k, uint32_t *out)
{
    int nrows, n = 0;
    const struct row *rows = rep_rows(&nrows);
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        uint32_t s = size_of(r->variant);
        if (!s || strcmp(r->bench, k->bench) || strcmp(r->metric, k->metric) || !is_stack(r->impl))
            continue;
        int at = 0;
        while (at < n && out[at] < s)
            at++;
        if ((at < n && out[at] == s) || n == MAX_SIZES)
            continue;
        memmove(out + at + 1, out + at, (size_t)(n - at) * sizeof(*out));
        out[at] = s;
        n++;
    }
    return n;
}

int sweep_present(void)
{
    int nrows;
    const struct row *rows = rep_rows(&nrows);
    for (int i = 0; i < nrows; i++) {
        uint32_t s = size_of(rows[i].variant);
        if (!strcmp(rows[i].bench, "bulk-write") || (!strcmp(rows[i].bench, "rr") && s && s != 64))
            return 1;
    }
    return 0;
}

struct point {
    const struct row *r; /* NULL: not measured */
    int ok;              /* measured, not failed */
};

static struct point point_of(const struct sweep_kind *k, uint32_t size, const char *impl)
{
    char variant[32];
    snprintf(variant, sizeof(variant), "%uB", size);
    struct point p = {rep_find(k->bench, variant, impl, k->metric), 0};
    p.ok = p.r && !rep_failed(p.r) && p.r->value > 0;
    return p;
}

/* ---- summary.md ---------------------------------------------------------------------- */

static void cell(const struct point *p, char *out, size_t cap)
{
    if (!p->r)
        snprintf(out, cap, "-");
    else if (!p->ok)
        snprintf(out, cap, "FAILED");
    else
        rep_fmt_value(p->r->value, out, cap);
}

static void ratio(const struct point *a, const struct point *b, char *out, size_t cap)
{
    if (a->ok && b->ok)
        snprintf(out, cap, "%.2fx", a->r->value / b->r->value);
    else
        snprintf(out, cap, "-");
}

/* The points that failed, with what their program said. */
static void print_failed(FILE *f)
{
    int any = 0;
    for (int k = 0; k < NKINDS; k++) {
        uint32_t sizes[MAX_SIZES];
        int ns = sizes_of(&kinds[k], sizes);
        for (int i = 0; i < ns; i++)
            for (int s = 0; s < NIMPLS; s++) {
                struct point p = point_of(&kinds[k], sizes[i], impls[s]);
                if (!p.r || p.ok)
                    continue;
                if (!any)
                    fprintf(f, "\nFailed points:\n\n");
                any = 1;
                fprintf(f, "- %s/%s %s: %s\n", p.r->bench, p.r->variant, names[s], p.r->note);
            }
    }
    if (!any)
        fprintf(f, "\nFailed points: none.\n");
}

/* A row of the sweep (rr/<n>B or bulk-write/<n>B of one of the three stacks)? */
static int sweep_row(const struct row *r)
{
    return size_of(r->variant) && (!strcmp(r->bench, "rr") || !strcmp(r->bench, "bulk-write")) && is_stack(r->impl);
}

static int rr64(const struct row *r) { return !strcmp(r->bench, "rr") && !strcmp(r->variant, "64B"); }

/* How the points were measured: the repetitions of the sweep's own points,
 * then every point measured otherwise (the RR benchmark's own rr/64B in a
 * default run: more repetitions of the same harness). */
static void print_reps(FILE *f)
{
    int nrows, base = 0, others = 0;
    double cpu = 0;
    const struct row *rows = rep_rows(&nrows);
    for (int i = 0; i < nrows && !base; i++)
        if (sweep_row(&rows[i]) && !rr64(&rows[i]) && !rep_failed(&rows[i]))
            base = rows[i].reps, cpu = rows[i].cpu_s;
    if (!base)
        return;
    for (int i = 0; i < nrows; i++)
        others += sweep_row(&rows[i]) && !rep_failed(&rows[i]) && rows[i].reps != base;
    fprintf(f, "\nEach point is the median of %d repetition%s of about %.2f CPU s (after a warm-up)%s\n", base,
            base == 1 ? "" : "s", cpu, others ? ", except:\n" : ".");
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        if (sweep_row(r) && !rep_failed(r) && r->reps != base)
            fprintf(f, "- %s/%s %s: median of %d repetitions of %.2f CPU s%s\n", r->bench, r->variant, r->impl, r->reps,
                    r->cpu_s, rr64(r) ? ", the RR benchmark's own figure (the same harness)" : "");
    }
}

void sweep_write_summary(FILE *f)
{
    fprintf(f, "\nAcross message sizes (the same harnesses; RR: a request and a response of the size each, one "
               "connection, TCP_NODELAY, every message's length and first/last bytes checked; bulk: MTU 1500, the "
               "application writing and reading the size per call, the first bytes of the stream verified; per CPU "
               "second, higher is better; lwIP: the tuned build; Linux: system calls + kernel over loopback at MTU 1500, "
               "GSO and no checksums, a reference; plot: sweep.svg):\n\n");
    fprintf(f, "| benchmark | size (bytes) | unit | nstack | lwIP | Linux | nstack/lwIP | nstack/Linux |\n");
    fprintf(f, "|---|---:|---|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < NKINDS; k++) {
        uint32_t sizes[MAX_SIZES];
        int ns = sizes_of(&kinds[k], sizes);
        for (int i = 0; i < ns; i++) {
            struct point p[NIMPLS];
            char c[NIMPLS][32], rw[32], rx[32];
            for (int s = 0; s < NIMPLS; s++) {
                p[s] = point_of(&kinds[k], sizes[i], impls[s]);
                cell(&p[s], c[s], sizeof(c[s]));
            }
            ratio(&p[0], &p[1], rw, sizeof(rw));
            ratio(&p[0], &p[2], rx, sizeof(rx));
            fprintf(f, "| %s | %u | %s | %s | %s | %s | %s | %s |\n", kinds[k].label, sizes[i], kinds[k].unit, c[0],
                    c[1], c[2], rw, rx);
        }
    }
    fprintf(f, "\n(- : not measured in this run; FAILED: measured and failed, see below.)\n");
    print_reps(f);
    print_failed(f);
}

/* ---- results.json ----------------------------------------------------------------------- */

static void json_num(FILE *f, const struct point *p)
{
    if (p->ok)
        fprintf(f, "%.6g", p->r->value);
    else
        fprintf(f, "null");
}

static void json_ratio(FILE *f, const struct point *a, const struct point *b)
{
    if (a->ok && b->ok)
        fprintf(f, "%.4f", a->r->value / b->r->value);
    else
        fprintf(f, "null");
}

void sweep_write_json(FILE *f)
{
    int first = 1;
    fprintf(f, "[");
    for (int k = 0; k < NKINDS; k++) {
        uint32_t sizes[MAX_SIZES];
        int ns = sizes_of(&kinds[k], sizes);
        for (int i = 0; i < ns; i++) {
            struct point p[NIMPLS];
            for (int s = 0; s < NIMPLS; s++)
                p[s] = point_of(&kinds[k], sizes[i], impls[s]);
            fprintf(f, "%s\n    {\"bench\": \"%s\", \"size\": %u, \"metric\": \"%s\", \"unit\": \"%s\"", first ? "" : ",",
                    kinds[k].bench, sizes[i], kinds[k].metric, p[0].r ? p[0].r->unit : kinds[k].unit);
            for (int s = 0; s < NIMPLS; s++) {
                fprintf(f, ", \"%s\": ", impls[s]);
                json_num(f, &p[s]);
            }
            fprintf(f, ", \"nstack_over_lwip\": ");
            json_ratio(f, &p[0], &p[1]);
            fprintf(f, ", \"nstack_over_linux\": ");
            json_ratio(f, &p[0], &p[2]);
            fprintf(f, ", \"failed\": [");
            for (int s = 0, n = 0; s < NIMPLS; s++)
                if (p[s].r && !p[s].ok)
                    fprintf(f, "%s\"%s\"", n++ ? ", " : "", impls[s]);
            fprintf(f, "]}");
            first = 0;
        }
    }
    fprintf(f, "%s]", first ? "" : "\n  ");
}

/* ---- sweep.svg -------------------------------------------------------------------------- */

#define CH_W 540
#define CH_H 420

struct axes {
    double left, right, top, bottom; /* the plot area */
    double lx0, lx1;                 /* log2 of the sizes at left and right */
    double y0, y1;                   /* values at bottom and top (logs of them if ylog) */
    int ylog;
};

static double ax_x(const struct axes *a, uint32_t size)
{
    return a->left + (log2((double)size) - a->lx0) / (a->lx1 - a->lx0) * (a->right - a->left);
}

static double ax_y(const struct axes *a, double v)
{
    double t = a->ylog ? log10(v) : v;
    return a->bottom - (t - a->y0) / (a->y1 - a->y0) * (a->bottom - a->top);
}

/* 1, 2 or 5 times a power of ten, the smallest at least x. */
static double nice_step(double x)
{
    double p = pow(10, floor(log10(x))), m = x / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* 1, 2 or 5 times a power of ten, the largest at most x. */
static double nice_below(double x)
{
    double p = pow(10, floor(log10(x))), m = x / p;
    return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}

/* A tick label: 2M, 500k, 20, 2.5. */
static void fmt_tick(double v, char *out, size_t cap)
{
    if (v >= 1e6)
        snprintf(out, cap, "%gM", v / 1e6);
    else if (v >= 1e3)
        snprintf(out, cap, "%gk", v / 1e3);
    else
        snprintf(out, cap, "%g", v);
}

static void y_grid_line(FILE *f, const struct axes *a, double v, int label)
{
    double y = ax_y(a, v);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", a->left, y, a->right, y,
            label ? "#d8d8d8" : "#eeeeee");
    if (label) {
        char t[32];
        fmt_tick(v, t, sizeof(t));
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>\n", a->left - 6, y + 4,
                t);
    }
}

/* The y range from the values (vmin > 0 when ylog), and its grid. */
static void y_axis(FILE *f, struct axes *a, double vmin, double vmax)
{
    if (a->ylog) {
        /* From the 1-2-5 step at or below the smallest value to the one at
         * or above the largest: no empty decade at either end. */
        double lo = nice_below(vmin), hi = nice_step(vmax);
        if (hi <= lo)
            hi = nice_step(lo * 1.5);
        a->y0 = log10(lo);
        a->y1 = log10(hi);
        int decades = (int)ceil(a->y1 - a->y0 - 1e-9);
        for (double d = pow(10, floor(a->y0)); d <= hi * 1.001; d *= 10)
            for (int m = 1; m <= 5; m++)
                if ((m == 1 || m == 2 || m == 5) && d * m >= lo * 0.999 && d * m <= hi * 1.001)
                    y_grid_line(f, a, d * m, m == 1 || decades <= 3);
    } else {
        double step = nice_step(vmax / 5);
        a->y0 = 0;
        a->y1 = ceil(vmax * 1.05 / step) * step;
        for (double v = 0; v <= a->y1 + step / 2; v += step)
            y_grid_line(f, a, v, 1);
    }
}

static void marker(FILE *f, int s, double x, double y, const char *tip)
{
    if (s == 0)
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s</title></circle>\n", x, y, colors[s],
                tip);
    else if (s == 1)
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\"><title>%s</title></rect>\n", x - 4,
                y - 4, colors[s], tip);
    else
        fprintf(f, "<path d=\"M%.1f,%.1f l5,9 h-10 z\" fill=\"%s\"><title>%s</title></path>\n", x, y - 5, colors[s],
                tip);
}

/* One stack's line: segments between consecutive measured points (a gap
 * where a point failed or is missing), a marker per point, a cross on the
 * x axis where a point failed. Returns how many failed. */
static int series(FILE *f, const struct axes *a, const struct sweep_kind *k, const uint32_t *sizes, int ns, int s)
{
    int failed = 0;
    const char *dash = s == 2 ? " stroke-dasharray=\"6,4\"" : "";
    for (int i = 0; i + 1 < ns; i++) {
        struct point p = point_of(k, sizes[i], impls[s]), q = point_of(k, sizes[i + 1], impls[s]);
        if (p.ok && q.ok)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                    ax_x(a, sizes[i]), ax_y(a, p.r->value), ax_x(a, sizes[i + 1]), ax_y(a, q.r->value), colors[s],
                    dash);
    }
    for (int i = 0; i < ns; i++) {
        struct point p = point_of(k, sizes[i], impls[s]);
        char tip[128], v[32];
        if (p.ok) {
            rep_fmt_value(p.r->value, v, sizeof(v));
            snprintf(tip, sizeof(tip), "%s, %u bytes: %s %s", names[s], sizes[i], v, k->unit);
            marker(f, s, ax_x(a, sizes[i]), ax_y(a, p.r->value), tip);
        } else if (p.r) {
            failed++;
            fprintf(f,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\" "
                    "fill=\"%s\">&#215;<title>%s, %u bytes: FAILED</title></text>"
                    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\">%s failed</text>\n",
                    ax_x(a, sizes[i]), a->bottom - 4 - 14 * s, colors[s], names[s], sizes[i], ax_x(a, sizes[i]) - 60,
                    a->bottom - 6 - 14 * s, colors[s], names[s]);
        }
    }
    return failed;
}

static void legend(FILE *f, double x, double y)
{
    for (int s = 0; s < NIMPLS; s++) {
        double lx = x + s * 120;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", lx,
                y, lx + 28, y, colors[s], s == 2 ? " stroke-dasharray=\"6,4\"" : "");
        marker(f, s, lx + 14, y, names[s]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n", lx + 34, y + 4, names[s]);
    }
}

/* One chart at (x0, y0). Returns how many points failed. */
static int chart(FILE *f, int x0, int y0, const struct sweep_kind *k)
{
    uint32_t sizes[MAX_SIZES];
    int ns = sizes_of(k, sizes), failed = 0;
    struct axes a = {x0 + 80, x0 + CH_W - 24, y0 + 70, y0 + CH_H - 62, 0, 1, 0, 1, k->ylog};
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ddd\"/>\n", x0, y0,
            CH_W - 10, CH_H - 10);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", x0 + 12, y0 + 22, k->title);
    legend(f, x0 + 24, y0 + 46);
    if (!ns) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#666\">not measured in this run</text>\n", x0 + 80, y0 + CH_H / 2);
        return 0;
    }
    double vmin = 0, vmax = 0;
    for (int i = 0; i < ns; i++)
        for (int s = 0; s < NIMPLS; s++) {
            struct point p = point_of(k, sizes[i], impls[s]);
            if (!p.ok)
                continue;
            if (vmax == 0 || p.r->value < vmin)
                vmin = p.r->value;
            if (p.r->value > vmax)
                vmax = p.r->value;
        }
    if (vmax <= 0)
        vmin = 1, vmax = 10; /* every point failed: an empty grid, the crosses on it */
    /* x: the sizes' log2, with a margin so that the end markers stay inside. */
    double l0 = log2((double)sizes[0]), l1 = log2((double)sizes[ns - 1]);
    if (l1 <= l0)
        l0 -= 1, l1 += 1;
    a.lx0 = l0 - (l1 - l0) * 0.05;
    a.lx1 = l1 + (l1 - l0) * 0.05;
    y_axis(f, &a, vmin, vmax);
    for (int i = 0; i < ns; i++) {
        double x = ax_x(&a, sizes[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n", x, a.top, x,
                a.bottom);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x, a.bottom, x,
                a.bottom + 5);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%u</text>\n", x, a.bottom + 18,
                sizes[i]);
    }
    fprintf(f, "<path d=\"M%.1f,%.1f V%.1f H%.1f\" fill=\"none\" stroke=\"#333\"/>\n", a.left, a.top, a.bottom,
            a.right);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">%s</text>\n",
            (a.left + a.right) / 2, a.bottom + 40, k->xtitle);
    fprintf(f,
            "<text transform=\"translate(%d,%.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">%s</text>\n",
            x0 + 18, (a.top + a.bottom) / 2, k->ytitle);
    for (int s = 0; s < NIMPLS; s++)
        failed += series(f, &a, k, sizes, ns, s);
    return failed;
}

void sweep_write_svg(FILE *f)
{
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
            "font-size=\"13\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"10\" y=\"24\" font-size=\"17\" font-weight=\"bold\">nstack, lwIP and Linux across message "
            "sizes</text>\n"
            "<text x=\"10\" y=\"44\" fill=\"#555\" font-size=\"12\">per CPU second of the one thread that runs both "
            "ends (higher is better); lwIP and nstack joined in memory, Linux over loopback in a namespace of its "
            "own</text>\n",
            NKINDS * CH_W + 10, CH_H + 84);
    int failed = 0;
    for (int k = 0; k < NKINDS; k++)
        failed += chart(f, 10 + k * CH_W, 56, &kinds[k]);
    fprintf(f, "<text x=\"10\" y=\"%d\" fill=\"%s\" font-size=\"12\">%s</text>\n", CH_H + 70,
            failed ? "#c00" : "#555",
            failed ? "&#215; on the x axis: a point that FAILED (summary.md says why)"
                   : "every point measured; a failed one would show as &#215; on the x axis");
    fprintf(f, "</svg>\n");
}
