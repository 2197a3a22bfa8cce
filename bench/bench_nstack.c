/* nstack benchmarks on two stacks joined in memory: bulk goodput, 64-byte
 * request/response, connection rate, and the message-size sweep (RR and
 * bulk at several sizes, the same harnesses). All figures are per CPU second of the
 * whole process (both stacks, the link's copy and the application's reads
 * and writes included): one thread drives everything. */
#include "bench_nstack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nst_pair.h"

#define CHUNK 65536

/* ---- bulk ------------------------------------------------------------------------- */

struct bulk_run {
    double gbps, cpu_s, wall_s;
    uint64_t bytes, stalls, retrans, segs;
};

/* Sends as much as the socket takes, io bytes per call; returns bytes accepted. */
static uint64_t fill(struct np_pair *p, int fd, const uint8_t *pattern, uint64_t *sent, size_t io)
{
    uint64_t total = 0;
    for (;;) {
        ssize_t n = nst_send(p->a, fd, pattern + (*sent % BU_PATTERN_PERIOD), io, 0);
        if (n <= 0)
            return total;
        *sent += (uint64_t)n;
        total += (uint64_t)n;
    }
}

/* Reads everything readable, io bytes per call; verifies the first
 * verify_bytes of the stream. Returns bytes read, or -1 on corrupt data. */
/* Zero-copy receive: the bytes checked where they lie (nst_recv_zc), then
 * consumed (nst_recv_done), io at a time like the copying reader. */
static int64_t drain_rx_in_place(struct np_pair *p, int fd, const uint8_t *pattern, uint64_t *rcvd,
                                 long verify_bytes, size_t io)
{
    int64_t total = 0;
    struct nst_span sp[2];
    while (nst_recv_zc(p->b, fd, sp) > 0) {
        for (int i = 0; i < 2; i++) {
            for (size_t at = 0; at < sp[i].len;) {
                size_t n = sp[i].len - at < io ? sp[i].len - at : io;
                if (*rcvd < (uint64_t)verify_bytes && bu_pattern_check(pattern, *rcvd, sp[i].base + at, n) < 0)
                    return -1;
                *rcvd += n;
                total += (int64_t)n;
                at += n;
            }
        }
        if (nst_recv_done(p->b, fd, sp[0].len + sp[1].len) < 0)
            return -1;
    }
    return total;
}

static int64_t drain_rx(struct np_pair *p, int fd, uint8_t *buf, const uint8_t *pattern, uint64_t *rcvd,
                        long verify_bytes, size_t io, int in_place)
{
    if (in_place)
        return drain_rx_in_place(p, fd, pattern, rcvd, verify_bytes, io);
    int64_t total = 0;
    for (;;) {
        ssize_t n = nst_recv(p->b, fd, buf, io, 0);
        if (n <= 0)
            return total;
        if (*rcvd < (uint64_t)verify_bytes && bu_pattern_check(pattern, *rcvd, buf, (size_t)n) < 0)
            return -1;
        *rcvd += (uint64_t)n;
        total += n;
    }
}

struct bulk_state {
    struct np_pair p;
    int cfd, sfd;
    uint8_t *buf;
    const uint8_t *pattern;
    long verify_bytes;
    size_t io; /* the application's write and read size */
    int in_place; /* --in-place: zero-copy receive */
    uint64_t sent, rcvd;
};

/* One turn of the loop: the sender writes what fits, frames cross, the
 * receiver reads everything, timers run. Returns bytes + frames moved, or
 * -1 on corrupt data or a deadlock. */
static int64_t bulk_turn(struct bulk_state *b)
{
    uint64_t moved = fill(&b->p, b->cfd, b->pattern, &b->sent, b->io);
    moved += np_pump(&b->p);
    int64_t got = drain_rx(&b->p, b->sfd, b->buf, b->pattern, &b->rcvd, b->verify_bytes, b->io, b->in_place);
    if (got < 0) {
        bu_progress("bulk", "nstack: received bytes differ from those sent near offset %llu",
                    (unsigned long long)b->rcvd);
        return -1;
    }
    moved += (uint64_t)got + np_pump(&b->p);
    np_poll(&b->p);
    if (!moved && np_idle(&b->p) < 0)
        return -1;
    return (int64_t)moved;
}

