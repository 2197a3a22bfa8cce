/* Shorthands for TCP segment-script tests (tests/sim/test_tcp_*.c). */
#ifndef NST_TEST_TCP_TESTUTIL_H
#define NST_TEST_TCP_TESTUTIL_H

#include <errno.h>

#include "support/tcp_script.h"
#include "test.h"

#define MS(x) NST_MSEC(x)
#define SEC(x) NST_SEC(x)

#define F_S NST_TCP_SYN
#define F_A NST_TCP_ACK
#define F_F NST_TCP_FIN
#define F_R NST_TCP_RST
#define F_P NST_TCP_PSH
#define F_SA (NST_TCP_SYN | NST_TCP_ACK)
#define F_FA (NST_TCP_FIN | NST_TCP_ACK)
#define F_PA (NST_TCP_PSH | NST_TCP_ACK)
#define F_RA (NST_TCP_RST | NST_TCP_ACK)

/* Expect a segment (fields as in struct ts_seg) by time `by`. */
#define EXPECT(s, by, ...) CHECK(ts_expect((s), (by), &(struct ts_seg){__VA_ARGS__}) == 0)
/* Inject a segment from the peer at time t. */
#define INJECT(s, t, ...) ts_inject((s), (t), &(struct ts_seg){__VA_ARGS__})
#define EXPECT_NONE(s, until) CHECK(ts_expect_none((s), (until)) == 0)

/* The state of the connection behind fd (NST_TCPS_*), or -1. */
static inline int tu_state(struct ts *s, int fd)
{
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    if (nst_getsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len) < 0)
        return -1;
    return ti.state;
}

static inline struct nst_tcp_info tu_info(struct ts *s, int fd)
{
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    nst_getsockopt(s->st, fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
    return ti;
}

/* How many connections of the stack (orphans and TIME_WAIT included) are
 * in `state`. */
static inline int tu_count(struct ts *s, int state)
{
    struct nst_tcp_info v[64];
    int n = nst_tcp_list(s->st, v, 64);
    int k = 0;
    for (int i = 0; i < n && i < 64; i++)
        k += v[i].state == state;
    return k;
}

static inline int tu_total(struct ts *s) { return nst_tcp_list(s->st, NULL, 0); }

static inline int tu_sock_error(struct ts *s, int fd)
{
    int e = 0;
    size_t len = sizeof(e);
    nst_getsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_ERROR, &e, &len);
    return e;
}

static inline const struct nst_stats *tu_stats(struct ts *s) { return nst_stack_stats(s->st); }

/* A config with the TCP defaults (tests then change what they need). */
static inline struct nst_stack_config tu_config(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    nst_tcp_config_default(&c.tcp);
    return c;
}

/* A script with a listener on s->lport (backlog 8) and one accepted
 * connection: peer SYN at 0 with MSS 1460, wscale 7, SACK (and TS if ts),
 * window 65535; the peer's ACK at 100 ms. *lfd and *fd are set. */
static inline struct ts *tu_passive(const struct nst_stack_config *cfg, int ts, int *lfd, int *fd)
{
    struct ts *s = ts_new(cfg);
    if (!s)
        return NULL;
    *lfd = ts_listen(s, 8);
    struct nst_tcp_opts o = ts_syn_opts(7, 1, ts);
    *fd = ts_passive_open(s, *lfd, 0, MS(100), &o, 65535);
    return s;
}

/* The peer's address and port as the stack sees them. */
static inline struct nst_sockaddr tu_peer(const struct ts *s)
{
    struct nst_sockaddr a = {TS_PEER_ADDR, s->rport};
    return a;
}

/* A stream socket bound to s->lport, connecting to the peer: *fd gets the
 * descriptor; returns what connect() returned (-EINPROGRESS: the SYN is
 * on its way). */
static inline int tu_connect(struct ts *s, int *fd)
{
    struct nst_sockaddr local = {0, s->lport}, remote = tu_peer(s);
    *fd = nst_socket(s->st, NST_SOCK_STREAM);
    nst_bind(s->st, *fd, &local);
    return nst_connect(s->st, *fd, &remote);
}

/* tu_passive() without timestamps, then at 1 s the application closes the
 * connection and its FIN (seq 1) is expected: FIN_WAIT_1. *fd is set. */
static inline struct ts *tu_active_close(const struct nst_stack_config *cfg, int *fd)
{
    int lfd;
    struct ts *s = tu_passive(cfg, 0, &lfd, fd);
    ts_run_until(s, SEC(1));
    nst_close(s->st, *fd);
    EXPECT(s, SEC(1), .flags = F_FA, .seq = 1, .ack = 1);
    return s;
}

