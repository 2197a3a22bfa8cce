/* Helpers shared by the benchmark programs: see bench_util.h. */
#include "bench_util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bu_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t bu_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the frame queue ----------------------------------------------------------
 * Records are [u32 length][u32 unused][frame, padded to 8 bytes]. A record
 * never wraps: when it does not fit before the end of the ring, a marker
 * (length BU_WRAP) says "continue at 0" and the skipped bytes count as used
 * until the reader passes them. */

#define BU_WRAP UINT32_MAX
#define BU_REC_HDR 8u

static size_t rec_size(size_t len) { return BU_REC_HDR + ((len + 7u) & ~(size_t)7u); }

int bu_frameq_init(struct bu_frameq *q, size_t cap)
{
    memset(q, 0, sizeof(*q));
    q->cap = cap & ~(size_t)7u;
    q->buf = malloc(q->cap);
    return q->buf ? 0 : -1;
}

void bu_frameq_free(struct bu_frameq *q)
{
    free(q->buf);
    q->buf = NULL;
}

uint8_t *bu_frameq_reserve(struct bu_frameq *q, size_t len)
{
    size_t need = rec_size(len);
    if (q->used == 0)
        q->head = q->tail = 0; /* empty: start over for the most contiguous room */
    if (q->cap - q->tail < need) {
        /* Does not fit before the end: skip to 0 if the front has room. */
        size_t waste = q->cap - q->tail;
        if (q->used + waste + need > q->cap || q->head < need) {
            q->dropped++;
            return NULL;
        }
        if (waste >= 4)
            memcpy(q->buf + q->tail, &(uint32_t){BU_WRAP}, 4);
        q->used += waste;
        q->tail = 0;
    } else if (q->used + need > q->cap) {
        q->dropped++;
        return NULL;
    }
    uint32_t l = (uint32_t)len;
    memcpy(q->buf + q->tail, &l, 4);
    uint8_t *at = q->buf + q->tail + BU_REC_HDR;
    q->tail += need;
    q->used += need;
    q->frames++;
    q->pushed++;
    q->bytes += len;
    return at;
}

int bu_frameq_push(struct bu_frameq *q, const void *frame, size_t len)
{
    uint8_t *at = bu_frameq_reserve(q, len);
    if (!at)
        return -1;
    memcpy(at, frame, len);
    return 0;
}

/* Steps over a wrap marker (or the end of the ring) at head. */
static void skip_wrap(struct bu_frameq *q)
{
    uint32_t l;
    if (q->head == q->cap) {
        q->head = 0;
        return;
    }
    memcpy(&l, q->buf + q->head, 4);
    if (l == BU_WRAP) {
        q->used -= q->cap - q->head;
        q->head = 0;
    }
}

const uint8_t *bu_frameq_peek(struct bu_frameq *q, size_t *len)
{
    if (!q->frames)
        return NULL;
    skip_wrap(q);
    uint32_t l;
    memcpy(&l, q->buf + q->head, 4);
    *len = l;
    return q->buf + q->head + BU_REC_HDR;
}

void bu_frameq_pop(struct bu_frameq *q)
{
    if (!q->frames)
        return;
    skip_wrap(q);
    uint32_t l;
    memcpy(&l, q->buf + q->head, 4);
    size_t n = rec_size(l);
    q->head += n;
    q->used -= n;
    q->frames--;
    if (q->frames == 0) {
        q->used = 0;
        q->head = q->tail = 0;
    }
}

/* ---- payload pattern ------------------------------------------------------------ */

static uint8_t pattern_byte(uint64_t i)
{
    /* Not a short period and not all-equal words, so a misplaced or
     * duplicated segment shows. */
    uint64_t x = (i % BU_PATTERN_PERIOD) * 0x9E3779B97F4A7C15ull;
    return (uint8_t)(x >> 56);
}

uint8_t *bu_pattern_new(size_t extra)
{
    uint8_t *p = malloc(BU_PATTERN_PERIOD + extra);
    if (!p)
        return NULL;
    for (size_t i = 0; i < BU_PATTERN_PERIOD + extra; i++)
        p[i] = pattern_byte(i);
    return p;
}

int bu_pattern_check(const uint8_t *pattern, uint64_t off, const uint8_t *data, size_t len)
{
    while (len) {
        size_t at = (size_t)(off % BU_PATTERN_PERIOD);
        size_t n = BU_PATTERN_PERIOD - at;
        if (n > len)
            n = len;
        if (memcmp(pattern + at, data, n) != 0)
            return -1;
        off += n;
        data += n;
        len -= n;
    }
    return 0;
}

/* ---- the message-size sweep ---------------------------------------------------------- */

/* Parses "a,b,c" into out (at most BU_SWEEP_MAX sizes of 1..BU_SWEEP_MAX_SIZE);
 * falls back to dflt when list is NULL. -1 on a bad list. */
