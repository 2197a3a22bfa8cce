/* Ports at full scale (RFC 6056 and the article's "Ports" section): a
 * connection is a 4-tuple, so one client address can hold exactly as many
 * connections to one server address and port as the ephemeral range has
 * ports, 16,384 by default (49152-65535). Past that connect() fails at once
 * with EADDRNOTAVAIL, TIME_WAIT records included, and counts it; another
 * destination port or address is another set of 4-tuples. The fixes: a
 * second source address (bind before connect, or the stack's round-robin
 * source list), a wider range, and TIME_WAIT reuse when timestamps make it
 * safe. Also SO_REUSEADDR for a restarting listener. All on the simulator,
 * in virtual time; the wall time of the big runs is printed. */
#include <errno.h>
#include <time.h>

#include <nstack/inspect.h>

#include "support/load_util.h"
#include "test.h"

#define RANGE 16384 /* 65535 - 49152 + 1 */
#define HTTP 80

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const struct nst_stats *stats(struct nst_stack *st) { return nst_stack_stats(st); }

/* Every local port of the client's TCP entries toward dst, each once. */
static int distinct_ports(struct nst_stack *st, nst_ip4_t laddr, uint16_t lo, uint16_t hi, int *count)
{
    static uint8_t seen[65536];
    memset(seen, 0, sizeof(seen));
    int n = nst_sock_list(st, NULL, 0), dup = 0, out_of_range = 0;
    struct nst_sock_entry *v = calloc((size_t)n + 1, sizeof(*v));
    n = nst_sock_list(st, v, n);
    *count = 0;
    for (int i = 0; i < n; i++) {
        if (v[i].proto != NST_INSPECT_TCP || v[i].local.addr != laddr)
            continue;
        uint16_t p = v[i].local.port;
        out_of_range += p < lo || p > hi;
        dup += seen[p]++ != 0;
        (*count)++;
    }
    free(v);
    return dup == 0 && out_of_range == 0;
}

/* Opens n connections to dst and runs the world until they are up; the
 * server accepts them all. Returns how many went out; *err as lu_open. */
static int open_and_establish(struct lu_world *lw, int lfd, const struct nst_sockaddr *dst, int n,
                              const struct lu_open_opts *o, int *err)
{
    int k = lu_open(lw, dst, n, o, NULL, err);
    nst_world_run_for(lw->w, NST_MSEC(10));
    lu_accept_all(lw, lfd, NULL, 0);
    return k;
}

/* The client's config: the ephemeral range lo-hi (lo 0: the default's),
 * and the source list {src0, LU_CLI_B} when src0 is not 0. */
static struct nst_stack_config client_cfg(uint16_t lo, uint16_t hi, nst_ip4_t src0)
{
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    if (lo) {
        cfg.ephemeral_lo = lo;
        cfg.ephemeral_hi = hi;
    }
    if (src0) {
        cfg.tcp.source_addrs[0] = src0;
        cfg.tcp.source_addrs[1] = LU_CLI_B;
        cfg.tcp.n_source_addrs = 2;
    }
    return cfg;
}

/* The world built with `seed` and the client's cfg (may be NULL), checked;
 * the server listens on HTTP. Returns the listener. */
static int build_listening(struct lu_world *lw, uint64_t seed, const struct nst_stack_config *cfg)
{
    CHECK_EQ(lu_build(lw, seed, cfg, NULL), 0);
    return lu_listen(lw, HTTP, 0);
}

/* The article's figure: 16,384 connections from one address to one
 * server address:port, then EADDRNOTAVAIL at once (no SYN sent, nothing
 * waits), counted once; a different port or server address still works. */
