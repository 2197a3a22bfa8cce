/* Scale: many concurrent established connections between two in-memory
 * stacks (100k by default, 1M with --full), and what they cost:
 *   - heap bytes per idle connection endpoint (mallinfo2 delta, so the
 *     allocator's own chunk headers count, and every table's growth too),
 *   - heap bytes per TIME_WAIT record,
 *   - a timer tick: nst_stack_poll with nothing due, and with every
 *     connection's keepalive timer due at once (probe + answer),
 *   - establishment rate while the tables grow.
 * The 4-tuple space: one client address, one server address, and as many
 * server ports as needed at 16,000 connections each (the ephemeral range
 * holds 16,384 ports per destination). */
#include "bench_nstack.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nst_pair.h"
/* Internal: only to print the sizes of the objects being counted. */
#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_state.h"

#define CONNS_PER_PORT 16000
#define BASE_PORT 20000
#define BATCH 2000

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static size_t rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

struct scale {
    struct np_pair p;
    long n;  /* connections wanted */
    long up; /* connections established and accepted */
    int *cfd, *sfd;
    int *lfd;
    int nports;
};

/* Connects [from, to) (all to the same server port) and accepts them. */
static int connect_batch(struct scale *s, long from, long to)
{
    int port_idx = (int)(from / CONNS_PER_PORT);
    struct nst_sockaddr dst = {s->p.addr_b, (uint16_t)(BASE_PORT + port_idx)};
    for (long i = from; i < to; i++) {
        int c = nst_socket(s->p.a, NST_SOCK_STREAM);
        if (c < 0 || nst_connect(s->p.a, c, &dst) != -EINPROGRESS) {
            bu_progress("scale", "connect %ld failed: %d", i, c < 0 ? c : -errno);
            return -1;
        }
        s->cfd[i] = c;
    }
    np_pump(&s->p);
    for (long i = from; i < to; i++) {
        int fd = nst_accept(s->p.b, s->lfd[port_idx], NULL);
        if (fd < 0) {
            bu_progress("scale", "accept %ld failed: %d", i, fd);
            return -1;
        }
        s->sfd[i] = fd;
        s->up = i + 1;
    }
    return 0;
}

static int open_listeners(struct scale *s)
{
    s->nports = (int)((s->n + CONNS_PER_PORT - 1) / CONNS_PER_PORT);
    s->lfd = calloc((size_t)s->nports, sizeof(int));
    if (!s->lfd)
        return -1;
    for (int i = 0; i < s->nports; i++) {
        int l = nst_socket(s->p.b, NST_SOCK_STREAM);
        if (l < 0 || nst_bind(s->p.b, l, &(struct nst_sockaddr){0, (uint16_t)(BASE_PORT + i)}) ||
            nst_listen(s->p.b, l, BATCH * 2))
            return -1;
        s->lfd[i] = l;
    }
    return 0;
}

__attribute__((noinline)) static int establish_all(struct scale *s)
{
    double c0 = bu_cpu_seconds(), last = c0;
    for (long i = 0; i < s->n;) {
        long to = i + BATCH;
        if (to > s->n)
            to = s->n;
        /* A batch never spans two server ports. */
        long port_end = (i / CONNS_PER_PORT + 1) * CONNS_PER_PORT;
        if (to > port_end)
            to = port_end;
        if (connect_batch(s, i, to) < 0)
            return -1;
        i = to;
        double c = bu_cpu_seconds();
        if (c - last >= 2.0) {
            bu_progress("scale", "%ld/%ld connections established (%.0f per CPU s)", s->up, s->n,
                        (double)s->up / (c - c0));
            last = c;
        }
    }
    return 0;
}

/* nst_stack_poll with nothing due: ns per call. */
static double idle_poll_ns(struct scale *s)
{
    nst_time_t now = np_now(&s->p);
    const long calls = 1000000;
    double c0 = bu_cpu_seconds();
    for (long i = 0; i < calls; i++) {
        nst_stack_poll(s->p.a, now);
        (void)nst_stack_next_deadline(s->p.a);
    }
    return (bu_cpu_seconds() - c0) * 1e9 / (double)calls;
}

/* Every client connection's keepalive timer due at once: CPU ns per
 * connection for arming, for the tick that fires them (a probe each), and
 * for delivering the probes and the answers. */
