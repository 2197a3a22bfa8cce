/* TCP's timers at exact virtual times: SYN and SYN-ACK retransmission, the
 * RTO with Karn's algorithm and exponential backoff (RFC 6298), delayed
 * ACKs (RFC 9293 3.8.6.3, RFC 5681 4.2), zero-window persist with backoff
 * (RFC 9293 3.8.6.1), keepalive (RFC 1122 4.2.3.6), Nagle and receiver
 * window updates (RFC 9293 3.7.4, 3.8.6.2). */
#include "support/tcp_testutil.h"

static void test_syn_retransmission(void)
{
    struct ts *s = ts_new(NULL);
    int fd;
    tu_connect(s, &fd);
    /* RFC 6298 2.1: 1 s, doubled each time (5.5); 6 retries. */
    static const int at[] = {0, 1, 3, 7, 15, 31, 63};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
        EXPECT(s, SEC(200), .flags = F_S, .seq = 0, .at = SEC(at[i]), .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_run_until(s, SEC(127) - 1);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_SYN_SENT);
    ts_run_until(s, SEC(127));
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED);
    CHECK(nst_socket_events(s->st, fd) & NST_EV_ERR);
    CHECK_EQ(tu_sock_error(s, fd), ETIMEDOUT);
    EXPECT_NONE(s, SEC(300));
    CHECK_EQ(tu_stats(s)->tcp_attempt_fails, 1);
    CHECK_EQ(tu_stats(s)->tcp_retransmits, 6);
    ts_free(s);
}

/* A SYN answered after a retransmission: RFC 6298 5.7, RTO 3 s once
 * established (no RTT sample from the ambiguous SYN, Karn). */
static void test_syn_lost_rto_3s(void)
{
    struct ts *s = ts_new(NULL);
    int fd;
    tu_connect(s, &fd);
    EXPECT(s, 0, .flags = F_S, .seq = 0);
    EXPECT(s, SEC(2), .flags = F_S, .seq = 0, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, MS(1100), .flags = F_SA, .seq = 0, .ack = 1, .win = 65535);
    EXPECT(s, MS(1100), .flags = F_A, .seq = 1, .ack = 1);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.rtt, 0);
    CHECK_EQ(ti.rto, SEC(3));
    nst_send(s->st, fd, "x", 1, 0);
    EXPECT(s, SEC(2), .flags = F_PA, .seq = 1, .ack = 1, .len = 1);
    EXPECT(s, SEC(10), .flags = F_PA, .seq = 1, .ack = 1, .len = 1, .at = MS(1100) + SEC(3),
           .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_free(s);
}

