/* The real-time run loop (src/link/runloop.c), without a TAP: a pipe stands
 * in for a device, a recording link for the wire. Times are real, so checks
 * on them are lower bounds plus generous upper bounds; counts are exact. */
#include <nstack/runloop.h>
#include <nstack/socket.h>
#include <nstack/stats.h>

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "test.h"

struct wire {
    struct nst_runloop *rl; /* whose time stamps the frames */
    int frames;
    nst_time_t at[16];
};

static int wire_send(void *ctx, const uint8_t *frame, size_t len)
{
    (void)frame;
    (void)len;
    struct wire *w = ctx;
    if (w->frames < 16)
        w->at[w->frames] = w->rl ? nst_runloop_now(w->rl) : 0;
    w->frames++;
    return 0;
}

static struct nst_stack *new_stack(struct wire *w, nst_time_t arp_retry)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.arp_retry = arp_retry;
    c.arp_max_retries = 3;
    struct nst_stack *st = nst_stack_new(&c);
    struct nst_iface_config ic = {.name = "wire0", .mac = {{2, 0, 0, 0, 0, 1}}, .addr = NST_IP4(10, 9, 0, 1),
                                  .prefix_len = 24, .ops = {wire_send}, .ctx = w};
    CHECK_EQ(nst_iface_add(st, &ic), 0);
    return st;
}

static int arp_failed(void *arg) { return nst_stack_stats(arg)->arp_resolve_failed > 0; }
static int three_frames(void *arg) { return ((struct wire *)arg)->frames >= 3; }

/* The stack's timers fire on time: an unanswered ARP request is repeated
 * every arp_retry (30 ms) up to 3 requests, then resolution fails 30 ms
 * after the last. (Real time: lower bounds are exact, a loaded machine may
 * only make things late.) */
static void test_stack_timers_fire_on_time(void)
{
    struct wire w = {0};
    struct nst_stack *st = new_stack(&w, NST_MSEC(30));
    struct nst_runloop *rl;
    CHECK_EQ(nst_runloop_new(st, &rl), 0);
    w.rl = rl;
    CHECK_EQ(nst_runloop_run(rl, 0, NULL, NULL), 0); /* one turn: the stack gets the time */
    nst_time_t t0 = nst_runloop_now(rl);
    CHECK_EQ(nst_stack_now(st), t0);
    int fd = nst_socket(st, NST_SOCK_DGRAM);
    struct nst_sockaddr to = {NST_IP4(10, 9, 0, 2), 9};
    CHECK_EQ(nst_sendto(st, fd, "x", 1, 0, &to), 1);
    CHECK_EQ(w.frames, 1); /* the first ARP request, at once */
    CHECK_EQ(w.at[0], t0);
    /* Until the third request: a loaded machine may run the timers late
     * (never early), so the wait is bounded generously and only the lower
     * bounds below are exact. */
    CHECK_EQ(nst_runloop_run(rl, t0 + NST_SEC(10), three_frames, &w), 1);
    CHECK_EQ(w.frames, 3);
    CHECK(w.at[1] >= t0 + NST_MSEC(30));
    CHECK(w.at[2] >= w.at[1] + NST_MSEC(30));
    CHECK_EQ(nst_stack_stats(st)->arp_resolve_failed, 0);
    CHECK_EQ(nst_runloop_run(rl, t0 + NST_SEC(10), arp_failed, st), 1);
    CHECK(nst_runloop_now(rl) >= w.at[2] + NST_MSEC(30));
    CHECK_EQ(w.frames, 3);
    nst_runloop_free(rl);
    nst_stack_free(st);
}

struct pipe_cb {
    struct nst_runloop *rl;
    int calls;
    int del_self;
    int stop;
    char got[16];
};

static void on_pipe(void *arg, int fd, uint32_t events, nst_time_t now)
{
    struct pipe_cb *p = arg;
    CHECK(events & EPOLLIN);
    CHECK(now > 0);
    ssize_t n = read(fd, p->got, sizeof(p->got));
    CHECK(n > 0);
    p->calls++;
    if (p->del_self)
        CHECK_EQ(nst_runloop_del_fd(p->rl, fd), 0);
    if (p->stop)
        nst_runloop_stop(p->rl);
}

static int called(void *arg) { return ((struct pipe_cb *)arg)->calls > 0; }

/* A registered descriptor's callback runs when it is ready; the predicate
 * ends the run at once; a deadline ends it when nothing happens. */
