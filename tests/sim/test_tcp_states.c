/* The TCP state machine (RFC 9293 3.3.2, 3.10), transition by transition,
 * with the exact segments each one sends: opening (passive, active,
 * simultaneous), closing (active, passive, simultaneous, half-close,
 * abortive), resets (RFC 9293 3.10.7, RFC 5961), TIME_WAIT and CLOSE_WAIT
 * lifetimes, PAWS (RFC 7323), SYN cookies and the listen backlog. */
#include "support/tcp_testutil.h"

/* ---- opening ------------------------------------------------------------------- */

static void test_passive_open(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    CHECK(lfd >= 0);
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 1);
    INJECT(s, 0, .flags = F_S, .seq = 0, .win = 65535, .opts = o);
    /* SYN-ACK: window 65535 (unscaled, RFC 7323 2.2), MSS = 1500 - 40,
     * wscale 3 for a 256 KiB buffer, SACK-permitted, TSecr = peer TSval. */
    struct nst_tcp_opts w = {.has_mss = 1, .mss = 1460, .has_wscale = 1, .wscale = 3, .sack_ok = 1, .has_ts = 1,
                             .ts_ecr = 1000};
    EXPECT(s, 0, .flags = F_SA, .seq = 0, .ack = 1, .win = 65535, .opts = w, .at = 0,
           .check = TS_FLAGS | TS_SEQ | TS_ACK | TS_WIN | TS_LEN | TS_OPTS | TS_TSECR | TS_TIME);
    CHECK_EQ(tu_info(s, lfd).syn_queue, 1);
    CHECK_EQ(nst_accept(s->st, lfd, NULL), -EAGAIN);
    CHECK_EQ(tu_count(s, NST_TCPS_SYN_RECEIVED), 1);
    struct nst_tcp_opts a = tu_ts(MS(100));
    INJECT(s, MS(100), .flags = F_A, .seq = 1, .ack = 1, .win = 512, .opts = a, .ecr_auto = 1);
    struct nst_sockaddr peer;
    int fd = nst_accept(s->st, lfd, &peer);
    CHECK(fd >= 0);
    CHECK_EQ(peer.addr, TS_PEER_ADDR);
    CHECK_EQ(peer.port, TS_PEER_PORT);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.state, NST_TCPS_ESTABLISHED);
    CHECK_EQ(ti.rtt, MS(100));
    CHECK_EQ(ti.options, NST_TCPI_OPT_TIMESTAMPS | NST_TCPI_OPT_SACK | NST_TCPI_OPT_WSCALE);
    CHECK_EQ(ti.snd_wscale, 7);
    CHECK_EQ(ti.rcv_wscale, 3);
    CHECK_EQ(ti.snd_mss, 1448); /* 1460 minus the 12 bytes of timestamps */
    CHECK_EQ(ti.snd_wnd, 512 * 128);
    CHECK_EQ(ti.cwnd, 10 * 1448); /* RFC 6928 */
    CHECK_EQ(tu_info(s, lfd).syn_queue, 0);
    CHECK_EQ(tu_stats(s)->tcp_passive_opens, 1);
    EXPECT_NONE(s, SEC(1));
    ts_free(s);
}

