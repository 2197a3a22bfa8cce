/* The socket side of TCP: bind conflicts and SO_REUSEADDR, ephemeral
 * ports and their exhaustion (RFC 6056), TIME_WAIT holding a port and
 * giving it back (TCP_TW_REUSE, RFC 6191 reopening), ICMP errors (RFC 1122
 * 4.2.3.9, RFC 5927), socket options, buffer limits and readiness, and a
 * connection to the stack's own address (loopback). */
#include "support/sim_util.h"
#include "tcp/tcp.h"
#include "support/tcp_testutil.h"

static int bound_socket(struct ts *s, uint16_t port, int reuse)
{
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    if (reuse)
        nst_setsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_REUSEADDR, &reuse, sizeof(reuse));
    struct nst_sockaddr a = {0, port};
    int err = nst_bind(s->st, fd, &a);
    if (err < 0) {
        nst_close(s->st, fd);
        return err;
    }
    return fd;
}

static void test_bind_conflicts(void)
{
    struct ts *s = ts_new(NULL);
    int a = bound_socket(s, 7000, 0);
    CHECK(a >= 0);
    CHECK_EQ(bound_socket(s, 7000, 0), -EADDRINUSE);
    CHECK_EQ(bound_socket(s, 7000, 1), -EADDRINUSE); /* a did not set SO_REUSEADDR */
    int b = bound_socket(s, 7001, 1), c = bound_socket(s, 7001, 1);
    CHECK(b >= 0 && c >= 0); /* both reuse, neither listening */
    CHECK_EQ(nst_listen(s->st, b, 4), 0);
    CHECK_EQ(nst_listen(s->st, c, 4), -EADDRINUSE); /* one listener per port */
    CHECK_EQ(bound_socket(s, 7001, 1), -EADDRINUSE);
    /* Addresses: a specific address that is not ours, or binding twice. */
    int d = nst_socket(s->st, NST_SOCK_STREAM);
    struct nst_sockaddr bad = {NST_IP4(10, 9, 9, 9), 7002};
    CHECK_EQ(nst_bind(s->st, d, &bad), -EADDRNOTAVAIL);
    struct nst_sockaddr mine = {TS_LOCAL_ADDR, 7002};
    CHECK_EQ(nst_bind(s->st, d, &mine), 0);
    CHECK_EQ(nst_bind(s->st, d, &mine), -EINVAL);
    /* Port 0: an ephemeral port. */
    int e = nst_socket(s->st, NST_SOCK_STREAM);
    struct nst_sockaddr any = {0, 0}, got;
    CHECK_EQ(nst_bind(s->st, e, &any), 0);
    CHECK_EQ(nst_getsockname(s->st, e, &got), 0);
    CHECK(got.port >= 49152);
    /* Closing frees the port. */
    nst_close(s->st, a);
    CHECK(bound_socket(s, 7000, 0) >= 0);
    ts_free(s);
}

/* A listener with no bind gets an ephemeral port; accept on a socket that
 * is not listening, recv/send before connecting. */
static void test_unconnected_calls(void)
{
    struct ts *s = ts_new(NULL);
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    char b[4];
    CHECK_EQ(nst_send(s->st, fd, "x", 1, 0), -ENOTCONN);
    CHECK_EQ(nst_recv(s->st, fd, b, 4, 0), -ENOTCONN);
    CHECK_EQ(nst_accept(s->st, fd, NULL), -EINVAL);
    CHECK_EQ(nst_shutdown(s->st, fd, NST_SHUT_WR), -ENOTCONN);
    struct nst_sockaddr a;
    CHECK_EQ(nst_getpeername(s->st, fd, &a), -ENOTCONN);
    CHECK_EQ(nst_listen(s->st, fd, 4), 0);
    CHECK_EQ(nst_getsockname(s->st, fd, &a), 0);
    CHECK(a.port >= 49152);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_LISTEN);
    CHECK_EQ(nst_recv(s->st, fd, b, 4, 0), -ENOTCONN);
    struct nst_sockaddr to = {TS_PEER_ADDR, 80};
    CHECK_EQ(nst_connect(s->st, fd, &to), -EISCONN);
    int g = nst_socket(s->st, NST_SOCK_STREAM);
    struct nst_sockaddr bcast = {NST_IP4(255, 255, 255, 255), 80}, unreach = {NST_IP4(10, 1, 2, 3), 80},
                        zero = {TS_PEER_ADDR, 0};
    CHECK_EQ(nst_connect(s->st, g, &bcast), -ENETUNREACH);
    CHECK_EQ(nst_connect(s->st, g, &unreach), -ENETUNREACH);
    CHECK_EQ(nst_connect(s->st, g, &zero), -EADDRNOTAVAIL);
    ts_free(s);
}