static void test_exhaustion_default_range(void)
{
    struct lu_world lw;
    int lfd = build_listening(&lw, 1, NULL), lfd81 = lu_listen(&lw, 81, 0);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    double t0 = wall();
    int err;
    int n = open_and_establish(&lw, lfd, &dst, RANGE + 1, NULL, &err);
    double took = wall() - t0;
    fprintf(stderr, "  16385 connect() calls and 16384 handshakes: %.3f s of wall time\n", took);
    CHECK_EQ(n, RANGE);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    CHECK_EQ(stats(lw.cli)->tcp_port_exhausted, 1);
    CHECK_EQ(stats(lw.cli)->tcp_active_opens, RANGE);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_ESTABLISHED), RANGE);
    CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_ESTABLISHED), RANGE);
    int count;
    CHECK(distinct_ports(lw.cli, LU_CLI_A, 49152, 65535, &count));
    CHECK_EQ(count, RANGE);
    /* The failing call sent nothing. */
    uint64_t segs = stats(lw.cli)->tcp_tx_segments;
    CHECK_EQ(lu_open(&lw, &dst, 1, NULL, NULL, &err), 0);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    CHECK_EQ(stats(lw.cli)->tcp_tx_segments, segs);
    CHECK_EQ(stats(lw.cli)->tcp_port_exhausted, 2);
    /* Another destination port, another server address: new 4-tuples. */
    struct nst_sockaddr dst81 = {LU_SRV_A, 81}, dst_b = {LU_SRV_B, HTTP};
    CHECK_EQ(open_and_establish(&lw, lfd81, &dst81, 1, NULL, &err), 1);
    CHECK_EQ(err, 0);
    CHECK_EQ(open_and_establish(&lw, lfd, &dst_b, 1, NULL, &err), 1);
    CHECK_EQ(err, 0);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_ESTABLISHED), RANGE + 2);
    CHECK_EQ(stats(lw.cli)->tcp_port_exhausted, 2);
    /* One connection aborted (RST: no TIME_WAIT) gives its port back at
     * once: the very next connect() gets it. */
    struct nst_sock_entry e;
    CHECK_EQ(nst_sock_list(lw.cli, &e, 1), RANGE + 2);
    int victim = -1;
    for (int fd = 0; fd < RANGE + 8 && victim < 0; fd++) {
        struct nst_sockaddr me, peer;
        if (nst_getsockname(lw.cli, fd, &me) == 0 && nst_getpeername(lw.cli, fd, &peer) == 0 &&
            me.addr == LU_CLI_A && peer.port == HTTP)
            victim = fd;
    }
    struct nst_sockaddr freed;
    nst_getsockname(lw.cli, victim, &freed);
    struct nst_linger abort_close = {1, 0};
    nst_setsockopt(lw.cli, victim, NST_SOL_SOCKET, NST_SO_LINGER, &abort_close, sizeof(abort_close));
    CHECK_EQ(nst_close(lw.cli, victim), 0);
    int fd;
    CHECK_EQ(lu_open(&lw, &dst, 1, NULL, &fd, &err), 1);
    struct nst_sockaddr got;
    nst_getsockname(lw.cli, fd, &got);
    CHECK_EQ(got.port, freed.port);
    CHECK_EQ(lu_open(&lw, &dst, 1, NULL, NULL, &err), 0);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    lu_free(&lw);
}

/* Fix 1a: bind() to a second address before connect(): twice as many.
 * A plain bind(addr, 0) takes a port of that address for good, so it is
 * bind that fails when they are gone. */
static void test_second_address_bind(void)
{
    struct lu_world lw;
    int lfd = build_listening(&lw, 2, NULL);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    int err;
    double t0 = wall();
    CHECK_EQ(open_and_establish(&lw, lfd, &dst, RANGE + 1, NULL, &err), RANGE);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    struct lu_open_opts b = {.bind_addr = LU_CLI_B};
    CHECK_EQ(open_and_establish(&lw, lfd, &dst, RANGE + 1, &b, &err), RANGE);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    fprintf(stderr, "  2 x 16384 connections from two addresses: %.3f s of wall time\n", wall() - t0);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_ESTABLISHED), 2 * RANGE);
    CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_ESTABLISHED), 2 * RANGE);
    int count;
    CHECK(distinct_ports(lw.cli, LU_CLI_B, 49152, 65535, &count));
    CHECK_EQ(count, RANGE);
    CHECK_EQ(stats(lw.cli)->tcp_port_exhausted, 2); /* the connect, then the bind */
    lu_free(&lw);
}

