/* Zero-copy receive (nst_recv_zc / nst_recv_done): the bytes shown are the
 * stream's, in order, in place; they do not move while more arrive; the
 * buffer's wrap shows as two spans; consuming opens the window exactly as
 * nst_recv does (the same window update, at the same moment); end of
 * stream, errors and misuse answer as nst_recv would.
 * Zero-copy send (nst_send_zc / nst_send_commit): the room shown is the
 * send buffer's, two spans where it wraps; committed bytes leave exactly as
 * sent with nst_send; errors as nst_send's. */
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "support/tcp_testutil.h"

#define MS(x) NST_MSEC(x)

/* The peer's bytes: byte i of the stream. */
static uint8_t stream_byte(uint32_t i) { return (uint8_t)(i * 7 + 3); }

static void fill(uint8_t *b, uint32_t from, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        b[i] = stream_byte(from + i);
}

/* Do spans hold stream bytes [from, from + total) in order? */
static int spans_hold(const struct nst_span sp[2], uint32_t from, size_t total)
{
    if (sp[0].len + sp[1].len != total)
        return 0;
    for (size_t i = 0; i < total; i++) {
        const uint8_t *p = i < sp[0].len ? sp[0].base + i : sp[1].base + (i - sp[0].len);
        if (*p != stream_byte(from + (uint32_t)i))
            return 0;
    }
    return 1;
}

/* A connection accepted from the script's peer, receive buffer rcvbuf. */
static struct ts *open_with(int rcvbuf, int *fd)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    CHECK_EQ(nst_setsockopt(s->st, lfd, NST_SOL_SOCKET, NST_SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    CHECK_EQ(nst_setsockopt(s->st, lfd, NST_SOL_SOCKET, NST_SO_SNDBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    struct nst_tcp_opts o = ts_syn_opts(-1, 0, 0);
    INJECT(s, 0, .flags = F_S, .seq = 0, .win = 65535, .opts = o);
    EXPECT(s, 0, .flags = F_SA, .seq = 0, .ack = 1);
    INJECT(s, MS(10), .flags = F_A, .seq = 1, .ack = 1, .win = 65535);
    *fd = nst_accept(s->st, lfd, NULL);
    CHECK(*fd >= 0);
    return s;
}

static void test_in_place_in_order(void)
{
    int fd;
    struct ts *s = open_with(65536, &fd);
    struct nst_span sp[2];
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), -EAGAIN);
    static uint8_t d[3000];
    fill(d, 0, 1000);
    INJECT(s, MS(20), .flags = F_PA, .seq = 1, .ack = 1, .win = 65535, .len = 1000, .data = d);
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 1000);
    CHECK(spans_hold(sp, 0, 1000));
    CHECK_EQ(sp[1].len, 0);
    const uint8_t *base = sp[0].base;
    /* More arrives while the application holds the spans: they stay. */
    fill(d, 1000, 2000);
    INJECT(s, MS(21), .flags = F_PA, .seq = 1001, .ack = 1, .win = 65535, .len = 2000, .data = d);
    CHECK(spans_hold(sp, 0, 1000)); /* the old view, unchanged */
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 3000);
    CHECK(sp[0].base == base);
    CHECK(spans_hold(sp, 0, 3000));
    /* Consume part: the rest is shown from where it starts. */
    CHECK_EQ(nst_recv_done(s->st, fd, 300), 0);
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 2700);
    CHECK(sp[0].base == base + 300);
    CHECK(spans_hold(sp, 300, 2700));
    CHECK_EQ(nst_recv_done(s->st, fd, 2701), -EINVAL);
    /* nst_recv and the zero-copy view read the same stream. */
    uint8_t b[100];
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), 100);
    CHECK_EQ(b[0], stream_byte(300));
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 2600);
    CHECK(spans_hold(sp, 400, 2600));
    CHECK_EQ(nst_recv_done(s->st, fd, 2600), 0);
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), -EAGAIN);
    CHECK_EQ(nst_recv_done(s->st, fd, 0), 0);
    CHECK_EQ(nst_recv_done(s->st, fd, 1), -EINVAL);
    /* End of stream: the FIN, then 0 as from nst_recv. */
    INJECT(s, MS(30), .flags = F_FA, .seq = 3001, .ack = 1, .win = 65535);
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 0);
    CHECK_EQ(nst_recv(s->st, fd, b, 1, 0), 0);
    ts_free(s);
}

/* Receive storage grows with the data (core/ring.h), yet spans shown stay
 * put: showing them takes storage for the whole window already offered,
 * so what arrives inside it later never moves them. */