/* RFC 6056: ephemeral ports come from the configured range; a 4-tuple is
 * unique, so the range limits connections per destination. */
static void test_ephemeral_exhaustion(void)
{
    struct nst_stack_config cfg = tu_config();
    cfg.ephemeral_lo = 50000;
    cfg.ephemeral_hi = 50002;
    struct ts *s = ts_new(&cfg);
    struct nst_sockaddr to = {TS_PEER_ADDR, 80};
    int seen[3] = {0};
    for (int i = 0; i < 3; i++) {
        int fd = nst_socket(s->st, NST_SOCK_STREAM);
        CHECK_EQ(nst_connect(s->st, fd, &to), -EINPROGRESS);
        struct nst_sockaddr a;
        nst_getsockname(s->st, fd, &a);
        CHECK(a.port >= 50000 && a.port <= 50002);
        CHECK_EQ(a.addr, TS_LOCAL_ADDR);
        if (a.port >= 50000 && a.port <= 50002)
            seen[a.port - 50000]++;
    }
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    CHECK_EQ(nst_connect(s->st, fd, &to), -EADDRNOTAVAIL);
    CHECK_EQ(tu_stats(s)->tcp_port_exhausted, 1);
    /* Another destination port is another 4-tuple. */
    struct nst_sockaddr to2 = {TS_PEER_ADDR, 81};
    CHECK_EQ(nst_connect(s->st, fd, &to2), -EINPROGRESS);
    ts_free(s);
}

/* Drives an active open from a fresh socket and an active close to TIME_WAIT,
 * with timestamps. Returns the relative snd_nxt at the end (2). */
static void active_conn_to_time_wait(struct ts *s, nst_time_t t, int *out_fd)
{
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    struct nst_sockaddr to = {TS_PEER_ADDR, s->rport};
    ts_run_until(s, t);
    CHECK_EQ(nst_connect(s->st, fd, &to), -EINPROGRESS);
    struct ts_pkt p;
    CHECK(ts_next(s, t, &p));
    s->lport = p.h.src_port;
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 1);
    INJECT(s, t + MS(10), .flags = F_SA, .seq = 0, .ack = 1, .win = 65535, .opts = o, .ecr_auto = 1);
    EXPECT(s, t + MS(10), .flags = F_A, .seq = 1, .ack = 1);
    nst_close(s->st, fd);
    EXPECT(s, t + MS(10), .flags = F_FA, .seq = 1, .ack = 1);
    struct nst_tcp_opts o2 = tu_ts(t + MS(20));
    INJECT(s, t + MS(20), .flags = F_FA, .seq = 1, .ack = 2, .win = 512, .opts = o2, .ecr_auto = 1);
    EXPECT(s, t + MS(20), .flags = F_A, .seq = 2, .ack = 2);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    *out_fd = fd;
}

/* TIME_WAIT holds the 4-tuple: with one ephemeral port, a new connection
 * to the same destination waits, unless TCP_TW_REUSE and timestamps make
 * reuse safe after 1 s; the new ISN is beyond the old connection's. */
static void test_time_wait_reuse(void)
{
    struct nst_stack_config cfg = tu_config();
    cfg.ephemeral_lo = cfg.ephemeral_hi = 50000;
    struct ts *s = ts_new(&cfg);
    int fd;
    active_conn_to_time_wait(s, 0, &fd);
    uint32_t old_isn = s->local_isn;
    struct nst_sockaddr to = {TS_PEER_ADDR, s->rport};
    int f2 = nst_socket(s->st, NST_SOCK_STREAM);
    CHECK_EQ(nst_connect(s->st, f2, &to), -EADDRNOTAVAIL);
    int one = 1;
    CHECK_EQ(nst_setsockopt(s->st, f2, NST_IPPROTO_TCP, NST_TCP_TW_REUSE, &one, sizeof(one)), 0);
    CHECK_EQ(nst_connect(s->st, f2, &to), -EADDRNOTAVAIL); /* not a second old yet */
    ts_run_until(s, MS(1020));
    CHECK_EQ(nst_connect(s->st, f2, &to), -EINPROGRESS);
    CHECK_EQ(tu_stats(s)->tcp_timewait_reused, 1);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 0);
    struct ts_pkt p;
    CHECK(ts_next(s, SEC(2), &p));
    CHECK_EQ(p.h.flags, F_S);
    CHECK_EQ(p.h.src_port, 50000);
    CHECK_EQ(p.h.seq, old_isn + 2 + 65537);
    /* The bound port of a TIME_WAIT: bind fails without SO_REUSEADDR. */
    CHECK_EQ(bound_socket(s, 50000, 0), -EADDRINUSE);
    ts_free(s);
}