/* bind(addr, 0) holds a port against every destination; with
 * NST_IP_BIND_ADDRESS_NO_PORT (Linux's IP_BIND_ADDRESS_NO_PORT) the port
 * is chosen by connect() per 4-tuple, so one address serves the whole
 * range toward each destination, and connect() is what fails. */
static void test_bind_address_no_port(void)
{
    struct nst_stack_config cfg = client_cfg(50000, 50003, 0);
    struct lu_world lw;
    build_listening(&lw, 9, &cfg);
    lu_listen(&lw, 81, 0);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP}, dst81 = {LU_SRV_A, 81};
    struct lu_open_opts plain = {.bind_addr = LU_CLI_B}, nb = {.bind_addr = LU_CLI_B, .bind_no_port = 1};
    int err;
    CHECK_EQ(lu_open(&lw, &dst, 5, &plain, NULL, &err), 4);
    CHECK_EQ(err, -EADDRNOTAVAIL); /* from bind */
    CHECK_EQ(lu_open(&lw, &dst81, 1, &nb, NULL, &err), 0);
    CHECK_EQ(err, -EADDRNOTAVAIL); /* the bound ports are taken for every destination */
    lu_free(&lw);

    build_listening(&lw, 9, &cfg);
    lu_listen(&lw, 81, 0);
    int fds[4];
    CHECK_EQ(lu_open(&lw, &dst, 5, &nb, fds, &err), 4);
    CHECK_EQ(err, -EADDRNOTAVAIL); /* from connect */
    CHECK_EQ(stats(lw.cli)->tcp_port_exhausted, 1);
    CHECK_EQ(lu_open(&lw, &dst81, 5, &nb, NULL, &err), 4);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    struct nst_sockaddr me;
    CHECK_EQ(nst_getsockname(lw.cli, fds[0], &me), 0);
    CHECK_EQ(me.addr, LU_CLI_B);
    CHECK(me.port >= 50000 && me.port <= 50003);
    int one = 1, fd = nst_socket(lw.cli, NST_SOCK_STREAM);
    nst_setsockopt(lw.cli, fd, NST_IPPROTO_IP, NST_IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    struct nst_sockaddr a = {LU_CLI_B, 0};
    CHECK_EQ(nst_bind(lw.cli, fd, &a), 0);
    CHECK_EQ(nst_getsockname(lw.cli, fd, &me), 0);
    CHECK_EQ(me.port, 0);
    CHECK_EQ(nst_bind(lw.cli, fd, &a), -EINVAL); /* bound once */
    size_t len = sizeof(one);
    one = 0;
    CHECK_EQ(nst_getsockopt(lw.cli, fd, NST_IPPROTO_IP, NST_IP_BIND_ADDRESS_NO_PORT, &one, &len), 0);
    CHECK_EQ(one, 1);
    lu_free(&lw);
}

/* Fix 1b: the stack's source address list, round robin: unbound
 * connect() calls alternate between the addresses and move on when one is
 * exhausted toward the destination. */
static void test_source_addrs_round_robin(void)
{
    struct nst_stack_config cfg = client_cfg(0, 0, LU_CLI_A);
    struct lu_world lw;
    int lfd = build_listening(&lw, 3, &cfg);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    int fds[4], err;
    CHECK_EQ(lu_open(&lw, &dst, 4, NULL, fds, &err), 4);
    nst_ip4_t want[4] = {LU_CLI_A, LU_CLI_B, LU_CLI_A, LU_CLI_B};
    for (int i = 0; i < 4; i++) {
        struct nst_sockaddr me;
        nst_getsockname(lw.cli, fds[i], &me);
        CHECK_EQ(me.addr, want[i]);
    }
    CHECK_EQ(open_and_establish(&lw, lfd, &dst, 2 * RANGE, NULL, &err), 2 * RANGE - 4);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    CHECK_EQ(stats(lw.cli)->tcp_port_exhausted, 1);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_ESTABLISHED), 2 * RANGE);
    int ca, cb;
    CHECK(distinct_ports(lw.cli, LU_CLI_A, 49152, 65535, &ca));
    CHECK(distinct_ports(lw.cli, LU_CLI_B, 49152, 65535, &cb));
    CHECK_EQ(ca, RANGE);
    CHECK_EQ(cb, RANGE);
    lu_free(&lw);
}

