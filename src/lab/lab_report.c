/* `nstack demo --report DIR`: the run's record (lab_results.h) as HTML
 * pages a browser opens from disk. Self-contained: the style is inline,
 * the pictures are SVG files in DIR or in the demo's output directory,
 * and nothing is fetched (no script, no font, no network).
 *
 *   index.html            every scenario's claim, its figures (expected,
 *                         measured), its checks, its verdict
 *   NAME.html             per scenario: claim, figures, checks, sequence
 *                         diagrams, charts, `ss` snapshots, captures and
 *                         keylogs, the whole text output
 *   NAME-seq-K.svg        a sequence diagram drawn from capture K
 *   <chart file>.svg      the charts the scenario recorded
 *
 * Every figure and check on the pages is the record's, the same the text
 * output printed (tests/cli/test_demo_report.sh compares them). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lab/lab_results.h"
#include "lab/lab_svg.h"

static const char style[] =
    "body{font-family:sans-serif;max-width:70em;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .6em;"
    "vertical-align:top;text-align:left}th{background:#f3f3f3}"
    ".pass{color:#1e7b34;font-weight:bold}.fail{color:#b3261e;font-weight:bold}.info{color:#666}"
    "td.measured{font-family:monospace;text-align:right}ul.checks{list-style:none;padding-left:0}"
    "ul.checks li{margin:.2em 0}pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.6em;"
    "overflow-x:auto;font-size:.85em}img{max-width:100%;border:1px solid #e3e3e3;margin:.4em 0}"
    "ul.figs{margin:0;padding-left:1.1em}.note{color:#555;font-size:.9em}";

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f); break;
        }
    }
}

/* Writes tmpl with its markers replaced by the next argument: %e a string
 * escaped, %r a string as is (markup), %d an int, %z a size_t. */
static void html(FILE *f, const char *tmpl, ...)
{
    va_list ap;
    va_start(ap, tmpl);
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%' || !p[1]) {
            fputc(*p, f);
            continue;
        }
        switch (*++p) {
        case 'e': esc(f, va_arg(ap, const char *)); break;
        case 'r': fputs(va_arg(ap, const char *), f); break;
        case 'd': fprintf(f, "%d", va_arg(ap, int)); break;
        case 'z': fprintf(f, "%zu", va_arg(ap, size_t)); break;
        default: fputc(*p, f); break;
        }
    }
    va_end(ap);
}

static const char *verdict(int pass)
{
    return pass > 0 ? "pass" : pass == 0 ? "fail" : "info";
}

static void page_open(FILE *f, const char *title)
{
    html(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>%e</title>\n"
            "<style>%r</style></head><body>\n", title, style);
}

static int page_close(FILE *f)
{
    fputs("</body></html>\n", f);
    return fclose(f) == 0 ? 0 : -EIO;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
        return -ENAMETOOLONG;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* The path of file `to` relative to directory `from` (both resolved), so
 * a link works wherever the report and the captures are moved together. */
static int rel_path(const char *from_dir, const char *to, char *buf, size_t size)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(from_dir, a) || !realpath(to, b))
        return -errno;
    /* The longest common prefix that ends at a component boundary. */
    size_t common = 0, la = strlen(a);
    for (size_t i = 0; a[i] && a[i] == b[i]; i++)
        if (a[i] == '/')
            common = i;
    if (strncmp(a, b, la) == 0 && b[la] == '/')
        common = la; /* from_dir is an ancestor of to */
    size_t used = 0;
    for (size_t i = common; i < la; i++)
        if (a[i] == '/') /* one component of from_dir below the common part */
            used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "../");
    used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "%s", b + common + 1);
    return used < size ? 0 : -ENAMETOOLONG;
}

static int count_pass(const struct nst_lab_scenario_rec *s)
{
    int k = 0;
    for (size_t i = 0; i < s->n_checks; i++)
        k += s->checks[i].pass;
    return k;
}

static int scenario_ok(const struct nst_lab_scenario_rec *s)
{
    return !s->failed && count_pass(s) == (int)s->n_checks;
}