static void test_fd_callbacks_and_predicate(void)
{
    struct wire w = {0};
    struct nst_stack *st = new_stack(&w, NST_SEC(1));
    struct nst_runloop *rl;
    CHECK_EQ(nst_runloop_new(st, &rl), 0);
    w.rl = rl;
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    struct pipe_cb p = {.rl = rl};
    CHECK_EQ(nst_runloop_add_fd(rl, pfd[0], EPOLLIN, on_pipe, &p), 0);
    CHECK_EQ(nst_runloop_add_fd(rl, pfd[0], EPOLLIN, on_pipe, &p), -EEXIST);
    CHECK_EQ(nst_runloop_del_fd(rl, 12345), -ENOENT);
    nst_time_t t0 = nst_runloop_clock();
    /* Nothing to read: the deadline ends the run, not before. */
    CHECK_EQ(nst_runloop_run(rl, t0 + NST_MSEC(20), called, &p), 0);
    CHECK(nst_runloop_clock() - t0 >= NST_MSEC(20));
    CHECK_EQ(p.calls, 0);
    CHECK_EQ(write(pfd[1], "ping", 4), 4);
    t0 = nst_runloop_clock();
    CHECK_EQ(nst_runloop_run(rl, t0 + NST_SEC(5), called, &p), 1);
    CHECK(nst_runloop_clock() - t0 < NST_SEC(1));
    CHECK_EQ(p.calls, 1);
    CHECK_MEM(p.got, "ping", 4);
    /* Already true: returns before waiting. */
    CHECK_EQ(nst_runloop_run(rl, NST_TIME_NEVER, called, &p), 1);
    /* A callback that removes itself is not called again. */
    p.del_self = 1;
    CHECK_EQ(write(pfd[1], "a", 1), 1);
    p.calls = 0;
    CHECK_EQ(nst_runloop_run(rl, nst_runloop_clock() + NST_SEC(5), called, &p), 1);
    CHECK_EQ(write(pfd[1], "b", 1), 1);
    CHECK_EQ(nst_runloop_run(rl, nst_runloop_clock() + NST_MSEC(20), NULL, NULL), 0);
    CHECK_EQ(p.calls, 1);
    CHECK_EQ(nst_runloop_del_fd(rl, pfd[0]), -ENOENT);
    /* stop() from a callback ends the run with -EINTR, and every later one. */
    p.del_self = 0;
    p.stop = 1;
    CHECK_EQ(nst_runloop_add_fd(rl, pfd[0], EPOLLIN, on_pipe, &p), 0);
    CHECK_EQ(nst_runloop_run(rl, nst_runloop_clock() + NST_SEC(5), NULL, NULL), -EINTR);
    CHECK_EQ(nst_runloop_run(rl, nst_runloop_clock() + NST_SEC(5), NULL, NULL), -EINTR);
    CHECK_EQ(nst_runloop_signal(rl), 0);
    close(pfd[0]);
    close(pfd[1]);
    nst_runloop_free(rl);
    nst_stack_free(st);
}

/* SIGTERM, once caught, ends the run with -EINTR and says which signal. */
static void test_signal_ends_run(void)
{
    struct wire w = {0};
    struct nst_stack *st = new_stack(&w, NST_SEC(1));
    struct nst_runloop *rl;
    CHECK_EQ(nst_runloop_new(st, &rl), 0);
    CHECK_EQ(nst_runloop_catch_signals(rl), 0);
    CHECK_EQ(raise(SIGTERM), 0); /* blocked: it waits in the signalfd */
    nst_time_t t0 = nst_runloop_clock();
    CHECK_EQ(nst_runloop_run(rl, t0 + NST_SEC(5), NULL, NULL), -EINTR);
    CHECK(nst_runloop_clock() - t0 < NST_SEC(1));
    CHECK_EQ(nst_runloop_signal(rl), SIGTERM);
    nst_runloop_free(rl);
    /* The mask is restored: SIGTERM is no longer blocked. */
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGTERM));
    nst_stack_free(st);
}

struct stepper {
    int calls;
    int busy_for; /* report work left this many times */
};

static int step(void *arg, nst_time_t now)
{
    struct stepper *s = arg;
    CHECK(now > 0);
    s->calls++;
    return s->calls <= s->busy_for;
}

static int stepped_enough(void *arg) { return ((struct stepper *)arg)->calls >= 5; }

/* The step callback runs every turn; while it reports work left, the loop
 * does not sleep (else this run would wait for its 5 s deadline). */
static void test_busy_step_keeps_the_loop_turning(void)
{
    struct wire w = {0};
    struct nst_stack *st = new_stack(&w, NST_SEC(1));
    struct nst_runloop *rl;
    CHECK_EQ(nst_runloop_new(st, &rl), 0);
    struct stepper s = {0, 10};
    nst_runloop_set_step(rl, step, &s);
    nst_time_t t0 = nst_runloop_clock();
    CHECK_EQ(nst_runloop_run(rl, t0 + NST_SEC(5), stepped_enough, &s), 1);
    CHECK(nst_runloop_clock() - t0 < NST_SEC(1));
    CHECK_EQ(s.calls, 5);
    /* Idle: one turn, then sleep until the deadline. */
    s.calls = 0;
    s.busy_for = 0;
    t0 = nst_runloop_clock();
    CHECK_EQ(nst_runloop_run(rl, t0 + NST_MSEC(30), NULL, NULL), 0);
    CHECK(nst_runloop_clock() - t0 >= NST_MSEC(30));
    CHECK(s.calls >= 2 && s.calls <= 4);
    nst_runloop_free(rl);
    nst_stack_free(st);
}

