/* TCP Fast Open (RFC 7413), segment by segment.
 *
 * Server (the stack listens with NST_TCP_FASTOPEN, cfg.tcp.fastopen = 3):
 *   - a SYN asking for a cookie (empty option) draws a SYN-ACK with an
 *     8-byte cookie; its data, if any, is not acknowledged;
 *   - a SYN with that cookie and 5 bytes: the SYN-ACK acknowledges them,
 *     accept() returns the connection at once (SYN_RECEIVED) with the 5
 *     bytes readable, and its answer leaves before the handshake's ACK;
 *     the SYN sent again brings them no second time;
 *   - an invalid cookie: data ignored (ACK of the SYN only), a fresh
 *     cookie in the SYN-ACK; the data sent after the handshake is read
 *     once;
 *   - the pending limit (5.1): with NST_TCP_FASTOPEN 1, a second SYN with
 *     data while the first is not past the handshake is a plain one.
 * Client (the stack connects with NST_TCP_FASTOPEN_CONNECT):
 *   - no cookie: the SYN asks for one (-EINPROGRESS), the SYN-ACK's is
 *     cached; the next connect returns 0 and the first send goes in the
 *     SYN with the cookie; a SYN-ACK acknowledging it ends the story;
 *   - a SYN-ACK acknowledging the SYN only: the data goes again;
 *   - the SYN with data lost: the SYN goes again without data or option,
 *     the data after the handshake; twice, and Fast Open to that server
 *     stops (4.4);
 *   - nst_sendto with NST_MSG_FASTOPEN does the same as connect + send. */
#include "support/sim_util.h"
#include "support/tcp_testutil.h"

static const char HELLO[] = "hello";

static struct nst_stack_config tfo_config(void)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.fastopen = 3;
    return cfg;
}

static struct nst_tcp_opts syn_opts_tfo(int len, const uint8_t *cookie)
{
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 0);
    o.has_fastopen = 1;
    o.fastopen_len = (uint8_t)len;
    if (len)
        memcpy(o.fastopen_cookie, cookie, (size_t)len);
    return o;
}

/* ---- server ----------------------------------------------------------------------- */

static struct ts *tfo_server(int qlen, int *lfd)
{
    struct nst_stack_config cfg = tfo_config();
    struct ts *s = ts_new(&cfg);
    *lfd = ts_listen(s, 8);
    CHECK_EQ(nst_setsockopt(s->st, *lfd, NST_IPPROTO_TCP, NST_TCP_FASTOPEN, &qlen, sizeof(qlen)), 0);
    return s;
}

/* From peer port `port`: a SYN asking for a cookie (with 5 bytes of data
 * too), the SYN-ACK with the cookie, acknowledging the SYN only. */
static void get_cookie(struct ts *s, uint16_t port, nst_time_t t, uint8_t cookie[8])
{
    struct nst_tcp_opts o = syn_opts_tfo(0, NULL);
    INJECT(s, t, .flags = F_S, .seq = 0, .win = 65535, .opts = o, .sport = port, .len = 5, .data = HELLO);
    EXPECT(s, t, .flags = F_SA, .ack = 1, .check = TS_FLAGS | TS_ACK | TS_LEN);
    CHECK(s->last.h.opts.has_fastopen);
    CHECK_EQ(s->last.h.opts.fastopen_len, 8);
    memcpy(cookie, s->last.h.opts.fastopen_cookie, 8);
}

