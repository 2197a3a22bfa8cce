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
 * Server keys (4.1.2: the secret changes; a primary and a backup key):
 *   - rotation every 10 s: a cookie from before the first rotation is
 *     under the backup: its SYN's data is still taken (0-RTT) and the
 *     SYN-ACK gives a new cookie, under the primary; after the second
 *     rotation that old cookie is invalid (ordinary handshake, a fresh
 *     cookie), the newer one taken once more under the backup; an idle
 *     stack that missed two rotations replaces both keys; counters exact;
 *   - keys set by the application: two servers with the same two keys
 *     (in swapped roles) take each other's cookies; a server given a
 *     primary alone refuses cookies under the dropped backup; bad lengths
 *     refused.
 * Client (the stack connects with NST_TCP_FASTOPEN_CONNECT):
 *   - no cookie: the SYN asks for one (-EINPROGRESS), the SYN-ACK's is
 *     cached; the next connect returns 0 and the first send goes in the
 *     SYN with the cookie; a SYN-ACK acknowledging it ends the story;
 *   - a SYN-ACK acknowledging the SYN only: the data goes again;
 *   - the SYN with data lost: the SYN goes again without data or option,
 *     the data after the handshake; twice, and Fast Open to that server
 *     stops (4.4);
 *   - nst_sendto with NST_MSG_FASTOPEN does the same as connect + send;
 *   - a SYN-ACK acknowledging the data with a new cookie (the server
 *     rotated its keys): the next SYN carries the new one. */
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

/* ---- server keys (RFC 7413 4.1.2) -------------------------------------------------- */

/* From peer port `port` at t: a SYN with `cookie` and 5 bytes. The
 * SYN-ACK acknowledges `ack` (6: the data taken, 1: the SYN only); a
 * cookie it gives is copied to `given`. The connection is then reset (its
 * SYN-ACKs would come again). Returns whether the SYN-ACK gave a cookie. */
static int syn_with_cookie(struct ts *s, uint16_t port, nst_time_t t, const uint8_t cookie[8], uint32_t ack,
                           uint8_t given[8])
{
    struct nst_tcp_opts o = syn_opts_tfo(8, cookie);
    INJECT(s, t, .flags = F_S, .seq = 0, .win = 65535, .opts = o, .sport = port, .len = 5, .data = HELLO);
    EXPECT(s, t, .flags = F_SA, .ack = ack, .check = TS_FLAGS | TS_ACK | TS_LEN);
    int has = s->last.h.opts.has_fastopen;
    if (has) {
        CHECK_EQ(s->last.h.opts.fastopen_len, 8);
        memcpy(given, s->last.h.opts.fastopen_cookie, 8);
    }
    INJECT(s, t, .flags = F_R, .seq = ack, .sport = port);
    EXPECT_NONE(s, t);
    return has;
}