static void figures_table(FILE *f, const struct nst_lab_scenario_rec *s)
{
    if (!s->n_figures)
        return;
    fputs("<h2>Measured</h2>\n<table class=\"figures\"><tr><th>figure</th><th>expected</th><th>measured</th>"
          "<th>unit</th><th>verdict</th></tr>\n", f);
    for (size_t i = 0; i < s->n_figures; i++) {
        const struct nst_lab_figure_rec *g = &s->figures[i];
        html(f,
             "<tr class=\"figure\"><td class=\"name\">%e</td><td class=\"expected\">%e</td>"
             "<td class=\"measured\">%e</td><td class=\"unit\">%e</td><td class=\"verdict %r\">%r</td></tr>\n",
             g->name, g->expected, g->measured, g->unit, verdict(g->pass), verdict(g->pass));
    }
    fputs("</table>\n", f);
}

static void checks_list(FILE *f, const struct nst_lab_scenario_rec *s)
{
    fprintf(f, "<h2>Checks: %d of %zu hold</h2>\n<ul class=\"checks\">\n", count_pass(s), s->n_checks);
    for (size_t i = 0; i < s->n_checks; i++) {
        html(f, "<li class=\"check\"><span class=\"%r\">[%r]</span> <span class=\"what\">%e</span></li>\n",
             s->checks[i].pass ? "pass" : "fail", s->checks[i].pass ? "ok" : "FAILED", s->checks[i].what);
    }
    fputs("</ul>\n", f);
}

static void image(FILE *f, const char *src, const char *alt)
{
    html(f, "<div><img src=\"%e\" alt=\"%e\"></div>\n", src, alt);
}

/* Sequence diagrams from each capture; the scenario's own pictures. */
static void diagrams(FILE *f, const struct nst_lab_scenario_rec *s, const char *dir)
{
    int heading = 0, k = 0;
    char svg[PATH_MAX], name[256], rel[PATH_MAX], title[256];
    for (size_t i = 0; i < s->n_files; i++) {
        const struct nst_lab_file_rec *fr = &s->files[i];
        if (fr->kind == NST_LAB_KEYLOG)
            continue;
        if (fr->kind == NST_LAB_CAPTURE) {
            const char *base = strrchr(fr->path, '/') ? strrchr(fr->path, '/') + 1 : fr->path;
            snprintf(name, sizeof(name), "%s-seq-%d.svg", s->name, ++k);
            snprintf(svg, sizeof(svg), "%s/%s", dir, name);
            snprintf(title, sizeof(title), "%s, as captured (virtual time)", base);
            if (nst_lab_report_ladder(fr->path, svg, title) < 0)
                continue;
            snprintf(rel, sizeof(rel), "%s", name);
        } else if (rel_path(dir, fr->path, rel, sizeof(rel)) < 0) {
            continue;
        }
        if (!heading++)
            fputs("<h2>Pictures</h2>\n<p class=\"note\">Sequence diagrams are drawn from the scenario's "
                  "captures: the first TCP connection's handshake, first data each way, retransmissions "
                  "(red) and close, at the virtual time the capture saw them.</p>\n", f);
        image(f, rel, fr->kind == NST_LAB_CAPTURE ? title : fr->path);
    }
}

static void charts(FILE *f, const struct nst_lab_scenario_rec *s, const char *dir)
{
    int heading = 0;
    for (size_t i = 0; i < s->n_charts; i++) {
        const struct nst_lab_chart_rec *c = &s->charts[i];
        if (!c->file || !c->title || !c->x || !c->left.y)
            continue; /* lost for memory while recording */
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, c->file);
        const struct nst_svg_series l = {c->left.name, c->left.y, c->left.color};
        const struct nst_svg_series r = {c->right.name, c->right.y, c->right.color};
        if (nst_svg_chart(path, c->title, c->x, c->n, &l, c->right.y ? &r : NULL, c->shared_y) < 0)
            continue;
        if (!heading++)
            fputs("<h2>TCP over time</h2>\n", f);
        image(f, c->file, c->title);
    }
}

static void snapshots(FILE *f, const struct nst_lab_scenario_rec *s)
{
    if (!s->n_snapshots)
        return;
    fputs("<h2><code>ss</code> snapshots</h2>\n", f);
    for (size_t i = 0; i < s->n_snapshots; i++) {
        html(f, "<pre class=\"ss\">%e</pre>\n", s->snapshots[i]);
    }
}

