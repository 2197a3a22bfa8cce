/* TIME_WAIT piling up, measured: "the side that closes first enters
 * TIME_WAIT ... for 2*MSL", so a server that closes its connections (HTTP/1.0
 * style, one request per connection) keeps one TIME_WAIT record per
 * connection of the last 60 s: rate x 2*MSL of them, whatever the load.
 *
 * New York makes 20 requests a second to London, each on a new connection,
 * for 90 s; London answers and closes. London's TIME_WAIT count climbs for
 * 60 s, holds at 20/s x 60 s = 1,200, and drains to zero 60 s after the
 * last request, each record leaving exactly 2*MSL after it came. nstack
 * keeps TIME_WAIT in a compact record, not the connection's control block:
 * the scenario prints both sizes. */
#include "lab/lab_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/inspect.h>
#include <nstack/tcp_info.h>

#define HTTP 80
#define RATE 20                      /* new connections per second */
#define LOAD_TIME NST_SEC(90)
#define SAMPLE NST_SEC(15)
#define MAX_FD 4096
#define TW_TIME NST_SEC(60)          /* 2*MSL with the default MSL of 30 s */

static const char request[] = "GET / HTTP/1.0\r\nHost: london\r\n\r\n";
static const char response[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

struct tw_lab {
    struct nst_lab_path p;
    struct nst_lab_app ny, london;
    int lfd;
    uint8_t sent[MAX_FD];            /* New York: the request went out on this descriptor */
    unsigned requests, responses;
};

/* London: one request per connection; answer, then close first. */
static void london_app(struct nst_lab_app *a, int fd, int ev)
{
    struct tw_lab *x = a->arg;
    if (fd == x->lfd) {
        int c;
        while ((c = nst_accept(a->st, fd, NULL)) >= 0)
            nst_lab_app_watch(a, c);
        return;
    }
    char buf[256];
    ssize_t n = nst_recv(a->st, fd, buf, sizeof(buf), 0);
    /* The request is one small segment: it arrives whole. */
    if (n > 0) {
        nst_send(a->st, fd, response, sizeof(response) - 1, 0);
        nst_close(a->st, fd);
    } else if (n == 0 || (ev & NST_EV_ERR)) {
        nst_close(a->st, fd);
    }
}

/* New York: send the request once connected, read the answer, close at
 * its end (after London: London's close came first). */
static void ny_app(struct nst_lab_app *a, int fd, int ev)
{
    struct tw_lab *x = a->arg;
    if (fd < 0 || fd >= MAX_FD)
        return;
    if (!x->sent[fd] && (ev & NST_EV_OUT)) {
        nst_send(a->st, fd, request, sizeof(request) - 1, 0);
        x->sent[fd] = 1;
        x->requests++;
    }
    char buf[256];
    ssize_t n;
    while ((n = nst_recv(a->st, fd, buf, sizeof(buf), 0)) > 0)
        ;
    if (n == 0 || (ev & NST_EV_ERR)) {
        x->responses += n == 0;
        x->sent[fd] = 0;
        nst_close(a->st, fd);
    }
}

static void run_apps(struct tw_lab *x, nst_time_t until)
{
    struct nst_lab_app *apps[2] = {&x->ny, &x->london};
    nst_lab_apps_run(x->p.world, apps, 2, until);
}

static void open_one(struct tw_lab *x)
{
    int fd = nst_socket(x->p.ny, NST_SOCK_STREAM);
    struct nst_sockaddr dst = {NST_LAB_LONDON_ADDR, HTTP};
    if (fd >= 0 && nst_connect(x->p.ny, fd, &dst) == -EINPROGRESS)
        nst_lab_app_watch(&x->ny, fd);
    else if (fd >= 0)
        nst_close(x->p.ny, fd);
}

/* TIME_WAIT records of st, and whether each expires exactly TW_TIME after
 * it began; *last gets the latest start. */
static int tw_records(struct nst_stack *st, int *exact, nst_time_t *last)
{
    int n = nst_sock_list(st, NULL, 0), k = 0;
    struct nst_sock_entry *v = calloc((size_t)n + 1, sizeof(*v));
    *exact = v != NULL;
    if (!v)
        return -1;
    n = nst_sock_list(st, v, n);
    for (int i = 0; i < n; i++) {
        if (v[i].proto != NST_INSPECT_TCP || v[i].state != NST_TCPS_TIME_WAIT)
            continue;
        k++;
        *exact &= v[i].tcp.timer_expires == v[i].state_since + TW_TIME;
        if (last && v[i].state_since > *last)
            *last = v[i].state_since;
    }
    free(v);
    return k;
}

static int tw_count(struct nst_stack *st)
{
    int exact;
    return tw_records(st, &exact, NULL);
}

/* The load: a connection every 1/RATE s for LOAD_TIME, sampled every
 * SAMPLE. Returns the count at the end of the load. */
static int run_load(struct tw_lab *x, FILE *out, nst_time_t t0, int *all_exact)
{
    nst_time_t step = NST_SEC(1) / RATE, next_sample = t0 + SAMPLE;
    int count = 0;
    *all_exact = 1;
    for (nst_time_t t = t0; t < t0 + LOAD_TIME; t += step) {
        run_apps(x, t);
        open_one(x);
        if (t + step >= next_sample) {
            run_apps(x, next_sample);
            int exact;
            count = tw_records(x->p.london, &exact, NULL);
            *all_exact &= exact;
            if (out)
                fprintf(out, "  %5.0f s   %5d   %5d\n", (double)(next_sample - t0) / 1e9, count,
                        tw_count(x->p.ny));
            next_sample += SAMPLE;
        }
    }
    return count;
}

static int build(const struct nst_demo_opts *o, struct tw_lab *x, FILE *out)
{
    memset(x, 0, sizeof(*x));
    if (nst_demo_build_path(o, &x->p, NULL, 3, "time-wait.pcap", out) < 0)
        return -1;
    x->lfd = nst_socket(x->p.london, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, HTTP};
    if (x->lfd < 0 || nst_bind(x->p.london, x->lfd, &a) < 0 || nst_listen(x->p.london, x->lfd, 128) < 0)
        return -1;
    nst_lab_app_attach(&x->ny, x->p.ny, ny_app, x);
    nst_lab_app_attach(&x->london, x->p.london, london_app, x);
    return 0;
}

static void print_sizes(FILE *out, int plateau)
{
    size_t tw = nst_tcp_timewait_size(), conn = nst_tcp_conn_size();
    fprintf(out, "\n  a TIME_WAIT record is %zu bytes (the connection's control block, %zu bytes, is freed\n"
                 "  when TIME_WAIT begins): %d records hold %.1f KiB, not %.1f KiB\n",
            tw, conn, plateau, (double)plateau * (double)tw / 1024, (double)plateau * (double)conn / 1024);
}

int nst_demo_time_wait(const struct nst_demo_opts *o, FILE *out)
{
    struct tw_lab *x = malloc(sizeof(*x));
    if (!x || build(o, x, out) < 0) {
        free(x);
        return 1;
    }
    fprintf(out, "New York makes %d requests a second to London for %.0f s, a new connection each\n"
                 "(HTTP/1.0); London answers and closes first, so the TIME_WAIT records are London's.\n\n"
                 "   time   TIME-WAIT on london   on ny\n",
            RATE, (double)LOAD_TIME / 1e9);
    nst_time_t t0 = nst_world_now(x->p.world);
    int exact;
    int plateau = run_load(x, out, t0, &exact);
    nst_time_t t_end = t0 + LOAD_TIME;
    run_apps(x, t_end);
    nst_lab_show(out, x->p.london, "london", "ss -s", 0);
    nst_lab_show(out, x->p.london, "london", "ss -tno state time-wait", 3);
    print_sizes(out, plateau);
    /* The requests still in flight finish; then the newest record is known. */
    run_apps(x, t_end + NST_SEC(1));
    nst_time_t last = 0;
    int exact_end;
    tw_records(x->p.london, &exact_end, &last);
    /* The drain: the last record leaves exactly 2*MSL after it came. */
    run_apps(x, last + TW_TIME - 1);
    int before = tw_count(x->p.london);
    run_apps(x, last + TW_TIME);
    int after = tw_count(x->p.london);
    fprintf(out, "\n  the load stopped at %.0f s; the last record began at %.6f s, so one record is\n"
                 "  left at %.9f s and none at %.9f s, its start + 60 s:\n",
            (double)LOAD_TIME / 1e9, (double)(last - t0) / 1e9, (double)(last + TW_TIME - 1 - t0) / 1e9,
            (double)(last + TW_TIME - t0) / 1e9);
    nst_lab_show(out, x->p.london, "london", "ss -s", 2);
    int expected = RATE * (int)(TW_TIME / NST_SEC(1));
    int ok = nst_lab_check(out, plateau == expected && tw_count(x->p.ny) == 0,
                           "London holds rate x 2*MSL = 20/s x 60 s = 1,200 TIME_WAIT records; New York none");
    ok &= nst_lab_check(out, x->responses == x->requests && x->requests == (unsigned)(RATE * 90),
                        "every one of the 1,800 requests was answered");
    ok &= nst_lab_check(out, exact && exact_end && before == 1 && after == 0,
                        "each record expires exactly 60 s (2*MSL) after it began; then none is left");
    ok &= nst_lab_check(out, nst_tcp_timewait_size() * 8 <= nst_tcp_conn_size(),
                        "a TIME_WAIT record costs a fraction of a connection");
    nst_lab_app_detach(&x->ny);
    nst_lab_app_detach(&x->london);
    nst_lab_path_free(&x->p);
    free(x);
    return ok ? 0 : 1;
}

static void tw_lab_free(void *priv)
{
    struct tw_lab *x = priv;
    if (x->ny.st)
        nst_lab_app_detach(&x->ny);
    if (x->london.st)
        nst_lab_app_detach(&x->london);
    nst_lab_path_free(&x->p);
    free(x);
}

int nst_lab_snap_time_wait(const struct nst_demo_opts *o, struct nst_lab_snapshot *s)
{
    struct tw_lab *x = malloc(sizeof(*x));
    if (!x)
        return -ENOMEM;
    if (build(o, x, NULL) < 0) {
        tw_lab_free(x);
        return -ENOMEM;
    }
    int exact;
    nst_time_t t0 = nst_world_now(x->p.world);
    run_load(x, NULL, t0, &exact);
    run_apps(x, t0 + LOAD_TIME);
    s->world = x->p.world;
    s->focus = "london";
    s->moment = "90 s of 20 connections/s, London closing first: its TIME_WAIT plateau";
    s->priv = x;
    s->free_priv = tw_lab_free;
    return 0;
}
