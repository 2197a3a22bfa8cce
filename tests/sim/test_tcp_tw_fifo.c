/* TIME_WAIT records share one expiry FIFO and one timer (src/tcp/
 * tcp_timewait.c): every record lives 2*MSL from when it began, or from
 * the retransmitted FIN that restarted it. These tests run several records
 * at once and check each expiry to the nanosecond when a restart moves a
 * record behind a younger one, and when the oldest record goes early (a
 * RST) and the timer must follow the next one. Also the record's size. */
#include "core/stack_impl.h"
#include "support/tcp_testutil.h"
#include "tcp/tcp_state.h"

#define PORTS 4

struct conns {
    uint32_t isn[PORTS];
    int fd[PORTS];
};

/* Switches the script to the peer port of connection i. */
static void use(struct ts *s, struct conns *c, int i)
{
    s->rport = (uint16_t)(TS_PEER_PORT + i);
    s->local_isn = c->isn[i];
    s->local_isn_known = 1;
}

static void open_all(struct ts *s, struct conns *c, int n)
{
    int lfd = ts_listen(s, 8);
    for (int i = 0; i < n; i++) {
        s->rport = (uint16_t)(TS_PEER_PORT + i);
        s->local_isn_known = 0;
        c->fd[i] = ts_passive_open(s, lfd, MS(10 * i), MS(1), NULL, 65535);
        CHECK(c->fd[i] >= 0);
        c->isn[i] = s->local_isn;
    }
    ts_run_until(s, SEC(1));
    ts_flush(s);
}

/* We close first; the peer's FIN at t puts connection i in TIME_WAIT. */
static void to_time_wait(struct ts *s, struct conns *c, int i, nst_time_t t)
{
    use(s, c, i);
    ts_run_until(s, t - MS(10));
    CHECK_EQ(nst_close(s->st, c->fd[i]), 0);
    EXPECT(s, t - MS(10), .flags = F_FA, .seq = 1, .ack = 1);
    INJECT(s, t, .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, t, .flags = F_A, .seq = 2, .ack = 2, .at = t, .check = TS_DEFAULT_CHECK | TS_TIME);
}

static int tw_count(struct ts *s) { return tu_count(s, NST_TCPS_TIME_WAIT); }

/* n connections, connection i put in TIME_WAIT at 2 + i s: its record
 * ends at 62 + i s. */
static struct ts *records(struct conns *c, int n)
{
    struct ts *s = ts_new(NULL);
    open_all(s, c, n);
    for (int i = 0; i < n; i++)
        to_time_wait(s, c, i, SEC(2 + i));
    return s;
}

/* A record ends exactly at t: one more is left 1 ns before, `left` at t. */
static void check_expiry(struct ts *s, nst_time_t t, int left)
{
    ts_run_until(s, t - 1);
    CHECK_EQ(tw_count(s), left + 1);
    ts_run_until(s, t);
    CHECK_EQ(tw_count(s), left);
}

static void test_restart_moves_behind_a_younger_record(void)
{
    struct conns c;
    struct ts *s = records(&c, 2); /* ending at 62 s and 63 s */
    CHECK_EQ(tw_count(s), 2);
    /* The peer of the first did not hear our ACK: its FIN again at 10 s,
     * ACKed again, and its 2*MSL starts over (RFC 9293 3.10.7.4): 70 s. */
    use(s, &c, 0);
    INJECT(s, SEC(10), .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, SEC(10), .flags = F_A, .seq = 2, .ack = 2, .at = SEC(10), .check = TS_DEFAULT_CHECK | TS_TIME);
    ts_run_until(s, SEC(62));
    CHECK_EQ(tw_count(s), 2); /* the first no longer ends at 62 s */
    check_expiry(s, SEC(63), 1); /* the second, exactly on time */
    check_expiry(s, SEC(70), 0);
    /* Nothing left: the FIFO gave its array back, its timer is off. */
    CHECK(s->st->tcp->tw_fifo.slot == NULL);
    CHECK_EQ(s->st->tcp->tw_fifo.cap, 0);
    ts_free(s);
}

static void test_oldest_goes_early(void)
{
    struct conns c;
    struct ts *s = records(&c, 3); /* ending at 62, 63 and 64 s */
    /* RFC 9293 3.10.7.4 / RFC 5961 3.2: a RST at exactly RCV.NXT ends the
     * oldest record now; then the middle one too. */
    use(s, &c, 0);
    INJECT(s, SEC(5), .flags = F_R, .seq = 2, .win = 0);
    CHECK_EQ(tw_count(s), 2);
    CHECK_EQ(tu_stats(s)->tcp_rx_resets, 1);
    use(s, &c, 1);
    INJECT(s, SEC(6), .flags = F_R, .seq = 2, .win = 0);
    CHECK_EQ(tw_count(s), 1);
    /* The timer follows the last one, to the nanosecond. */
    check_expiry(s, SEC(64), 0);
    ts_free(s);
}

static void test_record_size(void)
{
    /* 96 bytes: no timer and no port-table node of its own (72 before the
     * tuple's addresses took 16 bytes each for IPv6). */
    CHECK(sizeof(struct nst_tcp_tw) <= 96);
    CHECK_EQ(nst_tcp_timewait_size(), sizeof(struct nst_tcp_tw));
}

int main(void)
{
    RUN(test_restart_moves_behind_a_younger_record);
    RUN(test_oldest_goes_early);
    RUN(test_record_size);
    return nst_test_done();
}