static void test_active_open(void)
{
    struct ts *s = ts_new(NULL);
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    struct nst_sockaddr local = {0, s->lport}, remote = {TS_PEER_ADDR, s->rport};
    CHECK_EQ(nst_bind(s->st, fd, &local), 0);
    CHECK_EQ(nst_connect(s->st, fd, &remote), -EINPROGRESS);
    CHECK_EQ(nst_connect(s->st, fd, &remote), -EALREADY);
    CHECK_EQ(nst_socket_events(s->st, fd) & NST_EV_OUT, 0);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_SYN_SENT);
    struct nst_tcp_opts w = {.has_mss = 1, .mss = 1460, .has_wscale = 1, .wscale = 3, .sack_ok = 1, .has_ts = 1};
    EXPECT(s, 0, .flags = F_S, .seq = 0, .win = 65535, .opts = w, .at = 0,
           .check = TS_FLAGS | TS_SEQ | TS_WIN | TS_LEN | TS_OPTS | TS_TSECR | TS_TIME | TS_PORTS);
    struct nst_tcp_opts sa = {.has_mss = 1, .mss = 1400, .has_wscale = 1, .wscale = 2, .sack_ok = 1, .has_ts = 1,
                              .ts_val = 5000};
    INJECT(s, MS(50), .flags = F_SA, .seq = 0, .ack = 1, .win = 65535, .opts = sa, .ecr_auto = 1);
    struct nst_tcp_opts ecr = {.has_ts = 1, .ts_ecr = 5000};
    EXPECT(s, MS(50), .flags = F_A, .seq = 1, .ack = 1, .win = 32768, .opts = ecr, .at = MS(50),
           .check = TS_DEFAULT_CHECK | TS_WIN | TS_OPTS | TS_TSECR | TS_TIME);
    CHECK(nst_socket_events(s->st, fd) & NST_EV_OUT);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.state, NST_TCPS_ESTABLISHED);
    CHECK_EQ(ti.rtt, MS(50));
    CHECK_EQ(ti.snd_mss, 1388);
    CHECK_EQ(ti.snd_wscale, 2);
    CHECK_EQ(nst_connect(s->st, fd, &remote), -EISCONN);
    struct nst_sockaddr a;
    CHECK_EQ(nst_getpeername(s->st, fd, &a), 0);
    CHECK_EQ(a.addr, TS_PEER_ADDR);
    CHECK_EQ(a.port, TS_PEER_PORT);
    CHECK_EQ(nst_getsockname(s->st, fd, &a), 0);
    CHECK_EQ(a.port, s->lport);
    CHECK_EQ(tu_stats(s)->tcp_active_opens, 1);
    ts_free(s);
}

/* RFC 9293 figure 7: both sides send SYN; each answers with SYN,ACK. */
static void test_simultaneous_open(void)
{
    struct ts *s = ts_new(NULL);
    int fd;
    CHECK_EQ(tu_connect(s, &fd), -EINPROGRESS);
    EXPECT(s, 0, .flags = F_S, .seq = 0);
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    INJECT(s, MS(10), .flags = F_S, .seq = 0, .win = 65535, .opts = o);
    struct nst_tcp_opts w = {.has_mss = 1, .mss = 1460, .has_wscale = 1, .wscale = 3, .sack_ok = 1};
    EXPECT(s, MS(10), .flags = F_SA, .seq = 0, .ack = 1, .win = 65535, .opts = w,
           .check = TS_DEFAULT_CHECK | TS_WIN | TS_OPTS);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_SYN_RECEIVED);
    CHECK_EQ(nst_send(s->st, fd, "x", 1, 0), -EAGAIN);
    INJECT(s, MS(20), .flags = F_SA, .seq = 0, .ack = 1, .win = 65535, .opts = o);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    CHECK(nst_socket_events(s->st, fd) & NST_EV_OUT);
    EXPECT_NONE(s, MS(30));
    CHECK_EQ(nst_send(s->st, fd, "hi", 2, 0), 2);
    EXPECT(s, MS(30), .flags = F_PA, .seq = 1, .ack = 1, .len = 2);
    ts_free(s);
}

/* ---- closing ------------------------------------------------------------------------ */

/* ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED, and
 * TIME_WAIT lasts exactly 2*MSL (60 s by default). */
static void test_active_close(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    CHECK(fd >= 0);
    ts_run_until(s, SEC(1));
    CHECK_EQ(nst_close(s->st, fd), 0);
    EXPECT(s, SEC(1), .flags = F_FA, .seq = 1, .ack = 1, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_count(s, NST_TCPS_FIN_WAIT_1), 1);
    INJECT(s, MS(1100), .flags = F_A, .seq = 1, .ack = 2, .win = 512);
    CHECK_EQ(tu_count(s, NST_TCPS_FIN_WAIT_1), 0);
    CHECK_EQ(tu_count(s, NST_TCPS_FIN_WAIT_2), 1);
    EXPECT_NONE(s, MS(1200));
    INJECT(s, MS(1200), .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, MS(1200), .flags = F_A, .seq = 2, .ack = 2, .at = MS(1200), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_count(s, NST_TCPS_FIN_WAIT_2), 0);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    CHECK_EQ(tu_total(s), 2); /* the listener and the compact TIME_WAIT record */
    ts_run_until(s, MS(1200) + SEC(60) - 1);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    ts_run_until(s, MS(1200) + SEC(60));
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 0);
    CHECK_EQ(tu_total(s), 1);
    EXPECT_NONE(s, SEC(100));
    ts_free(s);
}

