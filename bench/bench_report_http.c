/* nst_bench_report's HTTP table (bench_report.h): nstack serve on a TAP
 * against the kernel's servers over a veth pair (nginx for HTTP/1.1,
 * nghttpd for HTTP/2), the same clients (wrk, h2load), from
 * scripts/bench-http.sh's rows; and nst_bench_http's in-memory figures.
 * The target: nstack at least level with nginx per CPU second of
 * the server (HTTP/1.1 keep-alive). */
#include "bench_report.h"

#include <string.h>

struct http_line {
    const char *variant, *peer, *metric, *label;
    int level; /* target: nstack >= the peer */
};

static const struct http_line http_lines[] = {
    {"h1-keepalive", "nginx-veth", "requests-per-cpu", "HTTP/1.1 keep-alive (wrk), per CPU s of the server", 1},
    {"h1-keepalive", "nginx-veth", "requests-per-cpu-all", "HTTP/1.1 keep-alive, per CPU s of client + server + ksoftirqd", 0},
    {"h1-keepalive", "nginx-veth", "requests", "HTTP/1.1 keep-alive, per s of real time", 0},
    {"h2c", "nghttpd-veth", "requests-per-cpu", "HTTP/2 h2c (h2load), per CPU s of the server", 1},
    {"h2c", "nghttpd-veth", "requests-per-cpu-all", "HTTP/2 h2c, per CPU s of client + server + ksoftirqd", 0},
    {"h2c", "nghttpd-veth", "requests", "HTTP/2 h2c, per s of real time", 0},
    {"h2c", "nginx-veth", "requests-per-cpu", "HTTP/2 h2c against nginx, per CPU s of the server", 1},
    {"h2c", "nginx-veth", "requests-per-cpu-all", "HTTP/2 h2c against nginx, per CPU s of client + server + ksoftirqd", 0},
    {"h2c", "nginx-veth", "requests", "HTTP/2 h2c against nginx, per s of real time", 0},
    {"h2-tls", "nghttpd-veth", "requests-per-cpu", "HTTP/2 over TLS 1.3 (h2load), per CPU s of the server", 0},
    {"h2-tls", "nghttpd-veth", "requests-per-cpu-all", "HTTP/2 over TLS 1.3, per CPU s of client + server + ksoftirqd", 0},
    {"h2-tls", "nghttpd-veth", "requests", "HTTP/2 over TLS 1.3, per s of real time", 0},
    {"h2-tls", "nginx-veth", "requests-per-cpu", "HTTP/2 over TLS 1.3 against nginx, per CPU s of the server", 0},
    {"h2-tls", "nginx-veth", "requests-per-cpu-all", "HTTP/2 over TLS 1.3 against nginx, per CPU s of client + server + ksoftirqd", 0},
    {"h2-tls", "nginx-veth", "requests", "HTTP/2 over TLS 1.3 against nginx, per s of real time", 0},
};

static const struct http_line inmem_lines[] = {
    {"h1-inmem", NULL, "requests-per-cpu", "HTTP/1.1 keep-alive, one request in flight", 0},
    {"h2-inmem", NULL, "requests-per-cpu", "HTTP/2, one connection, 10 streams in flight", 0},
};

/* A figure, FAILED for a point that failed, "-" for one not measured. */
static void http_cell(const struct row *r, char *out, size_t cap)
{
    if (rep_failed(r))
        snprintf(out, cap, "FAILED");
    else if (r)
        rep_fmt_value(r->value, out, cap);
}

static int usable(const struct row *r) { return r && !rep_failed(r) && r->value > 0; }

int http_write_summary(FILE *f)
{
    int any = 0, bad = 0;
    for (size_t i = 0; i < sizeof(http_lines) / sizeof(http_lines[0]); i++) {
        const struct http_line *l = &http_lines[i];
        const struct row *n = rep_find("http", l->variant, "nstack-tap", l->metric);
        const struct row *k = rep_find("http", l->variant, l->peer, l->metric);
        if (!n && !k)
            continue;
        if (!any) {
            fprintf(f, "\nHTTP over real links (higher is better): nstack serve on a TAP against nginx 1 worker (HTTP/1.1, "
                       "HTTP/2; the body from memory) and nghttpd 1 thread (HTTP/2; the body by a pread per request) "
                       "on the kernel over a veth pair, each in namespaces of its own, the same clients (wrk -t1 "
                       "-c16; h2load -t1 -c16 -m10), the same 18-byte body; scripts/bench-http.sh, "
                       "docs/PERFORMANCE.md:\n\n");
            fprintf(f, "| Benchmark | unit | nstack | kernel server | nstack/kernel server | target | status |\n");
            fprintf(f, "|---|---|---:|---:|---:|---|---|\n");
            any = 1;
        }
        char cn[32] = "-", ck[32] = "-", ratio[32] = "-", status[64] = "-";
        http_cell(n, cn, sizeof(cn));
        http_cell(k, ck, sizeof(ck));
        if (usable(n) && usable(k))
            snprintf(ratio, sizeof(ratio), "%.2fx", n->value / k->value);
        if (l->level) {
            if (!usable(n) || !usable(k)) {
                bad = 1;
                snprintf(status, sizeof(status), "FAILED (%s)", !usable(n) ? "nstack's run" : "peer's run or missing");
            } else {
                snprintf(status, sizeof(status), "%s", n->value >= k->value ? "met" : "MISSED");
            }
        }
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", l->label, (n ? n : k)->unit, cn, ck, ratio,
                l->level ? ">= 1x (level per CPU)" : "-", status);
    }
    int inmem = 0;
    for (size_t i = 0; i < sizeof(inmem_lines) / sizeof(inmem_lines[0]); i++) {
        const struct row *n = rep_find("http", inmem_lines[i].variant, "nstack", inmem_lines[i].metric);
        if (!n)
            continue;
        if (!inmem) {
            fprintf(f, "\nHTTP in memory (nst_bench_http: nstack's client and server, two stacks joined in memory, "
                       "one thread; per CPU second of both ends):\n\n| Benchmark | unit | nstack | notes |\n"
                       "|---|---|---:|---|\n");
            inmem = 1;
        }
        char cn[32] = "-";
        http_cell(n, cn, sizeof(cn));
        fprintf(f, "| %s | %s | %s | %s |\n", inmem_lines[i].label, n->unit, cn, n->note);
    }
    return bad;
}