static int keepalive_tick(struct scale *s, double *arm_ns, double *fire_ns, double *answer_ns)
{
    int one = 1, idle = 1;
    double c0 = bu_cpu_seconds();
    for (long i = 0; i < s->n; i++) {
        if (nst_setsockopt(s->p.a, s->cfd[i], NST_SOL_SOCKET, NST_SO_KEEPALIVE, &one, sizeof(one)) ||
            nst_setsockopt(s->p.a, s->cfd[i], NST_IPPROTO_TCP, NST_TCP_KEEPIDLE, &idle, sizeof(idle)))
            return -1;
    }
    double c1 = bu_cpu_seconds();
    s->p.skew += NST_SEC(2);
    nst_stack_poll(s->p.a, np_now(&s->p));
    double c2 = bu_cpu_seconds();
    np_pump(&s->p);
    double c3 = bu_cpu_seconds();
    const struct nst_stats *st = nst_stack_stats(s->p.a);
    if ((long)st->tcp_keepalive_probes < s->n) {
        bu_progress("scale", "only %llu keepalive probes for %ld connections",
                    (unsigned long long)st->tcp_keepalive_probes, s->n);
        return -1;
    }
    *arm_ns = (c1 - c0) * 1e9 / (double)s->n;
    *fire_ns = (c2 - c1) * 1e9 / (double)s->n;
    *answer_ns = (c3 - c2) * 1e9 / (double)s->n;
    return 0;
}

/* Client closes first: every client connection ends in TIME_WAIT. Reports
 * the CPU ns per connection of the two closes (FIN exchange included),
 * the heap bytes per TIME_WAIT record (measured by letting them all
 * expire) and the CPU ns per record of the tick that expires them. */
__attribute__((noinline)) static int time_wait_cost(struct scale *s, double *close_ns, double *bytes_per_tw,
                                                    double *index_per_tw, size_t *chunk, double *expire_ns,
                                                    long *n_tw)
{
    double c0 = bu_cpu_seconds(), last = c0;
    for (long i = 0; i < s->n; i++)
        nst_close(s->p.a, s->cfd[i]);
    np_pump(&s->p);
    for (long i = 0; i < s->n; i++) {
        nst_close(s->p.b, s->sfd[i]);
        if ((i & 8191) == 8191) {
            np_pump(&s->p);
            double c = bu_cpu_seconds();
            if (c - last >= 2.0) {
                bu_progress("scale", "%ld/%ld server connections closed (%.0f per CPU s)", i + 1, s->n,
                            (double)(i + 1) / (c - c0));
                last = c;
            }
        }
    }
    np_pump(&s->p);
    *close_ns = (bu_cpu_seconds() - c0) * 1e9 / (double)s->n;
    const struct nst_stats *sa = nst_stack_stats(s->p.a);
    if (sa->tcp_tx_resets || sa->tcp_rx_resets) {
        bu_progress("scale", "%llu connections were reset instead of closed",
                    (unsigned long long)(sa->tcp_tx_resets + sa->tcp_rx_resets));
        return -1;
    }
    /* Everything settled: the server side is gone, the client side is
     * TIME_WAIT records only. */
    struct nst_tcp_info dummy;
    int listed = nst_tcp_list(s->p.a, &dummy, 0);
    size_t with_tw = heap_in_use();
    /* What stays allocated when the records are gone: the tuple table's
     * buckets (the expiry FIFO and the shared port entries go with them). */
    double index_bytes = (double)s->p.a->tcp->tws.nbuckets * sizeof(void *);
    /* One record's malloc chunk: usable size + glibc's 8-byte header. */
    *chunk = 0;
    for (size_t i = 0; i < s->p.a->tcp->tws.nbuckets && !*chunk; i++)
        if (s->p.a->tcp->tws.buckets[i])
            *chunk = malloc_usable_size(NST_CONTAINER_OF(s->p.a->tcp->tws.buckets[i], struct nst_tcp_tw, node)) + 8;
    s->p.skew += NST_SEC(120); /* past 2*MSL */
    c0 = bu_cpu_seconds();
    nst_stack_poll(s->p.a, np_now(&s->p));
    double c1 = bu_cpu_seconds();
    int left = nst_tcp_list(s->p.a, &dummy, 0);
    size_t without = heap_in_use();
    *n_tw = listed - left;
    if (*n_tw != s->n) {
        bu_progress("scale", "%ld TIME_WAIT records expired, %ld expected", *n_tw, s->n);
        return -1;
    }
    /* To 0.1 B: a few bytes of other frees in the same tick are noise. */
    *bytes_per_tw = (double)(long)((double)(with_tw - without) / (double)*n_tw * 10 + 0.5) / 10;
    *expire_ns = (c1 - c0) * 1e9 / (double)*n_tw;
    *index_per_tw = index_bytes / (double)*n_tw;
    return 0;
}

static void report(const struct bu_opts *o, const char *variant, const char *metric, double v, const char *unit,
                   double cpu, const char *note)
{
    struct bu_result r = {"scale", variant, bu_impl(o, "nstack"), metric, v, unit, 1, cpu, 0, ""};
    snprintf(r.note, sizeof(r.note), "%s", note);
    bu_result_write(o->out, &r);
}

