/* SVG output for the lab (see lab_svg.h). Coordinates are in pixels of a
 * fixed-size canvas; the writers only ever emit numbers and fixed strings,
 * plus labels that come from the lab itself (escaped anyway). */
#include "lab/lab_svg.h"

#include <errno.h>
#include <string.h>

static void svg_text_in(FILE *f, double x, double y, const char *anchor, int size, const char *color, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-family=\"sans-serif\" font-size=\"%d\" "
               "fill=\"%s\">", x, y, anchor, size, color);
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        default: fputc(*s, f); break;
        }
    }
    fputs("</text>\n", f);
}

static void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *s)
{
    svg_text_in(f, x, y, anchor, size, "#000", s);
}

static FILE *svg_open(const char *path, int w, int h)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", w, h,
            w, h);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h);
    fputs("<defs><marker id=\"head\" markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" refY=\"4\" orient=\"auto\">"
          "<path d=\"M0,0 L10,4 L0,8 z\" fill=\"#333\"/></marker></defs>\n",
          f);
    return f;
}

static int svg_close(FILE *f)
{
    fputs("</svg>\n", f);
    return fclose(f) == 0 ? 0 : -EIO;
}

int nst_svg_ladder(const char *path, const char *title, const char *left, const char *right,
                   const struct nst_svg_arrow *a, int n)
{
    const double xl = 160, xr = 560, top = 70, height = 480;
    nst_time_t t0 = n ? a[0].sent : 0, t1 = t0;
    for (int i = 0; i < n; i++)
        if (a[i].arrived > t1)
            t1 = a[i].arrived;
    double scale = t1 > t0 ? height / (double)(t1 - t0) : 1;
    FILE *f = svg_open(path, 720, 600);
    if (!f)
        return -errno;
    svg_text(f, 360, 28, "middle", 16, title);
    svg_text(f, xl, top - 12, "middle", 14, left);
    svg_text(f, xr, top - 12, "middle", 14, right);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#999\" stroke-width=\"2\"/>\n", xl, top,
            xl, top + height + 10);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#999\" stroke-width=\"2\"/>\n", xr, top,
            xr, top + height + 10);
    for (int i = 0; i < n; i++) {
        double ys = top + (double)(a[i].sent - t0) * scale, ya = top + (double)(a[i].arrived - t0) * scale;
        double xs = a[i].from_left ? xl : xr, xa = a[i].from_left ? xr : xl;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\" stroke-width=\"1.5\" "
                   "marker-end=\"url(#head)\"/>\n", xs, ys, xa, ya);
        char t[32];
        snprintf(t, sizeof(t), "%.3f ms", (double)(a[i].sent - t0) / 1e6);
        svg_text(f, a[i].from_left ? xl - 8 : xr + 8, ys + 4, a[i].from_left ? "end" : "start", 11, t);
        /* Segments sent at the same instant get their labels stacked. */
        int same = 0;
        for (int k = 0; k < i; k++)
            same += a[k].sent == a[i].sent && a[k].from_left == a[i].from_left;
        svg_text(f, (xs + xa) / 2, (ys + ya) / 2 - 6 + 16.0 * same, "middle", 12, a[i].label);
    }
    return svg_close(f);
}

static double series_max(const struct nst_svg_series *s, int n)
{
    double m = 0;
    for (int i = 0; s && i < n; i++)
        if (s->y[i] > m)
            m = s->y[i];
    return m > 0 ? m : 1;
}

static void chart_line(FILE *f, const double *x, const struct nst_svg_series *s, int n, double xmax, double ymax)
{
    const double left = 80, bottom = 440, w = 560, h = 360;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", s->color);
    for (int i = 0; i < n; i++)
        fprintf(f, "%.1f,%.1f ", left + x[i] / xmax * w, bottom - s->y[i] / ymax * h);
    fputs("\"/>\n", f);
}

int nst_svg_chart(const char *path, const char *title, const double *x, int n, const struct nst_svg_series *l,
                  const struct nst_svg_series *r, int shared_y)
{
    if (n < 2)
        return -EINVAL;
    double xmax = x[n - 1] > 0 ? x[n - 1] : 1, lmax = series_max(l, n), rmax = series_max(r, n);
    if (shared_y && rmax > lmax)
        lmax = rmax;
    if (shared_y)
        rmax = lmax;
    FILE *f = svg_open(path, 720, 500);
    if (!f)
        return -errno;
    svg_text(f, 360, 28, "middle", 16, title);
    fputs("<rect x=\"80\" y=\"80\" width=\"560\" height=\"360\" fill=\"none\" stroke=\"#999\"/>\n", f);
    char t[64];
    for (int k = 0; k <= 4; k++) {
        snprintf(t, sizeof(t), "%.1f", xmax * k / 4);
        svg_text(f, 80 + 560.0 * k / 4, 458, "middle", 11, t);
        snprintf(t, sizeof(t), "%.3g", lmax * k / 4);
        svg_text(f, 74, 444 - 360.0 * k / 4, "end", 11, t);
        if (r) {
            snprintf(t, sizeof(t), "%.3g", rmax * k / 4);
            svg_text(f, 646, 444 - 360.0 * k / 4, "start", 11, t);
        }
    }
    svg_text(f, 360, 480, "middle", 12, "virtual time (s)");
    chart_line(f, x, l, n, xmax, lmax);
    svg_text_in(f, 80, 70, "start", 12, l->color, l->name); /* the name in its line's colour: the legend */
    if (r) {
        chart_line(f, x, r, n, xmax, rmax);
        svg_text_in(f, 640, 70, "end", 12, r->color, r->name);
    }
    return svg_close(f);
}

int nst_svg_sequence(const char *path, const char *title, const char *left, const char *right,
                     const struct nst_svg_row *r, int n)
{
    /* Rows evenly spaced, not to scale: a capture spans seconds with bursts
     * of microseconds, so each arrow carries its own timestamp instead. */
    const double xl = 190, xr = 590, top = 80, step = 26;
    const int height = (int)(top + step * n + 30);
    FILE *f = svg_open(path, 780, height);
    if (!f)
        return -errno;
    svg_text(f, 390, 28, "middle", 16, title);
    svg_text(f, xl, top - 24, "middle", 14, left);
    svg_text(f, xr, top - 24, "middle", 14, right);
    svg_text(f, 20, top - 24, "start", 11, "virtual time");
    for (int k = 0; k < 2; k++)
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#999\" stroke-width=\"2\"/>\n",
                k ? xr : xl, top - 14, k ? xr : xl, top + step * n);
    for (int i = 0; i < n; i++) {
        double y = top + step * i + 6;
        if (!r[i].label) { /* a gap: segments left out */
            svg_text(f, (xl + xr) / 2, y + 8, "middle", 11, r[i].gap);
            continue;
        }
        double xs = r[i].from_left ? xl : xr, xa = r[i].from_left ? xr : xl;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
                   "marker-end=\"url(#head)\"/>\n", xs, y, xa, y + 12, r[i].color ? r[i].color : "#333");
        char t[40];
        snprintf(t, sizeof(t), "%.6f s", (double)r[i].t / 1e9);
        svg_text(f, 20, y + 10, "start", 11, t);
        svg_text(f, (xl + xr) / 2, y + 2, "middle", 11, r[i].label);
    }
    return svg_close(f);
}