static void test_synack_retransmission(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    INJECT(s, 0, .flags = F_S, .seq = 0, .win = 65535);
    static const int at[] = {0, 1, 3, 7, 15, 31};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
        EXPECT(s, SEC(200), .flags = F_SA, .seq = 0, .ack = 1, .at = SEC(at[i]), .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_run_until(s, SEC(63) - 1);
    CHECK_EQ(tu_info(s, lfd).syn_queue, 1);
    ts_run_until(s, SEC(63));
    CHECK_EQ(tu_info(s, lfd).syn_queue, 0);
    CHECK_EQ(tu_total(s), 1);
    EXPECT_NONE(s, SEC(100));
    ts_free(s);
}

/* RFC 6298: RTO = SRTT + 4 RTTVAR (first sample 100 ms: 300 ms), doubled
 * per expiry; Karn: the ACK of a retransmission is no sample and the
 * backoff stays until one is taken; then the estimator moves on. */
static void test_rto_backoff_karn(void)
{
    int lfd, fd;
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.rack = 0; /* the RTO alone: no tail loss probe (test_tcp_rack.c) */
    struct ts *s = tu_passive(&cfg, 0, &lfd, &fd);
    CHECK_EQ(tu_info(s, fd).rto, MS(300));
    ts_run_until(s, SEC(1));
    char data[100] = {0};
    CHECK_EQ(nst_send(s->st, fd, data, 100, 0), 100);
    EXPECT(s, SEC(1), .flags = F_PA, .seq = 1, .ack = 1, .len = 100, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    static const int rtx_ms[] = {1300, 1900, 3100, 5500};
    for (size_t i = 0; i < 4; i++)
        EXPECT(s, SEC(10), .flags = F_PA, .seq = 1, .ack = 1, .len = 100, .at = MS(rtx_ms[i]),
               .check = TS_DEFAULT_CHECK | TS_TIME);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.backoff, 4);
    CHECK_EQ(ti.cwnd, 1460); /* RFC 5681 3.1: loss window */
    CHECK_EQ(ti.rto_timeouts, 4);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_LOSS);
    INJECT(s, MS(5600), .flags = F_A, .seq = 1, .ack = 101, .win = 512);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.backoff, 4); /* Karn: no sample from a retransmission */
    CHECK_EQ(ti.rtt, MS(100));
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    EXPECT_NONE(s, SEC(6));
    /* New data: timed, and its ACK is a sample (100 ms again). */
    nst_send(s->st, fd, data, 100, 0);
    EXPECT(s, SEC(6), .flags = F_PA, .seq = 101, .ack = 1, .len = 100);
    INJECT(s, MS(6100), .flags = F_A, .seq = 1, .ack = 201, .win = 512);
    ti = tu_info(s, fd);
    CHECK_EQ(ti.backoff, 0);
    CHECK_EQ(ti.rtt, MS(100));
    CHECK_EQ(ti.rttvar, 37500000); /* 3/4 * 50 ms + 1/4 * |100 - 100| */
    CHECK_EQ(ti.rto, MS(250));
    ts_run_until(s, SEC(7));
    nst_send(s->st, fd, data, 100, 0);
    EXPECT(s, SEC(7), .flags = F_PA, .seq = 201, .ack = 1, .len = 100);
    EXPECT(s, SEC(8), .flags = F_PA, .seq = 201, .ack = 1, .len = 100, .at = MS(7250), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_stats(s)->tcp_rto_timeouts, 5);
    ts_free(s);
}

/* After data_retries expirations the connection is dropped with ETIMEDOUT. */
static void test_rto_gives_up(void)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.data_retries = 3;
    cfg.tcp.rack = 0; /* the RTO schedule alone (a tail loss probe would come first) */
    int lfd, fd;
    struct ts *s = tu_passive(&cfg, 0, &lfd, &fd);
    ts_run_until(s, SEC(1));
    nst_send(s->st, fd, "abc", 3, 0);
    EXPECT(s, SEC(1), .flags = F_PA, .seq = 1, .ack = 1, .len = 3);
    static const int rtx_ms[] = {1300, 1900, 3100};
    for (size_t i = 0; i < 3; i++)
        EXPECT(s, SEC(10), .flags = F_PA, .seq = 1, .ack = 1, .len = 3, .at = MS(rtx_ms[i]),
               .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_run_until(s, MS(5500) - 1);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    ts_run_until(s, MS(5500));
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED);
    char b[4];
    CHECK_EQ(nst_recv(s->st, fd, b, 4, 0), -ETIMEDOUT);
    EXPECT_NONE(s, SEC(20));
    ts_free(s);
}

/* RFC 5681 4.2: one segment is ACKed after the delayed-ACK time (40 ms);
 * the second full-sized segment is ACKed at once. */
