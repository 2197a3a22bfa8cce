/* Bulk transfers between two simulated hosts across an impairment matrix:
 * loss (0, 1, 5, 10 %), duplication, reordering, corruption, an 80 ms RTT,
 * a bandwidth-limited bottleneck with a small queue. In every case every
 * byte arrives exactly once and in order (same count, same hash), and the
 * connection closes cleanly (FIN both ways, TIME_WAIT on the side that
 * closed first, nothing left after 2*MSL).
 *
 * Each case moves a few MB; NST_LONG_TESTS=1 adds a 100 MB case. The
 * goodput of NewReno and CUBIC at 80 ms RTT with 1 % loss on a 100 Mbit/s
 * link is printed. */
#include <errno.h>
#include <stdlib.h>

#include "support/sim_util.h"
#include "test.h"

#include <nstack/tcp_info.h>

#define PORT 5001

struct xfer {
    struct nst_world *w;
    struct nst_stack *srv, *cli;
    int lfd, sfd, cfd;
    uint64_t total, sent, received;
    uint64_t tx_hash, rx_hash;
    uint64_t gen;              /* pattern generator state */
    int cli_shut, srv_eof, srv_closed, cli_eof, cli_closed;
    nst_time_t t_start, t_eof;
    uint8_t buf[65536];
};

static void client_send(struct xfer *x)
{
    while (x->sent < x->total) {
        size_t want = (size_t)(x->total - x->sent);
        if (want > sizeof(x->buf))
            want = sizeof(x->buf);
        /* Generate only what fits: peek the free space first. */
        struct nst_tcp_info ti;
        size_t len = sizeof(ti);
        nst_getsockopt(x->cli, x->cfd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
        size_t room = ti.sndbuf - ti.send_queue;
        if (room == 0)
            return;
        if (want > room)
            want = room;
        uint64_t gen_before = x->gen;
        for (size_t i = 0; i < want; i++)
            x->buf[i] = su_pattern_byte(&x->gen);
        ssize_t n = nst_send(x->cli, x->cfd, x->buf, want, 0);
        if (n == -EAGAIN) {
            /* Still connecting: the bytes are regenerated next time. */
            x->gen = gen_before;
            return;
        }
        CHECK_EQ(n, (long long)want);
        if (n <= 0)
            return;
        x->tx_hash = su_fnv(x->tx_hash, x->buf, (size_t)n);
        x->sent += (uint64_t)n;
    }
    if (!x->cli_shut) {
        CHECK_EQ(nst_shutdown(x->cli, x->cfd, NST_SHUT_WR), 0);
        x->cli_shut = 1;
    }
}

static void server_recv(struct xfer *x)
{
    if (x->sfd < 0) {
        x->sfd = nst_accept(x->srv, x->lfd, NULL);
        if (x->sfd < 0)
            return;
    }
    while (!x->srv_eof) {
        ssize_t n = nst_recv(x->srv, x->sfd, x->buf, sizeof(x->buf), 0);
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            fprintf(stderr, "server recv error %zd\n", n);
            x->srv_eof = 1;
            return;
        }
        if (n == 0) {
            x->srv_eof = 1;
            x->t_eof = nst_world_now(x->w);
            break;
        }
        x->rx_hash = su_fnv(x->rx_hash, x->buf, (size_t)n);
        x->received += (uint64_t)n;
    }
    if (!x->srv_closed) {
        nst_close(x->srv, x->sfd);
        x->srv_closed = 1;
    }
}

static void client_finish(struct xfer *x)
{
    if (!x->cli_shut || x->cli_closed)
        return;
    ssize_t n = nst_recv(x->cli, x->cfd, x->buf, sizeof(x->buf), 0);
    if (n == -EAGAIN)
        return;
    CHECK_EQ(n, 0);
    x->cli_eof = 1;
    nst_close(x->cli, x->cfd);
    x->cli_closed = 1;
}

static int step(void *arg)
{
    struct xfer *x = arg;
    nst_time_t now = nst_world_now(x->w);
    nst_stack_poll(x->srv, now);
    nst_stack_poll(x->cli, now);
    client_send(x);
    server_recv(x);
    client_finish(x);
    return x->cli_closed && x->srv_closed;
}

struct result {
    int ok;
    double goodput_mbps;
    nst_time_t duration;
    uint64_t retransmits;
};

/* Options switched off by run_case's `plain`. */
enum { PLAIN_NONE = 0, PLAIN_NO_OPTIONS = 1 };

static const char *capture_name; /* set: the next case writes this pcap */

