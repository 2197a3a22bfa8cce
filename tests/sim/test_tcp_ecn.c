/* Explicit Congestion Notification in TCP (RFC 3168 6.1), segment by
 * segment with the script harness: the negotiation matrix (active and
 * passive opens, SYN cookies, the SYN retransmitted without ECN), which
 * segments go out ECT(0) (new data only: not pure ACKs, retransmissions,
 * window probes or a bare FIN), the receiver echoing a CE mark with ECE
 * until CWR comes, and the sender's reaction: cwnd halved by the
 * congestion control module once per window, CWR on the next new data
 * segment, no second reduction for a loss in the same window. Each check
 * looks at the exact flags and the exact IP ECN field of the frames the
 * stack sent, and at the exact cwnd/ssthresh TCP_INFO reports (NewReno,
 * whose arithmetic is RFC 5681's). */
#include <nstack/inspect.h>
#include <stdio.h>

#include "support/sim_util.h"
#include "support/tcp_testutil.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

#define F_E NST_TCP_ECE
#define F_W NST_TCP_CWR
#define F_SEW (NST_TCP_SYN | NST_TCP_ECE | NST_TCP_CWR) /* an ECN-setup SYN */
#define F_SAE (F_SA | NST_TCP_ECE)                       /* an ECN-setup SYN-ACK */
#define MSS 1460u

static struct nst_stack_config ecn_cfg(int mode)
{
    struct nst_stack_config c = tu_config();
    c.tcp.ecn = mode;
    /* RTO recoveries: a tail loss probe that repaired a loss would be a
     * congestion signal of its own (RFC 8985 7.4), with a CWR to send. */
    c.tcp.rack = 0;
    snprintf(c.tcp.congestion, sizeof(c.tcp.congestion), "newreno");
    return c;
}

/* The ECN field of the segment the stack sent last. */
static int last_ecn(const struct ts *s) { return s->last.tos & NST_ECN_MASK; }

/* Injects seg with the IP ECN field set to ecn. */
static void inject_ecn(struct ts *s, nst_time_t t, const struct ts_seg *seg, uint8_t ecn)
{
    size_t cap = 1600 + seg->len;
    uint8_t *buf = malloc(cap);
    size_t n = ts_build(s, seg, buf, cap);
    CHECK(n > 0);
    buf[NST_ETH_HLEN + 1] = (uint8_t)((buf[NST_ETH_HLEN + 1] & ~NST_ECN_MASK) | ecn);
    su_fix_ip_checksum(buf);
    ts_inject_frame(s, t, buf, n);
    free(buf);
}
#define INJECT_ECN(s, t, ecn, ...) inject_ecn((s), (t), &(struct ts_seg){__VA_ARGS__}, (ecn))

static int has_ecn(struct ts *s, int fd) { return (tu_info(s, fd).options & NST_TCPI_OPT_ECN) != 0; }

/* A connection the peer opens: its SYN (MSS 1460, wscale 7, SACK if sack,
 * no timestamps) with syn_flags at 0, the SYN-ACK expected with exactly
 * synack_flags, the peer's ACK (window 512 << 7) at 100 ms. */
static struct ts *passive(int mode, uint8_t syn_flags, uint8_t synack_flags, int sack, int *fd)
{
    struct nst_stack_config c = ecn_cfg(mode);
    struct ts *s = ts_new(&c);
    int lfd = ts_listen(s, 8);
    struct nst_tcp_opts o = ts_syn_opts(7, sack, 0);
    INJECT(s, 0, .flags = syn_flags, .seq = 0, .win = 65535, .opts = o);
    EXPECT(s, 0, .flags = synack_flags, .seq = 0, .ack = 1);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT); /* 6.1.4: never a SYN-ACK */
    INJECT(s, MS(100), .flags = F_A, .seq = 1, .ack = 1, .win = 512);
    *fd = nst_accept(s->st, lfd, NULL);
    CHECK(*fd >= 0);
    return s;
}

/* An active open: the SYN expected with syn_flags, the peer's SYN-ACK
 * with synack_flags at 100 ms, the ACK expected with ack_flags. */
