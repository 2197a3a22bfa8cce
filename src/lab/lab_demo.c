/* `nstack demo`: the article, replayed on the simulated network. Each
 * scenario measures on its own packets and checks what it claims. */
#include "lab/lab_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "lab/lab_results.h"

const char *const nst_demo_scenarios[][2] = {
    {"path", "IP hop by hop: ping and traceroute across New York - 3 routers - London (80 ms), IPv4 and IPv6"},
    {"best-effort", "IP is best effort: datagrams lost, duplicated, reordered, never retransmitted"},
    {"handshake", "TCP's three-way handshake costs one round trip (80 ms) before the first request byte"},
    {"reliable-stream", "TCP over a lossy, duplicating, reordering link: every byte arrives once, in order"},
    {"port-exhaustion", "16,384 ephemeral ports: a load test runs out of them; the fixes, measured"},
    {"time-wait", "a server that closes first piles up TIME_WAIT records; they drain 60 s (2*MSL) later"},
    {"close-wait", "a client that never closes piles up CLOSE_WAIT; the leak detector flags it at 30 s"},
    {NULL, NULL},
};

static int (*const scenario_fns[])(const struct nst_demo_opts *, FILE *) = {
    nst_demo_path,
    nst_demo_best_effort,
    nst_demo_handshake,
    nst_demo_reliable_stream,
    nst_demo_port_exhaustion,
    nst_demo_time_wait,
    nst_demo_close_wait,
};

void nst_demo_opts_default(struct nst_demo_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->out_dir = "nstack-demo";
}

int nst_lab_listen(struct nst_stack *st, uint16_t port, int backlog)
{
    int fd = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, port};
    if (fd < 0 || nst_bind(st, fd, &a) < 0 || nst_listen(st, fd, backlog) < 0)
        return -1;
    return fd;
}

void nst_lab_warm_up_arp(struct nst_lab_path *p)
{
    struct nst_ping_opts po;
    nst_ping_opts_default(&po);
    po.count = 1;
    nst_lab_ping(p->world, p->ny, NST_LAB_LONDON_ADDR, &po, NULL, NULL);
}

int nst_lab_check(FILE *out, int cond, const char *what)
{
    fprintf(out, "  [%s] %s\n", cond ? "ok" : "FAILED", what);
    return cond;
}

const char *nst_lab_out_path(const struct nst_demo_opts *o, const char *name, char *buf, size_t size)
{
    if (!o->out_dir)
        return NULL;
    snprintf(buf, size, "%s/%s", o->out_dir, name);
    return buf;
}

void nst_lab_picture_note(FILE *out, const char *path, int err)
{
    if (err)
        fprintf(out, "  (picture %s failed: %s)\n", path, strerror(-err));
    else
        fprintf(out, "  picture: %s\n", path);
}

void nst_lab_capture(const struct nst_demo_opts *o, struct nst_sim_link *l, const char *name, FILE *out)
{
    char path[1024];
    if (!nst_lab_out_path(o, name, path, sizeof(path)))
        return;
    int err = nst_sim_link_pcap(l, path);
    if (err)
        fprintf(out, "  (capture %s failed: %s)\n", path, strerror(-err));
    else
        fprintf(out, "  capture: %s\n", path);
}

int nst_demo_build_path(const struct nst_demo_opts *o, struct nst_lab_path *p, const struct nst_demo_impair *imp,
                        int cap_link, const char *cap_name, FILE *out)
{
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = o->seed;
    if (imp) {
        po.loss = imp->loss;
        po.duplicate = imp->duplicate;
        po.reorder = imp->reorder;
        if (imp->bandwidth_bps)
            po.bandwidth_bps = imp->bandwidth_bps;
    }
    int err = nst_lab_path_build(p, &po);
    if (err)
        return err;
    nst_lab_capture(o, p->links[cap_link], cap_name, out);
    return 0;
}

