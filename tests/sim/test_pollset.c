/* Poll sets (include/nstack/poll.h) on the simulator: every readiness
 * transition reported at the virtual time it happens (link latency 1 ms),
 * with the exact event bits epoll gives on Linux, and the triggering modes:
 * level-triggered repeats, edge-triggered fires once per notification,
 * one-shot once until re-armed. Also the set's own rules: close removes,
 * one set per descriptor, bad arguments. */
#include <nstack/nstack.h>
#include <nstack/poll.h>
#include <errno.h>

#include "tcp/tcp_state.h" /* tcp_notify_fd, tcp_notify_flush: white-box below */
#include "test.h"

#define A_ADDR NST_IP4(10, 0, 0, 1)
#define B_ADDR NST_IP4(10, 0, 0, 2)
#define PORT 80

struct env {
    struct nst_world *w;
    struct nst_stack *a, *b;     /* a: the client, b: the server */
    struct nst_pollset *pa, *pb;
    int lfd;                     /* b's listener */
};

static void env_init(struct env *e, uint64_t seed)
{
    e->w = nst_world_new(seed);
    e->a = nst_world_add_host(e->w, "a", NULL);
    e->b = nst_world_add_host(e->w, "b", NULL);
    CHECK(nst_world_connect(e->w, e->a, A_ADDR, 24, e->b, B_ADDR, 24, NULL) != NULL);
    CHECK_EQ(nst_pollset_new(e->a, &e->pa), 0);
    CHECK_EQ(nst_pollset_new(e->b, &e->pb), 0);
    e->lfd = nst_socket(e->b, NST_SOCK_STREAM);
    struct nst_sockaddr any = {0, PORT};
    CHECK_EQ(nst_bind(e->b, e->lfd, &any), 0);
    CHECK_EQ(nst_listen(e->b, e->lfd, 8), 0);
}

static void env_fini(struct env *e)
{
    nst_pollset_free(e->pa);
    nst_pollset_free(e->pb);
    nst_world_free(e->w);
}

static nst_poll_data_t tag(uint64_t v) { return (nst_poll_data_t){.u64 = v}; }

/* One wait of at most 8: returns the count; the first event in *ev. */
static int wait1(struct nst_pollset *ps, struct nst_poll_event *ev)
{
    struct nst_poll_event evs[8];
    memset(ev, 0, sizeof(*ev));
    int n = nst_pollset_wait(ps, evs, 8);
    if (n > 0)
        *ev = evs[0];
    return n;
}

static int connect_to(struct env *e, uint16_t port)
{
    int fd = nst_socket(e->a, NST_SOCK_STREAM);
    struct nst_sockaddr to = {B_ADDR, port};
    CHECK_EQ(nst_connect(e->a, fd, &to), -EINPROGRESS);
    return fd;
}

/* Client connects, server accepts: established both sides at 5 ms (ARP
 * takes the first round trip, the SYN leaves at 2 ms). */
static void establish(struct env *e, int *cfd, int *sfd)
{
    *cfd = connect_to(e, PORT);
    nst_world_run_for(e->w, NST_MSEC(5));
    *sfd = nst_accept(e->b, e->lfd, NULL);
    CHECK(*sfd >= 0);
    /* Small writes go at once (no Nagle wait for the delayed ACK). */
    int one = 1;
    CHECK_EQ(nst_setsockopt(e->a, *cfd, NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof(one)), 0);
}

static int so_error(struct nst_stack *st, int fd)
{
    int v = -1;
    size_t len = sizeof(v);
    CHECK_EQ(nst_getsockopt(st, fd, NST_SOL_SOCKET, NST_SO_ERROR, &v, &len), 0);
    CHECK_EQ(len, sizeof(int));
    return v;
}

static void drain(struct nst_stack *st, int fd)
{
    char buf[4096];
    while (nst_recv(st, fd, buf, sizeof(buf), 0) > 0) {
    }
}

/* Connect completion (OUT at the SYN-ACK, 4 ms: ARP takes the first round
 * trip) and accept (IN on the listener at the handshake's ACK, 5 ms); level-triggered IN repeats until
 * accept() empties the queue. */