/* One address of the list already exhausted toward the destination (by
 * connections bound to it): the others take the load, and the exhausted
 * one is not searched port by port again for every connect(). */
static void test_source_addrs_one_exhausted(void)
{
    struct nst_stack_config cfg = client_cfg(0, 0, LU_CLI_A);
    struct lu_world lw;
    int lfd = build_listening(&lw, 10, &cfg);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    struct lu_open_opts on_a = {.bind_addr = LU_CLI_A, .bind_no_port = 1};
    int err;
    CHECK_EQ(open_and_establish(&lw, lfd, &dst, RANGE + 1, &on_a, &err), RANGE);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    double t0 = wall();
    CHECK_EQ(open_and_establish(&lw, lfd, &dst, RANGE + 1, NULL, &err), RANGE);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    fprintf(stderr, "  16384 connections through the list, its first address exhausted: %.3f s of wall time\n",
            wall() - t0);
    int cb;
    CHECK(distinct_ports(lw.cli, LU_CLI_B, 49152, 65535, &cb));
    CHECK_EQ(cb, RANGE);
    CHECK_EQ(stats(lw.cli)->tcp_port_exhausted, 2);
    lu_free(&lw);
}

/* A source list entry that is not one of ours is skipped. */
static void test_source_addrs_skip_foreign(void)
{
    struct nst_stack_config cfg = client_cfg(50000, 50001, NST_IP4(192, 0, 2, 1));
    struct lu_world lw;
    build_listening(&lw, 4, &cfg);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    int fds[2], err;
    CHECK_EQ(lu_open(&lw, &dst, 3, NULL, fds, &err), 2);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    struct nst_sockaddr me;
    nst_getsockname(lw.cli, fds[0], &me);
    CHECK_EQ(me.addr, LU_CLI_B);
    lu_free(&lw);
}

/* Fix 2: a wider range. Linux's default, 32768-60999, gives 28,232. */
static void test_wider_range(void)
{
    struct nst_stack_config cfg = client_cfg(32768, 60999, 0);
    struct lu_world lw;
    int lfd = build_listening(&lw, 5, &cfg);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    int err, count;
    CHECK_EQ(open_and_establish(&lw, lfd, &dst, 60999 - 32768 + 2, NULL, &err), 28232);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_ESTABLISHED), 28232);
    CHECK(distinct_ports(lw.cli, LU_CLI_A, 32768, 60999, &count));
    CHECK_EQ(count, 28232);
    lu_free(&lw);
}

/* Closes every client connection (the client closes first: TIME_WAIT is
 * the client's) and lets the server close its side on EOF. Returns the
 * time the client's records entered TIME_WAIT. */
static nst_time_t client_closes_all(struct lu_world *lw, int *cfds, int n, int *sfds, int ns)
{
    for (int i = 0; i < n; i++)
        nst_close(lw->cli, cfds[i]);
    nst_world_run_for(lw->w, NST_MSEC(10)); /* FIN, ACK: server in CLOSE_WAIT */
    for (int i = 0; i < ns; i++)
        nst_close(lw->srv, sfds[i]);
    nst_time_t fin_sent = nst_world_now(lw->w);
    nst_world_run_for(lw->w, NST_MSEC(10)); /* server FIN, client ACK: TIME_WAIT */
    return fin_sent + NST_MSEC(1);          /* one link latency */
}

/* n connections to dst (checked), accepted by the server (checked), then
 * closed by the client first: client_closes_all's time. cfds and sfds
 * get the descriptors (room for n each). */