static struct ts *active(int mode, uint8_t syn_flags, uint8_t synack_flags, uint8_t ack_flags, int *fd)
{
    struct nst_stack_config c = ecn_cfg(mode);
    struct ts *s = ts_new(&c);
    CHECK_EQ(tu_connect(s, fd), -EINPROGRESS);
    EXPECT(s, 0, .flags = syn_flags, .seq = 0, .ack = 0);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    INJECT(s, MS(100), .flags = synack_flags, .seq = 0, .ack = 1, .win = 512, .opts = ts_syn_opts(7, 1, 0));
    EXPECT(s, MS(100), .flags = ack_flags, .seq = 1, .ack = 1);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    CHECK_EQ(tu_state(s, *fd), NST_TCPS_ESTABLISHED);
    return s;
}

/* len bytes from the application at t: one segment, ECT(0) or not. */
static void send_one(struct ts *s, int fd, nst_time_t t, uint32_t seq, uint32_t len, int ecn)
{
    tu_write(s, fd, t, len);
    EXPECT(s, t, .flags = F_PA, .seq = seq, .ack = 1, .len = len);
    CHECK_EQ(last_ecn(s), ecn);
}

/* The next segment: new data, ECT(0). */
static void expect_data(struct ts *s, nst_time_t by, uint8_t flags, uint32_t seq, uint32_t len)
{
    EXPECT(s, by, .flags = flags, .seq = seq, .ack = 1, .len = len);
    CHECK_EQ(last_ecn(s), NST_ECN_ECT0);
}

/* At 1 s the application writes nseg full segments: the initial window
 * (ten, RFC 6928) goes at once, all ECT(0), with PSH on the segment that
 * empties the buffer. */
static void send_window(struct ts *s, int fd, uint32_t nseg)
{
    tu_write(s, fd, SEC(1), nseg * MSS);
    for (uint32_t i = 0; i < nseg && i < 10; i++)
        expect_data(s, SEC(1), i == nseg - 1 ? F_PA : F_A, 1 + i * MSS, MSS);
}

static void check_window(struct ts *s, int fd, uint32_t cwnd, uint32_t ssthresh)
{
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.cwnd, cwnd);
    CHECK_EQ(ti.ssthresh, ssthresh);
}

/* check_window, and the windows reduced for ECE so far. */
static void check_reduced(struct ts *s, int fd, uint32_t cwnd, uint32_t ssthresh, uint64_t reductions)
{
    check_window(s, fd, cwnd, ssthresh);
    CHECK_EQ(tu_stats(s)->tcp_ecn_reductions, reductions);
}

/* The peer's pure ACK of `ackno` at t with ECE (window 512 << 7). */
static void ack_ece(struct ts *s, nst_time_t t, uint32_t ackno)
{
    INJECT(s, t, .flags = F_A | F_E, .seq = 1, .ack = ackno, .win = 512);
}

/* ---- negotiation (RFC 3168 6.1.1) ------------------------------------------------------ */

static void test_active_open_matrix(void)
{
    int fd;
    /* ecn = 1 asks (ECE and CWR in the SYN); an ECN-setup SYN-ACK (ECE
     * alone) agrees: the data then goes out ECT(0). */
    struct ts *s = active(1, F_SEW, F_SAE, F_A, &fd);
    CHECK(has_ecn(s, fd));
    CHECK_EQ(tu_stats(s)->tcp_ecn_negotiated, 1);
    send_one(s, fd, SEC(1), 1, 100, NST_ECN_ECT0);
    ts_free(s);
    /* A SYN-ACK without ECE: no ECN, the data is Not-ECT. */
    s = active(1, F_SEW, F_SA, F_A, &fd);
    CHECK(!has_ecn(s, fd));
    CHECK_EQ(tu_stats(s)->tcp_ecn_negotiated, 0);
    send_one(s, fd, SEC(1), 1, 100, NST_ECN_NOT_ECT);
    ts_free(s);
    /* ECE and CWR both in a SYN-ACK is not an ECN-setup SYN-ACK. */
    s = active(1, F_SEW, F_SAE | F_W, F_A, &fd);
    CHECK(!has_ecn(s, fd));
    send_one(s, fd, SEC(1), 1, 100, NST_ECN_NOT_ECT);
    ts_free(s);
    /* ecn = 2 (the default, as Linux) and 0 never ask; a SYN-ACK with ECE
     * to a SYN that did not ask means nothing. */
    for (int mode = 0; mode <= 2; mode += 2) {
        s = active(mode, F_S, F_SAE, F_A, &fd);
        CHECK(!has_ecn(s, fd));
        send_one(s, fd, SEC(1), 1, 100, NST_ECN_NOT_ECT);
        ts_free(s);
    }
    struct nst_tcp_config d;
    nst_tcp_config_default(&d);
    CHECK_EQ(d.ecn, 2);
}