static void test_bind_over_time_wait(void)
{
    struct ts *s = ts_new(NULL);
    int fd;
    active_conn_to_time_wait(s, 0, &fd);
    uint16_t port = s->lport;
    CHECK_EQ(bound_socket(s, port, 0), -EADDRINUSE);
    int r = bound_socket(s, port, 1);
    CHECK(r >= 0);
    nst_close(s->st, r);
    ts_run_until(s, SEC(61));
    CHECK(bound_socket(s, port, 0) >= 0);
    ts_free(s);
}

/* RFC 6191 / RFC 1122 4.2.2.13: a new SYN may reopen a TIME_WAIT tuple if
 * its sequence number is above the old connection's. */
static void test_syn_reopens_time_wait(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    ts_run_until(s, SEC(1));
    nst_close(s->st, fd);
    EXPECT(s, SEC(1), .flags = F_FA, .seq = 1, .ack = 1);
    INJECT(s, MS(1010), .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, MS(1010), .flags = F_A, .seq = 2, .ack = 2);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    uint32_t old_isn = s->local_isn;
    /* An old-looking SYN (not above the old RCV.NXT): challenge ACK. */
    INJECT(s, SEC(2), .flags = F_S, .seq = 1, .win = 65535);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 2, .ack = 2);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    /* A new incarnation: its ISN is above. */
    s->peer_isn += 100000;
    INJECT(s, SEC(3), .flags = F_S, .seq = 0, .win = 65535);
    struct ts_pkt p;
    CHECK(ts_next(s, SEC(3), &p));
    CHECK_EQ(p.h.flags, F_SA);
    CHECK_EQ(p.h.seq, old_isn + 2 + 65537);
    CHECK_EQ(p.h.ack, s->peer_isn + 1);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 0);
    CHECK_EQ(tu_count(s, NST_TCPS_SYN_RECEIVED), 1);
    ts_free(s);
}

/* ---- ICMP errors ------------------------------------------------------------------- */

static void inject_icmp(struct ts *s, nst_time_t t, uint8_t type, uint8_t code, const struct ts_pkt *quote)
{
    uint8_t frame[256];
    struct su_ip ip = {.eth_src = s->peer_mac, .eth_dst = s->local_mac, .ttl = 64,
                       .src = NST_IP4(192, 168, 0, 254), .dst = TS_LOCAL_ADDR};
    /* The quote: the IP header and the first 8 bytes of our segment. */
    size_t n = su_build_icmp(frame, &ip, type, code, 0, 0, quote->frame + 14, 28);
    ts_inject_frame(s, t, frame, n);
}

static void test_icmp_port_unreachable(void)
{
    struct ts *s = ts_new(NULL);
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    struct nst_sockaddr to = {TS_PEER_ADDR, s->rport};
    nst_connect(s->st, fd, &to);
    struct ts_pkt p;
    CHECK(ts_next(s, 0, &p));
    struct ts_pkt q = p;
    uint8_t saved[64];
    memcpy(saved, p.frame, 64);
    q.frame = saved;
    /* A quote of a sequence number we never sent is ignored (RFC 5927). */
    uint8_t forged[64];
    memcpy(forged, saved, 64);
    forged[14 + 20 + 4] ^= 0x40;
    struct ts_pkt fq = q;
    fq.frame = forged;
    inject_icmp(s, MS(5), 3, 3, &fq);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_SYN_SENT);
    inject_icmp(s, MS(10), 3, 3, &q);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED);
    CHECK_EQ(tu_sock_error(s, fd), ECONNREFUSED);
    EXPECT_NONE(s, SEC(5));
    ts_free(s);
}

/* Host unreachable is a soft error: the attempt goes on and, if it times
 * out, the application hears EHOSTUNREACH rather than ETIMEDOUT. */