static void test_spans_stay_while_storage_would_grow(void)
{
    int fd;
    struct ts *s = open_with(65536, &fd);
    static uint8_t d[12000];
    fill(d, 0, 1000);
    INJECT(s, MS(20), .flags = F_PA, .seq = 1, .ack = 1, .win = 65535, .len = 1000, .data = d);
    struct nst_span sp[2];
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 1000);
    const uint8_t *base = sp[0].base;
    /* 1460-byte segments up to 12,000 bytes: three times a first storage. */
    for (uint32_t off = 1000; off < 12000; off += 1460) {
        uint32_t n = 12000 - off < 1460 ? 12000 - off : 1460;
        fill(d, off, n);
        INJECT(s, MS(21), .flags = F_A, .seq = 1 + off, .ack = 1, .win = 65535, .len = n, .data = d);
    }
    CHECK(sp[0].base == base && spans_hold(sp, 0, 1000)); /* the old view, unchanged */
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 12000);
    CHECK(sp[0].base == base);
    CHECK(spans_hold(sp, 0, 12000));
    CHECK_EQ(nst_recv_done(s->st, fd, 12000), 0);
    ts_free(s);
}

/* The receive buffer wraps: two spans, together the stream in order. */
static void test_wrap_two_spans(void)
{
    int fd;
    struct ts *s = open_with(4096, &fd);
    static uint8_t d[4096];
    struct nst_span sp[2];
    fill(d, 0, 3000);
    INJECT(s, MS(20), .flags = F_PA, .seq = 1, .ack = 1, .win = 65535, .len = 3000, .data = d);
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 3000);
    CHECK_EQ(nst_recv_done(s->st, fd, 2500), 0);
    fill(d, 3000, 2000); /* bytes 3000..4999: past the buffer's end, wrapping */
    INJECT(s, MS(21), .flags = F_PA, .seq = 3001, .ack = 1, .win = 65535, .len = 2000, .data = d);
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 2500);
    CHECK(sp[1].len > 0);
    CHECK(spans_hold(sp, 2500, 2500));
    CHECK_EQ(nst_recv_done(s->st, fd, 2500), 0);
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), -EAGAIN);
    ts_free(s);
}

/* Consuming opens the window as reading does: the same update, at the
 * same moment (tests/sim/test_tcp_timers.c, the nst_recv case). */
static void test_window_update(void)
{
    int fd;
    struct ts *s = open_with(4096, &fd);
    INJECT(s, MS(20), .flags = F_A, .seq = 1, .ack = 1, .win = 65535, .len = 1460);
    INJECT(s, MS(21), .flags = F_A, .seq = 1461, .ack = 1, .win = 65535, .len = 1460);
    EXPECT(s, MS(21), .flags = F_A, .seq = 1, .ack = 2921, .win = 4096 - 2920, .check = TS_DEFAULT_CHECK | TS_WIN);
    INJECT(s, MS(22), .flags = F_PA, .seq = 2921, .ack = 1, .win = 65535, .len = 1176);
    EXPECT(s, MS(100), .flags = F_A, .seq = 1, .ack = 4097, .win = 0, .at = MS(62),
           .check = TS_DEFAULT_CHECK | TS_WIN | TS_TIME);
    struct nst_span sp[2];
    ts_run_until(s, MS(400));
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 4096);
    CHECK_EQ(nst_recv_done(s->st, fd, 1000), 0);
    EXPECT_NONE(s, MS(400)); /* 1000 < min(2048, 1460): no update yet */
    CHECK_EQ(nst_recv_done(s->st, fd, 1000), 0);
    EXPECT(s, MS(400), .flags = F_A, .seq = 1, .ack = 4097, .win = 2000, .at = MS(400),
           .check = TS_DEFAULT_CHECK | TS_WIN | TS_TIME);
    ts_free(s);
}

static void test_misuse(void)
{
    int fd;
    struct ts *s = open_with(65536, &fd);
    struct nst_span sp[2];
    CHECK_EQ(nst_recv_zc(s->st, 999, sp), -EBADF);
    CHECK_EQ(nst_recv_done(s->st, 999, 0), -EBADF);
    CHECK_EQ(nst_recv_zc(s->st, fd, NULL), -EINVAL);
    int u = nst_socket(s->st, NST_SOCK_DGRAM);
    CHECK_EQ(nst_recv_zc(s->st, u, sp), -EOPNOTSUPP);
    CHECK_EQ(nst_recv_done(s->st, u, 0), -EOPNOTSUPP);
    int l = nst_socket(s->st, NST_SOCK_STREAM);
    CHECK_EQ(nst_recv_zc(s->st, l, sp), -ENOTCONN);
    /* A reset connection reports its error once, then end of stream. */
    INJECT(s, MS(20), .flags = F_R, .seq = 1);
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), -ECONNRESET);
    CHECK_EQ(nst_recv_zc(s->st, fd, sp), 0);
    ts_free(s);
}

