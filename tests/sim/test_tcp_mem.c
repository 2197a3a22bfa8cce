/* Stack-wide TCP memory (Linux's tcp_mem, src/tcp/tcp_mem.c) against
 * hostile peers: the ring storage held by all connections never exceeds
 * cfg.tcp.mem_high, pressure and the hard limit show in the counters,
 * orphans pinned by a zero window are reset, and honest connections still
 * complete. Ring storage grows with the data held (core/ring.h).
 *
 * Many peers share the script harness's one address, on different ports;
 * sequence numbers are absolute (TS_ABS). */
#include <stdio.h>
#include <stdlib.h>

#include <nstack/inspect.h>

#include "core/ring.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "support/tcp_testutil.h"

#define LOW ((size_t)1 << 20)
#define PRESSURE ((size_t)3 << 19)
#define HIGH ((size_t)2 << 20)

struct peer {
    uint16_t port;
    int fd;
    int hostile;      /* keeps its window shut, takes nothing */
    int reset;        /* a RST from the stack arrived */
    uint32_t snd_nxt; /* the next byte it sends */
    uint32_t rcv_nxt; /* the next byte it expects */
    uint32_t got;     /* bytes taken in order */
    size_t queued;    /* bytes the application handed to nst_send */
};

static struct ts *mem_stack_with(size_t low, size_t pressure, size_t high)
{
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    cfg.tcp.mem_low = low;
    cfg.tcp.mem_pressure = pressure;
    cfg.tcp.mem_high = high;
    return ts_new(&cfg);
}

static struct ts *mem_stack(void) { return mem_stack_with(LOW, PRESSURE, HIGH); }

static size_t mem_in_use(struct ts *s)
{
    struct nst_tcp_mem m;
    nst_tcp_mem_get(s->st, &m);
    return m.in_use;
}

static void ack(struct ts *s, struct peer *p, uint16_t win)
{
    INJECT(s, s->now, .flags = F_A, .seq = p->snd_nxt, .ack = p->rcv_nxt, .win = win, .sport = p->port,
           .check = TS_ABS);
}

/* The peer's reaction to one segment of the stack's. */
static void peer_input(struct ts *s, struct peer *p, const struct ts_pkt *pkt)
{
    if (pkt->h.flags & NST_TCP_RST) {
        p->reset = 1;
        return;
    }
    if (pkt->len == 0 && !(pkt->h.flags & NST_TCP_FIN))
        return;
    if (!p->hostile && pkt->h.seq == p->rcv_nxt) {
        p->rcv_nxt += pkt->len + ((pkt->h.flags & NST_TCP_FIN) ? 1 : 0);
        p->got += pkt->len;
    }
    /* The hostile peer answers every probe, so the stack keeps probing: its
     * window stays shut and nothing is ever taken. */
    ack(s, p, p->hostile ? 0 : 65535);
}

/* Runs the world to `until`, each peer answering at once; the memory
 * held never exceeds the hard limit at any step. */
static void pump(struct ts *s, struct peer *v, int n, nst_time_t until)
{
    struct ts_pkt pkt;
    while (ts_next(s, until, &pkt)) {
        CHECK(mem_in_use(s) <= HIGH);
        for (int i = 0; i < n; i++)
            if (v[i].port == pkt.h.dst_port)
                peer_input(s, &v[i], &pkt);
    }
}

/* A passive open from port, the peer's ACK offering win. */
static void open_conn(struct ts *s, int lfd, struct peer *p, uint16_t port, uint16_t win)
{
    p->port = port;
    p->snd_nxt = port * 1000u;
    INJECT(s, s->now, .flags = F_S, .seq = p->snd_nxt, .win = 65535, .opts = ts_syn_opts(-1, 0, 0), .sport = port,
           .check = TS_ABS);
    p->snd_nxt++;
    struct ts_pkt pkt;
    int found = 0;
    while (!found && ts_next(s, s->now + MS(1), &pkt))
        found = pkt.h.dst_port == port && pkt.h.flags == F_SA;
    CHECK(found);
    p->rcv_nxt = pkt.h.seq + 1;
    ack(s, p, win);
    p->fd = nst_accept(s->st, lfd, NULL);
    CHECK(p->fd >= 0);
}