static void test_icmp_host_unreachable_soft(void)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.syn_retries = 1;
    struct ts *s = ts_new(&cfg);
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    struct nst_sockaddr to = {TS_PEER_ADDR, s->rport};
    nst_connect(s->st, fd, &to);
    struct ts_pkt p;
    CHECK(ts_next(s, 0, &p));
    uint8_t saved[64];
    memcpy(saved, p.frame, 64);
    struct ts_pkt q = p;
    q.frame = saved;
    inject_icmp(s, MS(10), 3, 1, &q);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_SYN_SENT);
    EXPECT(s, SEC(2), .flags = F_S, .seq = 0, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_run_until(s, SEC(3));
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED);
    CHECK_EQ(tu_sock_error(s, fd), EHOSTUNREACH);
    ts_free(s);
}

/* An established connection that at 1 s sends 2920 bytes ('m'), two
 * full segments; *p gets the first, taken off the wire (checked). */
static struct ts *two_segments_sent(int *fd, struct ts_pkt *p)
{
    int lfd;
    struct ts *s = tu_passive(NULL, 0, &lfd, fd);
    ts_run_until(s, SEC(1));
    char data[2920];
    memset(data, 'm', sizeof(data));
    nst_send(s->st, *fd, data, sizeof(data), 0);
    CHECK(ts_next(s, SEC(1), p));
    return s;
}

/* RFC 1191: "fragmentation needed" for a segment in flight lowers the MSS
 * (to the next plateau, 1492, without the next-hop MTU) and resends. */
static void test_icmp_frag_needed(void)
{
    int fd;
    struct ts_pkt p;
    struct ts *s = two_segments_sent(&fd, &p);
    CHECK_EQ(p.len, 1460);
    uint8_t saved[64];
    memcpy(saved, p.frame, 64);
    struct ts_pkt q = p;
    q.frame = saved;
    EXPECT(s, SEC(1), .flags = F_PA, .seq = 1461, .ack = 1, .len = 1460);
    inject_icmp(s, MS(1010), 3, 4, &q);
    CHECK_EQ(tu_info(s, fd).snd_mss, 1452);
    EXPECT(s, MS(1010), .flags = F_A, .seq = 1, .ack = 1, .len = 1452);
    EXPECT(s, MS(1010), .flags = F_A, .seq = 1453, .ack = 1, .len = 1452);
    EXPECT(s, MS(1010), .flags = F_PA, .seq = 2905, .ack = 1, .len = 16);
    CHECK_EQ(tu_info(s, fd).rto_timeouts, 0);
    ts_free(s);
}

/* With the next-hop MTU (RFC 1191 4): the MSS follows it exactly; a report
 * that would not shrink the segments is stale and ignored. */
static void test_icmp_frag_needed_mtu(void)
{
    int fd;
    struct ts_pkt p;
    struct ts *s = two_segments_sent(&fd, &p);
    uint8_t quote[28];
    memcpy(quote, p.frame + 14, 28);
    EXPECT(s, SEC(1), .flags = F_PA, .seq = 1461, .ack = 1, .len = 1460);
    nst_tcp_icmp_error_mtu(s->st, 3, 4, 1500, quote, sizeof(quote));
    EXPECT_NONE(s, MS(1005));
    nst_tcp_icmp_error_mtu(s->st, 3, 4, 1200, quote, sizeof(quote));
    CHECK_EQ(tu_info(s, fd).snd_mss, 1160);
    EXPECT(s, MS(1005), .flags = F_A, .seq = 1, .ack = 1, .len = 1160);
    EXPECT(s, MS(1005), .flags = F_A, .seq = 1161, .ack = 1, .len = 1160);
    EXPECT(s, MS(1005), .flags = F_PA, .seq = 2321, .ack = 1, .len = 600);
    ts_free(s);
}

/* RFC 1191 3 and the floor above it (pmtu_min, 552 as Linux's min_pmtu): a
 * reported MTU of 100 is raised to 552 and counted, a later 68 would not
 * lower the MTU below the floor and changes nothing (counted too). */