/* The measured part, a function of its own so that a profiler can count
 * it alone (valgrind --toggle-collect=bulk_steady). Runs until `bytes`
 * more are received (if nonzero) or `seconds` of CPU have passed. */
__attribute__((noinline)) static int bulk_steady(struct bulk_state *b, uint64_t bytes, double seconds)
{
    uint64_t r0 = b->rcvd;
    double c0 = bu_cpu_seconds();
    for (;;) {
        if (bulk_turn(b) < 0)
            return -1;
        if (bytes ? b->rcvd - r0 >= bytes : bu_cpu_seconds() - c0 >= seconds)
            return 0;
    }
}

/* One repetition: MTU mtu, the application writing and reading io bytes
 * per call (io <= CHUNK). */
static int bulk_once_family(uint32_t mtu, size_t io, const struct bu_opts *o, const uint8_t *pattern,
                            struct bulk_run *out, int family)
{
    struct bulk_state b = {.pattern = pattern, .verify_bytes = o->verify_bytes, .io = io, .in_place = o->in_place};
    int rc = -1;
    b.buf = malloc(CHUNK);
    int bad = family == NST_AF_INET6 ? np_pair_init6(&b.p, mtu, NULL) : np_pair_init(&b.p, mtu, NULL);
    if (!b.buf || bad || np_connect(&b.p, 5001, &b.cfd, &b.sfd, NULL))
        goto done;
    /* Warm up: caches, the packet buffer cache, cwnd. */
    while (b.rcvd < (16u << 20))
        if (bulk_turn(&b) < 0)
            goto done;
    b.p.stalls = 0;
    const struct nst_stats *sa = nst_stack_stats(b.p.a);
    uint64_t r0 = b.rcvd, seg0 = sa->tcp_tx_segments, rtx0 = sa->tcp_retransmits;
    double c0 = bu_cpu_seconds(), w0 = (double)bu_mono_ns() * 1e-9;
    if (bulk_steady(&b, (uint64_t)o->bytes, o->seconds) < 0)
        goto done;
    out->cpu_s = bu_cpu_seconds() - c0;
    out->wall_s = (double)bu_mono_ns() * 1e-9 - w0;
    out->bytes = b.rcvd - r0;
    out->gbps = (double)out->bytes * 8 / out->cpu_s / 1e9;
    out->stalls = b.p.stalls;
    out->retrans = sa->tcp_retransmits - rtx0;
    out->segs = sa->tcp_tx_segments - seg0;
    rc = 0;
done:
    np_pair_free(&b.p);
    free(b.buf);
    return rc;
}

static int bulk_once(uint32_t mtu, size_t io, const struct bu_opts *o, const uint8_t *pattern, struct bulk_run *out)
{
    return bulk_once_family(mtu, io, o, pattern, out, NST_AF_INET);
}

/* o->reps repetitions at one MTU and write size, the median written as
 * bench/variant. A failed repetition writes a FAILED row and returns -1. */
static int bulk_series(const struct bu_opts *o, const uint8_t *pattern, uint32_t mtu, size_t io, const char *bench,
                       const char *variant)
{
    double v[16];
    struct bulk_run runs[16];
    int n = o->reps > 16 ? 16 : o->reps;
    struct bu_result res = {bench, variant, bu_impl(o, "nstack"), "goodput", 0, "Gbit/s per CPU s", n, 0, 0, ""};
    for (int i = 0; i < n; i++) {
        if (bulk_once(mtu, io, o, pattern, &runs[i]) < 0) {
            snprintf(res.note, sizeof(res.note), "%s: repetition %d, MTU %u, %zu-byte writes: corrupt data or deadlock",
                     BU_FAILED, i + 1, mtu, io);
            bu_result_write(o->out, &res);
            return -1;
        }
        v[i] = runs[i].gbps;
        bu_progress(bench, "nstack %s mtu %u rep %d/%d: %.2f Gbit/s per CPU s (%.0f MB, %llu stalls)", variant, mtu,
                    i + 1, n, runs[i].gbps, (double)runs[i].bytes / 1e6, (unsigned long long)runs[i].stalls);
    }
    double med = bu_median(v, n);
    const struct bulk_run *r = &runs[0];
    for (int i = 0; i < n; i++)
        if (runs[i].gbps == med)
            r = &runs[i];
    res.value = med;
    res.cpu_s = r->cpu_s;
    res.wall_s = r->wall_s;
    int at = snprintf(res.note, sizeof(res.note),
                      "%.0f MB in %llu segments (%.0f ns each), %llu stalls, %llu retransmits, verified first %ld MB",
                      (double)r->bytes / 1e6, (unsigned long long)r->segs,
                      r->cpu_s * 1e9 / (double)(r->segs ? r->segs : 1), (unsigned long long)r->stalls,
                      (unsigned long long)r->retrans, o->verify_bytes >> 20);
    if (strcmp(bench, "bulk") && at > 0 && (size_t)at < sizeof(res.note))
        snprintf(res.note + at, sizeof(res.note) - (size_t)at, "; MTU %u, %zu-byte writes and reads", mtu, io);
    bu_result_write(o->out, &res);
    return 0;
}