static void test_passive_open_matrix(void)
{
    static const struct {
        int mode;
        uint8_t syn, synack;
        int ecn;
    } cases[] = {
        {2, F_SEW, F_SAE, 1},              /* asked and accepted (the default) */
        {1, F_SEW, F_SAE, 1},              /* ecn = 1 accepts too */
        {0, F_SEW, F_SA, 0},               /* off: a plain SYN-ACK */
        {2, F_S | F_E, F_SA, 0},           /* ECE alone: not an ECN-setup SYN */
        {2, F_S | F_W, F_SA, 0},           /* CWR alone neither */
        {2, F_S, F_SA, 0},                 /* not asked */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int fd;
        struct ts *s = passive(cases[i].mode, cases[i].syn, cases[i].synack, 1, &fd);
        CHECK_EQ(has_ecn(s, fd), cases[i].ecn);
        CHECK_EQ(tu_stats(s)->tcp_ecn_negotiated, (uint64_t)cases[i].ecn);
        send_one(s, fd, SEC(1), 1, 100, cases[i].ecn ? NST_ECN_ECT0 : NST_ECN_NOT_ECT);
        ts_free(s);
    }
}

/* 6.1.1.1: an ECN-setup SYN that gets no answer goes again without ECE
 * and CWR (a middlebox may drop such SYNs); an ECE in the SYN-ACK then no
 * longer counts. A SYN-ACK keeps its ECE when retransmitted. */