static void test_connect_and_accept(void)
{
    struct env e;
    env_init(&e, 1);
    nst_time_t t0 = nst_world_now(e.w);
    CHECK_EQ(nst_pollset_add(e.pb, e.lfd, NST_EV_IN, tag(100)), 0);
    int cfd = connect_to(&e, PORT);
    CHECK_EQ(nst_pollset_add(e.pa, cfd, NST_EV_IN | NST_EV_OUT | NST_EV_RDHUP, tag(7)), 0);
    struct nst_poll_event ev = {0};
    CHECK_EQ(wait1(e.pa, &ev), 0); /* SYN_SENT: nothing yet */
    CHECK_EQ(wait1(e.pb, &ev), 0);

    nst_world_run_until(e.w, t0 + NST_MSEC(4) - 1);
    CHECK_EQ(wait1(e.pa, &ev), 0);
    nst_world_run_until(e.w, t0 + NST_MSEC(4));
    CHECK_EQ(wait1(e.pa, &ev), 1);
    CHECK_EQ(ev.fd, cfd);
    CHECK_EQ(ev.events, NST_EV_OUT);
    CHECK_EQ(ev.data.u64, 7);
    CHECK_EQ(so_error(e.a, cfd), 0);
    CHECK_EQ(wait1(e.pb, &ev), 0); /* the server has not the ACK yet */

    nst_world_run_until(e.w, t0 + NST_MSEC(5));
    CHECK_EQ(wait1(e.pb, &ev), 1);
    CHECK_EQ(ev.fd, e.lfd);
    CHECK_EQ(ev.events, NST_EV_IN);
    CHECK_EQ(ev.data.u64, 100);
    CHECK_EQ(wait1(e.pb, &ev), 1); /* level-triggered: again */
    int sfd = nst_accept(e.b, e.lfd, NULL);
    CHECK(sfd >= 0);
    CHECK_EQ(wait1(e.pb, &ev), 0); /* queue empty: no longer ready */
    /* Level-triggered OUT stays while there is room. */
    CHECK_EQ(wait1(e.pa, &ev), 1);
    CHECK_EQ(ev.events, NST_EV_OUT);
    env_fini(&e);
}

/* Connection refused: the RST to the SYN (4 ms) gives ERR|HUP with IN,
 * OUT and RDHUP, as Linux's tcp_poll; SO_ERROR reads ECONNREFUSED once. */
static void test_connect_refused(void)
{
    struct env e;
    env_init(&e, 2);
    nst_time_t t0 = nst_world_now(e.w);
    int cfd = connect_to(&e, PORT + 1);
    /* Asked only for OUT: ERR and HUP come anyway. */
    CHECK_EQ(nst_pollset_add(e.pa, cfd, NST_EV_OUT, tag(1)), 0);
    nst_world_run_until(e.w, t0 + NST_MSEC(4));
    struct nst_poll_event ev = {0};
    CHECK_EQ(wait1(e.pa, &ev), 1);
    CHECK_EQ(ev.events, NST_EV_OUT | NST_EV_ERR | NST_EV_HUP);
    CHECK_EQ(nst_socket_events(e.a, cfd), NST_EV_IN | NST_EV_OUT | NST_EV_ERR | NST_EV_HUP | NST_EV_RDHUP);
    CHECK_EQ(so_error(e.a, cfd), ECONNREFUSED);
    CHECK_EQ(so_error(e.a, cfd), 0); /* cleared by the read */
    CHECK_EQ(wait1(e.pa, &ev), 1);
    CHECK_EQ(ev.events, NST_EV_OUT | NST_EV_HUP); /* the error is gone, the hang-up stays */
    env_fini(&e);
}

/* Data and EOF, edge-triggered: one report per arrival, none while nothing
 * new arrives, even with the data left unread (as EPOLLET); the FIN brings
 * IN|RDHUP. Level-triggered on the other side repeats until drained. */