static void test_delayed_ack(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 1460);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 1461, .at = SEC(1) + MS(40), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_stats(s)->tcp_delayed_acks, 1);
    INJECT(s, SEC(2), .flags = F_A, .seq = 1461, .ack = 1, .win = 512, .len = 1460);
    INJECT(s, SEC(2) + MS(1), .flags = F_A, .seq = 2921, .ack = 1, .win = 512, .len = 1460);
    EXPECT(s, SEC(3), .flags = F_A, .seq = 1, .ack = 4381, .at = SEC(2) + MS(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    EXPECT_NONE(s, SEC(3));
    CHECK_EQ(tu_stats(s)->tcp_delayed_acks, 1);
    /* Data to send carries the ACK: no separate one. */
    INJECT(s, SEC(3), .flags = F_PA, .seq = 4381, .ack = 1, .win = 512, .len = 10);
    nst_send(s->st, fd, "reply", 5, 0);
    EXPECT(s, SEC(3), .flags = F_PA, .seq = 1, .ack = 4391, .len = 5, .at = SEC(3), .check = TS_DEFAULT_CHECK | TS_TIME);
    EXPECT_NONE(s, SEC(3) + MS(90));
    ts_free(s);
}

/* Out-of-order data: an immediate duplicate ACK with a SACK block (RFC
 * 5681 4.2, RFC 2018), and an immediate ACK when the hole is filled. */
static void test_out_of_order_ack(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_A, .seq = 1001, .ack = 1, .win = 512, .len = 500);
    struct nst_tcp_opts sk = {.sack_count = 1, .sack = {{1001, 1501}}};
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 1, .opts = sk, .at = SEC(1),
           .check = TS_DEFAULT_CHECK | TS_SACK | TS_TIME);
    INJECT(s, SEC(1) + MS(1), .flags = F_A, .seq = 2001, .ack = 1, .win = 512, .len = 500);
    struct nst_tcp_opts sk2 = {.sack_count = 2, .sack = {{2001, 2501}, {1001, 1501}}};
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 1, .opts = sk2, .check = TS_DEFAULT_CHECK | TS_SACK);
    char b[3000];
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), -EAGAIN);
    INJECT(s, SEC(1) + MS(2), .flags = F_A, .seq = 1, .ack = 1, .win = 512, .len = 1000);
    struct nst_tcp_opts sk3 = {.sack_count = 1, .sack = {{2001, 2501}}};
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 1501, .opts = sk3, .at = SEC(1) + MS(2),
           .check = TS_DEFAULT_CHECK | TS_SACK | TS_TIME);
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), 1500);
    INJECT(s, SEC(1) + MS(3), .flags = F_A, .seq = 1501, .ack = 1, .win = 512, .len = 500);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 2501, .opts = {0}, .at = SEC(1) + MS(3),
           .check = TS_DEFAULT_CHECK | TS_SACK | TS_TIME);
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), 1000);
    /* The bytes are the ones sent, in order (the harness's pattern). */
    CHECK_EQ(b[0], (char)(uint8_t)3);
    CHECK_EQ(tu_stats(s)->tcp_rx_out_of_order, 2);
    ts_free(s);
}

/* Nagle (RFC 9293 3.7.4): a small segment waits while data is
 * unacknowledged; TCP_NODELAY turns that off. */
static void test_nagle(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    ts_run_until(s, SEC(1));
    nst_send(s->st, fd, "aaaaaaaaaa", 10, 0);
    EXPECT(s, SEC(1), .flags = F_PA, .seq = 1, .ack = 1, .len = 10);
    nst_send(s->st, fd, "bbbbbbbbbb", 10, 0);
    nst_send(s->st, fd, "cccccccccc", 10, 0);
    EXPECT_NONE(s, MS(1050));
    INJECT(s, MS(1050), .flags = F_A, .seq = 1, .ack = 11, .win = 512);
    EXPECT(s, MS(1050), .flags = F_PA, .seq = 11, .ack = 1, .len = 20, .at = MS(1050), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, MS(1100), .flags = F_A, .seq = 1, .ack = 31, .win = 512);
    int one = 1;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof(one)), 0);
    ts_run_until(s, SEC(2));
    nst_send(s->st, fd, "dd", 2, 0);
    nst_send(s->st, fd, "ee", 2, 0);
    EXPECT(s, SEC(2), .flags = F_PA, .seq = 31, .ack = 1, .len = 2, .at = SEC(2), .check = TS_DEFAULT_CHECK | TS_TIME);
    EXPECT(s, SEC(2), .flags = F_PA, .seq = 33, .ack = 1, .len = 2, .at = SEC(2), .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_free(s);
}

