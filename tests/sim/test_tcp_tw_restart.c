/* A retransmitted FIN in TIME_WAIT restarts the 2*MSL timeout (RFC 9293
 * 3.10.7.4, RFC 1122 4.2.2.13) but not the record's age: inspection
 * (nst_sock_list, what `nstack ss` shows) still says since when the
 * connection has been in TIME_WAIT, while the expiry moves to exactly
 * 2*MSL after the last FIN. Also the re-ACK's timestamp after a restart
 * (the record recomputes the connection's TS offset from its tuple), and
 * the expiry order of records when a restart moves one behind another. */
#include "support/tcp_testutil.h"

#define MSL2 SEC(60) /* 2 * the default MSL of 30 s */

/* The TIME_WAIT entry of the peer port rport in nst_sock_list; 0 if found. */
static int tw_entry(struct ts *s, uint16_t rport, struct nst_sock_entry *out)
{
    struct nst_sock_entry v[16];
    int n = nst_sock_list(s->st, v, 16);
    int found = 0;
    for (int i = 0; i < n && i < 16; i++) {
        if (v[i].proto == NST_INSPECT_TCP && v[i].state == NST_TCPS_TIME_WAIT && v[i].peer.port == rport) {
            *out = v[i];
            found++;
        }
    }
    return found == 1 ? 0 : -1;
}

/* Checks the record of peer port rport: in TIME_WAIT since `since`, its
 * timer ending at `expires`; the same through nst_tcp_list. */
static void check_tw(struct ts *s, uint16_t rport, nst_time_t since, nst_time_t expires)
{
    struct nst_sock_entry e = {0};
    CHECK_EQ(tw_entry(s, rport, &e), 0);
    CHECK_EQ(e.state_since, since);
    CHECK_EQ(e.tcp.timer, NST_TCPI_TIMER_TIMEWAIT);
    CHECK_EQ(e.tcp.timer_expires, expires);
    CHECK_EQ(e.fd, -1);
    struct nst_tcp_info v[16];
    int n = nst_tcp_list(s->st, v, 16), k = 0;
    for (int i = 0; i < n && i < 16; i++) {
        if (v[i].state != NST_TCPS_TIME_WAIT || v[i].remote.port != rport)
            continue;
        k++;
        CHECK_EQ(v[i].state_since, since);
        CHECK_EQ(v[i].timer_expires, expires);
    }
    CHECK_EQ(k, 1);
}

/* The peer's FIN (with its timestamp at t) and our ACK of it, at t: the
 * ACK carries the connection's clock, 1 tick a ms since the SYN-ACK at 0
 * (RFC 7323 5.4: the same per-connection offset in TIME_WAIT). */
static void peer_fin_acked(struct ts *s, nst_time_t t)
{
    INJECT(s, t, .flags = F_FA, .seq = 1, .ack = 2, .win = 512, .opts = tu_ts(t), .ecr_auto = 1);
    struct nst_tcp_opts o = {.has_ts = 1, .ts_val = (uint32_t)(t / MS(1))};
    EXPECT(s, t, .flags = F_A, .seq = 2, .ack = 2, .at = t, .opts = o,
           .check = TS_DEFAULT_CHECK | TS_TIME | TS_TSVAL);
}

