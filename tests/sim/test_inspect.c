/* Inspection (include/nstack/inspect.h): the list of every socket, `ss`
 * output (-s, -tan, -i, -o, -e, state filters, -u), `netstat -s`, the
 * CLOSE_WAIT leak detector at exactly its threshold, and TIME_WAIT records
 * piling up on an actively closing server and expiring exactly on time. */
#include <errno.h>

#include <nstack/inspect.h>

#include "inspect/inspect_internal.h"
#include "support/load_util.h"
#include "tcp/tcp_state.h"
#include "test.h"

#define HTTP 80

static char *run(struct nst_stack *st, const char *cmd)
{
    static char *buf;
    size_t len;
    free(buf);
    FILE *f = open_memstream(&buf, &len);
    nst_inspect_run(st, cmd, f);
    fclose(f);
    return buf;
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

struct conns {
    int cfd[64], sfd[64];
    int n;
};

/* n connections client -> server:80, established and accepted. */
static int connect_n(struct lu_world *lw, int lfd, int n, struct conns *c)
{
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    int err;
    c->n = lu_open(lw, &dst, n, NULL, c->cfd, &err);
    nst_world_run_for(lw->w, NST_MSEC(10));
    return lu_accept_all(lw, lfd, c->sfd, 64);
}

/* A client with one socket of each kind the list knows:
 *   cfd[0] ESTABLISHED with 5 bytes unread at the server,
 *   cfd[1] CLOSE_WAIT (the server closed), cfd[2] TIME_WAIT (closed
 *   first), cfd[3] ESTABLISHED, a bound UDP socket, a connected one, and
 *   an ICMP echo socket. */
static void mixed_world(struct lu_world *lw, struct conns *c, int *lfd)
{
    CHECK_EQ(lu_build(lw, 11, NULL, NULL), 0);
    *lfd = lu_listen(lw, HTTP, 0);
    CHECK_EQ(connect_n(lw, *lfd, 4, c), 4);
    CHECK_EQ(nst_send(lw->cli, c->cfd[0], "hello", 5, 0), 5);
    nst_world_run_for(lw->w, NST_MSEC(100));
    nst_close(lw->srv, c->sfd[1]);
    nst_close(lw->cli, c->cfd[2]);
    nst_world_run_for(lw->w, NST_MSEC(10));
    nst_close(lw->srv, c->sfd[2]);
    struct nst_sockaddr ua = {0, 5353}, peer = {LU_SRV_A, 53};
    int u = nst_socket(lw->cli, NST_SOCK_DGRAM), u2 = nst_socket(lw->cli, NST_SOCK_DGRAM);
    CHECK_EQ(nst_bind(lw->cli, u, &ua), 0);
    CHECK_EQ(nst_connect(lw->cli, u2, &peer), 0);
    CHECK(nst_socket(lw->cli, NST_SOCK_ICMP) >= 0);
    nst_world_run_for(lw->w, NST_MSEC(10));
}

static const struct nst_sock_entry *find(const struct nst_sock_entry *v, int n, int proto, int state)
{
    for (int i = 0; i < n; i++)
        if (v[i].proto == proto && v[i].state == state)
            return &v[i];
    return NULL;
}

static void test_list_every_socket(void)
{
    struct lu_world lw;
    struct conns c;
    int lfd;
    mixed_world(&lw, &c, &lfd);
    struct nst_sock_entry v[16];
    int n = nst_sock_list(lw.cli, v, 16);
    CHECK_EQ(n, 7);
    struct nst_sock_summary s;
    nst_sock_summarize(v, n, &s);
    CHECK_EQ(s.tcp, 4);
    CHECK_EQ(s.udp, 2);
    CHECK_EQ(s.icmp, 1);
    CHECK_EQ(s.tcp_states[NST_TCPS_ESTABLISHED], 2);
    CHECK_EQ(s.tcp_states[NST_TCPS_CLOSE_WAIT], 1);
    CHECK_EQ(s.tcp_states[NST_TCPS_TIME_WAIT], 1);
    const struct nst_sock_entry *tw = find(v, n, NST_INSPECT_TCP, NST_TCPS_TIME_WAIT);
    CHECK(tw != NULL);
    if (tw) {
        CHECK_EQ(tw->fd, -1);
        CHECK_EQ(tw->peer.addr, LU_SRV_A);
        CHECK_EQ(tw->peer.port, HTTP);
        CHECK_EQ(tw->tcp.timer, NST_TCPI_TIMER_TIMEWAIT);
        CHECK_EQ(tw->tcp.timer_expires, tw->state_since + NST_SEC(60));
    }
    const struct nst_sock_entry *cw = find(v, n, NST_INSPECT_TCP, NST_TCPS_CLOSE_WAIT);
    CHECK(cw != NULL);
    if (cw) {
        CHECK_EQ(cw->fd, c.cfd[1]);
        CHECK_EQ(cw->close_wait_leak, 0);
        CHECK(cw->state_since > 0);
    }
    const struct nst_sock_entry *udp = find(v, n, NST_INSPECT_UDP, NST_TCPS_CLOSED);
    CHECK(udp && udp->local.port == 5353 && udp->peer.port == 0);
    const struct nst_sock_entry *udp2 = find(v, n, NST_INSPECT_UDP, NST_TCPS_ESTABLISHED);
    CHECK(udp2 && udp2->peer.addr == LU_SRV_A && udp2->peer.port == 53);
    /* The server: the listener (Recv-Q: accept queue, Send-Q: backlog),
     * the 5 unread bytes, the orphaned FIN_WAIT_2 of the connection it
     * closed first, and nothing of the one that ended (LAST_ACK, CLOSED). */
    n = nst_sock_list(lw.srv, v, 16);
    CHECK_EQ(n, 4);
    const struct nst_sock_entry *l = find(v, n, NST_INSPECT_TCP, NST_TCPS_LISTEN);
    CHECK(l && l->recv_q == 0 && l->send_q == LU_BACKLOG && l->local.port == HTTP && l->peer.port == 0);
    const struct nst_sock_entry *fw2 = find(v, n, NST_INSPECT_TCP, NST_TCPS_FIN_WAIT_2);
    CHECK(fw2 && fw2->fd == -1 && fw2->tcp.orphan);
    int unread = 0;
    for (int i = 0; i < n; i++)
        unread += v[i].state == NST_TCPS_ESTABLISHED && v[i].recv_q == 5;
    CHECK_EQ(unread, 1);
    /* Asking for fewer fills fewer but still counts all. */
    CHECK_EQ(nst_sock_list(lw.srv, v, 1), 4);
    CHECK_EQ(nst_sock_list(lw.srv, NULL, 0), 4);
    lu_free(&lw);
}

/* Numbers after `key` in text ("estab 3" -> 3). */
static long number_after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The summary's numbers against the list, counted here independently. */
static void check_summary_matches(struct nst_stack *st)
{
    int n = nst_sock_list(st, NULL, 0);
    struct nst_sock_entry *v = calloc((size_t)n + 1, sizeof(*v));
    n = nst_sock_list(st, v, n);
    long by_state[NST_TCPS_TIME_WAIT + 1] = {0}, tcp = 0, udp = 0, icmp = 0, orphans = 0;
    for (int i = 0; i < n; i++) {
        if (v[i].proto == NST_INSPECT_TCP) {
            tcp++;
            by_state[v[i].state]++;
            orphans += v[i].tcp.orphan && v[i].state != NST_TCPS_TIME_WAIT;
        }
        udp += v[i].proto == NST_INSPECT_UDP;
        icmp += v[i].proto == NST_INSPECT_ICMP;
    }
    const char *s = run(st, "ss -s");
    CHECK_EQ(number_after(s, "Total: "), n);
    CHECK_EQ(number_after(s, "TCP:   "), tcp);
    CHECK_EQ(number_after(s, "(estab "), by_state[NST_TCPS_ESTABLISHED]);
    CHECK_EQ(number_after(s, "closed "), by_state[NST_TCPS_CLOSED]);
    CHECK_EQ(number_after(s, "orphaned "), orphans);
    CHECK_EQ(number_after(s, "timewait "), by_state[NST_TCPS_TIME_WAIT]);
    CHECK_EQ(number_after(s, "\nUDP "), udp);
    CHECK_EQ(number_after(s, "\nICMP "), icmp);
    CHECK_EQ(number_after(s, "\nTCP "), tcp - by_state[NST_TCPS_TIME_WAIT]);
    for (int state = 0; state <= NST_TCPS_TIME_WAIT; state++) {
        char key[32];
        snprintf(key, sizeof(key), "\n  %-11s ", nst_ss_state_name(state));
        long want = by_state[state];
        long got = number_after(s, key);
        if (got < 0 && state != NST_TCPS_TIME_WAIT && state != NST_TCPS_CLOSE_WAIT)
            got = 0; /* states with none are left out, except these two */
        CHECK_EQ(got, want);
    }
    /* And `ss -tan` lists one line per TCP entry (plus the header). */
    const char *t = run(st, "ss -tan");
    long lines = count_lines_with(t, "\n");
    CHECK_EQ(lines, tcp + 1);
    free(v);
}

static void test_summary_matches_list(void)
{
    struct lu_world lw;
    CHECK_EQ(lu_build(&lw, 12, NULL, NULL), 0);
    int lfd = lu_listen(&lw, HTTP, 0);
    struct conns c;
    CHECK_EQ(connect_n(&lw, lfd, 40, &c), 40);
    /* 10 TIME_WAIT on the client, 5 CLOSE_WAIT, 3 reset, 2 orphaned in
     * FIN_WAIT_2 on the server, the rest established; a few datagrams. */
    for (int i = 0; i < 10; i++)
        nst_close(lw.cli, c.cfd[i]);
    for (int i = 10; i < 17; i++)
        nst_close(lw.srv, c.sfd[i]);
    struct nst_linger rst = {1, 0};
    for (int i = 20; i < 23; i++) {
        nst_setsockopt(lw.cli, c.cfd[i], NST_SOL_SOCKET, NST_SO_LINGER, &rst, sizeof(rst));
        nst_close(lw.cli, c.cfd[i]);
    }
    nst_world_run_for(lw.w, NST_MSEC(10));
    for (int i = 0; i < 10; i++)
        nst_close(lw.srv, c.sfd[i]);
    for (int i = 10; i < 15; i++)
        nst_close(lw.cli, c.cfd[i]);
    nst_socket(lw.cli, NST_SOCK_STREAM); /* CLOSED */
    nst_socket(lw.cli, NST_SOCK_DGRAM);
    nst_socket(lw.srv, NST_SOCK_ICMP);
    nst_world_run_for(lw.w, NST_MSEC(10));
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_TIME_WAIT), 10);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_CLOSE_WAIT), 2);
    CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_TIME_WAIT), 5);
    check_summary_matches(lw.cli);
    check_summary_matches(lw.srv);
    lu_free(&lw);
}