/* A configured MSL is honoured: TIME_WAIT = 2 * 5 s. */
static void test_time_wait_msl_config(void)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.msl = SEC(5);
    cfg.tcp.rack = 0; /* the FIN's RTO backoff, no tail loss probe */
    int fd;
    struct ts *s = tu_active_close(&cfg, &fd);
    INJECT(s, SEC(2), .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    /* Our FIN went again at 1.3 s and 1.9 s (RTO 300 ms after a 100 ms
     * sample, doubled). */
    EXPECT(s, SEC(2), .flags = F_FA, .seq = 1, .ack = 1, .at = MS(1300), .check = TS_DEFAULT_CHECK | TS_TIME);
    EXPECT(s, SEC(2), .flags = F_FA, .seq = 1, .ack = 1, .at = MS(1900), .check = TS_DEFAULT_CHECK | TS_TIME);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 2, .ack = 2);
    ts_run_until(s, SEC(12) - 1);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    ts_run_until(s, SEC(12));
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 0);
    ts_free(s);
}

/* A retransmitted FIN in TIME_WAIT is ACKed again and restarts 2*MSL. */
static void test_time_wait_refin(void)
{
    int fd;
    struct ts *s = tu_active_close(NULL, &fd);
    INJECT(s, MS(1100), .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 2, .ack = 2);
    INJECT(s, SEC(30), .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, SEC(30), .flags = F_A, .seq = 2, .ack = 2, .at = SEC(30), .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_run_until(s, SEC(90) - 1);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    ts_run_until(s, SEC(90));
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 0);
    /* A plain ACK to the vanished tuple now meets the listener: RST. */
    INJECT(s, SEC(91), .flags = F_A, .seq = 2, .ack = 2, .win = 512);
    EXPECT(s, SEC(91), .flags = F_R, .seq = 2);
    ts_free(s);
}

/* ESTABLISHED -> CLOSE_WAIT, held as long as the application keeps the
 * socket, then LAST_ACK -> CLOSED. */
static void test_passive_close_close_wait(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_FA, .seq = 1, .ack = 1, .win = 512);
    /* The FIN is acknowledged at once (not delayed). */
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 2, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSE_WAIT);
    char buf[16];
    CHECK_EQ(nst_recv(s->st, fd, buf, sizeof(buf), 0), 0);
    int ev = nst_socket_events(s->st, fd);
    CHECK(ev & NST_EV_IN);
    CHECK(ev & NST_EV_RDHUP);
    CHECK(ev & NST_EV_OUT);
    CHECK_EQ(ev & NST_EV_HUP, 0);
    /* An hour later nothing has happened: CLOSE_WAIT waits for close(). */
    EXPECT_NONE(s, SEC(3600));
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSE_WAIT);
    /* The other direction still works. */
    CHECK_EQ(nst_send(s->st, fd, "bye", 3, 0), 3);
    EXPECT(s, SEC(3600), .flags = F_PA, .seq = 1, .ack = 2, .len = 3);
    INJECT(s, SEC(3600) + MS(100), .flags = F_A, .seq = 2, .ack = 4, .win = 512);
    CHECK_EQ(nst_close(s->st, fd), 0);
    EXPECT(s, SEC(3601), .flags = F_FA, .seq = 4, .ack = 2, .at = SEC(3600) + MS(100),
           .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_count(s, NST_TCPS_LAST_ACK), 1);
    INJECT(s, SEC(3600) + MS(200), .flags = F_A, .seq = 2, .ack = 5, .win = 512);
    CHECK_EQ(tu_count(s, NST_TCPS_LAST_ACK), 0);
    CHECK_EQ(tu_total(s), 1);
    EXPECT_NONE(s, SEC(3700));
    ts_free(s);
}

/* FIN_WAIT_1 -> CLOSING -> TIME_WAIT: the FINs cross. */
static void test_simultaneous_close(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    ts_run_until(s, SEC(1));
    CHECK_EQ(nst_shutdown(s->st, fd, NST_SHUT_WR), 0);
    EXPECT(s, SEC(1), .flags = F_FA, .seq = 1, .ack = 1);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_FIN_WAIT_1);
    INJECT(s, MS(1050), .flags = F_FA, .seq = 1, .ack = 1, .win = 512);
    EXPECT(s, MS(1050), .flags = F_A, .seq = 2, .ack = 2);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSING);
    INJECT(s, MS(1100), .flags = F_A, .seq = 2, .ack = 2, .win = 512);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED); /* the descriptor's TCB is gone */
    char b[4];
    CHECK_EQ(nst_recv(s->st, fd, b, 4, 0), 0);
    CHECK_EQ(nst_send(s->st, fd, b, 4, 0), -EPIPE);
    CHECK(nst_socket_events(s->st, fd) & NST_EV_HUP);
    ts_free(s);
}