static void test_data_eof_edge_and_level(void)
{
    struct env e;
    env_init(&e, 3);
    int cfd, sfd;
    establish(&e, &cfd, &sfd);
    CHECK_EQ(nst_pollset_add(e.pb, sfd, NST_EV_IN | NST_EV_RDHUP | NST_EV_ET, tag(2)), 0);
    CHECK_EQ(nst_pollset_add(e.pa, cfd, NST_EV_IN | NST_EV_RDHUP, tag(3)), 0);
    struct nst_poll_event ev = {0};
    CHECK_EQ(wait1(e.pb, &ev), 0); /* nothing to read yet */
    CHECK_EQ(wait1(e.pa, &ev), 0);

    nst_time_t t0 = nst_world_now(e.w);
    CHECK_EQ(nst_send(e.a, cfd, "hello", 5, 0), 5);
    nst_world_run_until(e.w, t0 + NST_MSEC(1));
    CHECK_EQ(wait1(e.pb, &ev), 1);
    CHECK_EQ(ev.events, NST_EV_IN);
    CHECK_EQ(ev.data.u64, 2);
    CHECK_EQ(wait1(e.pb, &ev), 0); /* edge: once, though unread */
    nst_world_run_for(e.w, NST_MSEC(5));
    CHECK_EQ(wait1(e.pb, &ev), 0); /* no new arrival, no report */

    CHECK_EQ(nst_send(e.a, cfd, "world", 5, 0), 5);
    nst_world_run_for(e.w, NST_MSEC(1));
    CHECK_EQ(wait1(e.pb, &ev), 1); /* a new arrival: a new edge */
    CHECK_EQ(ev.events, NST_EV_IN);
    char buf[32];
    CHECK_EQ(nst_recv(e.b, sfd, buf, sizeof(buf), 0), 10);
    CHECK_MEM(buf, "helloworld", 10);

    /* Level-triggered: the server's reply is reported until read. */
    CHECK_EQ(nst_send(e.b, sfd, "ok", 2, 0), 2);
    nst_world_run_for(e.w, NST_MSEC(1));
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(wait1(e.pa, &ev), 1);
        CHECK_EQ(ev.events, NST_EV_IN);
    }
    CHECK_EQ(nst_recv(e.a, cfd, buf, sizeof(buf), 0), 2);
    CHECK_EQ(wait1(e.pa, &ev), 0);

    /* EOF: the client's FIN. */
    CHECK_EQ(nst_shutdown(e.a, cfd, NST_SHUT_WR), 0);
    nst_world_run_for(e.w, NST_MSEC(1));
    CHECK_EQ(wait1(e.pb, &ev), 1);
    CHECK_EQ(ev.events, NST_EV_IN | NST_EV_RDHUP);
    CHECK_EQ(nst_recv(e.b, sfd, buf, sizeof(buf), 0), 0);
    CHECK_EQ(wait1(e.pb, &ev), 0); /* edge: reported once */
    env_fini(&e);
}

/* A RST on an established connection: ERR|HUP (with IN, OUT, RDHUP when
 * asked), SO_ERROR ECONNRESET. */
static void test_reset(void)
{
    struct env e;
    env_init(&e, 4);
    int cfd, sfd;
    establish(&e, &cfd, &sfd);
    CHECK_EQ(nst_pollset_add(e.pa, cfd, NST_EV_IN | NST_EV_OUT | NST_EV_RDHUP | NST_EV_ET, tag(5)), 0);
    struct nst_poll_event ev = {0};
    CHECK_EQ(wait1(e.pa, &ev), 1); /* added while writable: reported */
    CHECK_EQ(ev.events, NST_EV_OUT);
    CHECK_EQ(wait1(e.pa, &ev), 0);

    struct nst_linger lg = {1, 0}; /* close with l_linger 0: RST */
    CHECK_EQ(nst_setsockopt(e.b, sfd, NST_SOL_SOCKET, NST_SO_LINGER, &lg, sizeof(lg)), 0);
    CHECK_EQ(nst_close(e.b, sfd), 0);
    nst_time_t t0 = nst_world_now(e.w);
    nst_world_run_until(e.w, t0 + NST_MSEC(1) - 1);
    CHECK_EQ(wait1(e.pa, &ev), 0);
    nst_world_run_until(e.w, t0 + NST_MSEC(1));
    CHECK_EQ(wait1(e.pa, &ev), 1);
    CHECK_EQ(ev.events, NST_EV_IN | NST_EV_OUT | NST_EV_RDHUP | NST_EV_ERR | NST_EV_HUP);
    CHECK_EQ(so_error(e.a, cfd), ECONNRESET);
    char c;
    CHECK_EQ(nst_recv(e.a, cfd, &c, 1, 0), 0);
    env_fini(&e);
}

/* Send space: the client fills its send buffer against a server that does
 * not read (its window closes); OUT comes back only once the server reads,
 * the window opens and the client's data is acknowledged. */
