/* Urgent data on receive (RFC 9293 3.8.5 and 3.10.7.4 sixth, RFC 6093):
 * the urgent pointer points at the octet after the urgent data (SEG.SEQ +
 * SEG.UP), RCV.UP only moves forward, and the urgent bytes are read inline,
 * in order, never lost or delivered twice. The application is told
 * (NST_EV_PRI) and can ask how many urgent bytes remain
 * (NST_TCP_URGENT_LEFT). */
#include <string.h>

#include "support/tcp_testutil.h"

#define F_UPA (NST_TCP_URG | NST_TCP_PSH | NST_TCP_ACK)

static int urgent_left(struct ts *s, int fd)
{
    int v = -1;
    size_t len = sizeof(v);
    CHECK_EQ(nst_getsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_URGENT_LEFT, &v, &len), 0);
    return v;
}

static int pri(struct ts *s, int fd) { return (nst_socket_events(s->st, fd) & NST_EV_PRI) != 0; }

/* Reads exactly n bytes and checks they are `want`. */
static void read_exact(struct ts *s, int fd, const char *want, size_t n)
{
    char b[64] = {0};
    CHECK_EQ(nst_recv(s->st, fd, b, n, 0), (ssize_t)n);
    CHECK(memcmp(b, want, n) == 0);
}

/* "hello" with URG and pointer 3: "hel" is urgent. Reading goes through
 * the urgent bytes and on, the count falling to 0. */
static void test_pointer_past_the_urgent_data(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    CHECK_EQ(urgent_left(s, fd), 0);
    CHECK(!pri(s, fd));
    INJECT(s, SEC(1), .flags = F_UPA, .seq = 1, .ack = 1, .win = 512, .len = 5, .data = "hello", .urg = 3);
    CHECK_EQ(urgent_left(s, fd), 3);
    CHECK(pri(s, fd));
    CHECK(nst_socket_events(s->st, fd) & NST_EV_IN);
    CHECK_EQ(tu_stats(s)->tcp_rx_urgent, 1);
    read_exact(s, fd, "he", 2);
    CHECK_EQ(urgent_left(s, fd), 1);
    read_exact(s, fd, "llo", 3);
    CHECK_EQ(urgent_left(s, fd), 0);
    CHECK(!pri(s, fd));
    ts_free(s);
}

/* The pointer may point beyond the segment (more urgent data to come); a
 * retransmission of the segment with an older pointer changes nothing, and
 * its bytes are not delivered twice; the next segment's URG with the same
 * pointer is no news. Then a segment whose pointer lies behind what was
 * read: nothing urgent. */
static void test_pointer_ahead_retransmission_and_stale(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_UPA, .seq = 1, .ack = 1, .win = 512, .len = 4, .data = "abcd", .urg = 10);
    CHECK_EQ(urgent_left(s, fd), 10); /* octets 1..10: 4 here, 6 still to come */
    INJECT(s, SEC(1), .flags = F_UPA, .seq = 1, .ack = 1, .win = 512, .len = 4, .data = "abcd", .urg = 2);
    CHECK_EQ(urgent_left(s, fd), 10);
    INJECT(s, SEC(1), .flags = F_UPA, .seq = 5, .ack = 1, .win = 512, .len = 8, .data = "efghijkl", .urg = 6);
    CHECK_EQ(urgent_left(s, fd), 10);
    CHECK_EQ(tu_stats(s)->tcp_rx_urgent, 1);
    read_exact(s, fd, "abcdefghijkl", 12);
    CHECK_EQ(urgent_left(s, fd), 0);
    CHECK(!pri(s, fd));
    /* URG with pointer 0: the urgent data ended before this segment, all read. */
    INJECT(s, SEC(2), .flags = F_UPA, .seq = 13, .ack = 1, .win = 512, .len = 2, .data = "mn", .urg = 0);
    CHECK_EQ(urgent_left(s, fd), 0);
    CHECK(!pri(s, fd));
    read_exact(s, fd, "mn", 2);
    CHECK_EQ(tu_stats(s)->tcp_rx_urgent, 1);
    ts_free(s);
}

/* Only an acceptable segment moves the pointer: an out-of-window URG
 * segment is dropped (with its ACK), nothing urgent, nothing delivered. */
static void test_out_of_window_urgent_ignored(void)
{
    int lfd, fd;
    struct ts *s = tu_passive(NULL, 0, &lfd, &fd);
    INJECT(s, SEC(1), .flags = F_UPA, .seq = 900000, .ack = 1, .win = 512, .len = 3, .data = "bad", .urg = 1);
    EXPECT(s, SEC(1), .flags = F_A, .seq = 1, .ack = 1);
    CHECK_EQ(urgent_left(s, fd), 0);
    CHECK(!pri(s, fd));
    char b[8];
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), -EAGAIN);
    ts_free(s);
}

int main(void)
{
    RUN(test_pointer_past_the_urgent_data);
    RUN(test_pointer_ahead_retransmission_and_stale);
    RUN(test_out_of_window_urgent_ignored);
    return nst_test_done();
}