static nst_time_t open_accept_close(struct lu_world *lw, int lfd, const struct nst_sockaddr *dst, int n, int *cfds,
                                    int *sfds)
{
    int err;
    CHECK_EQ(lu_open(lw, dst, n, NULL, cfds, &err), n);
    nst_world_run_for(lw->w, NST_MSEC(10));
    CHECK_EQ(lu_accept_all(lw, lfd, sfds, n), n);
    return client_closes_all(lw, cfds, n, sfds, n);
}

/* TIME_WAIT records hold their ports: with all 16,384 in TIME_WAIT the
 * next connect fails until exactly 2*MSL (60 s) after they began; with
 * NST_TCP_TW_REUSE and timestamps one may be taken over a second after. */
static void test_time_wait_holds_ports(void)
{
    struct lu_world lw;
    int lfd = build_listening(&lw, 6, NULL);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    int *cfds = calloc(RANGE, sizeof(int)), *sfds = calloc(RANGE, sizeof(int));
    int err;
    double t0 = wall();
    nst_time_t tw_start = open_accept_close(&lw, lfd, &dst, RANGE, cfds, sfds);
    fprintf(stderr, "  16384 connections opened and closed to TIME_WAIT: %.3f s of wall time\n", wall() - t0);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_TIME_WAIT), RANGE);
    CHECK_EQ(nst_sock_list(lw.cli, NULL, 0), RANGE + 0); /* nothing but the records */
    CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_LISTEN), 1);
    CHECK_EQ(nst_sock_list(lw.srv, NULL, 0), 1);
    struct nst_sock_entry e;
    CHECK_EQ(nst_sock_list(lw.cli, &e, 1), RANGE);
    CHECK_EQ(e.state_since, tw_start);
    CHECK_EQ(e.tcp.timer_expires, tw_start + NST_SEC(60));
    /* Exhausted, TIME_WAIT counting as use. */
    CHECK_EQ(lu_open(&lw, &dst, 1, NULL, NULL, &err), 0);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    CHECK_EQ(stats(lw.cli)->tcp_port_exhausted, 1);
    /* Opting in too early (under a second): still no. */
    struct lu_open_opts reuse = {.tw_reuse = 1};
    CHECK_EQ(lu_open(&lw, &dst, 1, &reuse, NULL, &err), 0);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    /* A second later, with reuse: a TIME_WAIT port carries a new connection. */
    nst_world_run_until(lw.w, tw_start + NST_SEC(1));
    int fd;
    CHECK_EQ(lu_open(&lw, &dst, 1, &reuse, &fd, &err), 1);
    CHECK_EQ(stats(lw.cli)->tcp_timewait_reused, 1);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_TIME_WAIT), RANGE - 1);
    nst_world_run_for(lw.w, NST_MSEC(10));
    CHECK_EQ(lu_accept_all(&lw, lfd, NULL, 0), 1);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_ESTABLISHED), 1);
    /* Without reuse: nothing until 2*MSL is over, to the nanosecond. */
    nst_world_run_until(lw.w, tw_start + NST_SEC(60) - 1);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_TIME_WAIT), RANGE - 1);
    CHECK_EQ(lu_open(&lw, &dst, 1, NULL, NULL, &err), 0);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    nst_world_run_until(lw.w, tw_start + NST_SEC(60));
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_TIME_WAIT), 0);
    CHECK_EQ(lu_open(&lw, &dst, 1, NULL, NULL, &err), 1);
    CHECK_EQ(err, 0);
    free(cfds);
    free(sfds);
    lu_free(&lw);
}

/* Reuse needs timestamps: without them (PAWS cannot tell old segments
 * from new) the option changes nothing. */
