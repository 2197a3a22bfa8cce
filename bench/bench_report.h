/* What the parts of nst_bench_report share: the result rows read from the
 * CSV the benchmark programs wrote, lookup and number formatting.
 * bench_report.c reads the rows and writes the comparison tables, the JSON
 * and plot.svg; bench_report_sweep.c adds the message-size sweep (its
 * table, its JSON rows and sweep.svg). */
#ifndef NST_BENCH_REPORT_H
#define NST_BENCH_REPORT_H

#include <stddef.h>
#include <stdio.h>

#define REP_F_LEN 64

struct row {
    char bench[REP_F_LEN], variant[REP_F_LEN], impl[REP_F_LEN], metric[REP_F_LEN], unit[REP_F_LEN];
    double value, cpu_s, wall_s;
    int reps;
    char note[256];
};

/* The rows read, in file order. */
const struct row *rep_rows(int *n);
/* The first row with these fields, or NULL. */
const struct row *rep_find(const char *bench, const char *variant, const char *impl, const char *metric);
/* Did the program write this row for a point that failed (BU_FAILED)? */
int rep_failed(const struct row *r);
/* 2.58M, 422.7k, 512, 39.92. */
void rep_fmt_value(double v, char *out, size_t cap);

/* ---- the message-size sweep (bench_report_sweep.c) ---- */

/* Does the run hold sweep rows (bulk-write/..., rr/ at a size other than 64 B)? */
int sweep_present(void);
/* The "Across message sizes" table, the failed points and how the points were measured. */
void sweep_write_summary(FILE *f);
/* The JSON array of sweep points (values, ratios, failures), as the value of "sweep". */
void sweep_write_json(FILE *f);
/* sweep.svg: RR and bulk line charts against size, log-scale x. */
void sweep_write_svg(FILE *f);

/* ---- TLS (bench_report_tls.c) ---- */

/* The TLS table (nstack against Linux, both running OpenSSL), if the run has its rows. */
void tls_write_summary(FILE *f);

/* ---- HTTP (bench_report_http.c) ---- */

/* The HTTP tables (nstack serve against nginx and nghttpd; in memory), if
 * the run has their rows. Non-zero if a target's figure failed or is missing. */
int http_write_summary(FILE *f);

#endif