static void test_server_key_rotation(void)
{
    struct nst_stack_config cfg = tfo_config();
    cfg.tcp.fastopen_key_rotation = SEC(10);
    struct ts *s = ts_new(&cfg);
    int lfd = ts_listen(s, 8), qlen = 16;
    CHECK_EQ(nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_FASTOPEN, &qlen, sizeof(qlen)), 0);
    const struct nst_stats *st = tu_stats(s);
    uint8_t a[8], b[8], c[8], d[8], given[8];
    get_cookie(s, 41000, 0, a);
    INJECT(s, 0, .flags = F_R, .seq = 1, .sport = 41000); /* (its SYN-ACK would come again) */
    /* Before any rotation: under the primary, taken, no new cookie. */
    CHECK(!syn_with_cookie(s, 41001, SEC(5), a, 6, given));
    CHECK_EQ(st->tcp_tfo_key_rotations, 0);
    /* 10 s: the first rotation. a is under the backup now: its data is
     * taken all the same, and the SYN-ACK gives b, under the primary. */
    CHECK(syn_with_cookie(s, 41002, SEC(12), a, 6, b));
    CHECK(memcmp(a, b, 8) != 0);
    CHECK_EQ(st->tcp_tfo_key_rotations, 1);
    CHECK_EQ(st->tcp_tfo_cookie_backup, 1);
    CHECK(!syn_with_cookie(s, 41003, SEC(13), b, 6, given));
    /* 20 s: the second rotation. a is under no key: an ordinary
     * handshake, its data ignored, a fresh cookie c; b under the backup
     * is taken once more (and given c too). */
    CHECK(syn_with_cookie(s, 41004, SEC(21), a, 1, c));
    CHECK(memcmp(c, a, 8) != 0 && memcmp(c, b, 8) != 0);
    CHECK(syn_with_cookie(s, 41005, SEC(22), b, 6, given));
    CHECK(!memcmp(given, c, 8));
    CHECK_EQ(st->tcp_tfo_key_rotations, 2);
    CHECK_EQ(st->tcp_tfo_cookie_backup, 2);
    CHECK_EQ(st->tcp_tfo_cookie_invalid, 1);
    CHECK_EQ(st->tcp_tfo_passive, 4);
    /* Idle until 47 s: the rotations at 30 and 40 s are both done when the
     * keys are next used: c (from 20 s) verifies under neither. */
    CHECK(syn_with_cookie(s, 41006, SEC(47), c, 1, d));
    CHECK_EQ(st->tcp_tfo_key_rotations, 4);
    CHECK_EQ(st->tcp_tfo_cookie_invalid, 2);
    /* The next rotation is at 50 s, not 57 s: d is under the backup at 51 s. */
    CHECK(syn_with_cookie(s, 41007, SEC(51), d, 6, given));
    CHECK_EQ(st->tcp_tfo_key_rotations, 5);
    CHECK_EQ(st->tcp_tfo_cookie_backup, 3);
    CHECK_EQ(st->tcp_tfo_passive, 5);
    CHECK_EQ(st->tcp_tfo_cookies_sent, 6); /* for a's request, 3 backup cookies, 2 invalid ones */
    ts_free(s);
}