static void test_restart_keeps_since(void)
{
    int lfd = -1, fd = -1;
    struct ts *s = tu_passive(NULL, 1, &lfd, &fd);
    CHECK(fd >= 0);
    /* We close at 1 s; the peer's FIN at t1 puts us in TIME_WAIT. */
    ts_run_until(s, SEC(1));
    CHECK_EQ(nst_close(s->st, fd), 0);
    EXPECT(s, SEC(1), .flags = F_FA, .seq = 1, .ack = 1);
    INJECT(s, SEC(1) + MS(100), .flags = F_A, .seq = 1, .ack = 2, .win = 512, .opts = tu_ts(SEC(1) + MS(100)),
           .ecr_auto = 1);
    const nst_time_t t1 = SEC(1) + MS(200) + 7;
    peer_fin_acked(s, t1);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    check_tw(s, TS_PEER_PORT, t1, t1 + MSL2);
    /* The peer did not hear our ACK: its FIN again at t2. ACKed again,
     * the 2*MSL starts over, the record has still been in TIME_WAIT since
     * t1. */
    const nst_time_t t2 = SEC(20) + 13;
    peer_fin_acked(s, t2);
    check_tw(s, TS_PEER_PORT, t1, t2 + MSL2);
    /* And once more, past where the first expiry would have been. */
    const nst_time_t t3 = t1 + MSL2 - 1;
    peer_fin_acked(s, t3);
    check_tw(s, TS_PEER_PORT, t1, t3 + MSL2);
    ts_run_until(s, t2 + MSL2);
    check_tw(s, TS_PEER_PORT, t1, t3 + MSL2);
    ts_run_until(s, t3 + MSL2 - 1);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    ts_run_until(s, t3 + MSL2);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 0);
    EXPECT_NONE(s, t3 + MSL2 + SEC(1));
    ts_free(s);
}

/* Two records; a restart moves the older behind the younger in the
 * expiry FIFO: each still expires to the nanosecond, and each keeps the
 * time it entered TIME_WAIT. */
static void test_restart_order_two_records(void)
{
    struct ts *s = ts_new(NULL);
    int lfd = ts_listen(s, 8);
    int fd[2];
    uint32_t isn[2];
    for (int i = 0; i < 2; i++) {
        s->rport = (uint16_t)(TS_PEER_PORT + i);
        s->local_isn_known = 0;
        fd[i] = ts_passive_open(s, lfd, MS(10 * i), MS(1), NULL, 65535);
        CHECK(fd[i] >= 0);
        isn[i] = s->local_isn;
    }
    ts_run_until(s, SEC(1));
    ts_flush(s);
    const nst_time_t enter[2] = {SEC(2) + 3, SEC(3) + 5};
    for (int i = 0; i < 2; i++) {
        s->rport = (uint16_t)(TS_PEER_PORT + i);
        s->local_isn = isn[i];
        ts_run_until(s, enter[i] - MS(10));
        CHECK_EQ(nst_close(s->st, fd[i]), 0);
        EXPECT(s, enter[i] - MS(10), .flags = F_FA, .seq = 1, .ack = 1);
        INJECT(s, enter[i], .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
        EXPECT(s, enter[i], .flags = F_A, .seq = 2, .ack = 2, .at = enter[i], .check = TS_DEFAULT_CHECK | TS_TIME);
    }
    /* The first record's peer sends its FIN again at 10 s + 11 ns. */
    const nst_time_t t2 = SEC(10) + 11;
    s->rport = TS_PEER_PORT;
    s->local_isn = isn[0];
    INJECT(s, t2, .flags = F_FA, .seq = 1, .ack = 2, .win = 512);
    EXPECT(s, t2, .flags = F_A, .seq = 2, .ack = 2, .at = t2, .check = TS_DEFAULT_CHECK | TS_TIME);
    check_tw(s, TS_PEER_PORT, enter[0], t2 + MSL2);
    check_tw(s, TS_PEER_PORT + 1, enter[1], enter[1] + MSL2);
    ts_run_until(s, enter[1] + MSL2 - 1);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 2);
    ts_run_until(s, enter[1] + MSL2);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    check_tw(s, TS_PEER_PORT, enter[0], t2 + MSL2);
    ts_run_until(s, t2 + MSL2 - 1);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 1);
    ts_run_until(s, t2 + MSL2);
    CHECK_EQ(tu_count(s, NST_TCPS_TIME_WAIT), 0);
    ts_free(s);
}

int main(void)
{
    RUN(test_restart_keeps_since);
    RUN(test_restart_order_two_records);
    return nst_test_done();
}