/* A zero window: probes of one octet at the RTO, doubling, until the
 * window opens; then the data flows. Answers to probes are not dupacks. */
static void test_zero_window_persist(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, MS(500), .flags = F_A, .seq = 1, .ack = 1, .win = 0);
    ts_run_until(s, SEC(1));
    char data[100];
    memset(data, 'z', sizeof(data));
    CHECK_EQ(nst_send(s->st, fd, data, 100, 0), 100);
    EXPECT_NONE(s, MS(1300) - 1);
    EXPECT(s, MS(1300), .flags = F_A, .seq = 1, .ack = 1, .len = 1, .at = MS(1300), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, MS(1400), .flags = F_A, .seq = 1, .ack = 1, .win = 0);
    EXPECT(s, SEC(5), .flags = F_A, .seq = 1, .ack = 1, .len = 1, .at = MS(1900), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, MS(2000), .flags = F_A, .seq = 1, .ack = 1, .win = 0);
    EXPECT(s, SEC(5), .flags = F_A, .seq = 1, .ack = 1, .len = 1, .at = MS(3100), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, MS(3150), .flags = F_A, .seq = 1, .ack = 1, .win = 0);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.timer, NST_TCPI_TIMER_PERSIST);
    CHECK_EQ(ti.ca_state, NST_TCP_CA_OPEN);
    CHECK_EQ(ti.dupacks, 0);
    CHECK_EQ(ti.state, NST_TCPS_ESTABLISHED);
    /* The window opens: all 100 bytes go at once. */
    INJECT(s, MS(3200), .flags = F_A, .seq = 1, .ack = 1, .win = 512);
    EXPECT(s, MS(3200), .flags = F_PA, .seq = 1, .ack = 1, .len = 100, .data = data,
           .check = TS_DEFAULT_CHECK | TS_DATA);
    CHECK_EQ(tu_stats(s)->tcp_persist_probes, 3);
    INJECT(s, MS(3300), .flags = F_A, .seq = 1, .ack = 101, .win = 512);
    EXPECT_NONE(s, SEC(10));
    ts_free(s);
}

/* The receiver's side: the window closes as data waits unread, a probe
 * into a zero window is ACKed (window 0) and dropped, and reading sends a
 * window update only once the window can grow by min(buffer/2, MSS). */
static void test_receive_window_and_update(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    int v = 4096;
    CHECK_EQ(nst_setsockopt(s->st, lfd, NST_SOL_SOCKET, NST_SO_RCVBUF, &v, sizeof(v)), 0);
    struct nst_tcp_opts o = ts_syn_opts(-1, 0, 0);
    INJECT(s, 0, .flags = F_S, .seq = 0, .win = 65535, .opts = o);
    EXPECT(s, 0, .flags = F_SA, .seq = 0, .ack = 1, .win = 4096, .check = TS_DEFAULT_CHECK | TS_WIN);
    INJECT(s, MS(10), .flags = F_A, .seq = 1, .ack = 1, .win = 65535);
    int fd = nst_accept(s->st, lfd, NULL);
    CHECK(fd >= 0);
    INJECT(s, MS(20), .flags = F_A, .seq = 1, .ack = 1, .win = 65535, .len = 1460);
    INJECT(s, MS(21), .flags = F_A, .seq = 1461, .ack = 1, .win = 65535, .len = 1460);
    EXPECT(s, MS(21), .flags = F_A, .seq = 1, .ack = 2921, .win = 4096 - 2920, .check = TS_DEFAULT_CHECK | TS_WIN);
    INJECT(s, MS(22), .flags = F_PA, .seq = 2921, .ack = 1, .win = 65535, .len = 1176);
    EXPECT(s, MS(100), .flags = F_A, .seq = 1, .ack = 4097, .win = 0, .at = MS(62), .check = TS_DEFAULT_CHECK | TS_WIN | TS_TIME);
    /* A one-byte probe into the zero window: ACK, window 0, byte dropped. */
    INJECT(s, MS(300), .flags = F_A, .seq = 4097, .ack = 1, .win = 65535, .len = 1);
    EXPECT(s, MS(300), .flags = F_A, .seq = 1, .ack = 4097, .win = 0, .at = MS(300),
           .check = TS_DEFAULT_CHECK | TS_WIN | TS_TIME);
    char b[4096];
    CHECK_EQ(nst_recv(s->st, fd, b, 1000, 0), 1000);
    EXPECT_NONE(s, MS(400)); /* 1000 < min(2048, 1460): no update yet */
    CHECK_EQ(nst_recv(s->st, fd, b, 1000, 0), 1000);
    EXPECT(s, MS(400), .flags = F_A, .seq = 1, .ack = 4097, .win = 2000, .at = MS(400),
           .check = TS_DEFAULT_CHECK | TS_WIN | TS_TIME);
    ts_free(s);
}

