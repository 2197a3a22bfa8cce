/* SO_LINGER and SO_ERROR on the simulator (link latency 1 ms).
 *
 * nstack's close never blocks. With l_onoff and l_linger 0 it aborts (RST,
 * RFC 9293 3.10.5 ABORT). With l_linger > 0 Linux's close() blocks up to
 * l_linger seconds waiting for the close to complete, even on an
 * O_NONBLOCK socket, returns 0 whether or not it completed, and the
 * connection goes on closing normally either way (no RST at the timeout);
 * nstack returns at once and the connection closes exactly as without
 * SO_LINGER: every byte delivered, then FIN. */
#include <nstack/nstack.h>
#include <errno.h>

#include "test.h"

#define A_ADDR NST_IP4(10, 0, 0, 1)
#define B_ADDR NST_IP4(10, 0, 0, 2)

struct pair {
    struct nst_world *w;
    struct nst_stack *a, *b;
    int cfd, sfd;
};

static void pair_init(struct pair *p, uint64_t seed)
{
    p->w = nst_world_new(seed);
    p->a = nst_world_add_host(p->w, "a", NULL);
    p->b = nst_world_add_host(p->w, "b", NULL);
    CHECK(nst_world_connect(p->w, p->a, A_ADDR, 24, p->b, B_ADDR, 24, NULL) != NULL);
    int lfd = nst_socket(p->b, NST_SOCK_STREAM);
    struct nst_sockaddr any = {0, 80}, to = {B_ADDR, 80};
    CHECK_EQ(nst_bind(p->b, lfd, &any), 0);
    CHECK_EQ(nst_listen(p->b, lfd, 4), 0);
    p->cfd = nst_socket(p->a, NST_SOCK_STREAM);
    CHECK_EQ(nst_connect(p->a, p->cfd, &to), -EINPROGRESS);
    nst_world_run_for(p->w, NST_MSEC(5));
    p->sfd = nst_accept(p->b, lfd, NULL);
    CHECK(p->sfd >= 0);
    CHECK_EQ(nst_close(p->b, lfd), 0);
}

static void set_linger(struct nst_stack *st, int fd, int on, int secs)
{
    struct nst_linger l = {on, secs}, back = {-1, -1};
    size_t len = sizeof(back);
    CHECK_EQ(nst_setsockopt(st, fd, NST_SOL_SOCKET, NST_SO_LINGER, &l, sizeof(l)), 0);
    CHECK_EQ(nst_getsockopt(st, fd, NST_SOL_SOCKET, NST_SO_LINGER, &back, &len), 0);
    CHECK_EQ(len, sizeof(back));
    CHECK_EQ(back.l_onoff, on);
    CHECK_EQ(back.l_linger, secs);
}

static int so_error(struct nst_stack *st, int fd)
{
    int v = -1;
    size_t len = sizeof(v);
    CHECK_EQ(nst_getsockopt(st, fd, NST_SOL_SOCKET, NST_SO_ERROR, &v, &len), 0);
    return v;
}

/* l_linger > 0: close returns 0 at once with 64 KiB still unsent; the peer
 * gets every byte in order, then EOF; no RST either way. */
static void test_linger_positive_closes_normally(void)
{
    struct pair p;
    pair_init(&p, 1);
    set_linger(p.a, p.cfd, 1, 5);
    static uint8_t data[65536];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + i / 251);
    CHECK_EQ(nst_send(p.a, p.cfd, data, sizeof(data), 0), (ssize_t)sizeof(data));
    nst_time_t t0 = nst_world_now(p.w);
    CHECK_EQ(nst_close(p.a, p.cfd), 0);
    CHECK_EQ(nst_world_now(p.w), t0); /* no waiting: virtual time did not move */
    static uint8_t got[65536 + 1];
    size_t n = 0;
    int eof = 0;
    for (int i = 0; i < 1000 && !eof; i++) {
        nst_world_run_for(p.w, NST_MSEC(1));
        ssize_t r;
        while ((r = nst_recv(p.b, p.sfd, got + n, sizeof(got) - n, 0)) > 0)
            n += (size_t)r;
        eof = r == 0;
    }
    CHECK(eof);
    CHECK_EQ(n, sizeof(data));
    CHECK_MEM(got, data, sizeof(data));
    CHECK_EQ(so_error(p.b, p.sfd), 0);
    CHECK_EQ(nst_stack_stats(p.a)->tcp_tx_resets, 0);
    CHECK_EQ(nst_stack_stats(p.b)->tcp_rx_resets, 0);
    nst_world_free(p.w);
}

/* l_linger 0: close aborts: one RST, the peer's reads fail with
 * ECONNRESET (SO_ERROR ECONNRESET, read once, then 0). */
static void test_linger_zero_resets(void)
{
    struct pair p;
    pair_init(&p, 2);
    set_linger(p.a, p.cfd, 1, 0);
    CHECK_EQ(nst_send(p.a, p.cfd, "unsent?", 7, 0), 7);
    CHECK_EQ(nst_close(p.a, p.cfd), 0);
    CHECK_EQ(nst_stack_stats(p.a)->tcp_tx_resets, 1);
    nst_world_run_for(p.w, NST_MSEC(1));
    CHECK_EQ(nst_stack_stats(p.b)->tcp_rx_resets, 1);
    CHECK_EQ(so_error(p.b, p.sfd), ECONNRESET);
    CHECK_EQ(so_error(p.b, p.sfd), 0);
    nst_world_free(p.w);
}

/* l_onoff 0 (whatever l_linger): an ordinary close; negative l_linger is
 * taken as 0; a short option is -EINVAL. */
static void test_linger_off_and_bad_values(void)
{
    struct pair p;
    pair_init(&p, 3);
    set_linger(p.a, p.cfd, 0, 0);
    struct nst_linger neg = {1, -3}, back;
    size_t len = sizeof(back);
    CHECK_EQ(nst_setsockopt(p.a, p.sfd, NST_SOL_SOCKET, NST_SO_LINGER, &neg, sizeof(neg)), -EBADF);
    CHECK_EQ(nst_setsockopt(p.b, p.sfd, NST_SOL_SOCKET, NST_SO_LINGER, &neg, sizeof(neg)), 0);
    CHECK_EQ(nst_getsockopt(p.b, p.sfd, NST_SOL_SOCKET, NST_SO_LINGER, &back, &len), 0);
    CHECK_EQ(back.l_linger, 0);
    CHECK_EQ(nst_setsockopt(p.a, p.cfd, NST_SOL_SOCKET, NST_SO_LINGER, &neg, sizeof(int)), -EINVAL);
    CHECK_EQ(nst_close(p.a, p.cfd), 0);
    nst_world_run_for(p.w, NST_MSEC(2));
    char c;
    CHECK_EQ(nst_recv(p.b, p.sfd, &c, 1, 0), 0); /* FIN, not RST */
    CHECK_EQ(nst_stack_stats(p.a)->tcp_tx_resets, 0);
    nst_world_free(p.w);
}

int main(void)
{
    RUN(test_linger_positive_closes_normally);
    RUN(test_linger_zero_resets);
    RUN(test_linger_off_and_bad_values);
    return nst_test_done();
}