/* The exact text, for a small world whose ports the seed fixes. */
static void test_ss_exact_output(void)
{
    struct lu_world lw;
    struct conns c;
    int lfd;
    mixed_world(&lw, &c, &lfd);
    nst_world_run_for(lw.w, NST_SEC(20));
    const char *t = run(lw.cli, "ss -tano");
    const char *want_tan =
        "State      Recv-Q Send-Q   Local Address:Port     Peer Address:Port \n"
        "ESTAB      0      0             10.0.0.1:";
    CHECK(strncmp(t, want_tan, strlen(want_tan)) == 0);
    CHECK(strstr(t, "TIME-WAIT  0      0             10.0.0.1:") != NULL);
    CHECK(strstr(t, "10.0.0.2:80    timer:(timewait,39sec,0)\n") != NULL);
    CHECK(strstr(t, "CLOSE-WAIT 0      0             10.0.0.1:") != NULL);
    /* The server's view: the listener, the unread bytes, the orphan's timer. */
    t = run(lw.srv, "ss -ltn");
    CHECK(strcmp(t, "State      Recv-Q Send-Q   Local Address:Port     Peer Address:Port \n"
                    "LISTEN     0      131072         0.0.0.0:80            0.0.0.0:*    \n") == 0);
    t = run(lw.srv, "ss -tn state fin-wait-2 -o");
    CHECK(strstr(t, "FIN-WAIT-2 0      0             10.0.0.2:80           10.0.0.1:") != NULL);
    CHECK(strstr(t, " timer:(keepalive,39sec,0)\n") != NULL);
    t = run(lw.srv, "ss -tn");
    CHECK_EQ(count_lines_with(t, "ESTAB      5      0  "), 1);
    /* -u: the connected UDP socket only (ss's default leaves UNCONN out);
     * -ua both; -w the ICMP echo socket. */
    t = run(lw.cli, "ss -un");
    CHECK_EQ(count_lines_with(t, "\n"), 2);
    CHECK(strstr(t, "ESTAB      0      0              0.0.0.0:") != NULL);
    CHECK(strstr(t, "10.0.0.2:53   \n") != NULL);
    t = run(lw.cli, "ss -uan");
    CHECK(strstr(t, "UNCONN     0      0              0.0.0.0:5353          0.0.0.0:*    \n") != NULL);
    t = run(lw.cli, "ss -wa");
    CHECK_EQ(count_lines_with(t, "UNCONN"), 1);
    /* Several protocols: the Netid column. */
    t = run(lw.cli, "ss -tua");
    CHECK(strncmp(t, "Netid State      Recv-Q", 23) == 0);
    CHECK_EQ(count_lines_with(t, "\ntcp   "), 4);
    CHECK_EQ(count_lines_with(t, "\nudp   "), 2);
    /* -i: the internals of each connection, in ss's words. */
    t = run(lw.cli, "ss -tni state established");
    CHECK_EQ(count_lines_with(t, "\t ts sack cubic wscale:"), 2);
    CHECK_EQ(count_lines_with(t, " mss:1448 advmss:1460 cwnd:10 "), 2);
    CHECK_EQ(count_lines_with(t, " bytes_sent:5 bytes_acked:5 "), 1);
    CHECK_EQ(count_lines_with(t, " retrans:0/0 "), 2);
    CHECK_EQ(count_lines_with(t, " state_age:20sec\n"), 2);
    CHECK_EQ(count_lines_with(t, " rto:200 rtt:"), 2);
    /* -e: age and descriptor; -p ss's users:(...) form. */
    t = run(lw.cli, "ss -tanep");
    char want[64];
    snprintf(want, sizeof(want), "users:((\"nstack\",fd=%d)) age:20sec fd:%d\n", c.cfd[0], c.cfd[0]);
    CHECK(strstr(t, want) != NULL);
    CHECK_EQ(count_lines_with(t, " orphan\n"), 1); /* the TIME_WAIT record */
    lu_free(&lw);
}

