/* A long lossy path on the simulator: 80 ms RTT (40 ms each way), 100
 * Mbit/s, a 1000-frame queue, 1 % random loss each way; one bulk
 * connection for 60 virtual seconds, NewReno against CUBIC and BBR. The figure is
 * goodput per virtual second (application bytes delivered in order),
 * the median over three seeds. A loss-free run of the same path is the
 * reference for what the link allows. */
#include "bench_nstack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/nstack.h>

#define LOSSY_SECONDS 60
#define CHUNK 65536

struct lossy_run {
    double mbps;
    uint64_t retrans, rto;
    double cpu_s;
};

struct est_wait {
    struct nst_stack *a, *b;
    int cfd, lfd, sfd;
};

static int established(void *arg)
{
    struct est_wait *e = arg;
    if (e->sfd < 0)
        e->sfd = nst_accept(e->b, e->lfd, NULL);
    return e->sfd >= 0 && (nst_socket_events(e->a, e->cfd) & NST_EV_OUT);
}

static int lossy_once(const char *cc, double loss, uint64_t seed, const uint8_t *pattern, struct lossy_run *out)
{
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    snprintf(cfg.tcp.congestion, sizeof(cfg.tcp.congestion), "%s", cc);
    /* Room for the bandwidth-delay product (100 Mbit/s * 80 ms = 1 MB) and more. */
    cfg.tcp.sndbuf = cfg.tcp.rcvbuf = 4u << 20;
    struct nst_world *w = nst_world_new(seed);
    struct nst_stack *a = nst_world_add_host(w, "sender", &cfg);
    struct nst_stack *b = nst_world_add_host(w, "receiver", &cfg);
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = NST_MSEC(40);
    lp.bandwidth_bps = 100000000ull;
    lp.queue_limit = 1000;
    lp.loss = loss;
    uint8_t *buf = malloc(CHUNK);
    int rc = -1;
    if (!buf || !a || !b || !nst_world_connect(w, a, NST_IP4(10, 0, 0, 1), 24, b, NST_IP4(10, 0, 0, 2), 24, &lp))
        goto done;
    struct est_wait e = {a, b, nst_socket(a, NST_SOCK_STREAM), nst_socket(b, NST_SOCK_STREAM), -1};
    if (nst_bind(b, e.lfd, &(struct nst_sockaddr){0, 5001}) || nst_listen(b, e.lfd, 16) ||
        nst_connect(a, e.cfd, &(struct nst_sockaddr){NST_IP4(10, 0, 0, 2), 5001}) != -EINPROGRESS)
        goto done;
    if (!nst_world_run_until_cond(w, established, &e, NST_SEC(30)))
        goto done;
    double c0 = bu_cpu_seconds();
    nst_time_t t0 = nst_world_now(w), end = t0 + NST_SEC(LOSSY_SECONDS);
    uint64_t sent = 0, rcvd = 0;
    while (nst_world_now(w) < end) {
        ssize_t n;
        while ((n = nst_send(a, e.cfd, pattern + (sent % BU_PATTERN_PERIOD), CHUNK, 0)) > 0)
            sent += (uint64_t)n;
        nst_world_run_for(w, NST_MSEC(2));
        while ((n = nst_recv(b, e.sfd, buf, CHUNK, 0)) > 0) {
            if (bu_pattern_check(pattern, rcvd, buf, (size_t)n) < 0) {
                bu_progress("lossy", "%s: corrupt data at offset %llu", cc, (unsigned long long)rcvd);
                goto done;
            }
            rcvd += (uint64_t)n;
        }
    }
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    nst_getsockopt(a, e.cfd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
    out->mbps = (double)rcvd * 8 / (double)LOSSY_SECONDS / 1e6;
    out->retrans = ti.retransmits;
    out->rto = ti.rto_timeouts;
    out->cpu_s = bu_cpu_seconds() - c0;
    rc = 0;
done:
    free(buf);
    nst_world_free(w);
    return rc;
}

static int lossy_series(const struct bu_opts *o, const char *cc, double loss, const char *variant,
                        const uint8_t *pattern)
{
    enum { SEEDS = 3 };
    double v[SEEDS];
    struct lossy_run runs[SEEDS];
    for (int i = 0; i < SEEDS; i++) {
        if (lossy_once(cc, loss, 1000 + (uint64_t)i, pattern, &runs[i]) < 0) {
            bu_progress("lossy", "%s seed %d failed", cc, i);
            return -1;
        }
        v[i] = runs[i].mbps;
        bu_progress("lossy", "%s %s seed %d: %.2f Mbit/s per virtual s (%llu retransmits, %llu RTOs, %.1f CPU s)",
                    variant, cc, i, runs[i].mbps, (unsigned long long)runs[i].retrans, (unsigned long long)runs[i].rto,
                    runs[i].cpu_s);
    }
    double med = bu_median(v, SEEDS);
    const struct lossy_run *r = &runs[0];
    for (int i = 0; i < SEEDS; i++)
        if (runs[i].mbps == med)
            r = &runs[i];
    char impl[32];
    snprintf(impl, sizeof(impl), "nstack-%s", cc);
    struct bu_result res = {"lossy", variant, impl, "goodput", med, "Mbit/s per virtual s", SEEDS, r->cpu_s, 0, ""};
    snprintf(res.note, sizeof(res.note),
             "simulator: 80 ms RTT, 100 Mbit/s, 1000-frame queue, %g%% loss each way, %d s; %llu retransmits, "
             "%llu RTOs (median seed)",
             loss * 100, LOSSY_SECONDS, (unsigned long long)r->retrans, (unsigned long long)r->rto);
    bu_result_write(o->out, &res);
    return 0;
}

int bench_nstack_lossy(const struct bu_opts *o)
{
    uint8_t *pattern = bu_pattern_new(CHUNK);
    if (!pattern)
        return -1;
    int rc = 0;
    static const char *const ccs[] = {"newreno", "cubic", "bbr"};
    for (int i = 0; i < 3 && !rc; i++)
        rc = lossy_series(o, ccs[i], 0.01, "rtt80ms_loss1pct", pattern);
    for (int i = 0; i < 3 && !rc; i++)
        rc = lossy_series(o, ccs[i], 0.0, "rtt80ms_loss0", pattern);
    free(pattern);
    return rc;
}