static void test_server_cookie_and_data(void)
{
    int lfd;
    struct ts *s = tfo_server(16, &lfd);
    uint8_t cookie[8];
    get_cookie(s, 41000, 0, cookie);
    CHECK_EQ(tu_stats(s)->tcp_tfo_cookies_sent, 1);
    CHECK_EQ(nst_accept(s->st, lfd, NULL), -EAGAIN); /* an ordinary handshake under way */
    /* The cookie and data: acknowledged by the SYN-ACK, readable at once. */
    struct nst_tcp_opts o = syn_opts_tfo(8, cookie);
    INJECT(s, MS(200), .flags = F_S, .seq = 0, .win = 65535, .opts = o, .len = 5, .data = HELLO);
    EXPECT(s, MS(200), .flags = F_SA, .ack = 6, .check = TS_FLAGS | TS_ACK | TS_LEN);
    CHECK(!s->last.h.opts.has_fastopen); /* a valid cookie is not given again */
    int fd = nst_accept(s->st, lfd, NULL);
    CHECK(fd >= 0);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_SYN_RECEIVED);
    char buf[16];
    CHECK_EQ(nst_recv(s->st, fd, buf, sizeof(buf), 0), 5);
    CHECK(!memcmp(buf, HELLO, 5));
    CHECK_EQ(tu_stats(s)->tcp_tfo_passive, 1);
    /* The answer goes at once, before the handshake's ACK (only the
     * SYN-ACK is out: Nagle holds nothing). */
    CHECK_EQ(nst_send(s->st, fd, "world", 5, 0), 5);
    uint32_t iss = s->last.h.seq;
    EXPECT(s, MS(200), .flags = F_PA, .seq = iss + 1, .ack = 6, .len = 5,
           .check = TS_FLAGS | TS_SEQ | TS_ACK | TS_LEN | TS_ABS);
    /* The SYN again (the SYN-ACK was lost): a SYN-ACK again, the data not
     * a second time. */
    INJECT(s, MS(300), .flags = F_S, .seq = 0, .win = 65535, .opts = o, .len = 5, .data = HELLO);
    EXPECT(s, MS(300), .flags = F_SA, .ack = 6, .check = TS_FLAGS | TS_ACK | TS_LEN);
    INJECT(s, MS(400), .flags = F_PA, .seq = 6, .ack = iss + 6, .win = 512, .len = 3, .data = "abc",
           .check = TS_ABS);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    CHECK_EQ(nst_recv(s->st, fd, buf, sizeof(buf), 0), 3);
    CHECK(!memcmp(buf, "abc", 3));
    CHECK_EQ(tu_stats(s)->tcp_tfo_passive, 1);
    ts_free(s);
}

static void test_server_invalid_cookie(void)
{
    int lfd;
    struct ts *s = tfo_server(16, &lfd);
    uint8_t bad[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct nst_tcp_opts o = syn_opts_tfo(8, bad);
    INJECT(s, 0, .flags = F_S, .seq = 0, .win = 65535, .opts = o, .len = 5, .data = HELLO);
    /* 4.2.2: the data ignored, a valid cookie given. */
    EXPECT(s, 0, .flags = F_SA, .ack = 1);
    CHECK(s->last.h.opts.has_fastopen);
    CHECK_EQ(s->last.h.opts.fastopen_len, 8);
    CHECK_EQ(tu_stats(s)->tcp_tfo_cookie_invalid, 1);
    CHECK_EQ(nst_accept(s->st, lfd, NULL), -EAGAIN);
    /* The client sends the data after the handshake: read once. */
    INJECT(s, MS(100), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 5, .data = HELLO);
    int fd = nst_accept(s->st, lfd, NULL);
    CHECK(fd >= 0);
    char buf[16];
    CHECK_EQ(nst_recv(s->st, fd, buf, sizeof(buf), 0), 5);
    CHECK_EQ(nst_recv(s->st, fd, buf, sizeof(buf), 0), -EAGAIN);
    CHECK_EQ(tu_stats(s)->tcp_tfo_passive, 0);
    ts_free(s);
}

static void test_server_pending_limit(void)
{
    int lfd;
    struct ts *s = tfo_server(1, &lfd);
    uint8_t cookie[8];
    get_cookie(s, 41000, 0, cookie);
    struct nst_tcp_opts o = syn_opts_tfo(8, cookie);
    INJECT(s, MS(10), .flags = F_S, .seq = 0, .win = 65535, .opts = o, .sport = 41001, .len = 5, .data = HELLO);
    EXPECT(s, MS(10), .flags = F_SA, .ack = 6, .check = TS_FLAGS | TS_ACK | TS_LEN);
    uint32_t iss1 = s->last.h.seq;
    /* 5.1: one pending already: the next SYN's data is not taken. */
    INJECT(s, MS(20), .flags = F_S, .seq = 0, .win = 65535, .opts = o, .sport = 41002, .len = 5, .data = HELLO);
    EXPECT(s, MS(20), .flags = F_SA, .ack = 1, .check = TS_FLAGS | TS_ACK | TS_LEN);
    CHECK_EQ(tu_stats(s)->tcp_tfo_passive_overflow, 1);
    /* The first completes its handshake: room for another. */
    INJECT(s, MS(30), .flags = F_A, .seq = 6, .ack = iss1 + 1, .win = 512, .sport = 41001, .check = TS_ABS);
    EXPECT_NONE(s, MS(30));
    INJECT(s, MS(40), .flags = F_S, .seq = 0, .win = 65535, .opts = o, .sport = 41003, .len = 5, .data = HELLO);
    EXPECT(s, MS(40), .flags = F_SA, .ack = 6, .check = TS_FLAGS | TS_ACK | TS_LEN);
    CHECK_EQ(tu_stats(s)->tcp_tfo_passive, 2);
    ts_free(s);
}

/* ---- client ------------------------------------------------------------------------ */

static int tfo_socket(struct ts *s, uint16_t lport)
{
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    int one = 1;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_FASTOPEN_CONNECT, &one, sizeof(one)), 0);
    struct nst_sockaddr local = {0, lport};
    CHECK_EQ(nst_bind(s->st, fd, &local), 0);
    return fd;
}