static void test_time_wait_reuse_needs_timestamps(void)
{
    struct nst_stack_config cfg = client_cfg(50000, 50000, 0);
    cfg.tcp.timestamps = 0;
    struct lu_world lw;
    int lfd = build_listening(&lw, 7, &cfg);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    int cfd, sfd, err;
    nst_time_t tw_start = open_accept_close(&lw, lfd, &dst, 1, &cfd, &sfd);
    nst_world_run_until(lw.w, tw_start + NST_SEC(5));
    struct lu_open_opts reuse = {.tw_reuse = 1};
    CHECK_EQ(lu_open(&lw, &dst, 1, &reuse, NULL, &err), 0);
    CHECK_EQ(err, -EADDRNOTAVAIL);
    /* The stack-wide default (Linux's tcp_tw_reuse) is the same switch. */
    lu_free(&lw);
    cfg.tcp.timestamps = 1;
    cfg.tcp.tw_reuse = 1;
    lfd = build_listening(&lw, 7, &cfg);
    tw_start = open_accept_close(&lw, lfd, &dst, 1, &cfd, &sfd);
    nst_world_run_until(lw.w, tw_start + NST_SEC(1));
    CHECK_EQ(lu_open(&lw, &dst, 1, NULL, NULL, &err), 1);
    CHECK_EQ(stats(lw.cli)->tcp_timewait_reused, 1);
    lu_free(&lw);
}

/* SO_REUSEADDR for a restarting server: its actively closed connections
 * leave TIME_WAIT records on port 80; a new listener's bind fails with
 * EADDRINUSE unless it sets SO_REUSEADDR. Accepted connections still open
 * after the listener closed hold the port too. */
static void test_listener_restart_reuseaddr(void)
{
    struct lu_world lw;
    int lfd = build_listening(&lw, 8, NULL);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    int cfds[3], sfds[3], err;
    CHECK_EQ(lu_open(&lw, &dst, 3, NULL, cfds, &err), 3);
    nst_world_run_for(lw.w, NST_MSEC(10));
    CHECK_EQ(lu_accept_all(&lw, lfd, sfds, 3), 3);
    /* The server closes two first (TIME_WAIT on its side), keeps one. */
    nst_close(lw.srv, sfds[0]);
    nst_close(lw.srv, sfds[1]);
    nst_world_run_for(lw.w, NST_MSEC(10));
    nst_close(lw.cli, cfds[0]);
    nst_close(lw.cli, cfds[1]);
    nst_world_run_for(lw.w, NST_MSEC(10));
    CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_TIME_WAIT), 2);
    nst_close(lw.srv, lfd);
    /* Port 80 is held by an open connection and two records. */
    CHECK_EQ(lu_listen(&lw, HTTP, 0), -EADDRINUSE);
    CHECK_EQ(lu_listen(&lw, HTTP, 1), -EADDRINUSE); /* the open one did not set SO_REUSEADDR */
    nst_close(lw.srv, sfds[2]);
    nst_world_run_for(lw.w, NST_MSEC(10));
    nst_close(lw.cli, cfds[2]);
    nst_world_run_for(lw.w, NST_MSEC(10));
    CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_TIME_WAIT), 3);
    CHECK_EQ(lu_listen(&lw, HTTP, 0), -EADDRINUSE);
    int l2 = lu_listen(&lw, HTTP, 1);
    CHECK(l2 >= 0);
    /* One listener per port, SO_REUSEADDR or not. */
    CHECK_EQ(lu_listen(&lw, HTTP, 1), -EADDRINUSE);
    /* The restarted server serves at once. */
    CHECK_EQ(lu_open(&lw, &dst, 1, NULL, NULL, &err), 1);
    nst_world_run_for(lw.w, NST_MSEC(10));
    CHECK_EQ(lu_accept_all(&lw, l2, NULL, 0), 1);
    lu_free(&lw);
}

int main(void)
{
    RUN(test_exhaustion_default_range);
    RUN(test_second_address_bind);
    RUN(test_bind_address_no_port);
    RUN(test_source_addrs_round_robin);
    RUN(test_source_addrs_one_exhausted);
    RUN(test_source_addrs_skip_foreign);
    RUN(test_wider_range);
    RUN(test_time_wait_holds_ports);
    RUN(test_time_wait_reuse_needs_timestamps);
    RUN(test_listener_restart_reuseaddr);
    return nst_test_done();
}