static void test_ss_parse(void)
{
    struct nst_ss_opts o;
    char err[128];
    char *a1[] = {"-tan"};
    CHECK_EQ(nst_ss_parse(1, a1, &o, err, sizeof(err)), 0);
    CHECK_EQ(o.protos, NST_INSPECT_TCP);
    CHECK_EQ(o.states, (1u << (NST_TCPS_TIME_WAIT + 1)) - 1);
    char *a2[] = {"-t", "state", "established", "state", "time-wait"};
    CHECK_EQ(nst_ss_parse(5, a2, &o, err, sizeof(err)), 0);
    CHECK_EQ(o.states, (1u << NST_TCPS_ESTABLISHED) | (1u << NST_TCPS_TIME_WAIT));
    char *a3[] = {"-l"};
    CHECK_EQ(nst_ss_parse(1, a3, &o, err, sizeof(err)), 0);
    CHECK_EQ(o.states, (1u << NST_TCPS_LISTEN) | (1u << NST_TCPS_CLOSED));
    CHECK_EQ(o.protos, 0);
    CHECK_EQ(nst_ss_parse(0, NULL, &o, err, sizeof(err)), 0);
    CHECK_EQ(o.states, NST_SS_DEFAULT_STATES);
    CHECK_EQ(o.states & (1u << NST_TCPS_TIME_WAIT), 0);
    char *a4[] = {"-a", "exclude", "time-wait", "-siope"};
    CHECK_EQ(nst_ss_parse(4, a4, &o, err, sizeof(err)), 0);
    CHECK_EQ(o.states, ((1u << (NST_TCPS_TIME_WAIT + 1)) - 1) & ~(1u << NST_TCPS_TIME_WAIT));
    CHECK(o.summary && o.info && o.timers && o.processes && o.extended);
    char *a5[] = {"state", "bucket"};
    CHECK_EQ(nst_ss_parse(2, a5, &o, err, sizeof(err)), 0);
    CHECK_EQ(o.states, (1u << NST_TCPS_SYN_RECEIVED) | (1u << NST_TCPS_TIME_WAIT));
    char *a6[] = {"state", "connected"};
    CHECK_EQ(nst_ss_parse(2, a6, &o, err, sizeof(err)), 0);
    CHECK_EQ(o.states & ((1u << NST_TCPS_LISTEN) | (1u << NST_TCPS_CLOSED)), 0);
    CHECK(o.states & (1u << NST_TCPS_TIME_WAIT));
    char *bad1[] = {"state", "sleepy"}, *bad2[] = {"-Z"}, *bad3[] = {"state"}, *bad4[] = {"tcp"},
         *bad5[] = {"state", "listening", "exclude", "listening"};
    CHECK_EQ(nst_ss_parse(2, bad1, &o, err, sizeof(err)), -EINVAL);
    CHECK(strcmp(err, "unknown state 'sleepy'") == 0);
    CHECK_EQ(nst_ss_parse(1, bad2, &o, err, sizeof(err)), -EINVAL);
    CHECK(strcmp(err, "unknown option -Z") == 0);
    CHECK_EQ(nst_ss_parse(1, bad3, &o, err, sizeof(err)), -EINVAL);
    CHECK_EQ(nst_ss_parse(1, bad4, &o, err, sizeof(err)), -EINVAL);
    CHECK_EQ(nst_ss_parse(4, bad5, &o, err, sizeof(err)), -EINVAL);
}