static void test_server_keys_set(void)
{
    uint8_t k1[16], k2[16], keys[32], got[32], a[8], b[8], given[8];
    for (int i = 0; i < 16; i++) {
        k1[i] = (uint8_t)(0x10 + i);
        k2[i] = (uint8_t)(0xa0 + i);
    }
    int lfd;
    struct ts *s1 = tfo_server(16, &lfd);
    struct ts *s2 = tfo_server(16, &lfd);
    /* The derived key: stable, a primary alone. */
    CHECK_EQ(nst_tcp_fastopen_get_keys(s1->st, got), NST_TCP_FASTOPEN_KEY_LEN);
    CHECK_EQ(nst_tcp_fastopen_get_keys(s1->st, keys), NST_TCP_FASTOPEN_KEY_LEN);
    CHECK(!memcmp(got, keys, 16));
    /* s1: k1 primary, k2 backup; s2 the other way round. */
    memcpy(keys, k1, 16);
    memcpy(keys + 16, k2, 16);
    CHECK_EQ(nst_tcp_fastopen_set_keys(s1->st, keys, 32), 0);
    CHECK_EQ(nst_tcp_fastopen_get_keys(s1->st, got), 32);
    CHECK(!memcmp(got, keys, 32));
    memcpy(keys, k2, 16);
    memcpy(keys + 16, k1, 16);
    CHECK_EQ(nst_tcp_fastopen_set_keys(s2->st, keys, 32), 0);
    get_cookie(s1, 41000, 0, a);     /* under k1 */
    get_cookie(s2, 41000, 0, b);     /* under k2 */
    CHECK(syn_with_cookie(s2, 41001, MS(10), a, 6, given)); /* k1 is s2's backup */
    CHECK(!memcmp(given, b, 8));
    CHECK(syn_with_cookie(s1, 41001, MS(10), b, 6, given)); /* and k2 s1's */
    CHECK(!memcmp(given, a, 8));
    CHECK_EQ(tu_stats(s1)->tcp_tfo_cookie_backup, 1);
    CHECK_EQ(tu_stats(s2)->tcp_tfo_cookie_backup, 1);
    /* s2 keeps k2 alone: a cookie under k1 is refused. */
    CHECK_EQ(nst_tcp_fastopen_set_keys(s2->st, k2, 16), 0);
    CHECK_EQ(nst_tcp_fastopen_get_keys(s2->st, got), 16);
    CHECK(!memcmp(got, k2, 16));
    CHECK(syn_with_cookie(s2, 41002, MS(20), a, 1, given));
    CHECK(!memcmp(given, b, 8));
    CHECK(!syn_with_cookie(s2, 41003, MS(20), b, 6, given));
    CHECK_EQ(tu_stats(s2)->tcp_tfo_cookie_invalid, 1);
    CHECK_EQ(tu_stats(s2)->tcp_tfo_key_rotations, 0);
    /* Bad input. */
    CHECK_EQ(nst_tcp_fastopen_set_keys(s1->st, NULL, 32), -EINVAL);
    CHECK_EQ(nst_tcp_fastopen_set_keys(s1->st, keys, 0), -EINVAL);
    CHECK_EQ(nst_tcp_fastopen_set_keys(s1->st, keys, 17), -EINVAL);
    CHECK_EQ(nst_tcp_fastopen_set_keys(s1->st, keys, 31), -EINVAL);
    CHECK_EQ(nst_tcp_fastopen_get_keys(s1->st, NULL), -EINVAL);
    ts_free(s2);
    ts_free(s1);
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

/* The server rotated its keys: the SYN-ACK acknowledging our SYN's data
 * brings a new cookie; the next connection's SYN carries it. */
static void test_client_cookie_replaced(void)
{
    static const uint8_t NEW_COOKIE[8] = {0x5e, 0xc0, 0x4d, 0x00, 0x99, 0x88, 0x77, 0x66};
    struct ts *s = client_with_cookie();
    int fd = connect_with_data(s, 9001, SEC(1));
    uint32_t iss = s->last.h.seq;
    struct nst_tcp_opts o = syn_opts_tfo(8, NEW_COOKIE);
    INJECT(s, SEC(1) + MS(100), .flags = F_SA, .seq = 0, .ack = iss + 6, .win = 65535, .sport = TS_PEER_PORT,
           .dport = 9001, .check = TS_ABS, .opts = o);
    EXPECT(s, SEC(1) + MS(100), .flags = F_A, .seq = iss + 6, .ack = 1, .len = 0, .check = TS_FLAGS | TS_SEQ | TS_ABS);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_ESTABLISHED);
    CHECK_EQ(tu_stats(s)->tcp_tfo_syn_data_acked, 1);
    ts_run_until(s, SEC(2));
    int fd2 = tfo_socket(s, 9002);
    struct nst_sockaddr peer = tu_peer(s);
    CHECK_EQ(nst_connect(s->st, fd2, &peer), 0);
    CHECK_EQ(nst_send(s->st, fd2, HELLO, 5, 0), 5);
    struct ts_pkt pk;
    CHECK(ts_next(s, SEC(2), &pk));
    CHECK_EQ(pk.h.flags, F_S);
    CHECK_EQ(pk.len, 5);
    CHECK_EQ(pk.h.opts.fastopen_len, 8);
    CHECK(!memcmp(pk.h.opts.fastopen_cookie, NEW_COOKIE, 8));
    ts_free(s);
}

int main(void)
{
    RUN(test_server_cookie_and_data);
    RUN(test_server_invalid_cookie);
    RUN(test_server_pending_limit);
    RUN(test_server_key_rotation);
    RUN(test_server_keys_set);
    RUN(test_client_data_in_syn);
    RUN(test_client_data_not_acked);
    RUN(test_client_syn_lost);
    RUN(test_client_sendto_fastopen);
    RUN(test_client_cookie_replaced);
    return nst_test_done();
}