static struct result run_case_opts(const char *name, const struct nst_link_params *lp, uint64_t bytes,
                                   const char *cc, int bufsize, uint64_t seed, int plain)
{
    struct result r = {0};
    struct su_pair p;
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    nst_tcp_config_default(&cfg.tcp);
    if (cc)
        snprintf(cfg.tcp.congestion, sizeof(cfg.tcp.congestion), "%s", cc);
    if (plain == PLAIN_NO_OPTIONS)
        cfg.tcp.timestamps = cfg.tcp.sack = cfg.tcp.window_scaling = 0;
    CHECK_EQ(su_pair_build(&p, seed, &cfg, lp), 0);
    if (capture_name) {
        char path[512];
        CHECK_EQ(nst_sim_link_pcap(p.l, su_out_path(path, sizeof(path), capture_name)), 0);
        capture_name = NULL;
    }
    struct xfer *x = calloc(1, sizeof(*x));
    x->w = p.w;
    x->srv = p.a;
    x->cli = p.b;
    x->total = bytes;
    x->gen = 0x9e3779b97f4a7c15ULL ^ seed;
    x->tx_hash = x->rx_hash = SU_FNV_BASIS;
    x->sfd = -1;
    x->lfd = nst_socket(x->srv, NST_SOCK_STREAM);
    if (bufsize) {
        nst_setsockopt(x->srv, x->lfd, NST_SOL_SOCKET, NST_SO_RCVBUF, &bufsize, sizeof(bufsize));
        nst_setsockopt(x->srv, x->lfd, NST_SOL_SOCKET, NST_SO_SNDBUF, &bufsize, sizeof(bufsize));
    }
    struct nst_sockaddr la = {0, PORT};
    CHECK_EQ(nst_bind(x->srv, x->lfd, &la), 0);
    CHECK_EQ(nst_listen(x->srv, x->lfd, 16), 0);
    x->cfd = nst_socket(x->cli, NST_SOCK_STREAM);
    if (bufsize) {
        nst_setsockopt(x->cli, x->cfd, NST_SOL_SOCKET, NST_SO_RCVBUF, &bufsize, sizeof(bufsize));
        nst_setsockopt(x->cli, x->cfd, NST_SOL_SOCKET, NST_SO_SNDBUF, &bufsize, sizeof(bufsize));
    }
    nst_world_run_until(p.w, NST_SEC(1));
    x->t_start = nst_world_now(p.w);
    struct nst_sockaddr sa = {SU_A_ADDR, PORT};
    CHECK_EQ(nst_connect(x->cli, x->cfd, &sa), -EINPROGRESS);
    int done = nst_world_run_until_cond(p.w, step, x, x->t_start + NST_SEC(3000));
    CHECK(done);
    struct nst_tcp_info ti;
    size_t tl = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    /* After the client's close both sides settle: the server's LAST_ACK
     * completes, the client's TIME_WAIT ends after 2*MSL. */
    nst_world_run_for(p.w, NST_SEC(200));
    struct nst_tcp_info v[8];
    int ns = nst_tcp_list(x->srv, v, 8), nc = nst_tcp_list(x->cli, v, 8);
    CHECK_EQ(ns, 1); /* the listener only */
    CHECK_EQ(nc, 0);
    (void)tl;
    r.ok = done && x->received == bytes && x->rx_hash == x->tx_hash && x->srv_eof && x->cli_eof;
    CHECK_EQ(x->received, bytes);
    CHECK(x->rx_hash == x->tx_hash);
    r.duration = x->t_eof - x->t_start;
    r.goodput_mbps = r.duration > 0 ? (double)bytes * 8.0 / ((double)r.duration / 1e9) / 1e6 : 0;
    r.retransmits = nst_stack_stats(x->cli)->tcp_retransmits;
    const struct nst_sim_link_stats *ls = nst_sim_link_stats(p.l, 1);
    fprintf(stderr,
            "  %-26s %7.2f MB %8.3f s %8.2f Mbit/s rtx %5llu rto %4llu fr %4llu lost %5llu dup %4llu reord %4llu corrupt %4llu%s\n",
            name, (double)bytes / 1e6, (double)r.duration / 1e9, r.goodput_mbps, (unsigned long long)r.retransmits,
            (unsigned long long)nst_stack_stats(x->cli)->tcp_rto_timeouts,
            (unsigned long long)nst_stack_stats(x->cli)->tcp_fast_retransmits,
            (unsigned long long)ls->lost, (unsigned long long)ls->duplicated, (unsigned long long)ls->reordered,
            (unsigned long long)ls->corrupted, r.ok ? "" : "  FAILED");
    free(x);
    su_pair_free(&p);
    return r;
}