static void test_duration_format(void)
{
    char b[32];
    CHECK(strcmp(nst_ss_duration(NST_MSEC(59500), b, sizeof(b)), "59sec") == 0);
    CHECK(strcmp(nst_ss_duration(NST_MSEC(1500), b, sizeof(b)), "1.500ms") == 0);
    CHECK(strcmp(nst_ss_duration(NST_MSEC(200), b, sizeof(b)), "200ms") == 0);
    CHECK(strcmp(nst_ss_duration(NST_MSEC(5), b, sizeof(b)), "005ms") == 0);
    CHECK(strcmp(nst_ss_duration(NST_SEC(90), b, sizeof(b)), "1min30sec") == 0);
    CHECK(strcmp(nst_ss_duration(NST_SEC(600) + NST_MSEC(5), b, sizeof(b)), "10min") == 0);
    CHECK(strcmp(nst_ss_duration(NST_SEC(2), b, sizeof(b)), "2sec") == 0);
    CHECK(strcmp(nst_ss_duration(0, b, sizeof(b)), "000ms") == 0);
    CHECK(strcmp(nst_ss_duration(-5, b, sizeof(b)), "000ms") == 0);
    struct nst_sockaddr any = {0, 0}, one = {NST_IP4(10, 0, 0, 1), 80};
    CHECK(strcmp(nst_ss_endpoint(&any, b, sizeof(b)), "0.0.0.0:*") == 0);
    CHECK(strcmp(nst_ss_endpoint(&one, b, sizeof(b)), "10.0.0.1:80") == 0);
    CHECK(strcmp(nst_ss_state_name(NST_TCPS_CLOSE_WAIT), "CLOSE-WAIT") == 0);
    CHECK(strcmp(nst_ss_state_name(99), "UNKNOWN") == 0);
}