static void test_syn_retransmissions(void)
{
    struct nst_stack_config c = ecn_cfg(1);
    struct ts *s = ts_new(&c);
    int fd;
    CHECK_EQ(tu_connect(s, &fd), -EINPROGRESS);
    EXPECT(s, 0, .flags = F_SEW, .seq = 0);
    EXPECT(s, SEC(1), .flags = F_S, .seq = 0, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    INJECT(s, SEC(1) + MS(100), .flags = F_SAE, .seq = 0, .ack = 1, .win = 512, .opts = ts_syn_opts(7, 1, 0));
    EXPECT(s, SEC(1) + MS(100), .flags = F_A, .seq = 1, .ack = 1);
    CHECK(!has_ecn(s, fd));
    ts_free(s);

    c = ecn_cfg(2);
    s = ts_new(&c);
    ts_listen(s, 8);
    INJECT(s, 0, .flags = F_SEW, .seq = 0, .win = 65535, .opts = ts_syn_opts(7, 1, 0));
    EXPECT(s, 0, .flags = F_SAE, .seq = 0, .ack = 1);
    EXPECT(s, SEC(1), .flags = F_SAE, .seq = 0, .ack = 1, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_free(s);
}

/* 6.1.1 with SYN cookies: the agreement rides in the low bit of the
 * SYN-ACK's TSval (as Linux does), echoed in the ACK's TSecr. Without
 * timestamps a cookie cannot carry it: no ECN. */
static void test_syn_cookies(void)
{
    struct nst_stack_config c = ecn_cfg(2);
    struct ts *s = ts_new(&c);
    int lfd = ts_listen(s, 1);
    INJECT(s, 0, .flags = F_S, .seq = 0, .win = 65535); /* takes the one slot */
    EXPECT(s, 0, .flags = F_SA, .seq = 0, .ack = 1);
    static const struct {
        uint16_t port;
        uint8_t syn, synack;
        int ts, ecn;
    } cases[] = {
        {40001, F_SEW, F_SAE, 1, 1},
        {40002, F_S, F_SA, 1, 0},
        {40003, F_SEW, F_SA, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        nst_time_t t = MS(10) * (nst_time_t)(i + 1);
        INJECT(s, t, .flags = cases[i].syn, .seq = 0, .win = 65535, .opts = ts_syn_opts(7, 1, cases[i].ts),
               .sport = cases[i].port);
        EXPECT(s, t, .flags = cases[i].synack, .seq = 0, .ack = 1, .dport = cases[i].port,
               .check = TS_DEFAULT_CHECK | TS_PORTS);
        CHECK_EQ(s->last.h.opts.has_ts, cases[i].ts);
        if (cases[i].ts)
            CHECK_EQ(s->last.h.opts.ts_val & 1u, (uint32_t)cases[i].ecn);
        struct nst_tcp_opts o = {.has_ts = (uint8_t)cases[i].ts, .ts_val = 2000};
        INJECT(s, t + MS(1), .flags = F_A, .seq = 1, .ack = 1, .win = 512, .opts = o, .ecr_auto = 1,
               .sport = cases[i].port);
        int fd = nst_accept(s->st, lfd, NULL);
        CHECK(fd >= 0);
        CHECK_EQ(has_ecn(s, fd), cases[i].ecn);
        nst_close(s->st, fd);
        ts_flush(s);
    }
    CHECK_EQ(tu_stats(s)->tcp_syncookies_ok, 3);
    CHECK_EQ(tu_stats(s)->tcp_ecn_negotiated, 1);
    ts_free(s);
}

/* ---- which segments are ECT (6.1.2, 6.1.4-6.1.6) -------------------------------------- */

static void test_ect_on_new_data_only(void)
{
    int fd;
    struct ts *s = passive(2, F_SEW, F_SAE, 1, &fd);
    static const char data[10];
    /* New data: ECT(0). */
    send_one(s, fd, SEC(1), 1, 1000, NST_ECN_ECT0);
    /* Its retransmission after the RTO (6.1.5): Not-ECT. */
    EXPECT(s, SEC(5), .flags = F_PA, .seq = 1, .ack = 1, .len = 1000);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    nst_time_t t = s->now + MS(10);
    /* The peer takes it and closes its window: the window probe (6.1.6)
     * is Not-ECT. */
    INJECT(s, t, .flags = F_A, .seq = 1, .ack = 1001, .win = 0);
    CHECK_EQ(nst_send(s->st, fd, data, sizeof(data), 0), 10);
    EXPECT(s, t + SEC(2), .flags = F_A, .seq = 1001, .ack = 1, .len = 1);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    t = s->now + MS(10);
    /* The window opens with the probe octet taken: the other nine are new
     * data again. */
    INJECT(s, t, .flags = F_A, .seq = 1, .ack = 1002, .win = 512);
    EXPECT(s, t, .flags = F_PA, .seq = 1002, .ack = 1, .len = 9);
    CHECK_EQ(last_ecn(s), NST_ECN_ECT0);
    INJECT(s, t + MS(1), .flags = F_A, .seq = 1, .ack = 1011, .win = 512);
    /* A pure ACK (6.1.4): Not-ECT. */
    INJECT(s, t + MS(10), .flags = F_PA, .seq = 1, .ack = 1011, .win = 512, .len = 100);
    EXPECT(s, t + MS(100), .flags = F_A, .seq = 1011, .ack = 101, .len = 0);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    /* The peer's data was Not-ECT: ECN agreed, but none seen on the path. */
    CHECK_EQ(tu_info(s, fd).options & (NST_TCPI_OPT_ECN | NST_TCPI_OPT_ECN_SEEN), NST_TCPI_OPT_ECN);
    /* A FIN without data carries nothing ECN could mark usefully: Not-ECT. */
    CHECK_EQ(nst_shutdown(s->st, fd, NST_SHUT_WR), 0);
    EXPECT(s, s->now, .flags = F_FA, .seq = 1011, .ack = 101);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    /* Nothing of this was a congestion signal. */
    CHECK_EQ(tu_stats(s)->tcp_ecn_reductions, 0);
    CHECK_EQ(tu_stats(s)->tcp_ecn_cwr_sent, 0);
    ts_free(s);
}

/* After an RTO the rest of the window goes again from the ACK clock
 * (output, not the timer): retransmissions still, so Not-ECT (6.1.5);
 * data past the old SND.MAX is new again. */
static void test_go_back_n_not_ect(void)
{
    int fd;
    struct ts *s = passive(2, F_SEW, F_SAE, 0, &fd);
    static const char data[MSS];
    send_window(s, fd, 3);
    EXPECT(s, SEC(5), .flags = F_A, .seq = 1, .ack = 1, .len = MSS);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    nst_time_t t = s->now + MS(10);
    /* The RTO left cwnd at 1 SMSS; this ACK lets two go (slow start). */
    INJECT(s, t, .flags = F_A, .seq = 1, .ack = 1 + MSS, .win = 512);
    EXPECT(s, t, .flags = F_A, .seq = 1 + MSS, .ack = 1, .len = MSS);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    EXPECT(s, t, .flags = F_PA, .seq = 1 + 2 * MSS, .ack = 1, .len = MSS);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    INJECT(s, t + MS(10), .flags = F_A, .seq = 1, .ack = 1 + 3 * MSS, .win = 512);
    CHECK_EQ(nst_send(s->st, fd, data, sizeof(data), 0), MSS);
    expect_data(s, t + MS(10), F_PA, 1 + 3 * MSS, MSS);
    ts_free(s);
}

/* ---- the receiver: ECE until CWR (6.1.3) ---------------------------------------------- */

static void test_receiver_echoes_until_cwr(void)
{
    int fd;
    struct ts *s = passive(2, F_SEW, F_SAE, 1, &fd);
    char b[1000];
    CHECK_EQ(tu_info(s, fd).options & NST_TCPI_OPT_ECN_SEEN, 0);
    /* A CE-marked segment: the ACK carries ECE, and goes at once. */
    INJECT_ECN(s, SEC(1), NST_ECN_CE, .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 100);
    EXPECT(s, SEC(1), .flags = F_A | F_E, .seq = 1, .ack = 101, .at = SEC(1), .check = TS_DEFAULT_CHECK | TS_TIME);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT);
    CHECK_EQ(tu_stats(s)->tcp_ecn_ce_received, 1);
    CHECK_EQ(tu_info(s, fd).options & NST_TCPI_OPT_ECN_SEEN, NST_TCPI_OPT_ECN_SEEN);
    /* An unmarked segment: its (delayed) ACK still carries ECE. */
    INJECT_ECN(s, SEC(1) + MS(100), NST_ECN_ECT0, .flags = F_PA, .seq = 101, .ack = 1, .win = 512, .len = 100);
    EXPECT(s, SEC(1) + MS(140), .flags = F_A | F_E, .seq = 1, .ack = 201, .at = SEC(1) + MS(140),
           .check = TS_DEFAULT_CHECK | TS_TIME);
    /* So does our data: ECE with ECT(0). */
    ts_run_until(s, SEC(1) + MS(200));
    CHECK_EQ(nst_send(s->st, fd, b, 50, 0), 50);
    EXPECT(s, s->now, .flags = F_PA | F_E, .seq = 1, .ack = 201, .len = 50);
    CHECK_EQ(last_ecn(s), NST_ECN_ECT0);
    /* CWR: the sender has reduced; the echo stops. */
    INJECT_ECN(s, SEC(1) + MS(300), NST_ECN_ECT0, .flags = F_PA | F_W, .seq = 201, .ack = 51, .win = 512,
               .len = 100);
    EXPECT(s, SEC(1) + MS(340), .flags = F_A, .seq = 51, .ack = 301);
    CHECK_EQ(tu_stats(s)->tcp_ecn_cwr_received, 1);
    INJECT_ECN(s, SEC(1) + MS(400), NST_ECN_ECT0, .flags = F_PA, .seq = 301, .ack = 51, .win = 512, .len = 100);
    EXPECT(s, SEC(1) + MS(440), .flags = F_A, .seq = 51, .ack = 401);
    /* CWR and CE on one segment: CWR ends the old echo, CE starts a new one. */
    INJECT_ECN(s, SEC(1) + MS(500), NST_ECN_CE, .flags = F_PA | F_W, .seq = 401, .ack = 51, .win = 512, .len = 100);
    EXPECT(s, SEC(1) + MS(500), .flags = F_A | F_E, .seq = 51, .ack = 501);
    CHECK_EQ(tu_stats(s)->tcp_ecn_ce_received, 2);
    CHECK_EQ(tu_stats(s)->tcp_ecn_cwr_received, 2);
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), 500);
    /* The receiver side reduces nothing. */
    CHECK_EQ(tu_stats(s)->tcp_ecn_reductions, 0);
    /* `ss -ti` says it in Linux's words. */
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    struct nst_ss_opts so = {.protos = NST_INSPECT_TCP, .info = 1};
    CHECK_EQ(nst_ss_print(s->st, &so, f), 0);
    fclose(f);
    CHECK(strstr(out, "\t sack ecn ecnseen newreno wscale:7,") != NULL);
    free(out);
    ts_free(s);
}