/* FIN_WAIT_1 -> TIME_WAIT when the peer's FIN also acknowledges ours. */
static void test_fin_wait_1_to_time_wait(void)
{
    int fd;
    struct ts *s = tu_active_close(NULL, &fd);
    INJECT(s, MS(1100), .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, MS(1100), .flags = F_A, .seq = 2, .ack = 2);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    CHECK_EQ(tu_total(s), 2);
    ts_free(s);
}

/* Half-close: after shutdown(SHUT_WR) the peer may go on sending. */
static void test_half_close(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    ts_run_until(s, SEC(1));
    nst_shutdown(s->st, fd, NST_SHUT_WR);
    EXPECT(s, SEC(1), .flags = F_FA, .seq = 1, .ack = 1);
    CHECK_EQ(nst_send(s->st, fd, "x", 1, 0), -EPIPE);
    INJECT(s, MS(1100), .flags = F_A, .seq = 1, .ack = 2, .win = 512);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_FIN_WAIT_2);
    INJECT(s, SEC(2), .flags = F_PA, .seq = 1, .ack = 2, .win = 512, .len = 1000);
    /* One segment: the ACK is delayed by 40 ms. */
    EXPECT(s, SEC(3), .flags = F_A, .seq = 2, .ack = 1001, .at = SEC(2) + MS(40),
           .check = TS_DEFAULT_CHECK | TS_TIME);
    char buf[2000];
    CHECK_EQ(nst_recv(s->st, fd, buf, sizeof(buf), 0), 1000);
    /* FIN_WAIT_2 lasts while the application holds the socket. */
    EXPECT_NONE(s, SEC(200));
    CHECK_EQ(tu_state(s, fd), NST_TCPS_FIN_WAIT_2);
    INJECT(s, SEC(200), .flags = F_FA, .seq = 1001, .ack = 2, .win = 512);
    EXPECT(s, SEC(200), .flags = F_A, .seq = 2, .ack = 1002);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    CHECK_EQ(nst_recv(s->st, fd, buf, sizeof(buf), 0), 0);
    ts_free(s);
}

/* SO_LINGER {1, 0}: close() is ABORT, a RST and no TIME_WAIT. */
static void test_abortive_close_linger(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    struct nst_linger l = {1, 0};
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_LINGER, &l, sizeof(l)), 0);
    ts_run_until(s, SEC(1));
    nst_close(s->st, fd);
    EXPECT(s, SEC(1), .flags = F_RA, .seq = 1, .ack = 1, .win = 0, .check = TS_DEFAULT_CHECK | TS_WIN);
    CHECK_EQ(tu_total(s), 1);
    CHECK_EQ(tu_stats(s)->tcp_tx_resets, 1);
    CHECK_EQ(tu_stats(s)->tcp_estab_resets, 1);
    EXPECT_NONE(s, SEC(10));
    ts_free(s);
}

/* RFC 2525 2.17: closing with unread data resets the connection. */
static void test_close_with_unread_data(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 10);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 11);
    ts_run_until(s, SEC(2));
    nst_close(s->st, fd);
    EXPECT(s, SEC(2), .flags = F_RA, .seq = 1, .ack = 11);
    CHECK_EQ(tu_total(s), 1);
    ts_free(s);
}

/* Data arriving after close() (orphan in FIN_WAIT_2) is answered by RST. */
static void test_data_after_close(void)
{
    int fd;
    struct ts *s = tu_active_close(NULL, &fd);
    INJECT(s, MS(1100), .flags = F_A, .seq = 1, .ack = 2, .win = 512);
    CHECK_EQ(tu_count(s, NST_TCPS_FIN_WAIT_2), 1);
    INJECT(s, SEC(2), .flags = F_PA, .seq = 1, .ack = 2, .win = 512, .len = 10);
    EXPECT(s, SEC(2), .flags = F_RA, .seq = 2, .ack = 1);
    CHECK_EQ(tu_total(s), 1);
    ts_free(s);
}

/* An orphaned FIN_WAIT_2 ends after fin_wait2_timeout (60 s) with a RST. */
static void test_orphan_fin_wait_2_timeout(void)
{
    int fd;
    struct ts *s = tu_active_close(NULL, &fd);
    INJECT(s, MS(1100), .flags = F_A, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, SEC(100), .flags = F_RA, .seq = 2, .ack = 1, .at = MS(1100) + SEC(60),
           .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_total(s), 1);
    ts_free(s);
}

/* ---- resets ------------------------------------------------------------------------ */