/* The application writes as much as the stack takes, up to `want` in all. */
static void app_send(struct ts *s, struct peer *p, size_t want)
{
    static uint8_t buf[65536];
    while (p->queued < want) {
        size_t n = want - p->queued < sizeof(buf) ? want - p->queued : sizeof(buf);
        ssize_t k = nst_send(s->st, p->fd, buf, n, 0);
        if (k <= 0)
            return;
        p->queued += (size_t)k;
    }
}

/* 126 peers close their windows and never open them; the application fills
 * each connection's send buffer (256 KiB) and closes it, leaving orphans
 * that the peers keep alive by answering every zero-window probe. Unbounded,
 * that is 31.5 MiB. Bounded: the first connections grow to their whole
 * buffer until pressure (1.5 MiB), the rest get their first 4 KiB each,
 * 2,064,384 bytes in all. Then 16 honest peers come, each to receive
 * 50,000 bytes: the ninth finds the hard limit (2 MiB) reached, so the
 * orphans holding data are reset at their next probe, and every honest
 * transfer completes. */
static void test_zero_window_orphans(void)
{
    enum { NH = 126, NG = 16, WANT = 50000 };
    struct ts *s = mem_stack();
    int lfd = ts_listen(s, 256);
    static struct peer v[NH + NG];
    memset(v, 0, sizeof(v));
    for (int i = 0; i < NH; i++) {
        v[i].hostile = 1;
        open_conn(s, lfd, &v[i], (uint16_t)(20000 + i), 0);
        app_send(s, &v[i], 1u << 20);
    }
    size_t queued = 0;
    for (int i = 0; i < NH; i++) {
        queued += v[i].queued;
        CHECK_EQ(tu_info(s, v[i].fd).send_queue, v[i].queued);
    }
    CHECK_EQ(v[0].queued, 256 * 1024);
    CHECK_EQ(v[5].queued, 256 * 1024);
    CHECK_EQ(v[6].queued, NST_RING_MIN_STORAGE);
    CHECK_EQ(queued, 6 * 256 * 1024 + 120 * NST_RING_MIN_STORAGE);
    CHECK_EQ(mem_in_use(s), queued);
    CHECK(queued <= HIGH);
    CHECK_EQ(tu_stats(s)->tcp_mem_pressure, 1);
    /* Each of the 120 took 4 KiB of 64 KiB, then nothing: two sends cut. */
    CHECK_EQ(tu_stats(s)->tcp_mem_snd_limited, 240);
    for (int i = 0; i < NH; i++)
        CHECK_EQ(nst_close(s->st, v[i].fd), 0);
    CHECK_EQ(tu_stats(s)->tcp_abort_on_memory, 0); /* not at the limit yet: kept */
    pump(s, v, NH, s->now + SEC(5));
    CHECK_EQ(mem_in_use(s), queued); /* the orphans hold on */

    /* The honest peers. */
    for (int i = NH; i < NH + NG; i++) {
        open_conn(s, lfd, &v[i], (uint16_t)(30000 + i), 65535);
        app_send(s, &v[i], WANT);
    }
    CHECK_EQ(v[NH + 7].queued, NST_RING_MIN_STORAGE); /* the last 4 KiB under the limit */
    CHECK_EQ(v[NH + 8].queued, 0);                    /* refused */
    CHECK_EQ(mem_in_use(s), HIGH);
    struct nst_tcp_mem m;
    nst_tcp_mem_get(s->st, &m);
    CHECK(m.refusals > 0);
    nst_time_t t = s->now;
    int done = 0;
    while (!done && t < SEC(600)) {
        t += MS(10);
        for (int i = NH; i < NH + NG; i++)
            app_send(s, &v[i], WANT);
        pump(s, v, NH + NG, t);
        done = 1;
        for (int i = NH; i < NH + NG; i++)
            done &= v[i].got == WANT;
    }
    CHECK(done);
    /* The orphans holding data are reset at their next probe (at most
     * persist_max, 60 s, apart) while memory stays exhausted, that is
     * until it falls below mem_low and pressure ends; the rest are kept. */
    pump(s, v, NH + NG, t + SEC(61));
    size_t kept = 0;
    int nkept = 0;
    for (int i = 0; i < NH; i++) {
        if (!v[i].reset) {
            kept += v[i].queued;
            nkept++;
        }
    }
    CHECK_EQ(nkept, 31);
    CHECK_EQ(tu_stats(s)->tcp_abort_on_memory, NH - nkept);
    CHECK_EQ(mem_in_use(s), kept); /* the honest rings drained */
    CHECK(kept < LOW);
    nst_tcp_mem_get(s->st, &m);
    CHECK(m.in_use_max <= HIGH);
    CHECK_EQ(m.in_use_max, HIGH);
    CHECK_EQ(m.under_pressure, 0);
    CHECK_EQ(tu_stats(s)->tcp_mem_pressure, 1);
    /* What netstat -s and ss -s tell. */
    char *txt = NULL, want[200];
    size_t txt_len = 0;
    FILE *f = open_memstream(&txt, &txt_len);
    CHECK_EQ(nst_inspect_run(s->st, "netstat -s", f), 0);
    CHECK_EQ(nst_inspect_run(s->st, "ss -s", f), 0);
    fclose(f);
    snprintf(want, sizeof(want), "    %d connections aborted due to memory pressure [abort_on_memory]\n", NH - nkept);
    CHECK(strstr(txt, want) != NULL);
    CHECK(strstr(txt, "    1 times TCP ran low on memory (entered memory pressure) [mem_pressure]\n") != NULL);
    snprintf(want, sizeof(want),
             "TCP memory: %zu bytes held (at most %zu so far); pressure above %zu until below %zu, limit %zu\n", kept,
             HIGH, PRESSURE, LOW, HIGH);
    CHECK(strstr(txt, want) != NULL);
    free(txt);
    for (int i = NH; i < NH + NG; i++) {
        CHECK(!v[i].reset);
        CHECK_EQ(tu_state(s, v[i].fd), NST_TCPS_ESTABLISHED);
    }
    /* The orphans kept are given up after their probes like any orphan
     * (data_retries), with a RST: in the end no memory is held. */
    pump(s, v, NH + NG, t + SEC(1200));
    for (int i = 0; i < NH; i++)
        CHECK(v[i].reset);
    CHECK_EQ(tu_stats(s)->tcp_abort_on_memory, NH - nkept);
    CHECK_EQ(mem_in_use(s), 0);
    ts_free(s);
}