/* Keepalive: probes <SEQ=SND.NXT-1> after KEEPIDLE, every KEEPINTVL;
 * KEEPCNT unanswered probes end the connection (RST, ETIMEDOUT). */
static void test_keepalive_dead_peer(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    int on = 1, idle = 10, intvl = 2, cnt = 3;
    nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_KEEPIDLE, &idle, sizeof(idle));
    nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_KEEPINTVL, &intvl, sizeof(intvl));
    nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_KEEPCNT, &cnt, sizeof(cnt));
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_KEEPALIVE, &on, sizeof(on)), 0);
    /* Idle since the handshake's ACK at 100 ms. */
    EXPECT_NONE(s, MS(10100) - 1);
    static const int probe_ms[] = {10100, 12100, 14100};
    for (size_t i = 0; i < 3; i++)
        EXPECT(s, SEC(20), .flags = F_A, .seq = 0, .ack = 1, .len = 0, .at = MS(probe_ms[i]),
               .check = TS_DEFAULT_CHECK | TS_TIME);
    EXPECT(s, SEC(20), .flags = F_RA, .seq = 1, .ack = 1, .at = MS(16100), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED);
    char b[4];
    CHECK_EQ(nst_recv(s->st, fd, b, 4, 0), -ETIMEDOUT);
    CHECK_EQ(tu_stats(s)->tcp_keepalive_probes, 3);
    CHECK_EQ(tu_stats(s)->tcp_keepalive_drops, 1);
    ts_free(s);
}

/* A peer that answers keepalive probes keeps the connection. */
static void test_keepalive_alive_peer(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    int on = 1, idle = 10, intvl = 2;
    nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_KEEPIDLE, &idle, sizeof(idle));
    nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_KEEPINTVL, &intvl, sizeof(intvl));
    nst_setsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_KEEPALIVE, &on, sizeof(on));
    EXPECT(s, SEC(20), .flags = F_A, .seq = 0, .ack = 1, .at = MS(10100), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, MS(10200), .flags = F_A, .seq = 1, .ack = 1, .win = 512);
    EXPECT(s, SEC(30), .flags = F_A, .seq = 0, .ack = 1, .at = MS(20200), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, MS(20300), .flags = F_A, .seq = 1, .ack = 1, .win = 512);
    EXPECT(s, SEC(40), .flags = F_A, .seq = 0, .ack = 1, .at = MS(30300), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    ts_free(s);
}

/* Without SO_KEEPALIVE an idle connection sends nothing, for hours. */
static void test_idle_no_keepalive(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    EXPECT_NONE(s, SEC(5 * 3600));
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    ts_free(s);
}

int main(void)
{
    RUN(test_syn_retransmission);
    RUN(test_syn_lost_rto_3s);
    RUN(test_synack_retransmission);
    RUN(test_rto_backoff_karn);
    RUN(test_rto_gives_up);
    RUN(test_delayed_ack);
    RUN(test_out_of_order_ack);
    RUN(test_nagle);
    RUN(test_zero_window_persist);
    RUN(test_receive_window_and_update);
    RUN(test_keepalive_dead_peer);
    RUN(test_keepalive_alive_peer);
    RUN(test_idle_no_keepalive);
    return nst_test_done();
}
