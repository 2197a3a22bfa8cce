/* The receive fast path (src/tcp/tcp_input.c): an in-order segment's
 * payload is copied into the receive ring while its checksum is summed, and
 * becomes readable only once the segment has been accepted. These tests pin
 * down that a segment whose checksum fails leaves no trace (counted, no
 * ACK, no bytes, no buffer kept), that a placed segment the connection then
 * refuses (PAWS) gives its buffer back, and that the per-stack "last
 * connection" cache follows connections that come and go. */
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "support/tcp_testutil.h"
#include "tcp/tcp_state.h"

/* The control block behind fd (struct nst_sock is its first member). */
static struct nst_tcp_conn *conn_of(struct ts *s, int fd) { return (struct nst_tcp_conn *)nst_sock_get(s->st, fd); }

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

/* Injects seg with one payload byte flipped: the TCP checksum is wrong,
 * everything else (IP header included) is right. */
static void inject_corrupt(struct ts *s, nst_time_t t, const struct ts_seg *seg)
{
    uint8_t frame[2048];
    size_t n = ts_build(s, seg, frame, sizeof(frame));
    CHECK(n > 14 + 20 + 20 + 10);
    frame[14 + 20 + 20 + 5] ^= 0x5a; /* a payload byte (no TCP options) */
    ts_inject_frame(s, t, frame, n);
}

static struct ts *open_conn(int ts_opt, int *fd)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    struct nst_tcp_opts o = ts_syn_opts(7, 1, ts_opt);
    *fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    CHECK(*fd >= 0);
    ts_run_until(s, SEC(1));
    ts_flush(s);
    return s;
}

static void test_bad_checksum_on_idle_ring(void)
{
    int fd;
    struct ts *s = open_conn(0, &fd);
    uint8_t d[100], out[300];
    fill(d, sizeof d, 1);
    CHECK(conn_of(s, fd)->rcvbuf.buf == NULL); /* idle: no buffer */
    inject_corrupt(s, SEC(1), &(struct ts_seg){.flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 100, .data = d});
    CHECK_EQ(tu_stats(s)->tcp_rx_bad_checksum, 1);
    CHECK_EQ(tu_stats(s)->tcp_rx_segments, 3); /* SYN, ACK, this one */
    /* Nothing changed: no ACK (not even a delayed one), nothing readable,
     * the buffer the copy took is given back, RCV.NXT where it was. */
    EXPECT_NONE(s, SEC(2));
    CHECK_EQ(nst_recv(s->st, fd, out, sizeof out, 0), -EAGAIN);
    CHECK(conn_of(s, fd)->rcvbuf.buf == NULL);
    CHECK_EQ(conn_of(s, fd)->rcv_nxt, s->peer_isn + 1);
    CHECK_EQ(tu_info(s, fd).segs_in, 1); /* the handshake's ACK only */
    /* The retransmission, intact, is taken and acknowledged 40 ms later
     * (the delayed ACK: one segment). */
    INJECT(s, SEC(2), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 100, .data = d);
    EXPECT(s, SEC(3), .flags = F_A, .seq = 1, .ack = 101, .at = SEC(2) + MS(40),
           .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(nst_recv(s->st, fd, out, sizeof out, 0), 100);
    CHECK(memcmp(out, d, 100) == 0);
    CHECK(conn_of(s, fd)->rcvbuf.buf == NULL); /* drained: given back */
    CHECK_EQ(tu_stats(s)->tcp_rx_bad_checksum, 1);
    ts_free(s);
}

static void test_bad_checksum_behind_buffered_data(void)
{
    int fd;
    struct ts *s = open_conn(0, &fd);
    uint8_t a[100], b[100], out[300];
    fill(a, sizeof a, 3);
    fill(b, sizeof b, 9);
    INJECT(s, SEC(1), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 100, .data = a);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 101);
    /* The next bytes, corrupted: they go right after the unread 100 bytes
     * but must not become readable, nor move RCV.NXT. */
    inject_corrupt(s, SEC(2), &(struct ts_seg){.flags = F_PA, .seq = 101, .ack = 1, .win = 512, .len = 100, .data = b});
    CHECK_EQ(tu_stats(s)->tcp_rx_bad_checksum, 1);
    EXPECT_NONE(s, SEC(3));
    CHECK_EQ(tu_info(s, fd).recv_queue, 100);
    /* An intact copy of them follows the first 100 bytes exactly. */
    INJECT(s, SEC(3), .flags = F_PA, .seq = 101, .ack = 1, .win = 512, .len = 100, .data = b);
    EXPECT(s, SEC(4), .flags = F_A, .seq = 1, .ack = 201);
    CHECK_EQ(nst_recv(s->st, fd, out, sizeof out, 0), 200);
    CHECK(memcmp(out, a, 100) == 0 && memcmp(out + 100, b, 100) == 0);
    ts_free(s);
}

