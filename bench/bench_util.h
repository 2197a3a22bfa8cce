/* Helpers shared by every benchmark program (nstack, lwIP, Linux): clocks,
 * the in-memory frame queue that joins two stacks, result records,
 * progress lines and argument parsing. Nothing here depends on a stack, so
 * the lwIP program (whose symbols clash with nstack's) can use it too. */
#ifndef NST_BENCH_UTIL_H
#define NST_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- clocks ------------------------------------------------------------------ */

/* CPU time of the whole process (user + system), seconds. */
double bu_cpu_seconds(void);
/* CLOCK_MONOTONIC, nanoseconds. */
int64_t bu_mono_ns(void);

/* ---- the in-memory link ------------------------------------------------------- */

/* A FIFO of frames in one contiguous byte ring: push copies a frame in,
 * peek/pop hand it out in order. One queue per direction; the benchmark
 * loop drains it into the receiving stack. No locks: one thread. */
struct bu_frameq {
    uint8_t *buf;
    size_t cap; /* bytes, a multiple of 8 */
    size_t head, tail;
    size_t used;   /* bytes taken, wrap padding included */
    size_t frames; /* frames queued */
    uint64_t pushed, dropped, bytes;
};

int bu_frameq_init(struct bu_frameq *q, size_t cap);
void bu_frameq_free(struct bu_frameq *q);
/* Room for a frame of len bytes at the tail, to be filled by the caller
 * (counted as queued at once). NULL if the queue is full (counted in dropped). */
uint8_t *bu_frameq_reserve(struct bu_frameq *q, size_t len);
/* Copies the frame in. 0, or -1 if the queue is full (counted in dropped). */
int bu_frameq_push(struct bu_frameq *q, const void *frame, size_t len);
/* The oldest frame (NULL if none); it stays valid until bu_frameq_pop. */
const uint8_t *bu_frameq_peek(struct bu_frameq *q, size_t *len);
void bu_frameq_pop(struct bu_frameq *q);

/* ---- payload pattern ---------------------------------------------------------- */

/* The byte at stream offset i: a period of BU_PATTERN_PERIOD bytes. */
#define BU_PATTERN_PERIOD (1u << 20)
/* A buffer of BU_PATTERN_PERIOD + extra bytes holding the pattern, so that
 * pattern + (off % period) is contiguous for `extra` bytes. */
uint8_t *bu_pattern_new(size_t extra);
/* Compares len received bytes at stream offset off with the pattern. */
int bu_pattern_check(const uint8_t *pattern, uint64_t off, const uint8_t *data, size_t len);

/* ---- results ----------------------------------------------------------------- */

/* One measured figure. A program writes one CSV line per figure (see
 * BU_CSV_HEADER); scripts/bench.sh concatenates them and bench_report
 * turns them into the tables, JSON and the plot. */
struct bu_result {
    const char *bench;   /* bulk, crr, rr, scale, lossy */
    const char *variant; /* mtu1500, 64B, idle, ... */
    const char *impl;    /* nstack, lwip, linux */
    const char *metric;  /* goodput, conn_rate, ... */
    double value;
    const char *unit;
    int reps;     /* repetitions; value is their median */
    double cpu_s; /* CPU seconds of the median repetition */
    double wall_s;
    char note[256];
};

#define BU_CSV_HEADER "bench,variant,impl,metric,value,unit,reps,cpu_s,wall_s,note"
/* Appends r to the CSV file `path` (stdout if NULL) and echoes it on stderr. */
void bu_result_write(const char *path, const struct bu_result *r);

double bu_median(double *v, int n);

/* ---- progress and arguments ---------------------------------------------------- */

/* A progress line on stderr: "[bench] <tag>: <message>". */
void bu_progress(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Options every program understands:
 *   --out FILE     append result lines to FILE (default: stdout)
 *   --reps N       repetitions per figure (median reported), 3
 *   --seconds S    CPU seconds per timed repetition, 1.0
 *   --full         the long variant (1M connections for scale)
 *   --only NAME    run only the benchmark NAME (bulk, rr, crr, scale, lossy)
 *   --conns N      connections (crr count, scale cap)
 *   --bytes N      bulk: a fixed byte count instead of --seconds (profiling)
 *   --mtu N        bulk: one MTU only
 *   --verify-bytes N  bulk: received bytes compared with what was sent
 *   --impl NAME    report under NAME (e.g. nstack-malloc-tuned for a variant run) */
struct bu_opts {
    const char *out;
    int reps;
    double seconds;
    int full;
    const char *only;
    long conns;
    long verify_bytes; /* bulk: compare this many received bytes with the pattern */
    long long bytes;   /* bulk: measure this many bytes instead of --seconds of CPU */
    int mtu;           /* bulk: this MTU only (0: 1500 and 9000) */
    const char *impl;  /* the name results are reported under (default: the program's stack) */
};

/* Parses argv into o (defaults first). Returns 0, or -1 after printing usage. */
int bu_parse_opts(struct bu_opts *o, int argc, char **argv, const char *prog);
/* Should benchmark `name` run? */
int bu_selected(const struct bu_opts *o, const char *name);
/* o->impl if set, else dflt. */
const char *bu_impl(const struct bu_opts *o, const char *dflt);

#endif