/* A client whose peer closes but which never calls close(): CLOSE_WAIT
 * piles up, and each connection is flagged exactly `close_wait_leak`
 * (30 s) after it entered CLOSE_WAIT, not a nanosecond before. */
static void test_close_wait_leak(void)
{
    struct lu_world lw;
    CHECK_EQ(lu_build(&lw, 13, NULL, NULL), 0);
    int lfd = lu_listen(&lw, HTTP, 0);
    struct conns c;
    CHECK_EQ(connect_n(&lw, lfd, 50, &c), 50);
    nst_time_t closed_at = nst_world_now(lw.w);
    for (int i = 0; i < 50; i++)
        nst_close(lw.srv, c.sfd[i]);
    nst_time_t cw_start = closed_at + NST_MSEC(1); /* the FINs' one-way trip */
    nst_world_run_for(lw.w, NST_MSEC(10));
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_CLOSE_WAIT), 50);
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    CHECK_EQ(nst_getsockopt(lw.cli, c.cfd[7], NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len), 0);
    CHECK_EQ(ti.state_since, cw_start);
    nst_world_run_until(lw.w, cw_start + NST_SEC(30) - 1);
    CHECK_EQ(nst_stack_stats(lw.cli)->tcp_close_wait_leaks, 0);
    CHECK(strstr(run(lw.cli, "ss -s"), "CLOSE-WAIT leaks") == NULL);
    CHECK_EQ(count_lines_with(run(lw.cli, "ss -tan"), "leak:"), 0);
    nst_world_run_until(lw.w, cw_start + NST_SEC(30));
    CHECK_EQ(nst_stack_stats(lw.cli)->tcp_close_wait_leaks, 50);
    const char *s = run(lw.cli, "ss -s");
    CHECK(strstr(s, "\nCLOSE-WAIT leaks: 50 connections in CLOSE-WAIT for more than 30sec: the peer closed") != NULL);
    CHECK_EQ(count_lines_with(s, "10.0.0.2:80           for 30sec fd:"), 10); /* ten listed */
    CHECK(strstr(s, "  ... and 40 more\n") != NULL);
    CHECK_EQ(count_lines_with(run(lw.cli, "ss -tn"), " leak:(close-wait,30sec)\n"), 50);
    len = sizeof(ti);
    nst_getsockopt(lw.cli, c.cfd[7], NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
    CHECK_EQ(ti.close_wait_leak, 1);
    /* The server is not to blame: nothing of it is flagged. */
    CHECK_EQ(nst_stack_stats(lw.srv)->tcp_close_wait_leaks, 0);
    /* The application closes one at last: no longer a leak; the counter
     * keeps what happened. */
    nst_close(lw.cli, c.cfd[7]);
    nst_world_run_for(lw.w, NST_SEC(1));
    CHECK(strstr(run(lw.cli, "ss -s"), "CLOSE-WAIT leaks: 49 connections") != NULL);
    CHECK_EQ(nst_stack_stats(lw.cli)->tcp_close_wait_leaks, 50);
    nst_world_run_for(lw.w, NST_SEC(100));
    CHECK_EQ(nst_stack_stats(lw.cli)->tcp_close_wait_leaks, 50); /* counted once each */
    lu_free(&lw);
}