int bench_nstack_scale(const struct bu_opts *o)
{
    struct scale s;
    memset(&s, 0, sizeof(s));
    s.n = o->conns > 0 ? o->conns : o->full ? 1000000 : 100000;
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    cfg.tcp.max_timewait = (unsigned)s.n + 1024;
    cfg.tcp.max_orphans = (unsigned)s.n + 1024; /* every client closes at once */
    cfg.max_sockets = (unsigned)(s.n + 1024);
    if (cfg.max_sockets < (1u << 20))
        cfg.max_sockets = 1u << 20;
    int rc = -1;
    char note[256];
    s.cfd = calloc((size_t)s.n, sizeof(int));
    s.sfd = calloc((size_t)s.n, sizeof(int));
    if (!s.cfd || !s.sfd || np_pair_init_q(&s.p, 1500, &cfg, 256u << 20) || open_listeners(&s))
        goto done;
    bu_progress("scale", "%ld connections over %d server ports (struct nst_tcp_conn %zu B, nst_tcp_tw %zu B)", s.n,
                s.nports, sizeof(struct nst_tcp_conn), sizeof(struct nst_tcp_tw));
    malloc_trim(0);
    size_t heap0 = heap_in_use(), rss0 = rss_bytes();
    double c0 = bu_cpu_seconds();
    if (establish_all(&s) < 0)
        goto done;
    double est_cpu = bu_cpu_seconds() - c0;
    size_t heap1 = heap_in_use(), rss1 = rss_bytes();
    double per_conn = (double)(heap1 - heap0) / (2.0 * (double)s.n);
    double rss_per = (double)(rss1 - rss0) / (2.0 * (double)s.n);
    char v[32];
    snprintf(v, sizeof(v), "%ldk", s.n / 1000);
    snprintf(note, sizeof(note),
             "%ld connections = %ld endpoints; heap delta / endpoints; RSS delta %.0f B per endpoint; "
             "sizeof(nst_tcp_conn) %zu",
             s.n, 2 * s.n, rss_per, sizeof(struct nst_tcp_conn));
    report(o, v, "bytes_per_idle_conn", per_conn, "bytes", est_cpu, note);
    snprintf(note, sizeof(note), "connect + accept of %ld connections in batches of %d, tables growing", s.n, BATCH);
    report(o, v, "establish_rate", (double)s.n / est_cpu, "connections per CPU s", est_cpu, note);

    double poll_ns = idle_poll_ns(&s);
    snprintf(note, sizeof(note), "nst_stack_poll + next_deadline, nothing due, %ld connections open", s.n);
    report(o, v, "idle_tick", poll_ns, "ns per poll", 0, note);

    double arm_ns, fire_ns, ans_ns;
    if (keepalive_tick(&s, &arm_ns, &fire_ns, &ans_ns) < 0)
        goto done;
    snprintf(note, sizeof(note),
             "all %ld keepalive timers due in one poll (probe sent); arming %.0f ns, delivering probe+answer %.0f ns",
             s.n, arm_ns, ans_ns);
    report(o, v, "timer_fire", fire_ns, "ns per connection", 0, note);

    double per_tw, expire_ns, close_ns;
    long n_tw;
    /* Index space that stays allocated (tables do not shrink): the TIME_WAIT
     * hash buckets and the timer heap slots, per record at the peak. */
    double tw_index = 0;
    size_t tw_chunk = 0;
    if (time_wait_cost(&s, &close_ns, &per_tw, &tw_index, &tw_chunk, &expire_ns, &n_tw) < 0)
        goto done;
    snprintf(note, sizeof(note), "client closes all %ld, then the server: both closes and the FIN exchange", s.n);
    report(o, v, "close", close_ns, "ns per connection", close_ns * 1e-9 * (double)s.n, note);
    snprintf(note, sizeof(note),
             "%ld TIME_WAIT records, heap freed when they expire / records; sizeof(nst_tcp_tw) %zu in a %zu-byte "
             "malloc chunk, the rest their expiry-FIFO slots and shared port entries; plus %.0f B of index per "
             "record that stays (hash buckets)",
             n_tw, sizeof(struct nst_tcp_tw), tw_chunk, tw_index);
    report(o, v, "bytes_per_time_wait", per_tw, "bytes", 0, note);
    snprintf(note, sizeof(note), "one poll expiring %ld TIME_WAIT records", n_tw);
    report(o, v, "tw_expire", expire_ns, "ns per record", 0, note);
    rc = 0;
done:
    if (rc)
        bu_progress("scale", "failed after %ld connections", s.up);
    np_pair_free(&s.p);
    free(s.cfd);
    free(s.sfd);
    free(s.lfd);
    return rc;
}