static void test_placed_then_refused_by_paws(void)
{
    int fd;
    struct ts *s = open_conn(1, &fd);
    uint8_t d[100], out[300];
    fill(d, sizeof d, 5);
    struct nst_tcp_opts t2000 = {.has_ts = 1, .ts_val = 2000};
    INJECT(s, SEC(1), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 100, .data = d, .opts = t2000,
           .ecr_auto = 1);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 101);
    CHECK_EQ(nst_recv(s->st, fd, out, sizeof out, 0), 100);
    CHECK(conn_of(s, fd)->rcvbuf.buf == NULL);
    /* In order and in window, so its payload is copied in while summed;
     * then PAWS (RFC 7323 5.3) refuses it: the bytes stay unreadable and
     * the ring, idle, gives its buffer back. */
    struct nst_tcp_opts t1500 = {.has_ts = 1, .ts_val = 1500};
    INJECT(s, SEC(2), .flags = F_PA, .seq = 101, .ack = 1, .win = 512, .len = 100, .data = d, .opts = t1500,
           .ecr_auto = 1);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 101, .at = SEC(2), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(tu_stats(s)->tcp_paws_drops, 1);
    CHECK_EQ(nst_recv(s->st, fd, out, sizeof out, 0), -EAGAIN);
    CHECK(conn_of(s, fd)->rcvbuf.buf == NULL);
    ts_free(s);
}

/* The stack remembers the connection of the last segment; a connection
 * that goes must not be found through it, and a new one on the same tuple
 * is found afresh. */
static void test_last_connection_cache(void)
{
    int fd;
    struct ts *s = open_conn(0, &fd);
    uint8_t d[10], out[64];
    fill(d, sizeof d, 7);
    INJECT(s, SEC(1), .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 10, .data = d);
    CHECK(s->st->tcp->rx_last == conn_of(s, fd));
    /* The peer resets it: the connection leaves the table and the cache. */
    INJECT(s, SEC(2), .flags = F_R, .seq = 11, .win = 0);
    CHECK_EQ(tu_state(s, fd), NST_TCPS_CLOSED);
    CHECK(s->st->tcp->rx_last == NULL);
    nst_close(s->st, fd);
    ts_flush(s);
    /* The same tuple again: a segment for it now meets only the listener,
     * which answers a stray ACK with a RST (RFC 9293 3.10.7.2). */
    INJECT(s, SEC(3), .flags = F_PA, .seq = 11, .ack = 1, .win = 512, .len = 10, .data = d);
    EXPECT(s, SEC(4), .flags = F_R, .seq = 1, .check = TS_FLAGS | TS_SEQ);
    CHECK_EQ(tu_total(s), 1); /* the listener */
    CHECK(s->st->tcp->rx_last == NULL);
    CHECK_EQ(nst_recv(s->st, fd, out, sizeof out, 0), -EBADF);
    ts_free(s);
}

int main(void)
{
    RUN(test_bad_checksum_on_idle_ring);
    RUN(test_bad_checksum_behind_buffered_data);
    RUN(test_placed_then_refused_by_paws);
    RUN(test_last_connection_cache);
    return nst_test_done();
}
