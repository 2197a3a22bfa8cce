/* Helpers shared by every benchmark program (nstack, lwIP, Linux): clocks,
 * the in-memory frame queue that joins two stacks, result records,
 * progress lines and argument parsing. Nothing here depends on a stack, so
 * the lwIP program (whose symbols clash with nstack's) can use it too. */
#ifndef NST_BENCH_UTIL_H
#define NST_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bu_opts;

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

/* ---- request/response messages ---------------------------------------------------
 * Request and response k of an RR run are `size` bytes; the first and the
 * last byte of each carry a tag of k, every other byte is a fill (q or r,
 * which no tag equals). Reading exactly `size` bytes per message and
 * finding both tags of message k checks every message's length: a short
 * or long message shifts the stream and the next tags no longer match. */

/* The tag of message k: 0x80..0xFE, never a fill byte. Inline, as the
 * stamps and checks below: they run twice per transaction and must not
 * weigh on a 64-byte RR figure. */
static inline uint8_t bu_rr_tag(uint64_t k) { return (uint8_t)(0x80u + k % 127u); }

/* Writes message k's tags into msg (size bytes, filled beforehand). */
static inline void bu_rr_stamp(uint8_t *msg, size_t size, uint64_t k)
{
    msg[0] = bu_rr_tag(k);
    msg[size - 1] = bu_rr_tag(k);
}

/* 0 if msg (size bytes) holds message k's tags, -1 if not. */
static inline int bu_rr_check(const uint8_t *msg, size_t size, uint64_t k)
{
    return msg[0] == bu_rr_tag(k) && msg[size - 1] == bu_rr_tag(k) ? 0 : -1;
}

/* ---- the message-size sweep ----------------------------------------------------------
 * RR at several request/response sizes, bulk goodput at MTU 1500 with
 * several application write/read sizes (bench "sweep"). Rows are
 * rr/<size>B and bulk-write/<size>B; a point that fails is still written,
 * with value 0 and a note starting with BU_FAILED. */
#define BU_SWEEP_MAX 16
#define BU_FAILED "FAILED"
/* The RR sizes (--rr-sizes, default 1,64,512,1448,4096,16384,65536) into
 * out; returns how many. */
int bu_sweep_rr_sizes(const struct bu_opts *o, uint32_t *out);
/* The bulk write/read sizes (--write-sizes, default 256,1024,4096,16384,65536). */
int bu_sweep_write_sizes(const struct bu_opts *o, uint32_t *out);
/* The largest size either list may hold (buffers are sized for it). */
#define BU_SWEEP_MAX_SIZE 65536u

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
 *   --impl NAME    report under NAME (e.g. nstack-malloc-tuned for a variant run)
 *   --rr-sizes L   sweep: the RR message sizes, comma-separated (at most 65536)
 *   --write-sizes L  sweep: the bulk write/read sizes, comma-separated (at most 65536) */
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
    const char *rr_sizes;    /* sweep: RR sizes (NULL: the defaults) */
    const char *write_sizes; /* sweep: bulk write sizes (NULL: the defaults) */
    int in_place;      /* bulk: the receiver reads in place (nstack: nst_recv_zc; lwIP: its pbufs),
                          checking the bytes there instead of copying them out first */
};

/* Parses argv into o (defaults first). Returns 0, or -1 after printing usage. */
int bu_parse_opts(struct bu_opts *o, int argc, char **argv, const char *prog);
/* Should benchmark `name` run? */
int bu_selected(const struct bu_opts *o, const char *name);
/* o->impl if set, else dflt. */
const char *bu_impl(const struct bu_opts *o, const char *dflt);

#endif