/* Without ECN a CE mark means nothing to TCP (it should never come). */
static void test_ce_without_ecn_ignored(void)
{
    int fd;
    struct ts *s = passive(0, F_SEW, F_SA, 1, &fd);
    INJECT_ECN(s, SEC(1), NST_ECN_CE, .flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 100);
    EXPECT(s, SEC(1) + MS(40), .flags = F_A, .seq = 1, .ack = 101);
    CHECK_EQ(tu_stats(s)->tcp_ecn_ce_received, 0);
    ts_free(s);
}

/* ---- the sender: ECE halves cwnd once per window, CWR follows (6.1.2) -------------- */

static void test_sender_reduces_once_per_window(void)
{
    int fd;
    struct ts *s = passive(2, F_SEW, F_SAE, 1, &fd);
    send_window(s, fd, 20);
    EXPECT_NONE(s, SEC(1) + MS(100) - 1);
    /* ECE on the ACK of two segments: slow start's growth (14600 + 1460),
     * then NewReno's reduction for FlightSize 14600 (RFC 5681 eq. 4):
     * ssthresh = cwnd = 7300. 11680 still in flight: nothing goes. */
    ack_ece(s, SEC(1) + MS(100), 1 + 2 * MSS);
    check_reduced(s, fd, 7300, 7300, 1);
    CHECK_EQ(tu_stats(s)->tcp_ecn_ece_received, 1);
    EXPECT_NONE(s, SEC(1) + MS(110));
    /* More ECE from the same window: no second reduction (congestion
     * avoidance counts the bytes: 2920 < 7300, no growth either). */
    ack_ece(s, SEC(1) + MS(110), 1 + 4 * MSS);
    check_reduced(s, fd, 7300, 7300, 1);
    CHECK_EQ(tu_stats(s)->tcp_ecn_ece_received, 2);
    EXPECT_NONE(s, SEC(1) + MS(120));
    /* Room for one segment: the first new data after the reduction
     * carries CWR. */
    ack_ece(s, SEC(1) + MS(120), 1 + 6 * MSS);
    expect_data(s, SEC(1) + MS(120), F_A | F_W, 1 + 10 * MSS, MSS);
    CHECK_EQ(tu_stats(s)->tcp_ecn_cwr_sent, 1);
    EXPECT_NONE(s, SEC(1) + MS(130));
    /* The ACK of the whole reduced window still has ECE (the receiver had
     * not seen CWR yet): ignored. Congestion avoidance adds one SMSS
     * (11680 bytes acknowledged >= 7300): cwnd 8760, five segments go,
     * without CWR. */
    ack_ece(s, SEC(1) + MS(130), 1 + 10 * MSS);
    check_reduced(s, fd, 8760, 7300, 1);
    for (uint32_t i = 11; i < 16; i++)
        expect_data(s, SEC(1) + MS(130), F_A, 1 + i * MSS, MSS);
    EXPECT_NONE(s, SEC(1) + MS(140));
    /* ECE on the ACK of the CWR segment: congestion in a new window, a
     * second reduction for FlightSize 8760: 4380. */
    ack_ece(s, SEC(1) + MS(140), 1 + 11 * MSS);
    check_reduced(s, fd, 4380, 4380, 2);
    CHECK_EQ(tu_stats(s)->tcp_ecn_ece_received, 5);
    /* No loss, no retransmission. */
    CHECK_EQ(tu_stats(s)->tcp_retransmits, 0);
    ts_free(s);
}