/* RFC 9293 3.10.7.1: segments to a closed port get RSTs of the right shape. */
static void test_rst_closed_port(void)
{
    struct ts *s = ts_new(NULL);
    s->peer_isn = 5000;
    INJECT(s, 0, .flags = F_S, .seq = 0, .win = 65535, .dport = 9999);
    EXPECT(s, 0, .flags = F_RA, .seq = 0, .ack = 5001, .check = TS_FLAGS | TS_SEQ | TS_ACK | TS_ABS);
    INJECT(s, MS(1), .flags = F_A, .seq = 10, .ack = 777, .win = 100, .dport = 9999, .check = TS_ABS);
    EXPECT(s, MS(1), .flags = F_R, .seq = 777, .check = TS_FLAGS | TS_SEQ | TS_ABS);
    INJECT(s, MS(2), .flags = F_P, .seq = 0, .win = 100, .len = 20, .dport = 9999);
    EXPECT(s, MS(2), .flags = F_RA, .seq = 0, .ack = 5020, .check = TS_FLAGS | TS_SEQ | TS_ACK | TS_ABS);
    /* A RST is never answered. */
    INJECT(s, MS(3), .flags = F_R, .seq = 0, .dport = 9999);
    EXPECT_NONE(s, SEC(1));
    CHECK_EQ(tu_stats(s)->tcp_rx_no_socket, 4);
    CHECK_EQ(tu_stats(s)->tcp_tx_resets, 3);
    ts_free(s);
}

/* SYN_SENT + RST,ACK: connect fails with ECONNREFUSED. */
static void test_connect_refused(void)
{
    struct ts *s = ts_new(NULL);
    int fd;
    tu_connect(s, &fd);
    EXPECT(s, 0, .flags = F_S, .seq = 0);
    /* RFC 9293 3.10.7.3: a RST whose ACK does not acknowledge our SYN is
     * dropped; a bad ACK without RST gets a RST. */
    INJECT(s, MS(5), .flags = F_RA, .seq = 0, .ack = 5, .win = 0);
    EXPECT_NONE(s, MS(5));
    INJECT(s, MS(6), .flags = F_A, .seq = 0, .ack = 5, .win = 0);
    EXPECT(s, MS(6), .flags = F_R, .seq = 5);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_SYN_SENT);
    INJECT(s, MS(10), .flags = F_RA, .seq = 0, .ack = 1, .win = 0);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED);
    int ev = nst_socket_events(s->st, fd);
    CHECK(ev & NST_EV_ERR);
    CHECK(ev & NST_EV_OUT);
    CHECK(ev & NST_EV_HUP);
    CHECK_EQ(tu_sock_error(s, fd), ECONNREFUSED);
    CHECK_EQ(tu_sock_error(s, fd), 0);
    CHECK_EQ(tu_stats(s)->tcp_attempt_fails, 1);
    EXPECT_NONE(s, SEC(10)); /* no SYN retransmission */
    /* The error is also what a second connect() reports. */
    struct nst_sockaddr remote = tu_peer(s);
    int fd2 = nst_socket(s->st, NST_SOCK_STREAM);
    nst_connect(s->st, fd2, &remote);
    struct ts_pkt p;
    CHECK(ts_next(s, SEC(10), &p));
    INJECT(s, SEC(10), .flags = F_RA, .seq = 0, .ack = 1, .win = 0, .dport = p.h.src_port);
    CHECK_EQ(nst_connect(s->st, fd2, &remote), -ECONNREFUSED);
    char b[4];
    CHECK_EQ(nst_recv(s->st, fd2, b, 4, 0), 0);
    ts_free(s);
}

/* RFC 5961 3.2: only a RST at exactly RCV.NXT resets; one elsewhere in the
 * window draws a challenge ACK; one outside is dropped. */
static void test_rst_rfc5961(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_R, .seq = 100, .win = 0);
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 1, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    CHECK_EQ(tu_stats(s)->tcp_challenge_acks, 1);
    INJECT(s, SEC(2), .flags = F_R, .seq = 1 + 300000, .win = 0); /* beyond the 256 KiB window */
    EXPECT_NONE(s, SEC(3));
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    INJECT(s, SEC(3), .flags = F_R, .seq = 1, .win = 0);
    EXPECT_NONE(s, SEC(4));
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED);
    char b[4];
    CHECK_EQ(nst_recv(s->st, fd, b, 4, 0), -ECONNRESET);
    CHECK_EQ(nst_recv(s->st, fd, b, 4, 0), 0);
    CHECK_EQ(nst_send(s->st, fd, b, 4, 0), -EPIPE);
    CHECK_EQ(tu_stats(s)->tcp_estab_resets, 1);
    CHECK_EQ(tu_stats(s)->tcp_rx_resets, 1);
    ts_free(s);
}