static void test_send_space_after_window_opens(void)
{
    struct env e;
    env_init(&e, 5);
    int cfd, sfd;
    int small = 8192;
    establish(&e, &cfd, &sfd);
    CHECK_EQ(nst_setsockopt(e.b, sfd, NST_SOL_SOCKET, NST_SO_RCVBUF, &small, sizeof(small)), 0);
    CHECK_EQ(nst_setsockopt(e.a, cfd, NST_SOL_SOCKET, NST_SO_SNDBUF, &small, sizeof(small)), 0);
    static char blob[4096];
    size_t sent = 0;
    /* Fill everything: the send buffer, the path and the peer's window. */
    for (int round = 0; round < 50; round++) {
        ssize_t n;
        nst_world_run_for(e.w, NST_MSEC(10));
        while ((n = nst_send(e.a, cfd, blob, sizeof(blob), 0)) > 0)
            sent += (size_t)n;
        CHECK_EQ(n, -EAGAIN);
    }
    CHECK_EQ(nst_socket_events(e.a, cfd) & NST_EV_OUT, 0);
    CHECK_EQ(nst_pollset_add(e.pa, cfd, NST_EV_OUT | NST_EV_ET, tag(9)), 0);
    struct nst_poll_event ev = {0};
    CHECK_EQ(wait1(e.pa, &ev), 0); /* full: not writable */

    size_t got = 0;
    char buf[4096];
    ssize_t n;
    int reported = 0;
    for (int i = 0; i < 200 && !reported; i++) {
        while ((n = nst_recv(e.b, sfd, buf, sizeof(buf), 0)) > 0)
            got += (size_t)n;
        nst_world_run_for(e.w, NST_MSEC(1));
        reported = wait1(e.pa, &ev);
    }
    CHECK_EQ(reported, 1);
    CHECK_EQ(ev.events, NST_EV_OUT);
    CHECK(got > 0);
    CHECK(sent >= got);
    env_fini(&e);
}

/* One-shot: reported once, silent through new arrivals, re-armed by mod. */
static void test_oneshot(void)
{
    struct env e;
    env_init(&e, 6);
    int cfd, sfd;
    establish(&e, &cfd, &sfd);
    CHECK_EQ(nst_pollset_add(e.pb, sfd, NST_EV_IN | NST_EV_ONESHOT, tag(4)), 0);
    CHECK_EQ(nst_send(e.a, cfd, "a", 1, 0), 1);
    nst_world_run_for(e.w, NST_MSEC(1));
    struct nst_poll_event ev = {0};
    CHECK_EQ(wait1(e.pb, &ev), 1);
    CHECK_EQ(ev.events, NST_EV_IN);
    CHECK_EQ(wait1(e.pb, &ev), 0);
    CHECK_EQ(nst_send(e.a, cfd, "b", 1, 0), 1);
    nst_world_run_for(e.w, NST_MSEC(1));
    CHECK_EQ(wait1(e.pb, &ev), 0); /* disarmed */
    CHECK_EQ(nst_pollset_mod(e.pb, sfd, NST_EV_IN | NST_EV_ONESHOT, tag(44)), 0);
    CHECK_EQ(wait1(e.pb, &ev), 1); /* re-armed, still readable */
    CHECK_EQ(ev.data.u64, 44);
    CHECK_EQ(wait1(e.pb, &ev), 0);
    env_fini(&e);
}

/* The set's own rules. */
static void test_membership(void)
{
    struct env e;
    env_init(&e, 7);
    int cfd, sfd;
    establish(&e, &cfd, &sfd);
    struct nst_pollset *other;
    CHECK_EQ(nst_pollset_new(e.b, &other), 0);
    CHECK_EQ(nst_pollset_add(e.pb, sfd, NST_EV_IN, tag(1)), 0);
    CHECK_EQ(nst_pollset_add(e.pb, sfd, NST_EV_IN, tag(1)), -EEXIST);
    CHECK_EQ(nst_pollset_add(other, sfd, NST_EV_IN, tag(1)), -EBUSY);
    CHECK_EQ(nst_pollset_mod(other, sfd, NST_EV_IN, tag(1)), -ENOENT);
    CHECK_EQ(nst_pollset_del(other, sfd), -ENOENT);
    CHECK_EQ(nst_pollset_add(e.pb, 999, NST_EV_IN, tag(1)), -EBADF);
    CHECK_EQ(nst_pollset_add(e.pb, e.lfd, 0x40000, tag(1)), -EINVAL);
    struct nst_poll_event ev = {0};
    CHECK_EQ(nst_pollset_wait(e.pb, &ev, 0), -EINVAL);
    CHECK_EQ(nst_pollset_count(e.pb), 1);

    /* Ready, then closed: the close removes it, the ready list too. */
    CHECK_EQ(nst_send(e.a, cfd, "x", 1, 0), 1);
    nst_world_run_for(e.w, NST_MSEC(1));
    CHECK_EQ(nst_close(e.b, sfd), 0);
    CHECK_EQ(nst_pollset_count(e.pb), 0);
    CHECK_EQ(wait1(e.pb, &ev), 0);
    CHECK_EQ(nst_pollset_del(e.pb, sfd), -EBADF);
    /* The same descriptor number reused: a new socket, in no set. */
    int again = nst_socket(e.b, NST_SOCK_STREAM);
    CHECK_EQ(again, sfd);
    CHECK_EQ(nst_pollset_del(e.pb, again), -ENOENT);
    CHECK_EQ(nst_pollset_add(other, again, NST_EV_IN, tag(1)), 0);
    /* del keeps the descriptor open */
    CHECK_EQ(nst_pollset_del(other, again), 0);
    CHECK(nst_socket_events(e.b, again) >= 0);
    nst_pollset_free(other);
    env_fini(&e);
}