static void test_icmp_frag_needed_floor(void)
{
    int fd;
    struct ts_pkt p;
    struct ts *s = two_segments_sent(&fd, &p);
    uint8_t quote[28];
    memcpy(quote, p.frame + 14, 28);
    EXPECT(s, SEC(1), .flags = F_PA, .seq = 1461, .ack = 1, .len = 1460);
    nst_tcp_icmp_error_mtu(s->st, 3, 4, 100, quote, sizeof(quote));
    CHECK_EQ(tu_info(s, fd).snd_mss, 512);
    CHECK_EQ(tu_stats(s)->tcp_pmtu_clamped, 1);
    for (uint32_t seq = 1; seq < 2921; seq += 512)
        EXPECT(s, MS(1005), .flags = seq + 512 >= 2921 ? F_PA : F_A, .seq = seq, .ack = 1,
               .len = seq + 512 >= 2921 ? 2921 - seq : 512);
    nst_tcp_icmp_error_mtu(s->st, 3, 4, 68, quote, sizeof(quote));
    CHECK_EQ(tu_info(s, fd).snd_mss, 512);
    CHECK_EQ(tu_stats(s)->tcp_pmtu_clamped, 2);
    EXPECT_NONE(s, MS(1010));
    ts_free(s);
}

/* ---- options ------------------------------------------------------------------------ */

static void test_socket_options(void)
{
    struct ts *s = ts_new(NULL);
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    char name[16];
    size_t len = sizeof(name);
    CHECK_EQ(nst_getsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, name, &len), 0);
    CHECK(strcmp(name, "cubic") == 0);
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, "newreno", 7), 0);
    len = sizeof(name);
    nst_getsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, name, &len);
    CHECK(strcmp(name, "newreno") == 0);
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, "vegas", 5), -ENOENT);
    int v = 1000;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_MAXSEG, &v, sizeof(v)), 0);
    v = 10;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_MAXSEG, &v, sizeof(v)), -EINVAL);
    v = 1 << 30;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_RCVBUF, &v, sizeof(v)), 0);
    int got = 0;
    len = sizeof(got);
    nst_getsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_RCVBUF, &got, &len);
    CHECK_EQ(got, 16 * 1024 * 1024); /* clamped to buf_max */
    v = 7;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_IP, NST_IP_TTL, &v, sizeof(v)), 0);
    struct nst_tcp_info ti;
    len = sizeof(ti) - 1;
    CHECK_EQ(nst_getsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len), -EINVAL);
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, 999, &v, sizeof(v)), -ENOPROTOOPT);
    struct nst_sockaddr to = {TS_PEER_ADDR, s->rport};
    nst_connect(s->st, fd, &to);
    struct ts_pkt p;
    CHECK(ts_next(s, 0, &p));
    CHECK_EQ(p.h.opts.mss, 1000); /* TCP_MAXSEG */
    CHECK_EQ(p.ttl, 7);           /* IP_TTL */
    CHECK_EQ(p.h.opts.wscale, 9); /* 16 MiB > 65535 << 8: a shift of 9 */
    CHECK(p.df);
    ts_free(s);
}

/* A small send buffer: partial writes, EAGAIN, OUT readiness returning as
 * ACKs free space, and the event callback. */
static int cb_calls, cb_last_events;
static void on_event(void *arg, int fd, int events)
{
    (void)arg;
    (void)fd;
    cb_calls++;
    cb_last_events = events;
}

static void test_send_buffer_limits(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    int v = 2048;
    nst_setsockopt(s->st, lfd, NST_SOL_SOCKET, NST_SO_SNDBUF, &v, sizeof(v));
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    int fd = ts_passive_open(s, lfd, 0, MS(10), &o, 65535);
    nst_stack_set_event_cb(s->st, on_event, NULL);
    char big[5000];
    memset(big, 'q', sizeof(big));
    ts_run_until(s, SEC(1));
    CHECK_EQ(nst_send(s->st, fd, big, sizeof(big), 0), 2048);
    CHECK_EQ(nst_send(s->st, fd, big, 1, 0), -EAGAIN);
    CHECK_EQ(nst_socket_events(s->st, fd) & NST_EV_OUT, 0);
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 1, .len = 1460);
    EXPECT_NONE(s, MS(1010)); /* Nagle holds the 588-byte tail */
    cb_calls = 0;
    INJECT(s, MS(1010), .flags = F_A, .seq = 1, .ack = 1461, .win = 512);
    EXPECT(s, MS(1010), .flags = F_PA, .seq = 1461, .ack = 1, .len = 588);
    CHECK(cb_calls > 0);
    CHECK(cb_last_events & NST_EV_OUT);
    CHECK_EQ(nst_send(s->st, fd, big, sizeof(big), 0), 1460);
    EXPECT(s, MS(1010), .flags = F_PA, .seq = 2049, .ack = 1, .len = 1460);
    /* Readable data: the callback says IN; MSG_PEEK leaves it there. */
    cb_calls = 0;
    INJECT(s, MS(1020), .flags = F_PA, .seq = 1, .ack = 1461, .win = 512, .len = 6, .data = "abcdef");
    CHECK(cb_calls > 0);
    CHECK(cb_last_events & NST_EV_IN);
    char b[8] = {0};
    CHECK_EQ(nst_recv(s->st, fd, b, 3, NST_MSG_PEEK), 3);
    CHECK(memcmp(b, "abc", 3) == 0);
    CHECK_EQ(nst_recv(s->st, fd, b, 8, 0), 6);
    CHECK(memcmp(b, "abcdef", 6) == 0);
    nst_stack_set_event_cb(s->st, NULL, NULL);
    ts_free(s);
}