static const uint8_t PEER_COOKIE[8] = {0xc0, 0x0c, 0x1e, 0x5a, 0x11, 0x22, 0x33, 0x44};

/* The first connection: the SYN asks for a cookie, the peer gives it. */
static struct ts *client_with_cookie(void)
{
    struct nst_stack_config cfg = tfo_config();
    struct ts *s = ts_new(&cfg);
    int fd = tfo_socket(s, s->lport);
    struct nst_sockaddr peer = tu_peer(s);
    CHECK_EQ(nst_connect(s->st, fd, &peer), -EINPROGRESS);
    EXPECT(s, 0, .flags = F_S, .seq = 0, .len = 0);
    CHECK(s->last.h.opts.has_fastopen);
    CHECK_EQ(s->last.h.opts.fastopen_len, 0);
    CHECK_EQ(tu_stats(s)->tcp_tfo_cookie_requests, 1);
    struct nst_tcp_opts o = syn_opts_tfo(8, PEER_COOKIE);
    o.mss = 1000;
    INJECT(s, MS(100), .flags = F_SA, .seq = 0, .ack = 1, .win = 65535, .opts = o);
    EXPECT(s, MS(100), .flags = F_A, .seq = 1, .ack = 1);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    return s;
}

/* A second connection from port lport with the cached cookie: connect()
 * returns 0, the send goes in the SYN. Returns the descriptor; the SYN
 * (absolute numbers) is in s->last. */
static int connect_with_data(struct ts *s, uint16_t lport, nst_time_t t)
{
    ts_run_until(s, t);
    int fd = tfo_socket(s, lport);
    struct nst_sockaddr peer = tu_peer(s);
    CHECK_EQ(nst_connect(s->st, fd, &peer), 0);
    EXPECT_NONE(s, t);
    CHECK(nst_socket_events(s->st, fd) & NST_EV_OUT);
    CHECK_EQ(nst_send(s->st, fd, HELLO, 5, 0), 5);
    struct ts_pkt pk;
    CHECK(ts_next(s, t, &pk));
    CHECK_EQ(pk.h.flags, F_S);
    CHECK_EQ(pk.len, 5);
    CHECK(!memcmp(pk.payload, HELLO, 5));
    CHECK(pk.h.opts.has_fastopen);
    CHECK_EQ(pk.h.opts.fastopen_len, 8);
    CHECK(!memcmp(pk.h.opts.fastopen_cookie, PEER_COOKIE, 8));
    return fd;
}

static void test_client_data_in_syn(void)
{
    struct ts *s = client_with_cookie();
    int fd = connect_with_data(s, 9001, SEC(1));
    uint32_t iss = s->last.h.seq;
    INJECT(s, SEC(1) + MS(100), .flags = F_SA, .seq = 0, .ack = iss + 6, .win = 65535, .sport = TS_PEER_PORT,
           .dport = 9001, .check = TS_ABS, .opts = ts_syn_opts(7, 1, 0));
    EXPECT(s, SEC(1) + MS(100), .flags = F_A, .seq = iss + 6, .ack = 1, .len = 0, .check = TS_FLAGS | TS_SEQ | TS_ABS);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    CHECK_EQ(tu_stats(s)->tcp_tfo_syn_data_sent, 1);
    CHECK_EQ(tu_stats(s)->tcp_tfo_syn_data_acked, 1);
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.retransmits, 0);
    EXPECT_NONE(s, SEC(5));
    ts_free(s);
}

static void test_client_data_not_acked(void)
{
    struct ts *s = client_with_cookie();
    int fd = connect_with_data(s, 9001, SEC(1));
    uint32_t iss = s->last.h.seq;
    /* 4.2.1: the SYN-ACK acknowledges the SYN only: the data goes again. */
    INJECT(s, SEC(1) + MS(100), .flags = F_SA, .seq = 0, .ack = iss + 1, .win = 65535, .sport = TS_PEER_PORT,
           .dport = 9001, .check = TS_ABS, .opts = ts_syn_opts(7, 1, 0));
    EXPECT(s, SEC(1) + MS(100), .flags = F_PA, .seq = iss + 1, .ack = 1, .len = 5,
           .check = TS_FLAGS | TS_SEQ | TS_LEN | TS_ABS);
    CHECK(!memcmp(s->last.payload, HELLO, 5));
    CHECK_EQ(tu_stats(s)->tcp_tfo_syn_data_unacked, 1);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    ts_free(s);
}