int bench_nstack_bulk(const struct bu_opts *o)
{
    uint8_t *pattern = bu_pattern_new(CHUNK);
    if (!pattern)
        return -1;
    static const uint32_t mtus[] = {1500, 9000};
    int rc = 0;
    for (size_t m = 0; m < 2 && !rc; m++) {
        if (o->mtu && (uint32_t)o->mtu != mtus[m])
            continue;
        rc = bulk_series(o, pattern, mtus[m], CHUNK, "bulk", mtus[m] == 1500 ? "mtu1500" : "mtu9000");
    }
    free(pattern);
    return rc;
}

/* ---- request/response ----------------------------------------------------------- */

/* Reads exactly n bytes from fd on st, pumping and idling as needed. */
static int read_exact(struct np_pair *p, struct nst_stack *st, int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = nst_recv(st, fd, buf + got, n - got, 0);
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r == 0 || r != -EAGAIN)
            return -1;
        if (np_pump(p) == 0 && np_idle(p) < 0)
            return -1;
    }
    return 0;
}

static int write_all(struct np_pair *p, struct nst_stack *st, int fd, const uint8_t *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t r = nst_send(st, fd, buf + put, n - put, 0);
        if (r > 0) {
            put += (size_t)r;
            continue;
        }
        if (r != -EAGAIN)
            return -1;
        if (np_pump(p) == 0 && np_idle(p) < 0)
            return -1;
    }
    return 0;
}

/* The measured transactions run until this many CPU seconds have passed,
 * looked at every (mask + 1) transactions: rarely for small messages (the
 * clock costs a system call), often enough for large ones. */
static uint64_t rr_clock_mask(size_t size) { return size >= 4096 ? 15 : 1023; }

struct rr_bufs {
    uint8_t *req, *resp, *buf;
};

static int rr_bufs_new(struct rr_bufs *b, size_t size)
{
    b->req = malloc(size);
    b->resp = malloc(size);
    b->buf = malloc(size);
    if (!b->req || !b->resp || !b->buf)
        return -1;
    memset(b->req, 'q', size);
    memset(b->resp, 'r', size);
    return 0;
}

static void rr_bufs_free(struct rr_bufs *b)
{
    free(b->req);
    free(b->resp);
    free(b->buf);
}

/* One transaction k: a request of `size` bytes, a response of `size`
 * bytes, each read in full and its tags checked (bench_util.h). */
static int rr_exchange(struct np_pair *p, int cfd, int sfd, struct rr_bufs *b, size_t size, uint64_t k)
{
    bu_rr_stamp(b->req, size, k);
    if (write_all(p, p->a, cfd, b->req, size) || (np_pump(p), read_exact(p, p->b, sfd, b->buf, size)) ||
        bu_rr_check(b->buf, size, k))
        return -1;
    bu_rr_stamp(b->resp, size, k);
    if (write_all(p, p->b, sfd, b->resp, size) || (np_pump(p), read_exact(p, p->a, cfd, b->buf, size)) ||
        bu_rr_check(b->buf, size, k))
        return -1;
    return 0;
}