/* A callback that reads and closes the socket from inside the event:
 * TCP reports readiness only once its own work is done, so this is safe. */
static int closer_fd = -1;
static void close_on_event(void *arg, int fd, int events)
{
    struct ts *s = arg;
    if (fd != closer_fd || !(events & NST_EV_IN))
        return;
    char b[64];
    while (nst_recv(s->st, fd, b, sizeof(b), 0) > 0)
        ;
    nst_close(s->st, fd);
    closer_fd = -1;
}

static void test_close_from_callback(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    closer_fd = fd;
    nst_stack_set_event_cb(s->st, close_on_event, s);
    INJECT(s, SEC(1), .flags = F_PA | F_F, .seq = 1, .ack = 1, .win = 512, .len = 5, .data = "hello");
    CHECK_EQ(closer_fd, -1);
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 7);
    EXPECT(s, SEC(1), .flags = F_FA, .seq = 1, .ack = 7);
    INJECT(s, MS(1010), .flags = F_A, .seq = 7, .ack = 2, .win = 512);
    CHECK_EQ(tu_total(s), 1);
    nst_stack_set_event_cb(s->st, NULL, NULL);
    ts_free(s);
}

/* ---- loopback ------------------------------------------------------------------------------ */

/* Client and server in one stack, over its own address. */
static void test_loopback_connection(void)
{
    struct ts *s = ts_new(NULL);
    struct nst_stack *st = s->st;
    int l = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr la = {0, 9000};
    CHECK_EQ(nst_bind(st, l, &la), 0);
    CHECK_EQ(nst_listen(st, l, 4), 0);
    int c = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr to = {TS_LOCAL_ADDR, 9000};
    CHECK_EQ(nst_connect(st, c, &to), -EINPROGRESS);
    ts_run_until(s, MS(1));
    int a = nst_accept(st, l, NULL);
    CHECK(a >= 0);
    CHECK_EQ(tu_state(s, c), NST_TCPS_ESTABLISHED);
    CHECK_EQ(nst_send(st, c, "ping", 4, 0), 4);
    ts_run_until(s, MS(2));
    char b[8];
    CHECK_EQ(nst_recv(st, a, b, 8, 0), 4);
    CHECK_EQ(nst_send(st, a, "pong", 4, 0), 4);
    ts_run_until(s, MS(3));
    CHECK_EQ(nst_recv(st, c, b, 8, 0), 4);
    CHECK(memcmp(b, "pong", 4) == 0);
    nst_close(st, c);
    ts_run_until(s, MS(4));
    CHECK_EQ(nst_recv(st, a, b, 8, 0), 0);
    nst_close(st, a);
    ts_run_until(s, MS(5));
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    CHECK_EQ(tu_total(s), 2);
    CHECK_EQ(s->q_len - s->q_head, 0); /* nothing went to the wire */
    ts_free(s);
}

int main(void)
{
    RUN(test_bind_conflicts);
    RUN(test_unconnected_calls);
    RUN(test_ephemeral_exhaustion);
    RUN(test_time_wait_reuse);
    RUN(test_bind_over_time_wait);
    RUN(test_syn_reopens_time_wait);
    RUN(test_icmp_port_unreachable);
    RUN(test_icmp_host_unreachable_soft);
    RUN(test_icmp_frag_needed);
    RUN(test_icmp_frag_needed_mtu);
    RUN(test_icmp_frag_needed_floor);
    RUN(test_socket_options);
    RUN(test_send_buffer_limits);
    RUN(test_close_from_callback);
    RUN(test_loopback_connection);
    return nst_test_done();
}
