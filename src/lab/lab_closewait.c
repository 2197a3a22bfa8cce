/* A CLOSE_WAIT leak, caught: "CLOSE_WAIT means the remote side closed but
 * your application has not ... a pile of them is an application bug."
 *
 * New York's client keeps its connections in a pool and has the classic
 * bug: it never notices that a pooled connection was closed by the server,
 * so it never closes it. London closes connections idle for 5 s (its
 * keep-alive timeout). New York opens 100 connections, one request each,
 * and its CLOSE_WAIT count climbs; TCP alone never ends CLOSE_WAIT. The
 * leak detector flags each connection exactly 30 s after it entered
 * CLOSE_WAIT (tcp.close_wait_leak), counts it (tcp.close_wait_leaks), and
 * `nstack ss` names it. The fix, closing on EOF, clears them all. */
#include "lab/lab_internal.h"

#include <errno.h>
#include <stdlib.h>

#include <nstack/inspect.h>
#include <nstack/tcp_info.h>

#define CONNS 100
#define OPEN_EVERY NST_MSEC(200)
#define IDLE_CLOSE NST_SEC(5)       /* London's keep-alive timeout */
#define LEAK_AFTER NST_SEC(30)      /* the stack's default tcp.close_wait_leak */
#define SAMPLE NST_SEC(10)

static const char request[] = "GET / HTTP/1.1\r\nHost: london\r\n\r\n";
static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

struct pending_close {
    int fd;
    nst_time_t when;
};

struct cw_lab {
    struct nst_lab_http h;             /* first: the world (lab_http.c) */
    int ny_fds[CONNS];
    int opened;
    struct pending_close closes[CONNS + 1]; /* London's idle timeouts, in time order */
    int close_head, close_tail;
};

/* London answered: close if nothing more comes for IDLE_CLOSE. */
static void close_when_idle(struct nst_lab_http *h, int fd)
{
    struct cw_lab *x = (struct cw_lab *)h;
    if (x->close_tail < CONNS + 1)
        x->closes[x->close_tail++] = (struct pending_close){fd, nst_stack_now(h->p.london) + IDLE_CLOSE};
}

/* The pool (New York): one request per connection, then keep it. The bug:
 * EOF (the server closed) goes unnoticed, so close() is never called
 * (client_closes 0). */
static struct cw_lab *cw_lab_new(const struct nst_demo_opts *o, FILE *out)
{
    const struct nst_lab_http_opts ho = {0, "close-wait.pcap", request, response, close_when_idle, 0};
    return nst_lab_http_new(sizeof(struct cw_lab), o, &ho, out);
}

static void open_one(struct cw_lab *x)
{
    int fd = nst_lab_http_connect(&x->h);
    if (fd >= 0)
        x->ny_fds[x->opened++] = fd;
}

/* CLOSE_WAIT connections of st, how many are flagged, and the earliest
 * time one entered CLOSE_WAIT. */
static int close_waits(struct nst_stack *st, int *flagged, nst_time_t *first)
{
    int n;
    struct nst_sock_entry *v = nst_lab_tcp_in_state(st, NST_TCPS_CLOSE_WAIT, &n);
    *flagged = 0;
    for (int i = 0; i < n; i++) {
        *flagged += v[i].close_wait_leak;
        if (first && (*first == 0 || v[i].state_since < *first))
            *first = v[i].state_since;
    }
    free(v);
    return n;
}