int nst_demo_path(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, NULL, 1, "path.pcap", out) < 0)
        return 1;
    fprintf(out, "\n$ nstack ping -c 4 london\n");
    struct nst_ping_opts pin;
    nst_ping_opts_default(&pin);
    struct nst_ping_result r;
    int ok = nst_lab_ping(p.world, p.ny, NST_LAB_LONDON_ADDR, &pin, out, &r) == 0;
    fprintf(out, "\n$ nstack traceroute london\n");
    struct nst_trace_hop hops[8];
    int n = nst_lab_traceroute(p.world, p.ny, NST_LAB_LONDON_ADDR, 8, out, hops);
    fprintf(out, "\n");
    nst_lab_figure(o, "round trip New York - London (ping, min)", "80 ms",
                   r.received == 4 && r.rtt_min >= NST_MSEC(80) && r.rtt_min < NST_MSEC(81), "ms", "%.3f",
                   (double)r.rtt_min / 1e6);
    nst_lab_figure(o, "hops to London (traceroute)", "4: three routers, then London", n == 4 && hops[3].reached, "",
                   "%d", n);
    ok &= nst_lab_check(out, r.received == 4 && r.rtt_min >= NST_MSEC(80) && r.rtt_min < NST_MSEC(81),
                        "the New York - London round trip is 80 ms");
    ok &= nst_lab_check(out, n == 4 && hops[3].reached, "three routers, then London, each found by its TTL");
    nst_lab_path_free(&p);
    ok &= nst_demo_path6(o, out);
    return ok ? 0 : 1;
}

static int ensure_dir(const char *d)
{
    if (mkdir(d, 0755) == 0 || errno == EEXIST)
        return 0;
    return -errno;
}

/* Runs sc unless --only names another, printing through the run's record
 * (run->results, when there is one); 1 if a check failed. */
static int run_scenario(const struct nst_demo_opts *run, const struct nst_demo_scenario *sc, FILE *out, int *ran)
{
    if (run->only && strcmp(run->only, sc->name) != 0)
        return 0;
    (*ran)++;
    FILE *rec = run->results ? nst_lab_results_begin(run->results, sc->name, sc->what) : NULL;
    FILE *to = rec ? rec : out;
    fprintf(to, "\n=== %s: %s ===\n", sc->name, sc->what);
    int failed = sc->run(run, to) != 0;
    if (rec)
        nst_lab_results_end(run->results, rec, failed);
    return failed;
}

static void write_report(const struct nst_demo_opts *run, FILE *out)
{
    if (run->results->oom)
        fprintf(out, "nstack demo: out of memory while recording: the report is incomplete\n");
    int err = nst_lab_report_write(run->results, run->report_dir);
    if (err)
        fprintf(out, "nstack demo: cannot write the report in %s: %s\n", run->report_dir, strerror(-err));
    else
        fprintf(out, "report: %s/index.html\n", run->report_dir);
}

int nst_lab_demo(const struct nst_demo_opts *o, FILE *out)
{
    int failed = 0, ran = 0;
    if (o->out_dir && ensure_dir(o->out_dir) < 0) {
        fprintf(out, "nstack demo: cannot create %s: %s\n", o->out_dir, strerror(errno));
        return 1;
    }
    /* The scenarios see a copy of o carrying the run's record. */
    struct nst_demo_opts run = *o;
    run.results = nst_lab_results_new(out, &run);
    if (!run.results && o->report_dir) {
        fprintf(out, "nstack demo: out of memory\n");
        return 1;
    }
    fprintf(out, "nstack demo: the article \"TCP/IP Basics Every Developer Should Understand\",\n"
                 "replayed on a simulated network (seed %llu; virtual time, so every run is the same).\n",
            (unsigned long long)o->seed);
    for (size_t i = 0; nst_demo_scenarios[i][0]; i++) {
        const struct nst_demo_scenario sc = {nst_demo_scenarios[i][0], nst_demo_scenarios[i][1], scenario_fns[i]};
        failed += run_scenario(&run, &sc, out, &ran);
    }
    for (const struct nst_demo_scenario *sc = o->more; sc && sc->name; sc++)
        failed += run_scenario(&run, sc, out, &ran);
    if (!ran) {
        fprintf(out, "nstack demo: no scenario named '%s'\n", o->only);
        nst_lab_results_free(run.results);
        return 2;
    }
    fprintf(out, "\n%d scenario%s, %d with a failed check.\n", ran, ran == 1 ? "" : "s", failed);
    if (o->report_dir)
        write_report(&run, out);
    nst_lab_results_free(run.results);
    return failed ? 1 : 0;
}