/* RFC 5961 4.2: a SYN in a synchronized state draws a challenge ACK;
 * 5.2: an ACK of data never sent is dropped with an ACK. */
static void test_syn_and_bad_ack_in_established(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_S, .seq = 500, .win = 65535);
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 1);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    INJECT(s, SEC(2), .flags = F_PA, .seq = 1, .ack = 1000, .win = 512, .len = 5);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 1);
    char b[8];
    CHECK_EQ(nst_recv(s->st, fd, b, 8, 0), -EAGAIN);
    CHECK_EQ(tu_stats(s)->tcp_challenge_acks, 2);
    ts_free(s);
}

/* RFC 5961 7: challenge ACKs are rate limited: one per 500 ms per
 * connection (the stack-wide budget, 1000 a second by default, is not the
 * limit here). */
static void test_challenge_ack_limit(void)
{
    struct nst_stack_config cfg = tu_config();
    int lfd, fd;
    struct ts *s = tu_passive(&cfg, 0, &lfd, &fd);
    for (int i = 0; i < 3; i++)
        INJECT(s, SEC(1), .flags = F_R, .seq = 50 + (uint32_t)i, .win = 0);
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 1);
    EXPECT_NONE(s, MS(1499));
    CHECK_EQ(tu_stats(s)->tcp_challenge_acks, 1);
    CHECK_EQ(tu_stats(s)->tcp_challenge_ack_limited, 2);
    INJECT(s, MS(1499), .flags = F_R, .seq = 60, .win = 0);
    EXPECT_NONE(s, MS(1500));
    INJECT(s, MS(1500), .flags = F_R, .seq = 61, .win = 0);
    EXPECT(s, MS(1500), .flags = F_A, .seq = 1, .ack = 1);
    CHECK_EQ(tu_stats(s)->tcp_challenge_acks, 2);
    CHECK_EQ(tu_stats(s)->tcp_challenge_ack_limited, 3);
    ts_free(s);
}

/* Out-of-window segments get an ACK; bare ones (a keepalive probe) at most
 * one per 500 ms per connection, so no ACK loop can form; duplicate data
 * is always answered. */
static void test_out_of_window_acks(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_A, .seq = 0, .ack = 1, .win = 512); /* a keepalive probe */
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 1, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, SEC(1) + MS(100), .flags = F_A, .seq = 0, .ack = 1, .win = 512);
    EXPECT_NONE(s, SEC(2) - 1);
    INJECT(s, SEC(2), .flags = F_A, .seq = 0, .ack = 1, .win = 512);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 1);
    INJECT(s, SEC(3), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 10);
    EXPECT(s, SEC(4), .flags = F_A, .seq = 1, .ack = 11);
    INJECT(s, SEC(5), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 10);
    EXPECT(s, SEC(5), .flags = F_A, .seq = 1, .ack = 11, .at = SEC(5), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, SEC(5) + MS(1), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 10);
    EXPECT(s, SEC(5) + MS(1), .flags = F_A, .seq = 1, .ack = 11);
    CHECK_EQ(tu_stats(s)->tcp_rx_duplicate, 5);
    ts_free(s);
}

/* A FIN beyond a gap waits for the gap (RFC 9293 3.10.7.4 eighth) and is
 * answered with a duplicate ACK at once (RFC 5681 4.2). */
static void test_fin_out_of_order(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_FA, .seq = 101, .ack = 1, .win = 512);
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 1, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    INJECT(s, SEC(2), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 100);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 102, .at = SEC(2), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSE_WAIT);
    char b[200];
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), 100);
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), 0);
    ts_free(s);
}

/* SYN_RECEIVED + RST returns a passive open to LISTEN. */
static void test_syn_received_reset(void)
{
    int lfd;
    struct ts *s = tu_syn_received(8, &lfd);
    CHECK_EQ(tu_info(s, lfd).syn_queue, 1);
    INJECT(s, MS(10), .flags = F_R, .seq = 1, .win = 0);
    EXPECT_NONE(s, SEC(5));
    CHECK_EQ(tu_info(s, lfd).syn_queue, 0);
    CHECK_EQ(tu_total(s), 1);
    CHECK_EQ(tu_state(s, lfd), NST_TCPS_LISTEN);
    CHECK_EQ(tu_stats(s)->tcp_attempt_fails, 1);
    /* The tuple is unknown now: the handshake's ACK gets a RST. */
    INJECT(s, SEC(5), .flags = F_A, .seq = 1, .ack = 1, .win = 512);
    EXPECT(s, SEC(5), .flags = F_R, .seq = 1);
    ts_free(s);
}