/* Registration is bounded. */
static void test_fd_table_is_bounded(void)
{
    struct wire w = {0};
    struct nst_stack *st = new_stack(&w, NST_SEC(1));
    struct nst_runloop *rl;
    CHECK_EQ(nst_runloop_new(st, &rl), 0);
    int fds[NST_RUNLOOP_MAX_FDS + 1][2];
    struct pipe_cb p = {.rl = rl};
    int added = 0;
    for (int i = 0; i <= NST_RUNLOOP_MAX_FDS; i++) {
        CHECK_EQ(pipe(fds[i]), 0);
        int rc = nst_runloop_add_fd(rl, fds[i][0], EPOLLIN, on_pipe, &p);
        if (i < NST_RUNLOOP_MAX_FDS)
            added += rc == 0;
        else
            CHECK_EQ(rc, -ENOSPC);
    }
    CHECK_EQ(added, NST_RUNLOOP_MAX_FDS);
    CHECK_EQ(nst_runloop_add_fd(rl, -1, EPOLLIN, on_pipe, &p), -EINVAL);
    for (int i = 0; i <= NST_RUNLOOP_MAX_FDS; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    nst_runloop_free(rl);
    nst_stack_free(st);
}

static int outer_wait(int ep, int ms)
{
    struct epoll_event ev;
    return epoll_wait(ep, &ev, 1, ms);
}

/* Inside an application's own epoll loop: nst_runloop_fd turns readable
 * when a registered descriptor is ready and when the stack's next timer
 * (the ARP retry, 30 ms) is due, not before; nst_runloop_run_once does the
 * work and returns that deadline. */
static void test_inside_a_foreign_loop(void)
{
    struct wire w = {0};
    struct nst_stack *st = new_stack(&w, NST_MSEC(30));
    struct nst_runloop *rl;
    CHECK_EQ(nst_runloop_new(st, &rl), 0);
    w.rl = rl;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, nst_runloop_fd(rl), &ev), 0);
    CHECK_EQ(nst_runloop_run_once(rl), NST_TIME_NEVER); /* nothing to do */
    CHECK_EQ(outer_wait(ep, 0), 0);

    nst_time_t t0 = nst_runloop_now(rl);
    int fd = nst_socket(st, NST_SOCK_DGRAM);
    struct nst_sockaddr to = {NST_IP4(10, 9, 0, 2), 9};
    CHECK_EQ(nst_sendto(st, fd, "x", 1, 0, &to), 1);
    CHECK_EQ(w.frames, 1);
    nst_time_t due = nst_runloop_run_once(rl);
    CHECK_EQ(due, t0 + NST_MSEC(30)); /* the ARP retry */
    CHECK_EQ(outer_wait(ep, 0), 0);    /* not due yet: not readable */
    CHECK_EQ(outer_wait(ep, 5000), 1); /* readable when due */
    CHECK(nst_runloop_clock() >= due);
    CHECK_EQ(w.frames, 1);
    CHECK_EQ(nst_runloop_run_once(rl), w.at[1] + NST_MSEC(30));
    CHECK_EQ(w.frames, 2);
    CHECK(w.at[1] >= due);
    CHECK_EQ(outer_wait(ep, 0), 0); /* the expiry was taken */

    /* A registered descriptor makes it readable too. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    struct pipe_cb pc = {.rl = rl};
    CHECK_EQ(nst_runloop_add_fd(rl, p[0], EPOLLIN, on_pipe, &pc), 0);
    CHECK_EQ(write(p[1], "hi", 2), 2);
    CHECK_EQ(outer_wait(ep, 1000), 1);
    CHECK(nst_runloop_run_once(rl) > 0);
    CHECK_EQ(pc.calls, 1);
    CHECK_MEM(pc.got, "hi", 2);
    CHECK_EQ(outer_wait(ep, 0), 0);
    nst_runloop_stop(rl);
    CHECK_EQ(nst_runloop_run_once(rl), -EINTR);
    close(p[0]);
    close(p[1]);
    close(ep);
    nst_runloop_free(rl);
    nst_stack_free(st);
}

int main(void)
{
    RUN(test_stack_timers_fire_on_time);
    RUN(test_fd_callbacks_and_predicate);
    RUN(test_signal_ends_run);
    RUN(test_fd_table_is_bounded);
    RUN(test_busy_step_keeps_the_loop_turning);
    RUN(test_inside_a_foreign_loop);
    return nst_test_done();
}
