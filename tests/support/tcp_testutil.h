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