static int parse_sizes(const char *list, const uint32_t *dflt, int ndflt, uint32_t *out)
{
    if (!list) {
        memcpy(out, dflt, (size_t)ndflt * sizeof(*out));
        return ndflt;
    }
    int n = 0;
    for (const char *p = list; *p && n < BU_SWEEP_MAX;) {
        char *e;
        long v = strtol(p, &e, 10);
        if (e == p || v < 1 || v > (long)BU_SWEEP_MAX_SIZE || (*e && *e != ','))
            return -1;
        out[n++] = (uint32_t)v;
        p = *e ? e + 1 : e;
    }
    return n;
}

int bu_sweep_rr_sizes(const struct bu_opts *o, uint32_t *out)
{
    static const uint32_t dflt[] = {1, 64, 512, 1448, 4096, 16384, 65536};
    return parse_sizes(o->rr_sizes, dflt, (int)(sizeof(dflt) / sizeof(dflt[0])), out);
}

int bu_sweep_write_sizes(const struct bu_opts *o, uint32_t *out)
{
    static const uint32_t dflt[] = {256, 1024, 4096, 16384, 65536};
    return parse_sizes(o->write_sizes, dflt, (int)(sizeof(dflt) / sizeof(dflt[0])), out);
}

/* ---- results ---------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
    /* Notes may hold commas: quote them, doubling any quote. */
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void write_line(FILE *f, const struct bu_result *r)
{
    fprintf(f, "%s,%s,%s,%s,%.6g,%s,%d,%.4f,%.4f,", r->bench, r->variant, r->impl, r->metric, r->value, r->unit,
            r->reps, r->cpu_s, r->wall_s);
    csv_field(f, r->note);
    fputc('\n', f);
}

void bu_result_write(const char *path, const struct bu_result *r)
{
    FILE *f = path ? fopen(path, "a") : stdout;
    if (!f) {
        perror(path);
        return;
    }
    write_line(f, r);
    if (path)
        fclose(f);
    fprintf(stderr, "[result] %s/%s %s %s = %.4g %s (%s)\n", r->bench, r->variant, r->impl, r->metric, r->value,
            r->unit, r->note);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bu_median(double *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- progress and arguments --------------------------------------------------------- */

void bu_progress(const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[bench] %s: ", tag);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--out FILE] [--reps N] [--seconds S] [--full] [--only NAME] [--conns N]\n"
            "          [--verify-bytes N] [--bytes N] [--mtu N] [--impl NAME]\n"
            "          [--rr-sizes N,N,...] [--write-sizes N,N,...] [--in-place]\n",
            prog);
}

int bu_parse_opts(struct bu_opts *o, int argc, char **argv, const char *prog)
{
    memset(o, 0, sizeof(*o));
    o->reps = 3;
    o->seconds = 1.0;
    o->verify_bytes = 64L << 20;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--full")) {
            o->full = 1;
        } else if (!strcmp(a, "--in-place")) {
            o->in_place = 1;
        } else if (!v) {
            usage(prog);
            return -1;
        } else if (!strcmp(a, "--out")) {
            o->out = v, i++;
        } else if (!strcmp(a, "--reps")) {
            o->reps = atoi(v), i++;
        } else if (!strcmp(a, "--seconds")) {
            o->seconds = atof(v), i++;
        } else if (!strcmp(a, "--only")) {
            o->only = v, i++;
        } else if (!strcmp(a, "--conns")) {
            o->conns = atol(v), i++;
        } else if (!strcmp(a, "--verify-bytes")) {
            o->verify_bytes = atol(v), i++;
        } else if (!strcmp(a, "--bytes")) {
            o->bytes = atoll(v), i++;
        } else if (!strcmp(a, "--mtu")) {
            o->mtu = atoi(v), i++;
        } else if (!strcmp(a, "--impl")) {
            o->impl = v, i++;
        } else if (!strcmp(a, "--rr-sizes")) {
            o->rr_sizes = v, i++;
        } else if (!strcmp(a, "--write-sizes")) {
            o->write_sizes = v, i++;
        } else {
            usage(prog);
            return -1;
        }
    }
    if (o->reps < 1)
        o->reps = 1;
    if (o->seconds <= 0)
        o->seconds = 1.0;
    uint32_t sizes[BU_SWEEP_MAX];
    if (bu_sweep_rr_sizes(o, sizes) < 0 || bu_sweep_write_sizes(o, sizes) < 0) {
        fprintf(stderr, "%s: sizes are 1..%u, comma-separated\n", prog, BU_SWEEP_MAX_SIZE);
        return -1;
    }
    return 0;
}

int bu_selected(const struct bu_opts *o, const char *name)
{
    if (!o->only)
        return 1;
    /* --only takes a comma-separated list. */
    size_t n = strlen(name);
    for (const char *p = o->only; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && !strncmp(p, name, n))
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

const char *bu_impl(const struct bu_opts *o, const char *dflt) { return o->impl ? o->impl : dflt; }
