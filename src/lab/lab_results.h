/* What a run of `nstack demo` measured, kept as data: per scenario its
 * checks, its figures, its charts, the files it wrote (captures, keylogs,
 * pictures), the `ss` snapshots it printed and its whole text output.
 * nst_lab_demo fills it while the scenarios run; the text output and the
 * HTML report (lab_report.c) both come from it.
 *
 * How a scenario gets recorded: nst_lab_demo hands it an output stream
 * that tees into the record. Everything printed through the lab's helpers
 * is recognised there, so a scenario needs no new call for it:
 *   nst_lab_check         -> a check (what, pass)
 *   nst_lab_capture       -> a capture ("  capture: PATH")
 *   "  keylog: PATH"      -> a keylog file beside a capture
 *   nst_lab_picture_note  -> a picture ("  picture: PATH")
 *   nst_lab_show          -> an `ss` snapshot (written in one piece)
 * Figures and charts are recorded with nst_lab_figure / nst_lab_chart
 * (lab_internal.h), which take the scenario's opts. */
#ifndef NST_LAB_RESULTS_H
#define NST_LAB_RESULTS_H

#include <stddef.h>
#include <stdio.h>

struct nst_lab_check_rec {
    char *what;
    int pass;
};

/* A figure: the text shows `measured` (formatted as the text output does)
 * next to `expected` (words, "" when the figure is just informative). */
struct nst_lab_figure_rec {
    char *name, *expected, *measured, *unit;
    int pass; /* 1, 0, or -1: not judged */
};

struct nst_lab_series_rec {
    char *name, *color;
    double *y;
};
/* A line chart over virtual time: up to two series sharing x (seconds). */
struct nst_lab_chart_rec {
    char *file, *title; /* file: the SVG's name in the report directory */
    int n;
    double *x;
    struct nst_lab_series_rec left, right; /* right.y NULL: one series */
    int shared_y;                          /* both on the left's scale */
};

enum nst_lab_file_kind { NST_LAB_CAPTURE, NST_LAB_KEYLOG, NST_LAB_PICTURE };
struct nst_lab_file_rec {
    enum nst_lab_file_kind kind;
    char *path; /* as printed: relative to where the demo ran, or absolute */
};

struct nst_lab_scenario_rec {
    char *name, *what;
    int failed; /* the scenario returned nonzero */
    struct nst_lab_check_rec *checks;
    struct nst_lab_figure_rec *figures;
    struct nst_lab_chart_rec *charts;
    struct nst_lab_file_rec *files;
    char **snapshots;
    size_t n_checks, n_figures, n_charts, n_files, n_snapshots;
    size_t cap_checks, cap_figures, cap_charts, cap_files, cap_snapshots;
    char *text; /* everything the scenario printed */
    size_t text_len, text_cap;
    char *line; /* the line being assembled from the stream */
    size_t line_len, line_cap;
};

struct nst_demo_opts;
struct nst_lab_results {
    unsigned long long seed;
    struct nst_lab_scenario_rec *sc;
    size_t n, cap;
    FILE *out;                         /* where the text goes */
    const struct nst_demo_opts *opts;  /* for the progress line */
    int oom;                           /* a record was lost for memory */
};

struct nst_lab_results *nst_lab_results_new(FILE *out, const struct nst_demo_opts *o);
void nst_lab_results_free(struct nst_lab_results *r);
/* Starts the record of scenario name and returns the stream it prints to
 * (tees into r->out and the record), or NULL when out of memory. */
FILE *nst_lab_results_begin(struct nst_lab_results *r, const char *name, const char *what);
/* Closes the stream begin returned; failed: the scenario's verdict. */
void nst_lab_results_end(struct nst_lab_results *r, FILE *f, int failed);
/* The scenario being recorded, NULL outside one. */
struct nst_lab_scenario_rec *nst_lab_results_current(struct nst_lab_results *r);

/* Writes the HTML report of r into dir (created): index.html, one page per
 * scenario, the charts and sequence diagrams as SVG files. 0 or -errno. */
int nst_lab_report_write(const struct nst_lab_results *r, const char *dir);
/* A sequence diagram of the interesting segments of the pcap at `pcap`
 * into the SVG `svg` (lab_report_ladder.c). 0, -ENOENT when the capture
 * holds nothing to draw, or -errno. */
int nst_lab_report_ladder(const char *pcap, const char *svg, const char *title);

#endif