/* A loss in the window already halved for ECE: fast retransmit, but no
 * second reduction (RFC 3168 6.1.2: once per window of data). Without the
 * ECN reduction, NewReno would have set ssthresh = 13140 / 2 = 6570. */
static void test_loss_in_reduced_window(void)
{
    int fd;
    struct ts *s = passive(2, F_SEW, F_SAE, 0, &fd);
    send_window(s, fd, 10);
    ack_ece(s, SEC(1) + MS(100), 1 + MSS);
    check_window(s, fd, 7300, 7300);
    for (int i = 1; i <= 3; i++)
        INJECT(s, SEC(1) + MS(100 + 10 * i), .flags = F_A, .seq = 1, .ack = 1 + MSS, .win = 512);
    EXPECT(s, SEC(1) + MS(130), .flags = F_A, .seq = 1 + MSS, .ack = 1, .len = MSS);
    CHECK_EQ(last_ecn(s), NST_ECN_NOT_ECT); /* a retransmission */
    CHECK_EQ(tu_stats(s)->tcp_fast_retransmits, 1);
    /* RFC 6582 3.2 step 2 on the ssthresh ECN already set: 7300 + 3 SMSS. */
    check_reduced(s, fd, 7300 + 3 * MSS, 7300, 1);
    ts_free(s);
}