/* ---- the receive side ------------------------------------------------------ */

struct sender {
    struct peer *p;
    uint32_t base;      /* the peer's first data byte */
    uint32_t una;       /* acknowledged by the stack */
    uint16_t wnd;       /* the stack's window (no scaling) */
    uint32_t last_una;  /* una at the previous tick */
    size_t read;        /* bytes the application read */
};

static uint8_t stream_byte(size_t i) { return (uint8_t)(i * 31 + i / 509); }

/* The honest sender: as much of `total` as the stack's window allows. */
static void sender_push(struct ts *s, struct sender *x, size_t total)
{
    static uint8_t seg[1460];
    struct peer *p = x->p;
    for (;;) {
        uint32_t off = p->snd_nxt - x->base, flight = p->snd_nxt - x->una;
        if (off >= total || flight >= x->wnd)
            return;
        uint32_t n = (uint32_t)NST_MIN(NST_MIN(total - off, (size_t)1460), (size_t)(x->wnd - flight));
        for (uint32_t i = 0; i < n; i++)
            seg[i] = stream_byte(off + i);
        INJECT(s, s->now, .flags = F_A, .seq = p->snd_nxt, .ack = p->rcv_nxt, .win = 65535, .len = n, .data = seg,
               .sport = p->port, .check = TS_ABS);
        p->snd_nxt += n;
    }
}

/* The world to `until`; ACKs from the stack move the honest senders. */
static void pump_rx(struct ts *s, struct sender *x, int n, nst_time_t until)
{
    struct ts_pkt pkt;
    while (ts_next(s, until, &pkt)) {
        CHECK(mem_in_use(s) <= HIGH);
        for (int i = 0; i < n; i++) {
            if (x[i].p->port != pkt.h.dst_port || !(pkt.h.flags & NST_TCP_ACK))
                continue;
            if (nst_seq_gt(pkt.h.ack, x[i].una))
                x[i].una = pkt.h.ack;
            x[i].wnd = pkt.h.window;
        }
    }
}