/* The SYN with data is lost: after the SYN timeout (1 s) the SYN alone,
 * no option; the data after the handshake. A second time: the server is
 * taken to sit behind a middlebox dropping SYNs with data (4.4): the next
 * connect is an ordinary one. */
static void test_client_syn_lost(void)
{
    struct ts *s = client_with_cookie();
    for (int round = 0; round < 2; round++) {
        uint16_t port = (uint16_t)(9001 + round);
        nst_time_t t = SEC(1 + 10 * round);
        int fd = connect_with_data(s, port, t);
        uint32_t iss = s->last.h.seq;
        struct ts_pkt pk;
        CHECK(ts_next(s, t + SEC(2), &pk));
        CHECK_EQ(pk.at, t + SEC(1));
        CHECK_EQ(pk.h.flags, F_S);
        CHECK_EQ(pk.len, 0);
        CHECK(!pk.h.opts.has_fastopen);
        INJECT(s, t + MS(1100), .flags = F_SA, .seq = 0, .ack = iss + 1, .win = 65535, .sport = TS_PEER_PORT,
               .dport = port, .check = TS_ABS, .opts = ts_syn_opts(7, 1, 0));
        EXPECT(s, t + MS(1100), .flags = F_PA, .seq = iss + 1, .ack = 1, .len = 5,
               .check = TS_FLAGS | TS_SEQ | TS_LEN | TS_ABS);
        CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
        INJECT(s, t + MS(1200), .flags = F_A, .seq = 1, .ack = iss + 6, .win = 512, .sport = TS_PEER_PORT,
               .dport = port, .check = TS_ABS);
        EXPECT_NONE(s, t + SEC(5));
    }
    CHECK_EQ(tu_stats(s)->tcp_tfo_blackholed, 1);
    /* Fast Open to it is off: an ordinary handshake (EINPROGRESS, no option). */
    ts_run_until(s, SEC(30));
    int fd = tfo_socket(s, 9010);
    struct nst_sockaddr peer = tu_peer(s);
    CHECK_EQ(nst_connect(s->st, fd, &peer), -EINPROGRESS);
    struct ts_pkt pk;
    CHECK(ts_next(s, SEC(30), &pk));
    CHECK_EQ(pk.h.flags, F_S);
    CHECK(!pk.h.opts.has_fastopen);
    ts_free(s);
}

static void test_client_sendto_fastopen(void)
{
    struct ts *s = client_with_cookie();
    ts_run_until(s, SEC(1));
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    struct nst_sockaddr local = {0, 9005};
    CHECK_EQ(nst_bind(s->st, fd, &local), 0);
    struct nst_sockaddr peer = tu_peer(s);
    CHECK_EQ(nst_sendto(s->st, fd, HELLO, 5, NST_MSG_FASTOPEN, &peer), 5);
    struct ts_pkt pk;
    CHECK(ts_next(s, SEC(1), &pk));
    CHECK_EQ(pk.h.flags, F_S);
    CHECK_EQ(pk.len, 5);
    CHECK(pk.h.opts.has_fastopen);
    /* Without a cookie for the address: -EINPROGRESS, the SYN asks. */
    struct nst_stack_config cfg = tfo_config();
    struct ts *s2 = ts_new(&cfg);
    int fd2 = nst_socket(s2->st, NST_SOCK_STREAM);
    struct nst_sockaddr peer2 = tu_peer(s2);
    CHECK_EQ(nst_sendto(s2->st, fd2, HELLO, 5, NST_MSG_FASTOPEN, &peer2), -EINPROGRESS);
    CHECK(ts_next(s2, 0, &pk));
    CHECK_EQ(pk.h.flags, F_S);
    CHECK_EQ(pk.len, 0);
    CHECK(pk.h.opts.has_fastopen);
    CHECK_EQ(pk.h.opts.fastopen_len, 0);
    ts_free(s2);
    ts_free(s);
}

int main(void)
{
    RUN(test_server_cookie_and_data);
    RUN(test_server_invalid_cookie);
    RUN(test_server_pending_limit);
    RUN(test_client_data_in_syn);
    RUN(test_client_data_not_acked);
    RUN(test_client_syn_lost);
    RUN(test_client_sendto_fastopen);
    return nst_test_done();
}
