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

#include <nstack/inspect.h>
#include <nstack/tcp_info.h>

#define RATE 20                      /* new connections per second */
#define LOAD_TIME NST_SEC(90)
#define SAMPLE NST_SEC(15)
#define TW_TIME NST_SEC(60)          /* 2*MSL with the default MSL of 30 s */

static const char request[] = "GET / HTTP/1.0\r\nHost: london\r\n\r\n";
static const char response[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

/* London: one request per connection; answer, then close first. New
 * York closes at the answer's end (after London: London's close came
 * first), or when the connection fails. */
static void close_now(struct nst_lab_http *h, int fd) { nst_close(h->p.london, fd); }

static struct nst_lab_http *tw_lab_new(const struct nst_demo_opts *o, FILE *out)
{
    const struct nst_lab_http_opts ho = {3, "time-wait.pcap", request, response, close_now,
                                         NST_LAB_CLOSE_ON_EOF | NST_LAB_CLOSE_ON_ERR};
    return nst_lab_http_new(sizeof(struct nst_lab_http), o, &ho, out);
}

/* TIME_WAIT records of st, and whether each expires exactly TW_TIME after
 * it began; *last gets the latest start. */
static int tw_records(struct nst_stack *st, int *exact, nst_time_t *last)
{
    int n;
    struct nst_sock_entry *v = nst_lab_tcp_in_state(st, NST_TCPS_TIME_WAIT, &n);
    *exact = v != NULL;
    for (int i = 0; i < n; i++) {
        *exact &= v[i].tcp.timer_expires == v[i].state_since + TW_TIME;
        if (last && v[i].state_since > *last)
            *last = v[i].state_since;
    }
    free(v);
    return n;
}

static int tw_count(struct nst_stack *st)
{
    int exact;
    return tw_records(st, &exact, NULL);
}

/* The load: a connection every 1/RATE s for LOAD_TIME, sampled every
 * SAMPLE. Returns the count at the end of the load. */
static int run_load(struct nst_lab_http *h, FILE *out, nst_time_t t0, int *all_exact)
{
    nst_time_t step = NST_SEC(1) / RATE, next_sample = t0 + SAMPLE;
    int count = 0;
    *all_exact = 1;
    for (nst_time_t t = t0; t < t0 + LOAD_TIME; t += step) {
        nst_lab_http_run(h, t);
        nst_lab_http_connect(h);
        if (t + step >= next_sample) {
            nst_lab_http_run(h, next_sample);
            int exact;
            count = tw_records(h->p.london, &exact, NULL);
            *all_exact &= exact;
            if (out)
                fprintf(out, "  %5.0f s   %5d   %5d\n", (double)(next_sample - t0) / 1e9, count,
                        tw_count(h->p.ny));
            next_sample += SAMPLE;
        }
    }
    return count;
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
    struct nst_lab_http *h = tw_lab_new(o, out);
    if (!h)
        return 1;
    nst_time_t t0 = nst_world_now(h->p.world);
    h->progress_total = t0 + LOAD_TIME + TW_TIME;
    fprintf(out, "New York makes %d requests a second to London for %.0f s, a new connection each\n"
                 "(HTTP/1.0); London answers and closes first, so the TIME_WAIT records are London's.\n\n"
                 "   time   TIME-WAIT on london   on ny\n",
            RATE, (double)LOAD_TIME / 1e9);
    int exact;
    int plateau = run_load(h, out, t0, &exact);
    nst_time_t t_end = t0 + LOAD_TIME;
    nst_lab_http_run(h, t_end);
    nst_lab_show(out, h->p.london, "london", "ss -s", 0);
    nst_lab_show(out, h->p.london, "london", "ss -tno state time-wait", 3);
    print_sizes(out, plateau);
    /* The requests still in flight finish; then the newest record is known. */
    nst_lab_http_run(h, t_end + NST_SEC(1));
    nst_time_t last = 0;
    int exact_end;
    tw_records(h->p.london, &exact_end, &last);
    /* The drain: the last record leaves exactly 2*MSL after it came. */
    nst_lab_http_run(h, last + TW_TIME - 1);
    int before = tw_count(h->p.london);
    nst_lab_http_run(h, last + TW_TIME);
    int after = tw_count(h->p.london);
    fprintf(out, "\n  the load stopped at %.0f s; the last record began at %.6f s, so one record is\n"
                 "  left at %.9f s and none at %.9f s, its start + 60 s:\n",
            (double)LOAD_TIME / 1e9, (double)(last - t0) / 1e9, (double)(last + TW_TIME - 1 - t0) / 1e9,
            (double)(last + TW_TIME - t0) / 1e9);
    nst_lab_show(out, h->p.london, "london", "ss -s", 2);
    int expected = RATE * (int)(TW_TIME / NST_SEC(1));
    nst_lab_figure(o, "TIME_WAIT records on London during the load", "rate x 2*MSL = 1200", plateau == expected,
                   "records", "%d", plateau);
    nst_lab_figure(o, "TIME_WAIT records on New York", "0", tw_count(h->p.ny) == 0, "records", "%d",
                   tw_count(h->p.ny));
    nst_lab_figure(o, "the last TIME_WAIT record gone at", "its start + 60 s (2*MSL)", after == 0 && before == 1,
                   "s", "%.9f", (double)(last + TW_TIME - t0) / 1e9);
    int ok = nst_lab_check(out, plateau == expected && tw_count(h->p.ny) == 0,
                           "London holds rate x 2*MSL = 20/s x 60 s = 1,200 TIME_WAIT records; New York none");
    ok &= nst_lab_check(out, h->responses == h->requests && h->requests == (unsigned)(RATE * 90),
                        "every one of the 1,800 requests was answered");
    ok &= nst_lab_check(out, exact && exact_end && before == 1 && after == 0,
                        "each record expires exactly 60 s (2*MSL) after it began; then none is left");
    nst_lab_figure(o, "a TIME_WAIT record's size", "a fraction of a connection's", -1, "bytes", "%zu",
                   nst_tcp_timewait_size());
    nst_lab_figure(o, "a connection's control block", "", -1, "bytes", "%zu", nst_tcp_conn_size());
    ok &= nst_lab_check(out, nst_tcp_timewait_size() * 8 <= nst_tcp_conn_size(),
                        "a TIME_WAIT record costs a fraction of a connection");
    nst_lab_http_delete(h);
    return ok ? 0 : 1;
}

int nst_lab_snap_time_wait(const struct nst_demo_opts *o, struct nst_lab_snapshot *s)
{
    struct nst_lab_http *h = tw_lab_new(o, NULL);
    if (!h)
        return -ENOMEM;
    int exact;
    nst_time_t t0 = nst_world_now(h->p.world);
    run_load(h, NULL, t0, &exact);
    nst_lab_http_run(h, t0 + LOAD_TIME);
    return nst_lab_http_snapshot(s, h, "london",
                                 "90 s of 20 connections/s, London closing first: its TIME_WAIT plateau");
}