/* Fairness with a small max: level-triggered descriptors take turns. */
static void test_round_robin(void)
{
    struct env e;
    env_init(&e, 8);
    int c1, s1, c2, s2;
    establish(&e, &c1, &s1);
    establish(&e, &c2, &s2);
    CHECK_EQ(nst_pollset_add(e.pb, s1, NST_EV_IN, tag(1)), 0);
    CHECK_EQ(nst_pollset_add(e.pb, s2, NST_EV_IN, tag(2)), 0);
    CHECK_EQ(nst_send(e.a, c1, "1", 1, 0), 1);
    CHECK_EQ(nst_send(e.a, c2, "2", 1, 0), 1);
    nst_world_run_for(e.w, NST_MSEC(1));
    struct nst_poll_event ev = {0};
    uint64_t seen[4];
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(nst_pollset_wait(e.pb, &ev, 1), 1);
        seen[i] = ev.data.u64;
    }
    CHECK(seen[0] != seen[1]);
    CHECK_EQ(seen[0], seen[2]);
    CHECK_EQ(seen[1], seen[3]);
    struct nst_poll_event evs[4];
    CHECK_EQ(nst_pollset_wait(e.pb, evs, 4), 2);
    drain(e.b, s1);
    drain(e.b, s2);
    CHECK_EQ(nst_pollset_wait(e.pb, evs, 4), 0);
    env_fini(&e);
}

/* Freeing the stack first (its sockets close) then the set is fine. */
static void test_free_order(void)
{
    struct env e;
    env_init(&e, 9);
    int cfd, sfd;
    establish(&e, &cfd, &sfd);
    CHECK_EQ(nst_pollset_add(e.pb, sfd, NST_EV_IN, tag(1)), 0);
    CHECK_EQ(nst_pollset_add(e.pb, e.lfd, NST_EV_IN, tag(1)), 0);
    nst_world_free(e.w);
    CHECK_EQ(nst_pollset_count(e.pb), 0);
    nst_pollset_free(e.pb);
    nst_pollset_free(e.pa);
}

/* More sockets changed in one entry point than TCP remembers (16): every
 * one still reaches the set (edge-triggered, so a lost notification would
 * show as a missing report). Before, the 17th and later were dropped. */
static void test_many_notified_at_once(void)
{
    struct env e;
    env_init(&e, 10);
    enum { N = 40 };
    int fds[N];
    struct nst_poll_event evs[N + 1];
    for (int i = 0; i < N; i++) {
        fds[i] = nst_socket(e.a, NST_SOCK_STREAM);
        CHECK_EQ(nst_pollset_add(e.pa, fds[i], NST_EV_OUT | NST_EV_ET, tag((uint64_t)i)), 0);
    }
    CHECK_EQ(nst_pollset_wait(e.pa, evs, N + 1), N); /* a fresh socket: OUT|HUP, as Linux */
    CHECK_EQ(nst_pollset_wait(e.pa, evs, N + 1), 0);
    for (int i = 0; i < N; i++)
        tcp_notify_fd(e.a, fds[i]);
    tcp_notify_flush(e.a);
    CHECK_EQ(nst_pollset_wait(e.pa, evs, N + 1), N);
    env_fini(&e);
}

int main(void)
{
    RUN(test_connect_and_accept);
    RUN(test_connect_refused);
    RUN(test_data_eof_edge_and_level);
    RUN(test_reset);
    RUN(test_send_space_after_window_opens);
    RUN(test_oneshot);
    RUN(test_membership);
    RUN(test_round_robin);
    RUN(test_free_order);
    RUN(test_many_notified_at_once);
    return nst_test_done();
}