static struct result run_case(const char *name, const struct nst_link_params *lp, uint64_t bytes, const char *cc,
                              int bufsize, uint64_t seed)
{
    return run_case_opts(name, lp, bytes, cc, bufsize, seed, PLAIN_NONE);
}

static struct nst_link_params params(void)
{
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = NST_MSEC(1);
    return lp;
}

#define MB (1024u * 1024u)

static void test_matrix(void)
{
    struct nst_link_params lp = params();
    capture_name = "tcp_transfer_clean.pcap";
    CHECK(run_case("clean", &lp, 4 * MB, NULL, 0, 1).ok);
    static const double losses[] = {0.01, 0.05, 0.10};
    for (size_t i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof(name), "loss %.0f%%", losses[i] * 100);
        lp = params();
        lp.loss = losses[i];
        if (i == 0)
            capture_name = "tcp_transfer_loss1.pcap";
        CHECK(run_case(name, &lp, 2 * MB, NULL, 0, 10 + i).ok);
    }
    lp = params();
    lp.duplicate = 0.05;
    CHECK(run_case("duplicate 5%", &lp, 2 * MB, NULL, 0, 20).ok);
    lp = params();
    lp.reorder = 0.05;
    CHECK(run_case("reorder 5%", &lp, 2 * MB, NULL, 0, 21).ok);
    lp = params();
    lp.corrupt = 0.02;
    CHECK(run_case("corrupt 2%", &lp, 2 * MB, NULL, 0, 22).ok);
    lp = params();
    lp.latency = NST_MSEC(40);
    CHECK(run_case("rtt 80 ms", &lp, 4 * MB, NULL, 4 * MB, 23).ok);
    lp = params();
    lp.bandwidth_bps = 10000000;
    lp.queue_limit = 16;
    lp.latency = NST_MSEC(10);
    CHECK(run_case("10 Mbit/s, queue 16", &lp, 2 * MB, NULL, 0, 24).ok);
    lp = params();
    lp.loss = 0.02;
    lp.duplicate = 0.02;
    lp.reorder = 0.02;
    lp.corrupt = 0.01;
    lp.latency = NST_MSEC(20);
    CHECK(run_case("all impairments", &lp, 2 * MB, NULL, 0, 25).ok);
    lp = params();
    lp.loss = 0.05;
    CHECK(run_case("loss 5% newreno", &lp, 2 * MB, "newreno", 0, 26).ok);
    lp = params();
    lp.loss = 0.02;
    lp.reorder = 0.02;
    CHECK(run_case_opts("no TS/SACK/WS, loss 2%", &lp, 2 * MB, NULL, 0, 27, PLAIN_NO_OPTIONS).ok);
}

/* The figure the article's reader wants: 80 ms RTT, 1 % loss, 100 Mbit/s. */
static void test_goodput(void)
{
    struct nst_link_params lp = params();
    lp.latency = NST_MSEC(40);
    lp.bandwidth_bps = 100000000;
    lp.queue_limit = 1000;
    lp.loss = 0.01;
    uint64_t bytes = getenv("NST_LONG_TESTS") ? 100ull * MB : 8ull * MB;
    struct result nr = run_case("80ms 1% 100Mbit newreno", &lp, bytes, "newreno", 8 * MB, 30);
    struct result cu = run_case("80ms 1% 100Mbit cubic", &lp, bytes, "cubic", 8 * MB, 30);
    struct result bb = run_case("80ms 1% 100Mbit bbr", &lp, bytes, "bbr", 8 * MB, 30);
    CHECK(nr.ok);
    CHECK(cu.ok);
    CHECK(bb.ok);
    fprintf(stderr,
            "goodput at 80 ms RTT, 1%% loss, 100 Mbit/s: newreno %.2f Mbit/s, cubic %.2f Mbit/s, bbr %.2f Mbit/s\n",
            nr.goodput_mbps, cu.goodput_mbps, bb.goodput_mbps);
    CHECK(nr.goodput_mbps > 1.0);
    CHECK(cu.goodput_mbps > 1.0);
    /* BBR does not take random loss for congestion: it keeps the path
     * full where the loss-based modules keep halving. */
    CHECK(bb.goodput_mbps > 10.0 * cu.goodput_mbps);
}

static void test_long(void)
{
    if (!getenv("NST_LONG_TESTS"))
        return;
    struct nst_link_params lp = params();
    lp.loss = 0.01;
    lp.bandwidth_bps = 1000000000;
    lp.queue_limit = 500;
    CHECK(run_case("100 MB, 1 Gbit/s, loss 1%", &lp, 100ull * MB, NULL, 4 * MB, 40).ok);
}

int main(void)
{
    RUN(test_matrix);
    RUN(test_goodput);
    RUN(test_long);
    return nst_test_done();
}
