/* RFC 5961 7: challenge ACK throttling without the CVE-2016-5696 side
 * channel (src/tcp/tcp_input.c). A connection sends at most one challenge
 * ACK per 500 ms, so a flood on one connection cannot spend the stack-wide
 * budget and silence the others; that budget, which bounds a flood spread
 * over many connections and TIME_WAIT records, is drawn at random each
 * second, so counting against it tells nothing exact. */
#include "core/stack_impl.h"
#include "support/tcp_testutil.h"
#include "tcp/tcp_state.h"

#define CONNS 8

struct peers {
    uint32_t isn[CONNS];
    int fd[CONNS];
};

/* Makes connection i (peer port TS_PEER_PORT + i) the script's. */
static void peer(struct ts *s, const struct peers *p, int i)
{
    s->rport = (uint16_t)(TS_PEER_PORT + i);
    s->local_isn = p->isn[i];
    s->local_isn_known = 1;
}

static struct ts *open_peers(const struct nst_stack_config *cfg, struct peers *p, int n)
{
    struct ts *s = ts_new(cfg);
    int lfd = ts_listen(s, CONNS);
    for (int i = 0; i < n; i++) {
        s->rport = (uint16_t)(TS_PEER_PORT + i);
        s->local_isn_known = 0;
        p->fd[i] = ts_passive_open(s, lfd, MS(10 * i), MS(1), NULL, 65535);
        CHECK(p->fd[i] >= 0);
        p->isn[i] = s->local_isn;
    }
    ts_run_until(s, SEC(1));
    ts_flush(s);
    return s;
}

/* 2000 blind in-window RSTs on one connection in one instant, twice the
 * default stack-wide budget: that connection answers one, and every other
 * connection still answers its own. (With the old budget of 1000 a second
 * for the whole stack, the flood drew 1000 and the others got nothing.) */
static void test_flood_on_one_connection_spares_the_others(void)
{
    struct peers p;
    struct ts *s = open_peers(NULL, &p, CONNS);
    peer(s, &p, 0);
    for (uint32_t k = 0; k < 2000; k++)
        INJECT(s, SEC(2), .flags = F_R, .seq = 100 + k, .win = 0);
    EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 1);
    EXPECT_NONE(s, SEC(2));
    for (int i = 1; i < CONNS; i++) {
        peer(s, &p, i);
        INJECT(s, SEC(2), .flags = F_R, .seq = 100, .win = 0);
        EXPECT(s, SEC(2), .flags = F_A, .seq = 1, .ack = 1);
    }
    CHECK_EQ(tu_stats(s)->tcp_challenge_acks, CONNS);
    CHECK_EQ(tu_stats(s)->tcp_challenge_ack_limited, 1999);
    for (int i = 0; i < CONNS; i++)
        CHECK_EQ(tu_state(s, p.fd[i]), NST_TCPS_ESTABLISHED);
    ts_free(s);
}

/* The stack-wide budget of each second lies in [limit/2, limit*3/2) and is
 * not the same every second. */
static void test_budget_is_random_per_second(void)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.challenge_ack_limit = 10;
    struct ts *s = ts_new(&cfg);
    unsigned seen[32] = {0}, distinct = 0;
    for (int sec = 1; sec <= 40; sec++) {
        ts_run_until(s, SEC(sec));
        unsigned n = 0;
        while (n < 31 && tcp_challenge_ack_allowed(s->st, NULL))
            n++;
        CHECK(n >= 5 && n <= 14);
        if (!seen[n]++)
            distinct++;
    }
    CHECK(distinct >= 4);
    ts_free(s);
}

/* A TIME_WAIT record has no per-connection limit (no room in its 72
 * bytes): its challenge ACKs draw on the stack-wide budget alone, here one
 * a second (limit 1: [1, 1]). */
static void test_time_wait_uses_the_stack_budget(void)
{
    struct nst_stack_config cfg = tu_config();
    cfg.tcp.challenge_ack_limit = 1;
    struct peers p;
    struct ts *s = open_peers(&cfg, &p, 1);
    peer(s, &p, 0);
    ts_run_until(s, SEC(2));
    CHECK_EQ(nst_close(s->st, p.fd[0]), 0);
    EXPECT(s, SEC(2), .flags = F_FA, .seq = 1, .ack = 1);
    INJECT(s, MS(2100), .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, MS(2100), .flags = F_A, .seq = 2, .ack = 2);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    /* Old SYNs (not above RCV.NXT, so they cannot reopen the tuple). */
    for (int k = 0; k < 5; k++)
        INJECT(s, SEC(3), .flags = F_S, .seq = 0, .win = 65535);
    EXPECT(s, SEC(3), .flags = F_A, .seq = 2, .ack = 2);
    EXPECT_NONE(s, MS(3999));
    INJECT(s, SEC(4), .flags = F_S, .seq = 0, .win = 65535);
    EXPECT(s, SEC(4), .flags = F_A, .seq = 2, .ack = 2);
    CHECK_EQ(tu_stats(s)->tcp_challenge_acks, 2);
    CHECK_EQ(tu_stats(s)->tcp_challenge_ack_limited, 4);
    ts_free(s);
}

int main(void)
{
    RUN(test_flood_on_one_connection_spares_the_others);
    RUN(test_budget_is_random_per_second);
    RUN(test_time_wait_uses_the_stack_budget);
    return nst_test_done();
}