/* SYN_RECEIVED: a retransmitted SYN gets the SYN-ACK again. */
static void test_syn_received_dup_syn(void)
{
    int lfd;
    struct ts *s = tu_syn_received(8, &lfd);
    INJECT(s, MS(500), .flags = F_S, .seq = 0, .win = 65535);
    EXPECT(s, MS(500), .flags = F_SA, .seq = 0, .ack = 1, .at = MS(500), .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_free(s);
}

/* ---- timestamps: PAWS (RFC 7323 5) --------------------------------------------------- */

static void test_paws(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 1, &lfd, &fd);
    CHECK(fd >= 0);
    struct nst_tcp_opts t2000 = {.has_ts = 1, .ts_val = 2000};
    INJECT(s, SEC(1), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 100, .opts = t2000, .ecr_auto = 1);
    struct nst_tcp_opts e2000 = {.has_ts = 1, .ts_ecr = 2000};
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 101, .opts = e2000, .check = TS_DEFAULT_CHECK | TS_TSECR);
    /* An older TSval: PAWS drops it and answers with an ACK. */
    struct nst_tcp_opts t1500 = {.has_ts = 1, .ts_val = 1500};
    INJECT(s, SEC(2), .flags = F_PA, .seq = 101, .ack = 1, .win = 512, .len = 100, .opts = t1500, .ecr_auto = 1);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 101, .opts = e2000, .at = SEC(2),
           .check = TS_DEFAULT_CHECK | TS_TSECR | TS_TIME);
    CHECK_EQ(tu_stats(s)->tcp_paws_drops, 1);
    char b[300];
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), 100);
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), -EAGAIN);
    /* RFC 7323 3.2: without a TSopt a non-RST segment is dropped silently. */
    INJECT(s, SEC(3), .flags = F_PA, .seq = 101, .ack = 1, .win = 512, .len = 100);
    EXPECT_NONE(s, SEC(4));
    CHECK_EQ(tu_stats(s)->tcp_rx_missing_ts, 1);
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), -EAGAIN);
    /* A newer TSval is fine again. */
    struct nst_tcp_opts t3000 = {.has_ts = 1, .ts_val = 3000};
    INJECT(s, SEC(4), .flags = F_PA, .seq = 101, .ack = 1, .win = 512, .len = 100, .opts = t3000, .ecr_auto = 1);
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), 100);
    /* A RST needs no TSopt. */
    INJECT(s, SEC(5), .flags = F_R, .seq = 201, .win = 0);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED);
    ts_free(s);
}

/* ---- the listen queues and SYN cookies (RFC 4987) ---------------------------------------- */

static void test_syn_cookies(void)
{
    /* The first SYN takes the one slot of the backlog. */
    int lfd;
    struct ts *s = tu_syn_received(1, &lfd);
    CHECK_EQ(tu_info(s, lfd).syn_queue, 1);
    /* The second is answered statelessly, with a cookie. */
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    INJECT(s, MS(1), .flags = F_S, .seq = 0, .win = 65535, .opts = o, .sport = 40001);
    struct nst_tcp_opts w = {.has_mss = 1, .mss = 1460, .has_wscale = 1, .wscale = 3, .sack_ok = 1};
    EXPECT(s, MS(1), .flags = F_SA, .seq = 0, .ack = 1, .win = 65535, .opts = w, .dport = 40001,
           .check = TS_DEFAULT_CHECK | TS_WIN | TS_OPTS | TS_PORTS);
    CHECK_EQ(tu_stats(s)->tcp_syncookies_sent, 1);
    CHECK_EQ(tu_info(s, lfd).syn_queue, 1);
    CHECK_EQ(tu_total(s), 2); /* no state kept for the cookie */
    /* The ACK echoing the cookie creates the connection, ESTABLISHED. */
    INJECT(s, MS(11), .flags = F_A, .seq = 1, .ack = 1, .win = 512, .sport = 40001);
    struct nst_sockaddr peer;
    int fd = nst_accept(s->st, lfd, &peer);
    CHECK(fd >= 0);
    CHECK_EQ(peer.port, 40001);
    CHECK_EQ(tu_stats(s)->tcp_syncookies_ok, 1);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.state, NST_TCPS_ESTABLISHED);
    CHECK_EQ(ti.snd_wscale, 7);
    CHECK_EQ(ti.rcv_wscale, 3);
    CHECK_EQ(ti.options, NST_TCPI_OPT_SACK | NST_TCPI_OPT_WSCALE);
    CHECK_EQ(ti.snd_mss, 1460);
    CHECK_EQ(ti.snd_wnd, 512 * 128);
    CHECK_EQ(nst_send(s->st, fd, "abc", 3, 0), 3);
    EXPECT(s, MS(11), .flags = F_PA, .seq = 1, .ack = 1, .len = 3, .dport = 40001,
           .check = TS_DEFAULT_CHECK | TS_PORTS);
    /* A forged ACK fails the cookie check and gets a RST. */
    INJECT(s, MS(20), .flags = F_A, .seq = 1, .ack = 12345, .win = 512, .sport = 40002, .check = TS_ABS);
    EXPECT(s, MS(20), .flags = F_R, .seq = 12345, .dport = 40002, .check = TS_FLAGS | TS_SEQ | TS_ABS | TS_PORTS);
    CHECK_EQ(tu_stats(s)->tcp_syncookies_failed, 1);
    ts_free(s);
}