/* The application reads what is there and checks it is the stream. */
static void app_read(struct ts *s, struct sender *x)
{
    static uint8_t buf[65536];
    ssize_t k;
    while ((k = nst_recv(s->st, x->p->fd, buf, sizeof(buf), 0)) > 0) {
        for (ssize_t i = 0; i < k; i++)
            if (buf[i] != stream_byte(x->read + (size_t)i)) {
                CHECK_EQ(buf[i], stream_byte(x->read + (size_t)i));
                break;
            }
        x->read += (size_t)k;
    }
}

/* One byte received holds the ring's first 4 KiB, not the 256 KiB buffer.
 * Then 40 hostile peers connect, offered 64 KiB windows, and each sends
 * 1,000 bytes out of order at the far end, never the bytes before: each
 * would pin a whole receive buffer (256 KiB; 10 MiB in all), and with rings
 * that grow, 64 KiB. Pressure begins with the 25th (1.6 MiB); the other 15
 * segments, in the window offered before, are dropped (storage does not
 * grow for out-of-order data under pressure). A connection opened now is
 * offered only what a first storage holds. Eight honest peers then each send 100,000 bytes the
 * application reads: windows offer what the storage holds, every byte
 * arrives in order, and memory never passes the limit. */
static void test_out_of_order_fill(void)
{
    enum { NH = 40, NG = 8, TOTAL = 100000 };
    struct ts *s = mem_stack();
    int lfd = ts_listen(s, 256);
    static struct peer v[NH + NG + 1];
    memset(v, 0, sizeof(v));
    struct peer *one = &v[NH + NG];
    open_conn(s, lfd, one, 10000, 65535);
    INJECT(s, s->now, .flags = F_A, .seq = one->snd_nxt, .ack = one->rcv_nxt, .win = 65535, .len = 1,
           .sport = one->port, .check = TS_ABS);
    CHECK_EQ(tu_info(s, one->fd).recv_queue, 1);
    CHECK_EQ(mem_in_use(s), NST_RING_MIN_STORAGE);
    uint8_t b;
    CHECK_EQ(nst_recv(s->st, one->fd, &b, 1, 0), 1);
    CHECK_EQ(mem_in_use(s), 0);

    for (int i = 0; i < NH; i++)
        open_conn(s, lfd, &v[i], (uint16_t)(20000 + i), 65535);
    for (int i = 0; i < NH; i++) {
        INJECT(s, s->now, .flags = F_A, .seq = v[i].snd_nxt + 64000, .ack = v[i].rcv_nxt, .win = 65535,
               .len = 1000, .sport = v[i].port, .check = TS_ABS);
        CHECK(mem_in_use(s) <= HIGH);
        /* The duplicate ACK keeps the right edge offered (RFC 9293
         * 3.8.6.2.2: the window is not shrunk), pressure or not. */
        struct ts_pkt pkt;
        CHECK(ts_next(s, s->now, &pkt));
        CHECK_EQ(pkt.h.dst_port, v[i].port);
        CHECK_EQ(pkt.h.ack, v[i].snd_nxt);
        CHECK_EQ(pkt.h.ack + pkt.h.window, v[i].snd_nxt + 65535);
    }
    CHECK_EQ(mem_in_use(s), 25 * 65536);
    CHECK_EQ(tu_stats(s)->tcp_mem_pressure, 1);
    CHECK_EQ(tu_stats(s)->tcp_mem_rcv_drops, 15);
    CHECK_EQ(tu_stats(s)->tcp_rx_out_of_order, NH);

    static struct sender x[NG];
    for (int i = 0; i < NG; i++) {
        struct peer *p = &v[NH + i];
        open_conn(s, lfd, p, (uint16_t)(30000 + i), 65535);
        /* The SYN-ACK offered what a first storage holds. */
        CHECK_EQ(s->last.h.window, NST_RING_MIN_STORAGE);
        x[i] = (struct sender){.p = p, .base = p->snd_nxt, .una = p->snd_nxt, .wnd = s->last.h.window,
                               .last_una = p->snd_nxt};
    }
    nst_time_t t = s->now;
    int done = 0;
    while (!done && t < SEC(60)) {
        t += MS(10);
        done = 1;
        for (int i = 0; i < NG; i++) {
            if (x[i].una == x[i].last_una)
                x[i].p->snd_nxt = x[i].una; /* nothing acknowledged for a tick: go back */
            x[i].last_una = x[i].una;
            sender_push(s, &x[i], TOTAL);
        }
        pump_rx(s, x, NG, t);
        for (int i = 0; i < NG; i++) {
            app_read(s, &x[i]);
            done &= x[i].read == TOTAL;
        }
    }
    CHECK(done);
    CHECK_EQ(tu_stats(s)->tcp_mem_rcv_drops, 15); /* honest data never dropped */
    CHECK_EQ(mem_in_use(s), 25 * 65536);          /* the hostile bytes, still held */
    /* The hostile peers give up (RST): their storage comes back. */
    for (int i = 0; i < NH; i++)
        INJECT(s, s->now, .flags = F_R, .seq = v[i].snd_nxt, .sport = v[i].port, .check = TS_ABS);
    CHECK_EQ(mem_in_use(s), 0);
    struct nst_tcp_mem m;
    nst_tcp_mem_get(s->st, &m);
    CHECK_EQ(m.in_use_max, 25 * 65536 + NG * NST_RING_MIN_STORAGE);
    CHECK_EQ(m.under_pressure, 0);
    ts_free(s);
}