static nst_time_t min_of(const nst_time_t *v, int n)
{
    nst_time_t m = NST_TIME_NEVER;
    for (int i = 0; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

/* The detector's exact moment: once the first connection is in
 * CLOSE_WAIT, the load stops to look at the counter at its start + 30 s
 * - 1 ns (nothing flagged) and at its start + 30 s (flagged). */
struct exact_check {
    nst_time_t first;          /* when the first connection entered CLOSE_WAIT; 0: not yet */
    int64_t before, at;        /* the counter then; -1: not looked yet */
};

static void exact_step(struct cw_lab *x, struct exact_check *e, nst_time_t t)
{
    if (!e->first) {
        int flagged;
        nst_time_t first = 0;
        if (close_waits(x->h.p.ny, &flagged, &first) > 0)
            e->first = first;
        return;
    }
    uint64_t c = nst_stack_stats(x->h.p.ny)->tcp_close_wait_leaks;
    if (t == e->first + LEAK_AFTER - 1)
        e->before = (int64_t)c;
    if (t == e->first + LEAK_AFTER)
        e->at = (int64_t)c;
}

/* Opens a connection every OPEN_EVERY, lets London's idle timeouts close
 * them, samples every SAMPLE, until `end`. */
static void run_load(struct cw_lab *x, FILE *out, nst_time_t t0, nst_time_t end, struct exact_check *e)
{
    nst_time_t next_open = t0, next_sample = t0 + SAMPLE;
    for (;;) {
        nst_time_t cand[5] = {x->opened < CONNS ? next_open : NST_TIME_NEVER,
                              x->close_head < x->close_tail ? x->closes[x->close_head].when : NST_TIME_NEVER,
                              next_sample, NST_TIME_NEVER, NST_TIME_NEVER};
        if (e->first && e->before < 0)
            cand[3] = e->first + LEAK_AFTER - 1;
        if (e->first && e->at < 0)
            cand[4] = e->first + LEAK_AFTER;
        nst_time_t t = min_of(cand, 5);
        if (t > end)
            break;
        nst_lab_http_run(&x->h, t);
        if (t == next_open && x->opened < CONNS) {
            open_one(x);
            next_open += OPEN_EVERY;
        }
        while (x->close_head < x->close_tail && x->closes[x->close_head].when <= t)
            nst_close(x->h.p.london, x->closes[x->close_head++].fd);
        exact_step(x, e, t);
        if (t == next_sample && out) {
            int flagged, cw = close_waits(x->h.p.ny, &flagged, NULL);
            fprintf(out, "  %4.0f s   %4d         %4d      %4llu\n", (double)(t - t0) / 1e9, cw, flagged,
                    (unsigned long long)nst_stack_stats(x->h.p.ny)->tcp_close_wait_leaks);
        }
        if (t == next_sample)
            next_sample += SAMPLE;
    }
    nst_lab_http_run(&x->h, end);
}

/* The snapshot (nstack ss --scenario close-wait): the leak at 60 s. */
int nst_lab_snap_close_wait(const struct nst_demo_opts *o, struct nst_lab_snapshot *s)
{
    struct cw_lab *x = cw_lab_new(o, NULL);
    if (!x)
        return -ENOMEM;
    struct exact_check e = {0, -1, -1};
    nst_time_t t0 = nst_world_now(x->h.p.world);
    run_load(x, NULL, t0, t0 + NST_SEC(60), &e);
    return nst_lab_http_snapshot(s, &x->h, "ny",
                                 "60 s in: New York's pool never closed the 100 connections London closed");
}

static void fix_the_bug(struct cw_lab *x)
{
    x->h.client_closes = NST_LAB_CLOSE_ON_EOF;
    for (int i = 0; i < x->opened; i++)
        nst_lab_app_watch(&x->h.ny, x->ny_fds[i]);
    nst_lab_http_run(&x->h, nst_world_now(x->h.p.world) + NST_SEC(1));
}

int nst_demo_close_wait(const struct nst_demo_opts *o, FILE *out)
{
    struct cw_lab *x = cw_lab_new(o, out);
    if (!x)
        return 1;
    fprintf(out, "New York's connection pool opens %d connections to London (one every 0.2 s), one\n"
                 "request each, and keeps them. London closes a connection idle for 5 s. The pool\n"
                 "never notices EOF, so it never calls close(): CLOSE_WAIT, for ever.\n\n"
                 "   time   CLOSE-WAIT   flagged   tcp.close_wait_leaks   (on ny)\n",
            CONNS);
    nst_time_t t0 = nst_world_now(x->h.p.world);
    x->h.progress_total = t0 + NST_SEC(61);
    struct exact_check e = {0, -1, -1};
    /* 60 s: the last connection is flagged at about 55 s, and London's
     * FIN_WAIT_2 timeout (60 s after its close, the first at about 65 s)
     * has not yet reset any of them. */
    run_load(x, out, t0, t0 + NST_SEC(60), &e);
    int exact = e.first > 0 && e.before == 0 && e.at == 1;
    int flagged, cw = close_waits(x->h.p.ny, &flagged, NULL);
    fprintf(out, "\n  the first connection entered CLOSE_WAIT at %.6f s: at %.9f s nothing was flagged,\n"
                 "  at %.9f s (30 s later) it was\n",
            (double)(e.first - t0) / 1e9, (double)(e.first + LEAK_AFTER - 1 - t0) / 1e9,
            (double)(e.first + LEAK_AFTER - t0) / 1e9);
    nst_lab_show(out, x->h.p.ny, "ny", "ss -s", 0);
    nst_lab_show(out, x->h.p.ny, "ny", "ss -tn state close-wait", 3);
    fprintf(out, "\n  London's halves wait in FIN-WAIT-2 for a FIN that never comes; London drops them\n"
                 "  (with a reset) when its FIN-WAIT-2 timeout, 60 s, runs out:\n");
    nst_lab_show(out, x->h.p.london, "london", "ss -tno state fin-wait-2", 3);
    uint64_t counted = nst_stack_stats(x->h.p.ny)->tcp_close_wait_leaks;
    nst_lab_figure(o, "connections in CLOSE_WAIT on New York", "100, for ever", cw == CONNS, "", "%d", cw);
    nst_lab_figure(o, "of them flagged as leaks", "all 100", flagged == CONNS, "", "%d", flagged);
    nst_lab_figure(o, "the first flagged at (it entered CLOSE_WAIT 30 s before)", "30 s after CLOSE_WAIT", exact,
                   "s", "%.9f", (double)(e.first + LEAK_AFTER - t0) / 1e9);
    int ok = nst_lab_check(out, cw == CONNS && flagged == CONNS && counted == CONNS,
                           "100 connections stuck in CLOSE_WAIT on New York, all flagged, counted once each");
    ok &= nst_lab_check(out, exact, "flagged exactly 30 s after entering CLOSE_WAIT, not a nanosecond before");
    ok &= nst_lab_check(out, nst_stack_stats(x->h.p.london)->tcp_close_wait_leaks == 0,
                        "the server, which did close, has nothing flagged");
    fprintf(out, "\nThe fix: the pool closes a connection when it reads EOF.\n");
    fix_the_bug(x);
    int left = close_waits(x->h.p.ny, &flagged, NULL);
    nst_lab_show(out, x->h.p.ny, "ny", "ss -s", 2);
    ok &= nst_lab_check(out, left == 0 && flagged == 0, "no CLOSE_WAIT left, no leak flagged");
    nst_lab_http_delete(x);
    return ok ? 0 : 1;
}