/* Writes stream bytes [from, from + n) into the room shown. */
static void write_spans(const struct nst_wspan sp[2], uint32_t from, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = i < sp[0].len ? sp[0].base + i : sp[1].base + (i - sp[0].len);
        *p = stream_byte(from + (uint32_t)i);
    }
}

static void test_send_in_place(void)
{
    int fd;
    struct ts *s = open_with(4096, &fd);
    struct nst_wspan w[2];
    CHECK_EQ(nst_send_zc(s->st, fd, w), 4096);
    CHECK_EQ(w[0].len, 4096);
    CHECK_EQ(w[1].len, 0);
    write_spans(w, 0, 1000);
    CHECK_EQ(nst_send_commit(s->st, fd, 4097), -EINVAL);
    ts_run_until(s, MS(20));
    CHECK_EQ(nst_send_commit(s->st, fd, 1000), 0);
    static uint8_t want[3000];
    fill(want, 0, 1000);
    EXPECT(s, MS(20), .flags = F_PA, .seq = 1, .ack = 1, .len = 1000, .data = want, .check = TS_DEFAULT_CHECK | TS_DATA);
    INJECT(s, MS(30), .flags = F_A, .seq = 1, .ack = 501, .win = 65535);
    /* 500 bytes gone from the ring's start, 500 still in flight: the room
     * runs to the ring's end and on from its start. */
    CHECK_EQ(nst_send_zc(s->st, fd, w), 4096 - 500);
    CHECK_EQ(w[0].len, 4096 - 1000);
    CHECK_EQ(w[1].len, 500);
    write_spans(w, 1000, 3000); /* across the wrap */
    CHECK_EQ(nst_send_commit(s->st, fd, 3000), 0);
    fill(want, 1000, 3000);
    EXPECT(s, MS(30), .flags = F_A, .seq = 1001, .ack = 1, .len = 1460, .data = want, .check = TS_DEFAULT_CHECK | TS_DATA);
    EXPECT(s, MS(30), .flags = F_A, .seq = 2461, .ack = 1, .len = 1460, .data = want + 1460,
           .check = TS_DEFAULT_CHECK | TS_DATA);
    /* The short rest waits for the ACK (Nagle), as after nst_send. */
    EXPECT_NONE(s, MS(39));
    INJECT(s, MS(40), .flags = F_A, .seq = 1, .ack = 3921, .win = 65535);
    EXPECT(s, MS(40), .flags = F_PA, .seq = 3921, .ack = 1, .len = 80, .data = want + 2920,
           .check = TS_DEFAULT_CHECK | TS_DATA);
    /* Full: nothing to show until acknowledged. */
    CHECK_EQ(nst_send_zc(s->st, fd, w), 4096 - 80);
    CHECK_EQ(nst_send_commit(s->st, fd, 4096 - 80), 0);
    CHECK_EQ(nst_send_zc(s->st, fd, w), -EAGAIN);
    CHECK_EQ(nst_send(s->st, fd, "x", 1, 0), -EAGAIN);
    /* After shutdown: -EPIPE, as from nst_send. */
    CHECK_EQ(nst_shutdown(s->st, fd, NST_SHUT_WR), 0);
    CHECK_EQ(nst_send_zc(s->st, fd, w), -EPIPE);
    CHECK_EQ(nst_send_commit(s->st, fd, 0), -EPIPE);
    int u = nst_socket(s->st, NST_SOCK_DGRAM);
    CHECK_EQ(nst_send_zc(s->st, u, w), -EOPNOTSUPP);
    CHECK_EQ(nst_send_commit(s->st, u, 0), -EOPNOTSUPP);
    int l = nst_socket(s->st, NST_SOCK_STREAM);
    CHECK_EQ(nst_send_zc(s->st, l, w), -ENOTCONN);
    CHECK_EQ(nst_send_zc(s->st, fd, NULL), -EINVAL);
    ts_free(s);
}

int main(void)
{
    RUN(test_in_place_in_order);
    RUN(test_spans_stay_while_storage_would_grow);
    RUN(test_wrap_two_spans);
    RUN(test_window_update);
    RUN(test_misuse);
    RUN(test_send_in_place);
    return nst_test_done();
}