/* The threshold is configurable, and 0 turns the detector off. */
static void test_close_wait_threshold_config(void)
{
    for (int k = 0; k < 2; k++) {
        struct nst_stack_config cfg;
        nst_stack_config_default(&cfg);
        cfg.tcp.close_wait_leak = k == 0 ? NST_SEC(5) : 0;
        struct lu_world lw;
        CHECK_EQ(lu_build(&lw, 14, &cfg, NULL), 0);
        int lfd = lu_listen(&lw, HTTP, 0);
        struct conns c;
        CHECK_EQ(connect_n(&lw, lfd, 1, &c), 1);
        nst_time_t cw_start = nst_world_now(lw.w) + NST_MSEC(1);
        nst_close(lw.srv, c.sfd[0]);
        nst_world_run_until(lw.w, cw_start + NST_SEC(5) - 1);
        CHECK_EQ(nst_stack_stats(lw.cli)->tcp_close_wait_leaks, 0);
        nst_world_run_until(lw.w, cw_start + NST_SEC(5));
        CHECK_EQ(nst_stack_stats(lw.cli)->tcp_close_wait_leaks, k == 0 ? 1 : 0);
        nst_world_run_for(lw.w, NST_SEC(3600));
        CHECK_EQ(nst_stack_stats(lw.cli)->tcp_close_wait_leaks, k == 0 ? 1 : 0);
        lu_free(&lw);
    }
}

/* A server that closes first (HTTP/1.0 style) keeps a TIME_WAIT record per
 * connection: a compact record, not the control block, each gone exactly
 * 2*MSL (60 s) after it began. Closes are 1 ms apart, so each expiry can be
 * checked to the nanosecond. */