/* A full accept queue drops new SYNs (the peer will retry). */
static void test_accept_queue_full(void)
{
    int lfd;
    struct ts *s = tu_syn_received(1, &lfd);
    INJECT(s, MS(10), .flags = F_A, .seq = 1, .ack = 1, .win = 512);
    CHECK_EQ(tu_info(s, lfd).accept_queue, 1);
    CHECK(nst_socket_events(s->st, lfd) & NST_EV_IN);
    INJECT(s, MS(20), .flags = F_S, .seq = 0, .win = 65535, .sport = 40001);
    EXPECT_NONE(s, MS(30));
    CHECK_EQ(tu_stats(s)->tcp_listen_overflows, 1);
    CHECK_EQ(tu_stats(s)->tcp_listen_drops, 1);
    int fd = nst_accept(s->st, lfd, NULL);
    CHECK(fd >= 0);
    CHECK_EQ(nst_accept(s->st, lfd, NULL), -EAGAIN);
    /* Room again: the retried SYN is accepted. */
    INJECT(s, SEC(1), .flags = F_S, .seq = 0, .win = 65535, .sport = 40001);
    EXPECT(s, SEC(1), .flags = F_SA, .seq = 0, .ack = 1, .dport = 40001, .check = TS_DEFAULT_CHECK | TS_PORTS);
    ts_free(s);
}

/* Closing a listener resets what it had queued. */
static void test_listener_close_resets_queue(void)
{
    int lfd;
    struct ts *s = tu_syn_received(8, &lfd);
    INJECT(s, MS(10), .flags = F_A, .seq = 1, .ack = 1, .win = 512);
    CHECK_EQ(tu_info(s, lfd).accept_queue, 1);
    ts_run_until(s, SEC(1));
    nst_close(s->st, lfd);
    EXPECT(s, SEC(1), .flags = F_RA, .seq = 1, .ack = 1);
    CHECK_EQ(tu_total(s), 0);
    /* The port is free for a new listener. */
    CHECK(ts_listen(s, 8) >= 0);
    ts_free(s);
}

int main(void)
{
    RUN(test_passive_open);
    RUN(test_active_open);
    RUN(test_simultaneous_open);
    RUN(test_active_close);
    RUN(test_time_wait_msl_config);
    RUN(test_time_wait_refin);
    RUN(test_passive_close_close_wait);
    RUN(test_simultaneous_close);
    RUN(test_fin_wait_1_to_time_wait);
    RUN(test_half_close);
    RUN(test_abortive_close_linger);
    RUN(test_close_with_unread_data);
    RUN(test_data_after_close);
    RUN(test_orphan_fin_wait_2_timeout);
    RUN(test_rst_closed_port);
    RUN(test_connect_refused);
    RUN(test_rst_rfc5961);
    RUN(test_syn_and_bad_ack_in_established);
    RUN(test_challenge_ack_limit);
    RUN(test_out_of_window_acks);
    RUN(test_fin_out_of_order);
    RUN(test_syn_received_reset);
    RUN(test_syn_received_dup_syn);
    RUN(test_paws);
    RUN(test_syn_cookies);
    RUN(test_accept_queue_full);
    RUN(test_listener_close_resets_queue);
    return nst_test_done();
}