static void captures(FILE *f, const struct nst_lab_scenario_rec *s, const char *dir)
{
    int heading = 0;
    char rel[PATH_MAX];
    for (size_t i = 0; i < s->n_files; i++) {
        const struct nst_lab_file_rec *fr = &s->files[i];
        if (fr->kind == NST_LAB_PICTURE || rel_path(dir, fr->path, rel, sizeof(rel)) < 0)
            continue;
        if (!heading++)
            fputs("<h2>Captures</h2>\n<p class=\"note\">Open them in Wireshark; for TLS, give it the keylog "
                  "(<code>wireshark -o tls.keylog_file:FILE.keylog -r FILE.pcap</code>) to see inside.</p>\n<ul>\n",
                  f);
        html(f, "<li>%r <a href=\"%e\">%e</a></li>\n", fr->kind == NST_LAB_KEYLOG ? "keylog" : "capture", rel,
             fr->path);
    }
    if (heading)
        fputs("</ul>\n", f);
}

static int scenario_page(const struct nst_lab_scenario_rec *s, const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s.html", dir, s->name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    page_open(f, s->name);
    const char *v = scenario_ok(s) ? "pass" : "fail";
    html(f,
         "<p><a href=\"index.html\">all scenarios</a></p>\n<h1>%e</h1>\n<p class=\"claim\">%e</p>\n"
         "<p>Verdict: <span class=\"%r\">%r</span></p>\n",
         s->name, s->what, v, v);
    figures_table(f, s);
    checks_list(f, s);
    diagrams(f, s, dir);
    charts(f, s, dir);
    snapshots(f, s);
    captures(f, s, dir);
    html(f, "<h2>Text output</h2>\n<details><summary>what <code>nstack demo</code> printed</summary><pre>%e</pre>"
            "</details>\n", s->text ? s->text : "");
    return page_close(f);
}

static void index_row(FILE *f, const struct nst_lab_scenario_rec *s)
{
    html(f, "<tr class=\"scenario\"><td><a href=\"%e.html\">%e</a></td><td>%e</td><td><ul class=\"figs\">", s->name,
         s->name, s->what);
    for (size_t i = 0; i < s->n_figures; i++) {
        const struct nst_lab_figure_rec *g = &s->figures[i];
        if (g->expected[0])
            html(f,
                 "<li>%e: expected %e, measured <span class=\"measured\">%e</span> %e "
                 "<span class=\"%r\">%r</span></li>",
                 g->name, g->expected, g->measured, g->unit, verdict(g->pass), verdict(g->pass));
    }
    const char *v = scenario_ok(s) ? "pass" : "fail";
    html(f, "</ul></td><td>%d of %z</td><td class=\"%r\">%r</td></tr>\n", count_pass(s), s->n_checks, v, v);
}

static int index_page(const struct nst_lab_results *r, const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/index.html", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    int ok = 0, checks = 0, passed = 0;
    for (size_t i = 0; i < r->n; i++) {
        ok += scenario_ok(&r->sc[i]);
        checks += (int)r->sc[i].n_checks;
        passed += count_pass(&r->sc[i]);
    }
    page_open(f, "nstack demo: the article, measured");
    fprintf(f, "<h1>nstack demo: the article, measured</h1>\n"
               "<p>\"TCP/IP Basics Every Developer Should Understand\", replayed on a simulated network "
               "(seed %llu; virtual time, so every run is the same). <span class=\"summary\">%d of %zu "
               "scenarios pass; %d of %d checks hold.</span></p>\n",
            r->seed, ok, r->n, passed, checks);
    fputs("<table class=\"claims\"><tr><th>scenario</th><th>the article's claim</th><th>expected vs measured</th>"
          "<th>checks</th><th>verdict</th></tr>\n", f);
    for (size_t i = 0; i < r->n; i++)
        index_row(f, &r->sc[i]);
    fputs("</table>\n", f);
    return page_close(f);
}

int nst_lab_report_write(const struct nst_lab_results *r, const char *dir)
{
    int err = make_dirs(dir);
    for (size_t i = 0; !err && i < r->n; i++)
        err = scenario_page(&r->sc[i], dir);
    return err ? err : index_page(r, dir);
}