/* At the hard limit, text in the window is dropped and counted, and comes
 * again: a 16 KiB limit, an application not reading. The ring grows to
 * 8 KiB; growing to 16 KiB would hold 24 KiB for a moment, so it is
 * refused: the sixth segment is cut to what the 8 KiB hold, the next three
 * (out of order now) dropped. Once the application reads, the peer's
 * retransmission is taken and the stream arrives whole, in order. */
static void test_in_order_drop_at_limit(void)
{
    enum { SEG = 1460, N = 9 };
    struct ts *s = mem_stack_with(8192, 12288, 16384);
    int lfd = ts_listen(s, 8);
    struct peer p;
    memset(&p, 0, sizeof(p));
    open_conn(s, lfd, &p, 10000, 65535);
    static uint8_t d[N * SEG], got[N * SEG];
    for (size_t i = 0; i < sizeof(d); i++)
        d[i] = stream_byte(i);
    uint32_t base = p.snd_nxt;
    for (uint32_t i = 0; i < N; i++) {
        INJECT(s, s->now, .flags = F_A, .seq = base + i * SEG, .ack = p.rcv_nxt, .win = 65535, .len = SEG,
               .data = d + i * SEG, .sport = p.port, .check = TS_ABS);
        CHECK(mem_in_use(s) <= 16384);
    }
    CHECK_EQ(tu_info(s, p.fd).recv_queue, 8192);
    CHECK_EQ(mem_in_use(s), 8192);
    CHECK_EQ(tu_stats(s)->tcp_mem_rcv_drops, 4);
    CHECK_EQ(tu_stats(s)->tcp_rx_out_of_order, 3);
    struct nst_tcp_mem m;
    nst_tcp_mem_get(s->st, &m);
    CHECK_EQ(m.refusals, 5); /* the sixth asked twice: placed while checksummed, then written */
    CHECK_EQ(m.in_use_max, 12288); /* 4 KiB and 8 KiB while growing */
    CHECK_EQ(tu_stats(s)->tcp_mem_pressure, 0);
    CHECK_EQ(nst_recv(s->st, p.fd, got, sizeof(got), 0), 8192);
    CHECK_EQ(mem_in_use(s), 0);
    /* The peer goes back to the first byte not acknowledged. */
    ts_flush(s);
    for (uint32_t off = 8192; off < N * SEG; off += SEG) {
        uint32_t n = N * SEG - off < SEG ? N * SEG - off : SEG;
        INJECT(s, s->now + MS(1), .flags = F_A, .seq = base + off, .ack = p.rcv_nxt, .win = 65535, .len = n,
               .data = d + off, .sport = p.port, .check = TS_ABS);
    }
    CHECK_EQ(nst_recv(s->st, p.fd, got + 8192, sizeof(got) - 8192, 0), N * SEG - 8192);
    CHECK_MEM(got, d, sizeof(d));
    CHECK_EQ(tu_stats(s)->tcp_mem_rcv_drops, 4);
    ts_free(s);
}

int main(void)
{
    RUN(test_zero_window_orphans);
    RUN(test_out_of_order_fill);
    RUN(test_in_order_drop_at_limit);
    return nst_test_done();
}