/* ---- reassembly (RFC 3168 5.3) -------------------------------------------------------- */

/* Injects seg cut into two IP fragments (the first 512 bytes of the TCP
 * segment, then the rest) with ECN fields e1 and e2. */
static void inject_fragments(struct ts *s, nst_time_t t, const struct ts_seg *seg, uint8_t e1, uint8_t e2)
{
    uint8_t whole[2000], f[2000];
    size_t n = ts_build(s, seg, whole, sizeof(whole));
    size_t l4 = n - NST_ETH_HLEN - NST_IPV4_HLEN;
    CHECK(l4 > 512);
    const size_t cut[3] = {0, 512, l4};
    const uint8_t ecn[2] = {e1, e2};
    for (int i = 0; i < 2; i++) {
        size_t len = cut[i + 1] - cut[i];
        memcpy(f, whole, NST_ETH_HLEN + NST_IPV4_HLEN);
        memcpy(f + NST_ETH_HLEN + NST_IPV4_HLEN, whole + NST_ETH_HLEN + NST_IPV4_HLEN + cut[i], len);
        uint8_t *ip = f + NST_ETH_HLEN;
        ip[1] = ecn[i];
        nst_put16(ip + 2, (uint16_t)(NST_IPV4_HLEN + len));
        nst_put16(ip + 6, (uint16_t)((i == 0 ? NST_IPV4_FLAG_MF : 0) | (cut[i] / 8)));
        su_fix_ip_checksum(f);
        size_t flen = NST_ETH_HLEN + NST_IPV4_HLEN + len;
        ts_inject_frame(s, t, f, flen < 60 ? 60 : flen);
    }
}

static void test_reassembly(void)
{
    int fd;
    struct ts *s = passive(2, F_SEW, F_SAE, 1, &fd);
    char b[4000];
    /* ECT(0) and ECT(1): delivered, nothing to echo. */
    inject_fragments(s, SEC(1), &(struct ts_seg){.flags = F_PA, .seq = 1, .ack = 1, .win = 512, .len = 1000},
                     NST_ECN_ECT0, NST_ECN_ECT1);
    EXPECT(s, SEC(1) + MS(40), .flags = F_A, .seq = 1, .ack = 1001);
    /* Not-ECT with CE: cannot be one sender's, dropped (and counted). */
    inject_fragments(s, SEC(2), &(struct ts_seg){.flags = F_PA, .seq = 1001, .ack = 1, .win = 512, .len = 1000},
                     NST_ECN_NOT_ECT, NST_ECN_CE);
    EXPECT_NONE(s, SEC(3));
    CHECK_EQ(tu_stats(s)->ip_reass_ecn_mismatch, 1);
    /* One fragment marked CE: the datagram is CE, the ACK echoes it. */
    inject_fragments(s, SEC(4), &(struct ts_seg){.flags = F_PA, .seq = 1001, .ack = 1, .win = 512, .len = 1000},
                     NST_ECN_ECT0, NST_ECN_CE);
    EXPECT(s, SEC(4), .flags = F_A | F_E, .seq = 1, .ack = 2001);
    CHECK_EQ(tu_stats(s)->tcp_ecn_ce_received, 1);
    CHECK_EQ(tu_stats(s)->ip_reass_ok, 2);
    CHECK_EQ(nst_recv(s->st, fd, b, sizeof(b), 0), 2000);
    ts_free(s);
}

/* ---- per socket (NST_TCP_ECN) ----------------------------------------------------------- */

static int sock_ecn(struct ts *s, int fd)
{
    int v = -1;
    size_t len = sizeof(v);
    CHECK_EQ(nst_getsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_ECN, &v, &len), 0);
    return v;
}

/* A socket asks for ECN on a stack that does not (ecn = 0), and another
 * on a stack that asks (ecn = 1) turns it off: the SYN says so. Values
 * outside 0..2 are refused. */
