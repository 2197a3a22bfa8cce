/* The record of a demo run (see lab_results.h): the stream each scenario
 * prints to, and the calls that record figures and charts. */
#include "lab/lab_results.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab_internal.h"

/* Makes room for one more element of `size` bytes in *v (n used, *cap
 * allocated); 0 or -1 when out of memory. */
static int grow(void **v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    while (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        char *p = realloc(*buf, c);
        if (!p)
            return -1;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void add_check(struct nst_lab_results *r, struct nst_lab_scenario_rec *s, const char *what, size_t n, int pass)
{
    char *w = dup_n(what, n);
    if (!w || grow((void **)&s->checks, s->n_checks, &s->cap_checks, sizeof(*s->checks)) < 0) {
        free(w);
        r->oom = 1;
        return;
    }
    s->checks[s->n_checks++] = (struct nst_lab_check_rec){w, pass};
}

static void add_file(struct nst_lab_results *r, struct nst_lab_scenario_rec *s, enum nst_lab_file_kind k,
                     const char *path, size_t n)
{
    char *p = dup_n(path, n);
    if (!p || grow((void **)&s->files, s->n_files, &s->cap_files, sizeof(*s->files)) < 0) {
        free(p);
        r->oom = 1;
        return;
    }
    s->files[s->n_files++] = (struct nst_lab_file_rec){k, p};
}

static int starts(const char *l, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(l, prefix, k) == 0;
}

/* One complete line (without its newline) the scenario printed: the lab's
 * helpers print checks and files in fixed forms, recognised here. */
static void take_line(struct nst_lab_results *r, struct nst_lab_scenario_rec *s, const char *l, size_t n)
{
    static const struct {
        const char *prefix;
        enum nst_lab_file_kind kind;
    } files[] = {{"  capture: ", NST_LAB_CAPTURE}, {"  keylog: ", NST_LAB_KEYLOG}, {"  picture: ", NST_LAB_PICTURE}};
    if (starts(l, n, "  [ok] "))
        add_check(r, s, l + 7, n - 7, 1);
    else if (starts(l, n, "  [FAILED] "))
        add_check(r, s, l + 11, n - 11, 0);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t k = strlen(files[i].prefix);
        if (starts(l, n, files[i].prefix))
            add_file(r, s, files[i].kind, l + k, n - k);
    }
}

/* nst_lab_show writes a snapshot in one piece, "\n  $ nstack ss ...". */
static void take_snapshot(struct nst_lab_results *r, struct nst_lab_scenario_rec *s, const char *b, size_t n)
{
    if (!starts(b, n, "\n  $ nstack "))
        return;
    char *t = dup_n(b + 1, n - 1);
    if (!t || grow((void **)&s->snapshots, s->n_snapshots, &s->cap_snapshots, sizeof(*s->snapshots)) < 0) {
        free(t);
        r->oom = 1;
        return;
    }
    s->snapshots[s->n_snapshots++] = t;
}

static ssize_t tee_write(void *cookie, const char *b, size_t n)
{
    struct nst_lab_results *r = cookie;
    struct nst_lab_scenario_rec *s = nst_lab_results_current(r);
    const struct nst_demo_opts *o = r->opts;
    if (o && o->progress)
        o->progress(o->progress_arg, NULL, -1, 0); /* the text replaces the progress line */
    if (fwrite(b, 1, n, r->out) != n)
        return -1;
    if (!s)
        return (ssize_t)n;
    if (append(&s->text, &s->text_len, &s->text_cap, b, n) < 0)
        r->oom = 1;
    take_snapshot(r, s, b, n);
    for (size_t i = 0; i < n; i++) {
        if (b[i] != '\n') {
            if (append(&s->line, &s->line_len, &s->line_cap, b + i, 1) < 0)
                r->oom = 1;
            continue;
        }
        take_line(r, s, s->line ? s->line : "", s->line_len);
        s->line_len = 0;
    }
    return (ssize_t)n;
}

struct nst_lab_results *nst_lab_results_new(FILE *out, const struct nst_demo_opts *o)
{
    struct nst_lab_results *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->out = out;
    r->opts = o;
    r->seed = (unsigned long long)o->seed;
    return r;
}

struct nst_lab_scenario_rec *nst_lab_results_current(struct nst_lab_results *r)
{
    return r && r->n ? &r->sc[r->n - 1] : NULL;
}

FILE *nst_lab_results_begin(struct nst_lab_results *r, const char *name, const char *what)
{
    if (grow((void **)&r->sc, r->n, &r->cap, sizeof(*r->sc)) < 0)
        return NULL;
    struct nst_lab_scenario_rec *s = &r->sc[r->n];
    memset(s, 0, sizeof(*s));
    s->name = strdup(name);
    s->what = strdup(what);
    if (!s->name || !s->what) {
        free(s->name);
        free(s->what);
        return NULL;
    }
    r->n++;
    cookie_io_functions_t io = {.write = tee_write};
    FILE *f = fopencookie(r, "w", io);
    if (!f) {
        r->n--;
        free(s->name);
        free(s->what);
        return NULL;
    }
    /* Unbuffered: each fputs/fprintf reaches tee_write whole and in order
     * with what the demo writes to r->out itself. */
    setvbuf(f, NULL, _IONBF, 0);
    return f;
}

void nst_lab_results_end(struct nst_lab_results *r, FILE *f, int failed)
{
    struct nst_lab_scenario_rec *s = nst_lab_results_current(r);
    fclose(f);
    if (s && s->line_len) /* a last line without its newline */
        take_line(r, s, s->line, s->line_len);
    if (s) {
        s->failed = failed;
        free(s->line);
        s->line = NULL;
        s->line_len = s->line_cap = 0;
    }
}

static void free_scenario(struct nst_lab_scenario_rec *s)
{
    for (size_t i = 0; i < s->n_checks; i++)
        free(s->checks[i].what);
    for (size_t i = 0; i < s->n_figures; i++) {
        struct nst_lab_figure_rec *f = &s->figures[i];
        free(f->name);
        free(f->expected);
        free(f->measured);
        free(f->unit);
    }
    for (size_t i = 0; i < s->n_charts; i++) {
        struct nst_lab_chart_rec *c = &s->charts[i];
        free(c->file);
        free(c->title);
        free(c->x);
        free(c->left.name);
        free(c->left.color);
        free(c->left.y);
        free(c->right.name);
        free(c->right.color);
        free(c->right.y);
    }
    for (size_t i = 0; i < s->n_files; i++)
        free(s->files[i].path);
    for (size_t i = 0; i < s->n_snapshots; i++)
        free(s->snapshots[i]);
    free(s->checks);
    free(s->figures);
    free(s->charts);
    free(s->files);
    free(s->snapshots);
    free(s->text);
    free(s->line);
    free(s->name);
    free(s->what);
}

void nst_lab_results_free(struct nst_lab_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free_scenario(&r->sc[i]);
    free(r->sc);
    free(r);
}

/* ---- what scenarios call ------------------------------------------------- */

void nst_lab_figure(const struct nst_demo_opts *o, const char *name, const char *expected, int pass,
                    const char *unit, const char *fmt, ...)
{
    struct nst_lab_scenario_rec *s = nst_lab_results_current(o->results);
    if (!s)
        return;
    char measured[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(measured, sizeof(measured), fmt, ap);
    va_end(ap);
    struct nst_lab_figure_rec f = {strdup(name), strdup(expected ? expected : ""), strdup(measured),
                                   strdup(unit ? unit : ""), pass};
    if (!f.name || !f.expected || !f.measured || !f.unit ||
        grow((void **)&s->figures, s->n_figures, &s->cap_figures, sizeof(*s->figures)) < 0) {
        free(f.name);
        free(f.expected);
        free(f.measured);
        free(f.unit);
        o->results->oom = 1;
        return;
    }
    s->figures[s->n_figures++] = f;
}

static int copy_series(struct nst_lab_series_rec *d, const struct nst_lab_series *s, int n)
{
    if (!s || !s->y)
        return 0;
    d->name = strdup(s->name);
    d->color = strdup(s->color);
    d->y = malloc((size_t)n * sizeof(double));
    if (!d->name || !d->color || !d->y)
        return -1;
    memcpy(d->y, s->y, (size_t)n * sizeof(double));
    return 0;
}

void nst_lab_chart(const struct nst_demo_opts *o, const char *file, const char *title, const double *x_sec, int n,
                   const struct nst_lab_series *left, const struct nst_lab_series *right, int shared_y)
{
    struct nst_lab_scenario_rec *s = nst_lab_results_current(o->results);
    if (!s || n < 2)
        return;
    if (grow((void **)&s->charts, s->n_charts, &s->cap_charts, sizeof(*s->charts)) < 0) {
        o->results->oom = 1;
        return;
    }
    struct nst_lab_chart_rec *c = &s->charts[s->n_charts++];
    memset(c, 0, sizeof(*c));
    c->n = n;
    c->shared_y = shared_y;
    c->file = strdup(file);
    c->title = strdup(title);
    c->x = malloc((size_t)n * sizeof(double));
    if (c->x)
        memcpy(c->x, x_sec, (size_t)n * sizeof(double));
    if (!c->file || !c->title || !c->x || copy_series(&c->left, left, n) < 0 || copy_series(&c->right, right, n) < 0)
        o->results->oom = 1; /* kept, and freed with the rest; the report skips it */
}

void nst_lab_progress(const struct nst_demo_opts *o, nst_time_t now, nst_time_t total)
{
    struct nst_lab_scenario_rec *s = nst_lab_results_current(o->results);
    if (o->progress && s)
        o->progress(o->progress_arg, s->name, (double)now / 1e9, (double)total / 1e9);
}