static int rr_once(const struct bu_opts *o, size_t size, double *rate, double *cpu, double *wall, uint64_t *stalls)
{
    struct np_pair p;
    struct rr_bufs b;
    int cfd, sfd, rc = -1, one = 1;
    memset(&p, 0, sizeof(p));
    if (rr_bufs_new(&b, size) || np_pair_init(&p, 1500, NULL) || np_connect(&p, 5002, &cfd, &sfd, NULL))
        goto done;
    nst_setsockopt(p.a, cfd, NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof(one));
    nst_setsockopt(p.b, sfd, NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof(one));
    uint64_t n = 0, mask = rr_clock_mask(size);
    double c0 = 0, w0 = 0;
    for (;;) {
        if (rr_exchange(&p, cfd, sfd, &b, size, n))
            goto done;
        n++;
        if ((n & 255) == 0)
            np_poll(&p);
        if (n == 1000) {
            c0 = bu_cpu_seconds();
            w0 = (double)bu_mono_ns() * 1e-9;
            p.stalls = 0;
        } else if (n > 1000 && (n & mask) == 0 && bu_cpu_seconds() - c0 >= o->seconds) {
            break;
        }
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *rate = (double)(n - 1000) / *cpu;
    *stalls = p.stalls;
    rc = 0;
done:
    np_pair_free(&p);
    rr_bufs_free(&b);
    return rc;
}

/* o->reps repetitions of RR at one size, written as rr/<size>B (a FAILED
 * row if an exchange fails). */
static int rr_series(const struct bu_opts *o, size_t size)
{
    double v[16], cpu = 0, wall = 0;
    uint64_t stalls = 0;
    int n = o->reps > 16 ? 16 : o->reps;
    char variant[32];
    snprintf(variant, sizeof(variant), "%zuB", size);
    struct bu_result res = {"rr", variant, bu_impl(o, "nstack"), "transactions", 0, "per CPU s", n, 0, 0, ""};
    for (int i = 0; i < n; i++) {
        if (rr_once(o, size, &v[i], &cpu, &wall, &stalls) < 0) {
            bu_progress("rr", "nstack %s: the exchange failed", variant);
            snprintf(res.note, sizeof(res.note), "%s: repetition %d: an exchange failed (error, short or wrong message)",
                     BU_FAILED, i + 1);
            bu_result_write(o->out, &res);
            return -1;
        }
        bu_progress("rr", "nstack %s rep %d/%d: %.0f transactions per CPU s", variant, i + 1, n, v[i]);
    }
    res.value = bu_median(v, n);
    res.cpu_s = cpu;
    res.wall_s = wall;
    snprintf(res.note, sizeof(res.note),
             "one connection, TCP_NODELAY, %llu stalls; every message's length and first/last bytes checked",
             (unsigned long long)stalls);
    bu_result_write(o->out, &res);
    return 0;
}

int bench_nstack_rr(const struct bu_opts *o) { return rr_series(o, 64); }

/* ---- the message-size sweep ------------------------------------------------------------ */

/* RR at every size of --rr-sizes, bulk at MTU 1500 with every write size of
 * --write-sizes. Every point is tried and written, failed or not. */
int bench_nstack_sweep(const struct bu_opts *o)
{
    uint32_t sizes[BU_SWEEP_MAX];
    int rc = 0, n = bu_sweep_rr_sizes(o, sizes);
    for (int i = 0; i < n; i++)
        rc |= rr_series(o, sizes[i]) != 0;
    uint8_t *pattern = bu_pattern_new(CHUNK);
    if (!pattern)
        return -1;
    n = bu_sweep_write_sizes(o, sizes);
    for (int i = 0; i < n; i++) {
        char variant[32];
        snprintf(variant, sizeof(variant), "%uB", sizes[i]);
        rc |= bulk_series(o, pattern, 1500, sizes[i], "bulk-write", variant) != 0;
    }
    free(pattern);
    return rc ? -1 : 0;
}

/* ---- connection rate ----------------------------------------------------------------- */

/* One HTTP/1.0-like exchange: connect, 64-byte request, 64-byte response,
 * the server closes first (TIME_WAIT on the server side), the client
 * reads EOF and closes. Returns 0 when the client's connection is gone. */
__attribute__((noinline)) static int crr_one(struct np_pair *p, int lfd, const uint8_t *req, const uint8_t *resp)
{
    uint8_t buf[64];
    int c = np_socket(p, p->a, 0);
    struct nst_sockaddr to = np_server(p, 80);
    if (c < 0 || nst_connect(p->a, c, &to) != -EINPROGRESS)
        return -1;
    np_pump(p);
    int s;
    while ((s = nst_accept(p->b, lfd, NULL)) == -EAGAIN)
        if (np_idle(p) < 0)
            return -1;
    if (s < 0 || write_all(p, p->a, c, req, 64))
        return -1;
    np_pump(p);
    if (read_exact(p, p->b, s, buf, 64) || write_all(p, p->b, s, resp, 64) || nst_close(p->b, s))
        return -1;
    np_pump(p);
    if (read_exact(p, p->a, c, buf, 64))
        return -1;
    /* EOF: the server's FIN came with (or right after) the response. */
    ssize_t r;
    while ((r = nst_recv(p->a, c, buf, sizeof(buf), 0)) == -EAGAIN)
        if (np_pump(p) == 0 && np_idle(p) < 0)
            return -1;
    if (r != 0 || nst_close(p->a, c))
        return -1;
    np_pump(p);
    return 0;
}

/* noinline: a profile (callgrind --dump-after=crr_once_family) splits the
 * families' repetitions. */
__attribute__((noinline)) static int crr_once_family(long count, double *rate, double *cpu, double *wall, char *note, size_t note_len,
                           int family)
{
    struct np_pair p;
    uint8_t req[64], resp[64];
    memset(req, 'q', sizeof(req));
    memset(resp, 'r', sizeof(resp));
    int rc = -1;
    if (family == NST_AF_INET6 ? np_pair_init6(&p, 1500, NULL) : np_pair_init(&p, 1500, NULL))
        goto done;
    int l = np_socket(&p, p.b, 80);
    if (l < 0 || nst_listen(p.b, l, 1024))
        goto done;
    double c0 = bu_cpu_seconds(), w0 = (double)bu_mono_ns() * 1e-9, last = c0;
    long i;
    for (i = 0; i < count; i++) {
        if (crr_one(&p, l, req, resp) < 0) {
            bu_progress("crr", "nstack: exchange %ld failed", i);
            goto done;
        }
        if ((i & 1023) == 1023) {
            np_poll(&p);
            double c = bu_cpu_seconds();
            if (c - last >= 2.0) {
                bu_progress("crr", "nstack: %ld connections, %.0f per CPU s", i + 1, (double)(i + 1) / (c - c0));
                last = c;
            }
        }
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *rate = (double)count / *cpu;
    const struct nst_stats *sa = nst_stack_stats(p.a), *sb = nst_stack_stats(p.b);
    snprintf(note, note_len,
             "%ld sequential connections, server closes first; %llu TIME_WAIT reopened, %llu resets, %llu stalls",
             count, (unsigned long long)sb->tcp_timewait_reused,
             (unsigned long long)(sa->tcp_rx_resets + sb->tcp_rx_resets), (unsigned long long)p.stalls);
    rc = 0;
done:
    np_pair_free(&p);
    return rc;
}

static int crr_once(long count, double *rate, double *cpu, double *wall, char *note, size_t note_len)
{
    return crr_once_family(count, rate, cpu, wall, note, note_len, NST_AF_INET);
}

int bench_nstack_crr(const struct bu_opts *o)
{
    long count = o->conns > 0 ? o->conns : 10000;
    double v[16], cpu = 0, wall = 0;
    char note[256] = "";
    /* A warm-up repetition, not reported: the first one pays for growing the heap. */
    if (crr_once(count / 5 + 1, &v[0], &cpu, &wall, note, sizeof(note)) < 0)
        return -1;
    int n = o->reps > 16 ? 16 : o->reps;
    for (int i = 0; i < n; i++) {
        if (crr_once(count, &v[i], &cpu, &wall, note, sizeof(note)) < 0)
            return -1;
        bu_progress("crr", "nstack rep %d/%d: %.0f connections per CPU s", i + 1, n, v[i]);
    }
    struct bu_result res = {"crr", "64B", bu_impl(o, "nstack"), "connections", bu_median(v, n), "per CPU s", n, cpu,
                            wall,  ""};
    snprintf(res.note, sizeof(res.note), "%s", note);
    bu_result_write(o->out, &res);
    return 0;
}

/* ---- IPv6 beside IPv4 ------------------------------------------------------------------- */

/* The same bulk and CRR over IPv6, each IPv6 repetition right after an
 * IPv4 one (the machine's drift hits both alike): the row is IPv6's
 * median, its note the ratio to IPv4's median of the same run. */
int bench_nstack_bulk6(const struct bu_opts *o)
{
    uint8_t *pattern = bu_pattern_new(CHUNK);
    if (!pattern)
        return -1;
    int n = o->reps > 16 ? 16 : o->reps;
    double v4[16], v6[16];
    struct bulk_run r4, r6;
    struct bu_result res = {"bulk6", "mtu1500", bu_impl(o, "nstack"), "goodput", 0, "Gbit/s per CPU s", n, 0, 0, ""};
    for (int i = 0; i < n; i++) {
        if (bulk_once_family(1500, CHUNK, o, pattern, &r4, NST_AF_INET) < 0 ||
            bulk_once_family(1500, CHUNK, o, pattern, &r6, NST_AF_INET6) < 0) {
            snprintf(res.note, sizeof(res.note), "%s: repetition %d: corrupt data or deadlock", BU_FAILED, i + 1);
            bu_result_write(o->out, &res);
            free(pattern);
            return -1;
        }
        v4[i] = r4.gbps;
        v6[i] = r6.gbps;
        bu_progress("bulk6", "nstack rep %d/%d: IPv6 %.2f, IPv4 %.2f Gbit/s per CPU s", i + 1, n, v6[i], v4[i]);
    }
    double m4 = bu_median(v4, n), m6 = bu_median(v6, n);
    res.value = m6;
    res.cpu_s = r6.cpu_s;
    res.wall_s = r6.wall_s;
    snprintf(res.note, sizeof(res.note),
             "IPv6/IPv4 = %.3f (IPv4 %.2f Gbit/s, alternating repetitions); %llu retransmits, %llu stalls", m6 / m4,
             m4, (unsigned long long)r6.retrans, (unsigned long long)r6.stalls);
    bu_result_write(o->out, &res);
    free(pattern);
    return 0;
}

int bench_nstack_crr6(const struct bu_opts *o)
{
    long count = o->conns > 0 ? o->conns : 10000;
    double v4[16], v6[16], cpu = 0, wall = 0;
    char note[256] = "", note6[256] = "";
    if (crr_once_family(count / 5 + 1, &v6[0], &cpu, &wall, note6, sizeof(note6), NST_AF_INET6) < 0)
        return -1; /* warm-up */
    int n = o->reps > 16 ? 16 : o->reps;
    for (int i = 0; i < n; i++) {
        if (crr_once_family(count, &v4[i], &cpu, &wall, note, sizeof(note), NST_AF_INET) < 0 ||
            crr_once_family(count, &v6[i], &cpu, &wall, note6, sizeof(note6), NST_AF_INET6) < 0)
            return -1;
        bu_progress("crr6", "nstack rep %d/%d: IPv6 %.0f, IPv4 %.0f connections per CPU s", i + 1, n, v6[i], v4[i]);
    }
    double m4 = bu_median(v4, n), m6 = bu_median(v6, n);
    struct bu_result res = {"crr6", "64B", bu_impl(o, "nstack"), "connections", m6, "per CPU s", n, cpu, wall, ""};
    snprintf(res.note, sizeof(res.note), "IPv6/IPv4 = %.3f (IPv4 %.0f, alternating repetitions); %s", m6 / m4, m4,
             note6);
    bu_result_write(o->out, &res);
    return 0;
}

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    struct bu_opts o;
    if (bu_parse_opts(&o, argc, argv, "nst_bench_nstack"))
        return 2;
    int rc = 0;
    if (bu_selected(&o, "bulk"))
        rc |= bench_nstack_bulk(&o) != 0;
    if (bu_selected(&o, "rr"))
        rc |= bench_nstack_rr(&o) != 0;
    if (bu_selected(&o, "crr"))
        rc |= bench_nstack_crr(&o) != 0;
    if (bu_selected(&o, "bulk6"))
        rc |= bench_nstack_bulk6(&o) != 0;
    if (bu_selected(&o, "crr6"))
        rc |= bench_nstack_crr6(&o) != 0;
    if (bu_selected(&o, "scale"))
        rc |= bench_nstack_scale(&o) != 0;
    if (bu_selected(&o, "lossy"))
        rc |= bench_nstack_lossy(&o) != 0;
    if (bu_selected(&o, "sweep"))
        rc |= bench_nstack_sweep(&o) != 0;
    return rc;
}