static void test_time_wait_pileup(void)
{
    enum { N = 60 };
    size_t tw = nst_tcp_timewait_size(), conn = nst_tcp_conn_size();
    fprintf(stderr, "  a TIME_WAIT record: %zu bytes; a connection's control block: %zu bytes\n", tw, conn);
    CHECK_EQ(tw, sizeof(struct nst_tcp_tw));
    CHECK_EQ(conn, sizeof(struct nst_tcp_conn));
    CHECK(tw <= 128);
    CHECK(tw * 10 < conn);
    struct lu_world lw;
    CHECK_EQ(lu_build(&lw, 15, NULL, NULL), 0);
    int lfd = lu_listen(&lw, HTTP, 0);
    struct conns c;
    CHECK_EQ(connect_n(&lw, lfd, N, &c), N);
    nst_time_t start[N];
    for (int i = 0; i < N; i++) {
        nst_close(lw.srv, c.sfd[i]);
        nst_world_run_for(lw.w, NST_MSEC(1)); /* FIN arrives; the client closes at once */
        nst_close(lw.cli, c.cfd[i]);
        /* The client's FIN reaches the server 1 ms later: TIME_WAIT begins. */
        start[i] = nst_world_now(lw.w) + NST_MSEC(1);
    }
    nst_world_run_for(lw.w, NST_MSEC(10));
    CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_TIME_WAIT), N);
    CHECK_EQ(lu_count_state(lw.cli, NST_TCPS_TIME_WAIT), 0);
    CHECK(strstr(run(lw.srv, "ss -s"), "timewait 60)") != NULL);
    CHECK_EQ(count_lines_with(run(lw.srv, "ss -tn state time-wait"), "TIME-WAIT"), N);
    for (int i = 0; i < N; i += 7) {
        nst_world_run_until(lw.w, start[i] + NST_SEC(60) - 1);
        CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_TIME_WAIT), N - i);
        nst_world_run_until(lw.w, start[i] + NST_SEC(60));
        CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_TIME_WAIT), N - i - 1);
    }
    nst_world_run_until(lw.w, start[N - 1] + NST_SEC(60));
    CHECK_EQ(lu_count_state(lw.srv, NST_TCPS_TIME_WAIT), 0);
    CHECK(strstr(run(lw.srv, "ss -s"), "timewait 0)") != NULL);
    lu_free(&lw);
}

static void test_netstat_and_errors(void)
{
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    cfg.ephemeral_lo = cfg.ephemeral_hi = 50000;
    struct lu_world lw;
    CHECK_EQ(lu_build(&lw, 16, &cfg, NULL), 0);
    lu_listen(&lw, HTTP, 0);
    struct nst_sockaddr dst = {LU_SRV_A, HTTP};
    int err;
    CHECK_EQ(lu_open(&lw, &dst, 2, NULL, NULL, &err), 1);
    nst_world_run_for(lw.w, NST_MSEC(10));
    const char *t = run(lw.cli, "netstat -s");
    CHECK(strncmp(t, "Link:\n", 6) == 0);
    CHECK(strstr(t, "\nTcp:\n    1 active connection openings [active_opens]\n") != NULL);
    CHECK(strstr(t, "\n    1 connects failed: no ephemeral port free (EADDRNOTAVAIL) [port_exhausted]\n") != NULL);
    CHECK(strstr(t, "\n    0 connections in CLOSE_WAIT past the leak threshold [close_wait_leaks]\n") != NULL);
    CHECK(strstr(t, "\n    0 DSACKs received [dsack_received]\n") != NULL);
    CHECK(strstr(t, "\nIcmp:\n") && strstr(t, "\nIp:\n") && strstr(t, "\nUdp:\n") && strstr(t, "\nArp:\n"));
    CHECK(strstr(t, "\n    0 paws drops\n") != NULL); /* counters without netstat words keep their name */
    /* Every counter appears once. */
    int counters = 0;
#define COUNT_ONE(layer, name) counters++;
    NST_STATS_ALL(COUNT_ONE)
#undef COUNT_ONE
    CHECK_EQ(count_lines_with(t, "\n    "), counters);
    /* Errors. */
    CHECK(strcmp(run(lw.cli, "ls -l"), "error: unknown command 'ls' (ss [OPTIONS], netstat -s, ip addr|neigh|route)\n") == 0);
    CHECK(strcmp(run(lw.cli, "ss -Q"), "error: ss: unknown option -Q\n") == 0);
    CHECK(strcmp(run(lw.cli, "   "), "error: empty command (try 'ss -s')\n") == 0);
    CHECK(strncmp(run(lw.cli, "netstat -an"), "error: unknown command 'netstat'", 32) == 0);
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    CHECK_EQ(nst_inspect_run(lw.cli, "ss state bogus", f), -EINVAL);
    CHECK_EQ(nst_inspect_run(lw.cli, "ss -s", f), 0);
    fclose(f);
    free(buf);
    lu_free(&lw);
}

int main(void)
{
    RUN(test_list_every_socket);
    RUN(test_summary_matches_list);
    RUN(test_ss_exact_output);
    RUN(test_ss_parse);
    RUN(test_duration_format);
    RUN(test_close_wait_leak);
    RUN(test_close_wait_threshold_config);
    RUN(test_time_wait_pileup);
    RUN(test_netstat_and_errors);
    return nst_test_done();
}