static void test_per_socket_active(void)
{
    struct nst_stack_config c = ecn_cfg(0);
    struct ts *s = ts_new(&c);
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    CHECK_EQ(sock_ecn(s, fd), 0); /* the stack's setting */
    int v = 3;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_ECN, &v, sizeof(v)), -EINVAL);
    v = -1;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_ECN, &v, sizeof(v)), -EINVAL);
    v = 1;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_ECN, &v, sizeof(v)), 0);
    CHECK_EQ(sock_ecn(s, fd), 1);
    struct nst_sockaddr local = {0, s->lport}, remote = tu_peer(s);
    nst_bind(s->st, fd, &local);
    CHECK_EQ(nst_connect(s->st, fd, &remote), -EINPROGRESS);
    EXPECT(s, 0, .flags = F_SEW, .seq = 0, .ack = 0);
    INJECT(s, MS(100), .flags = F_SAE, .seq = 0, .ack = 1, .win = 512, .opts = ts_syn_opts(7, 1, 0));
    EXPECT(s, MS(100), .flags = F_A, .seq = 1, .ack = 1);
    CHECK(has_ecn(s, fd));
    send_one(s, fd, SEC(1), 1, 100, NST_ECN_ECT0);
    ts_free(s);

    c = ecn_cfg(1);
    s = ts_new(&c);
    fd = nst_socket(s->st, NST_SOCK_STREAM);
    CHECK_EQ(sock_ecn(s, fd), 1);
    v = 0;
    CHECK_EQ(nst_setsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_ECN, &v, sizeof(v)), 0);
    nst_bind(s->st, fd, &local);
    CHECK_EQ(nst_connect(s->st, fd, &remote), -EINPROGRESS);
    EXPECT(s, 0, .flags = F_S, .seq = 0, .ack = 0);
    INJECT(s, MS(100), .flags = F_SAE, .seq = 0, .ack = 1, .win = 512, .opts = ts_syn_opts(7, 1, 0));
    EXPECT(s, MS(100), .flags = F_A, .seq = 1, .ack = 1);
    CHECK(!has_ecn(s, fd));
    send_one(s, fd, SEC(1), 1, 100, NST_ECN_NOT_ECT);
    ts_free(s);
}

/* A listener's setting is what its connections get: with NST_TCP_ECN 0
 * on the listener (the stack accepts, ecn = 2) an ECN-setup SYN gets a
 * plain SYN-ACK, and the accepted socket reports 0; the listener's
 * congestion control is inherited the same way. */
static void test_per_socket_listener(void)
{
    struct nst_stack_config c = ecn_cfg(2);
    struct ts *s = ts_new(&c);
    int lfd = ts_listen(s, 8);
    int v = 0;
    CHECK_EQ(nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_ECN, &v, sizeof(v)), 0);
    CHECK_EQ(nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, "newreno", 7), 0);
    INJECT(s, 0, .flags = F_SEW, .seq = 0, .win = 65535, .opts = ts_syn_opts(7, 1, 0));
    EXPECT(s, 0, .flags = F_SA, .seq = 0, .ack = 1);
    INJECT(s, MS(100), .flags = F_A, .seq = 1, .ack = 1, .win = 512);
    int fd = nst_accept(s->st, lfd, NULL);
    CHECK(fd >= 0);
    CHECK_EQ(sock_ecn(s, fd), 0);
    CHECK(!has_ecn(s, fd));
    char name[16];
    size_t len = sizeof(name);
    CHECK_EQ(nst_getsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, name, &len), 0);
    CHECK(strcmp(name, "newreno") == 0);
    send_one(s, fd, SEC(1), 1, 100, NST_ECN_NOT_ECT);
    INJECT(s, SEC(1) + MS(100), .flags = F_A, .seq = 1, .ack = 101, .win = 512);
    /* Turned back on, the next SYN is accepted with ECN. */
    v = 2;
    CHECK_EQ(nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_ECN, &v, sizeof(v)), 0);
    s->rport++;
    INJECT(s, SEC(2), .flags = F_SEW, .seq = 0, .win = 65535, .opts = ts_syn_opts(7, 1, 0));
    EXPECT(s, SEC(2), .flags = F_SAE, .seq = 0, .ack = 1);
    ts_free(s);
}

int main(void)
{
    RUN(test_active_open_matrix);
    RUN(test_passive_open_matrix);
    RUN(test_syn_retransmissions);
    RUN(test_syn_cookies);
    RUN(test_ect_on_new_data_only);
    RUN(test_go_back_n_not_ect);
    RUN(test_receiver_echoes_until_cwr);
    RUN(test_ce_without_ecn_ignored);
    RUN(test_sender_reduces_once_per_window);
    RUN(test_loss_in_reduced_window);
    RUN(test_reassembly);
    RUN(test_per_socket_active);
    RUN(test_per_socket_listener);
    return nst_test_done();
}