/* A listener (backlog) that got the peer's SYN (no options, window 65535)
 * at 0 and is expected to answer it with a SYN-ACK: SYN_RECEIVED. */
static inline struct ts *tu_syn_received(int backlog, int *lfd)
{
    struct ts *s = ts_new(NULL);
    *lfd = ts_listen(s, backlog);
    INJECT(s, 0, .flags = F_S, .seq = 0, .win = 65535);
    EXPECT(s, 0, .flags = F_SA, .seq = 0, .ack = 1);
    return s;
}

/* The MSS the peer's SYNs offer (ts_syn_opts): a full segment. */
#define TU_MSS 1460u

/* SACK blocks (RFC 2018) for the peer's ACKs: TU_SACK(s1, e1, s2, e2, ...)
 * (relative, as the harness's ack), TU_NO_SACK for none. */
static inline struct nst_tcp_opts tu_sack_opts(unsigned n, const uint32_t *v)
{
    struct nst_tcp_opts o;
    memset(&o, 0, sizeof(o));
    o.sack_count = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        o.sack[i].start = v[2 * i];
        o.sack[i].end = v[2 * i + 1];
    }
    return o;
}
#define TU_SACK(...) \
    tu_sack_opts(sizeof((uint32_t[]){__VA_ARGS__}) / (2 * sizeof(uint32_t)), (uint32_t[]){__VA_ARGS__})
#define TU_NO_SACK tu_sack_opts(0, NULL)

/* The peer's pure ACK of `ackno` at t (seq 1, window 65535), options o. */
static inline void tu_ack(struct ts *s, nst_time_t t, uint32_t ackno, struct nst_tcp_opts o)
{
    INJECT(s, t, .flags = F_A, .seq = 1, .ack = ackno, .win = 65535, .opts = o);
}

/* The next segment is a full one of data at seq (ACK 1, no PSH), sent at
 * exactly `at`. */
static inline void tu_expect_segment(struct ts *s, nst_time_t at, uint32_t seq)
{
    EXPECT(s, at, .flags = F_A, .seq = seq, .ack = 1, .len = TU_MSS, .at = at, .check = TS_DEFAULT_CHECK | TS_TIME);
}

/* At t the application writes n bytes (all 'd'): one check that the
 * socket takes them all. */
static inline void tu_write(struct ts *s, int fd, nst_time_t t, size_t n)
{
    ts_run_until(s, t);
    char *buf = malloc(n);
    memset(buf, 'd', n);
    CHECK_EQ(nst_send(s->st, fd, buf, n, 0), (long long)n);
    free(buf);
}

/* A sender of bulk data: ts_new(cfg) (NULL: the defaults), a listener
 * with congestion control cc (NULL: the default) and one connection it
 * accepts (the peer's SYN at 0: MSS 1460, window scale 7, SACK if sack,
 * no timestamps; window 65535; its ACK at 100 ms); then at 1 s the
 * application writes `bytes` (tu_write). *fd is set. */
static inline struct ts *tu_bulk_sender(const struct nst_stack_config *cfg, int sack, const char *cc, size_t bytes,
                                        int *fd)
{
    struct ts *s = ts_new(cfg);
    int lfd = ts_listen(s, 8);
    if (cc)
        nst_setsockopt(s->st, lfd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, cc, strlen(cc));
    struct nst_tcp_opts o = ts_syn_opts(7, sack, 0);
    *fd = ts_passive_open(s, lfd, 0, MS(100), &o, 65535);
    tu_write(s, *fd, SEC(1), bytes);
    return s;
}

/* The transfer on fd is over: nothing unacknowledged or queued, after
 * `rto_timeouts` timeouts and `retransmits` segments sent again (four
 * checks). The connection's info, for more. */
static inline struct nst_tcp_info tu_check_done(struct ts *s, int fd, uint32_t rto_timeouts, uint32_t retransmits)
{
    struct nst_tcp_info ti = tu_info(s, fd);
    CHECK_EQ(ti.unacked, 0);
    CHECK_EQ(ti.send_queue, 0);
    CHECK_EQ(ti.rto_timeouts, rto_timeouts);
    CHECK_EQ(ti.retransmits, retransmits);
    return ti;
}

/* Peer options on later segments when timestamps are on: TSval grows with
 * time (1 tick per ms from 1000), TSecr echoes the stack's last TSval. */
static inline struct nst_tcp_opts tu_ts(nst_time_t t)
{
    struct nst_tcp_opts o;
    memset(&o, 0, sizeof(o));
    o.has_ts = 1;
    o.ts_val = 1000 + (uint32_t)(t / MS(1));
    return o;
}

#endif
