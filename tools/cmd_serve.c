/* nstack serve: a host on a TAP device that answers ARP and ping, and runs
 * the services asked for, until a duration passes or SIGINT/SIGTERM.
 *
 * Services are a table (below): an option (--NAME PORT), a socket type, and
 * handlers (tools/serve_*.c). The stack's event callback only marks a
 * descriptor as worth a look: it runs inside the stack's input path, where
 * calling back into the socket API is not allowed. The run loop's step then
 * calls the handler of each marked descriptor with its readiness. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <nstack/stats.h>

#include "tools/cli.h"
#include "tools/digest.h"
#include "tools/serve.h"
#include "tools/serve_control.h"
#include "tools/serve_tls.h"

#define SERVE_ROUNDS 64 /* passes over the marked descriptors per step; then the loop turns again */
#define SERVE_OPT_DURATION 400
#define SERVE_OPT_SERVICE 401 /* + index in the services table */
#define SERVE_OPT_CONTROL 450
#define SERVE_OPT_ROOT 451
#define SERVE_OPT_HTTP2 452

static const struct service services[] = {
    {"udp-echo", "echo UDP datagrams back to their sender (RFC 862)", NST_SOCK_DGRAM, serve_udp_echo, NULL},
    {"tcp-echo", "echo TCP bytes back (RFC 862)", NST_SOCK_STREAM, NULL, serve_tcp_echo},
    {"discard", "read and drop TCP bytes (RFC 863)", NST_SOCK_STREAM, NULL, serve_discard},
    {"source", "send TCP bytes as fast as taken: RFC 864's character pattern", NST_SOCK_STREAM, NULL,
     serve_source},
    {"sink-sha256", "read TCP bytes, print their count, rate and SHA-256 at EOF", NST_SOCK_STREAM, NULL,
     serve_sink_sha256},
    {"http", "HTTP/1.1 (the library's server): a page at /, or --root DIR's files; WebSocket echo at /ws, a room at /chat",
     NST_SOCK_STREAM, NULL, serve_http},
    {"ws", "WebSocket (RFC 6455) in an HTTP server: echo, and a broadcast room at /chat", NST_SOCK_STREAM, NULL,
     serve_ws_conn},
    /* tls stays last: SERVICE_TLS */
    {"tls", "the same HTTP/1.1 server over TLS 1.2/1.3 (--cert, --key)", NST_SOCK_STREAM, NULL, serve_http, 1},
};
#define SERVICE_TLS (NSERVICES - 1)
#define NSERVICES (sizeof(services) / sizeof(services[0]))
_Static_assert(NSERVICES <= SERVE_MAX_SERVICES, "struct server keeps stats for SERVE_MAX_SERVICES");

/* ---- descriptors and connections ----------------------------------------- */

void serve_mark(struct server *sv, int fd)
{
    if (fd < 0 || fd >= SERVE_MAX_FDS || !sv->own[fd].svc || sv->marked[fd])
        return;
    sv->marked[fd] = 1;
    sv->pending[sv->npending++] = fd;
}

struct serve_stats *serve_stats_of(struct server *sv, int fd) { return sv->own[fd].stats; }

static int own(struct server *sv, int fd, const struct service *svc, struct serve_conn *conn)
{
    if (fd < 0 || fd >= SERVE_MAX_FDS)
        return -EMFILE;
    sv->own[fd] = (struct serve_owner){svc, &sv->stats[svc - services], conn};
    serve_mark(sv, fd); /* it may have something to say already */
    return 0;
}

void serve_conn_release(struct server *sv, int fd)
{
    struct serve_conn *c = sv->own[fd].conn;
    if (c) {
        free(c->out);
        free(c->req);
        digest_free(c->digest);
        free(c);
    }
    memset(&sv->own[fd], 0, sizeof(sv->own[fd]));
    sv->marked[fd] = 0;
}

void serve_conn_close(struct server *sv, int fd)
{
    struct serve_conn *c = sv->own[fd].conn;
    if (c && c->stream)
        nst_stream_close(c->stream); /* closes fd */
    else
        nst_close(sv->h.st, fd);
    if (c) {
        free(c->out);
        free(c->req);
        digest_free(c->digest);
        free(c);
    }
    memset(&sv->own[fd], 0, sizeof(sv->own[fd]));
    /* A descriptor number is reused by the next socket: no mark may outlive it. */
    sv->marked[fd] = 0;
}

int serve_conn_queue(struct serve_conn *c, const void *data, size_t len)
{
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
    }
    uint8_t *n = realloc(c->out, c->out_len + len);
    if (!n)
        return -ENOMEM;
    memcpy(n + c->out_len, data, len);
    c->out = n;
    c->out_len += len;
    return 0;
}

int serve_conn_flush(struct server *sv, int fd, struct serve_conn *c)
{
    while (c->out_off < c->out_len) {
        const uint8_t *p = c->out + c->out_off;
        size_t len = c->out_len - c->out_off;
        ssize_t n = c->stream ? nst_stream_write(c->stream, p, len) : nst_send(sv->h.st, fd, p, len, 0);
        if (n == -EAGAIN)
            return 1; /* the socket is full: its NST_EV_OUT brings us back */
        if (n < 0) {
            serve_conn_close(sv, fd);
            return 0;
        }
        c->out_off += (size_t)n;
        sv->own[fd].stats->bytes_out += (uint64_t)n;
    }
    free(c->out);
    c->out = NULL;
    c->out_off = c->out_len = 0;
    if (c->close_after) {
        serve_conn_close(sv, fd);
        return 0;
    }
    return 1;
}

/* A TLS stream's readiness changed (its own callback, outside the stack's
 * input path): the connection is worth a look. */
static void on_stream_event(void *arg, struct nst_stream *s, int events)
{
    (void)events;
    serve_mark(arg, nst_stream_fd(s));
}

void serve_accept_ready(struct server *sv, int fd, int events)
{
    if (!(events & NST_EV_IN))
        return;
    const struct service *svc = sv->own[fd].svc;
    int nfd;
    while ((nfd = nst_accept(sv->h.st, fd, NULL)) >= 0) {
        struct serve_conn *c = calloc(1, sizeof(*c));
        if (c && svc->tls && !(c->stream = serve_tls_accept(sv->tls, sv->h.st, nfd, on_stream_event, sv))) {
            free(c); /* the descriptor went with the failed stream */
            continue;
        }
        if (!c || own(sv, nfd, svc, c) < 0) {
            /* Out of memory or of slots: refuse this one, keep serving. */
            if (c && c->stream)
                nst_stream_close(c->stream);
            else
                nst_close(sv->h.st, nfd);
            free(c);
            continue;
        }
        sv->own[nfd].stats->conns++;
    }
}

/* ---- the step ------------------------------------------------------------ */

/* The stack's event callback: inside the stack, so only note it. */
static void on_stack_event(void *arg, int fd, int events)
{
    (void)events;
    serve_mark(arg, fd);
}

static void dispatch(struct server *sv, int fd)
{
    struct serve_owner *o = &sv->own[fd];
    int ev = o->conn && o->conn->stream ? nst_stream_events(o->conn->stream) : nst_socket_events(sv->h.st, fd);
    if (ev < 0 || !o->svc)
        return;
    if (o->conn)
        o->svc->on_conn(sv, fd, o->conn, ev);
    else if (o->svc->on_socket)
        o->svc->on_socket(sv, fd, ev);
    else
        serve_accept_ready(sv, fd, ev);
}

/* The run loop's step: the handler of each marked descriptor, until none
 * is marked (handlers may mark others: an accept marks the connection).
 * Returns 1 if some are still marked after SERVE_ROUNDS passes. */
static int serve_step(void *arg, nst_time_t now)
{
    (void)now;
    struct server *sv = arg;
    int *batch = sv->batch;
    for (int round = 0; round < SERVE_ROUNDS && sv->npending; round++) {
        int n = sv->npending;
        memcpy(batch, sv->pending, (size_t)n * sizeof(int));
        sv->npending = 0;
        for (int i = 0; i < n; i++)
            sv->marked[batch[i]] = 0;
        for (int i = 0; i < n; i++)
            dispatch(sv, batch[i]);
    }
    return sv->npending > 0;
}

/* Whether the host speaks IPv6 (its interface has addresses: a link-local
 * one at least). */
static int host_ipv6(const struct server *sv)
{
    struct nst_addr6_info one;
    return nst_iface_addr6_list(sv->h.st, sv->h.ifindex, &one, 1) > 0;
}

/* A service listens on any address of the host: an IPv4 socket on
 * 0.0.0.0, or, when the host speaks IPv6, one dual-stack socket on :: (no
 * NST_IPV6_V6ONLY) taking both families on the one port, IPv4 peers as
 * ::ffff:a.b.c.d (RFC 4291 2.5.5.2), as a Linux server on [::] does. */
static int start_service(struct server *sv, const struct service *svc, uint16_t port)
{
    struct nst_stack *st = sv->h.st;
    int v6 = host_ipv6(sv);
    int fd = nst_socket_family(st, v6 ? NST_AF_INET6 : NST_AF_INET, svc->type);
    if (fd < 0)
        return fd;
    struct nst_sockaddr a = {.port = port, .family = v6 ? NST_AF_INET6 : 0};
    int err = nst_bind(st, fd, &a);
    if (!err && svc->type == NST_SOCK_STREAM)
        err = nst_listen(st, fd, 128);
    if (!err)
        err = own(sv, fd, svc, NULL);
    if (err)
        nst_close(st, fd);
    return err;
}

/* ---- the command --------------------------------------------------------- */

static void serve_usage(void)
{
    printf("usage: nstack serve --tap IFNAME --addr A.B.C.D/N [--gw A.B.C.D] [--duration SECONDS]\n"
           "                    [--SERVICE PORT]... [options]\n\n"
           "Runs an nstack host on a TAP device: it answers ARP and ping, and runs the services\n"
           "asked for, until --duration passes or SIGINT/SIGTERM. Then it prints what it did.\n\n"
           "  --duration S    stop after S seconds (default: run until interrupted)\n"
           "  --control PATH  a Unix socket to inspect the host from outside: nstack ss --control PATH\n"
           "  --root DIR      --http serves the files under DIR (no path escape, symlinks out refused)\n"
           "  --http2         --http also speaks HTTP/2 (h2c by prior knowledge) on its port\n"
           "Services:\n");
    for (size_t i = 0; i < NSERVICES; i++)
        printf("  --%s PORT%*s%s\n", services[i].name, (int)(12 - strlen(services[i].name)), "", services[i].help);
    printf("%s", tap_opts_help);
    printf("%s", serve_tls_opts_help);
}

struct serve_args {
    struct tap_opts tap;
    uint16_t port[NSERVICES]; /* 0: service off */
    double duration;          /* 0: until interrupted */
    const char *control;      /* --control PATH, NULL: none */
    struct serve_tls_opts tls;
    const char *root;         /* --root DIR: --http serves its files */
    int http2;                /* --http2: --http speaks HTTP/2 too */
};

/* 0, -1 after --help, or an exit code (2: bad usage). */
static int serve_parse(int argc, char **argv, struct serve_args *a)
{
    static const struct option base[] = {TAP_LONG_OPTIONS,
                                         {"duration", required_argument, 0, SERVE_OPT_DURATION},
                                         {"control", required_argument, 0, SERVE_OPT_CONTROL},
                                         SERVE_TLS_LONG_OPTIONS,
                                         {"root", required_argument, 0, SERVE_OPT_ROOT},
                                         {"http2", no_argument, 0, SERVE_OPT_HTTP2},
                                         {"help", no_argument, 0, 'h'}};
    struct option opts[sizeof(base) / sizeof(base[0]) + NSERVICES + 1];
    size_t n = sizeof(base) / sizeof(base[0]);
    memcpy(opts, base, sizeof(base));
    for (size_t i = 0; i < NSERVICES; i++)
        opts[n++] = (struct option){services[i].name, required_argument, 0, SERVE_OPT_SERVICE + (int)i};
    opts[n] = (struct option){0, 0, 0, 0};
    int c;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            serve_usage();
            return -1;
        }
        if (c == SERVE_OPT_DURATION) {
            if (nst_cli_parse_double(optarg, 0.001, 1e7, &a->duration))
                return nst_cli_bad_usage("serve", "--duration needs seconds (0.001 to 10000000), not '%s'", optarg);
        } else if (c == SERVE_OPT_CONTROL) {
            a->control = optarg;
        } else if (c == SERVE_OPT_ROOT) {
            a->root = optarg;
        } else if (c == SERVE_OPT_HTTP2) {
            a->http2 = 1;
        } else if (c >= SERVE_OPT_SERVICE && c < SERVE_OPT_SERVICE + (int)NSERVICES) {
            const struct service *svc = &services[c - SERVE_OPT_SERVICE];
            if (nst_cli_parse_u64(optarg, 1, 65535, &v))
                return nst_cli_bad_usage("serve", "--%s needs a port from 1 to 65535, not '%s'", svc->name, optarg);
            a->port[c - SERVE_OPT_SERVICE] = (uint16_t)v;
        } else {
            int rc = tap_opts_parse("serve", c, optarg, &a->tap);
            if (rc < 0)
                rc = serve_tls_opts_parse("serve", c, optarg, &a->tls);
            if (rc)
                return rc < 0 ? nst_cli_bad_usage("serve", "unknown option") : rc;
        }
    }
    if (optind < argc)
        return nst_cli_bad_usage("serve", "unexpected argument '%s'", argv[optind]);
    int http_on = 0;
    for (size_t i = 0; i < NSERVICES; i++)
        http_on |= services[i].on_conn == serve_http && a->port[i];
    if ((a->root || a->http2) && !http_on)
        return nst_cli_bad_usage("serve", "%s needs --http or --tls PORT", a->root ? "--root" : "--http2");
    int rc = serve_tls_opts_check("serve", &a->tls, a->port[SERVICE_TLS] != 0);
    return rc ? rc : tap_opts_check("serve", &a->tap);
}

static int serve_start(struct server *sv, const struct serve_args *a)
{
    /* The certificate first: a bad one is said before the TAP comes up. */
    if (a->port[SERVICE_TLS] && serve_tls_ctx_new(&a->tls, &sv->tls, stderr) < 0)
        return 1;
    int rc = tap_host_open("serve", &a->tap, &sv->h);
    if (rc)
        return rc;
    nst_stack_set_event_cb(sv->h.st, on_stack_event, sv);
    nst_runloop_set_step(sv->h.rl, serve_step, sv);
    printf("nstack serve: ");
    tap_host_describe(stdout, &sv->h);
    printf(": answering ARP and ping");
    for (size_t i = 0; i < NSERVICES; i++) {
        if (!a->port[i])
            continue;
        int err = services[i].on_conn == serve_http ? serve_http_start(sv, i, services[i].tls, a->root, a->http2)
                  : services[i].on_conn == serve_ws_conn ? serve_ws_start(sv)
                                                         : 0;
        if (!err)
            err = start_service(sv, &services[i], a->port[i]);
        if (err) {
            fprintf(stderr, "\nnstack serve: cannot start %s on port %u: %s\n", services[i].name, a->port[i],
                    strerror(-err));
            return 1;
        }
        printf("; %s on port %u", services[i].name, a->port[i]);
    }
    printf("\n");
    if (a->control && serve_control_start(&sv->h, a->control, &sv->control))
        return 1;
    return 0;
}

static void report(const struct service *svc, const struct serve_stats *s)
{
    if (svc->type == NST_SOCK_DGRAM) {
        printf("%s: %llu datagrams, %llu bytes echoed\n", svc->name, (unsigned long long)s->datagrams,
               (unsigned long long)s->bytes_in);
        return;
    }
    printf("%s: %llu connections, %llu bytes in, %llu bytes out", svc->name, (unsigned long long)s->conns,
           (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out);
    printf("\n");
}

/* Runs until the duration passes, a signal or nst_runloop_stop: the run
 * loop's result. */
static int serve_loop(struct server *sv, const struct serve_args *a)
{
    struct nst_runloop *rl = sv->h.rl;
    nst_time_t deadline = NST_TIME_NEVER;
    if (a->duration > 0)
        deadline = nst_runloop_now(rl) + (nst_time_t)(a->duration * 1e9);
    return nst_runloop_run(rl, deadline, NULL, NULL);
}

/* What the services and the link did (after the loop ended with r). */
static void serve_report(struct server *sv, const struct serve_args *a)
{
    int http_reported = 0; /* --http and --tls share one library server */
    for (size_t i = 0; i < NSERVICES; i++) {
        if (a->port[i] && services[i].on_conn == serve_http && !http_reported++)
            serve_http_report(sv, services[i].name); /* both, under the first one's name */
        else if (a->port[i] && services[i].on_conn != serve_http)
            report(&services[i], &sv->stats[i]);
    }
    if (sv->tls)
        nst_tls_stats_print(sv->tls, stdout);
    serve_ws_report(sv);
    tap_host_print_stats(stdout, &sv->h);
}

static void say_why_stopped(int r, int signo, double duration)
{
    if (r == -EINTR)
        printf("nstack serve: stopped by %s\n", strsignal(signo));
    else if (r >= 0)
        printf("nstack serve: stopped after %g s\n", duration);
    else
        fprintf(stderr, "nstack serve: the run loop failed: %s\n", strerror(-r));
}

/* Runs until the duration passes or a signal; prints why it stopped and
 * what it did. 0, or 1 if the run loop failed. */
static int serve_run(struct server *sv, const struct serve_args *a)
{
    int r = serve_loop(sv, a);
    say_why_stopped(r, nst_runloop_signal(sv->h.rl), a->duration);
    serve_report(sv, a);
    /* Out before the loop is freed: that unblocks SIGINT/SIGTERM, and a
     * second one pending would end the process at once. */
    fflush(stdout);
    return r < 0 && r != -EINTR ? 1 : 0;
}

static void serve_free(struct server *sv)
{
    serve_control_stop(sv->control); /* before the run loop it is registered with goes */
    serve_ws_free(sv);
    for (int fd = 0; fd < SERVE_MAX_FDS; fd++)
        if (sv->own[fd].conn)
            serve_conn_close(sv, fd);
    serve_http_stop(sv); /* its streams, before the stack goes */
    tap_host_close(&sv->h);
    nst_tls_ctx_free(sv->tls); /* after its streams, closed above */
    free(sv);
}

/* ---- one stack per queue (--queues N) ------------------------------------ */

/* Each stack runs in a thread of its own with its own run loop; they share
 * nothing but the XDP program (and the ARP it copies between them: see
 * src/link/xdp.c). The main thread takes SIGINT/SIGTERM and stops every
 * loop through one eventfd they all watch (never read: it stays ready). */
struct serve_worker {
    struct server *sv;
    struct serve_args a;
    pthread_t thread;
    int started;
    int rc;
    int *running;
    char control[128];          /* --control PATH: this stack's PATH.q (a Unix socket path: 108 at most) */
    char pcap[1024];            /* --pcap FILE: this stack's FILE.q */
};

static void *worker_main(void *arg)
{
    struct serve_worker *w = arg;
    w->rc = serve_loop(w->sv, &w->a);
    __atomic_fetch_sub(w->running, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void on_stop(void *arg, int fd, uint32_t events, nst_time_t now)
{
    (void)fd, (void)events, (void)now;
    nst_runloop_stop(arg);
}

/* Opens the stacks, queue by queue: on AF_XDP queue 0 loads the XDP
 * program and the others share it; on a TAP each opens the device once
 * more (a queue each), the group already in a->tap. 0 or an exit code. */
static int queues_open(struct serve_worker *w, unsigned n, const struct serve_args *a, int stop_fd)
{
    for (unsigned q = 0; q < n; q++) {
        w[q].a = *a;
        w[q].a.tap.queue = q;
        w[q].a.tap.no_signals = 1;
        if (a->tap.xdp_ifname)
            w[q].a.tap.xdp_program = q ? nst_xdp_program(w[0].sv->h.xdp) : NULL;
        if (a->control) {
            snprintf(w[q].control, sizeof(w[q].control), "%s.%u", a->control, q);
            w[q].a.control = w[q].control;
        }
        /* A capture per stack: one file written by several at once would
         * have each overwrite the others' records from its own offset. */
        if (a->tap.pcap) {
            int len = snprintf(w[q].pcap, sizeof(w[q].pcap), "%s.%u", a->tap.pcap, q);
            if (len < 0 || (size_t)len >= sizeof(w[q].pcap)) {
                fprintf(stderr, "nstack serve: --pcap %s: the path is too long\n", a->tap.pcap);
                return 1;
            }
            w[q].a.tap.pcap = w[q].pcap;
        }
        w[q].sv = calloc(1, sizeof(*w[q].sv));
        if (!w[q].sv)
            return 1;
        int rc = serve_start(w[q].sv, &w[q].a);
        if (rc)
            return rc;
        rc = nst_runloop_add_fd(w[q].sv->h.rl, stop_fd, EPOLLIN, on_stop, w[q].sv->h.rl);
        if (rc) {
            fprintf(stderr, "nstack serve: cannot watch the stop descriptor: %s\n", strerror(-rc));
            return 1;
        }
    }
    return 0;
}

/* Until every loop ended (the duration) or a signal came (then stops them). */
static int queues_wait(int *running, int stop_fd)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const struct timespec tick = {0, 50 * 1000 * 1000};
    while (__atomic_load_n(running, __ATOMIC_ACQUIRE) > 0) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig > 0) {
            uint64_t one = 1;
            if (write(stop_fd, &one, sizeof(one)) < 0)
                perror("nstack serve: eventfd");
            return sig;
        }
    }
    return 0;
}

/* The merged counters of all stacks: connections per service, TCP totals. */
static void queues_report_total(const struct serve_worker *w, unsigned n, const struct serve_args *a)
{
    printf("--- all %u stacks ---\n", n);
    for (size_t i = 0; i < NSERVICES; i++) {
        if (!a->port[i] || services[i].type != NST_SOCK_STREAM)
            continue;
        struct serve_stats t = {0};
        for (unsigned q = 0; q < n; q++) {
            t.conns += w[q].sv->stats[i].conns;
            t.bytes_in += w[q].sv->stats[i].bytes_in;
            t.bytes_out += w[q].sv->stats[i].bytes_out;
        }
        printf("total ");
        report(&services[i], &t);
    }
    struct nst_stats sum;
    memset(&sum, 0, sizeof(sum));
    for (unsigned q = 0; q < n; q++) {
        const struct nst_stats *s = nst_stack_stats(w[q].sv->h.st);
        sum.tcp_tx_segments += s->tcp_tx_segments;
        sum.tcp_rx_segments += s->tcp_rx_segments;
        sum.tcp_retransmits += s->tcp_retransmits;
        sum.tcp_tx_resets += s->tcp_tx_resets;
        sum.tcp_rx_resets += s->tcp_rx_resets;
    }
    printf("total tcp: %llu segments out, %llu in; %llu retransmitted; %llu resets out, %llu in\n",
           (unsigned long long)sum.tcp_tx_segments, (unsigned long long)sum.tcp_rx_segments,
           (unsigned long long)sum.tcp_retransmits, (unsigned long long)sum.tcp_tx_resets,
           (unsigned long long)sum.tcp_rx_resets);
}

static int serve_queues(const struct serve_args *args)
{
    unsigned n = args->tap.queues;
    struct serve_args with_group = *args, *a = &with_group;
    /* A multi-queue TAP: the queues share ARP through a group. */
    if (!a->tap.xdp_ifname && !(a->tap.tap_group = nst_tap_group_new())) {
        fprintf(stderr, "nstack serve: out of memory\n");
        return 1;
    }
    struct serve_worker w[NST_XDP_MAX_QUEUES];
    memset(w, 0, sizeof(w));
    int running = 0, sig = 0, rc = 0;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked before any thread exists, so every thread inherits the mask
     * and the signals wait for the main thread's sigtimedwait. */
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd < 0)
        rc = 1;
    if (!rc)
        rc = queues_open(w, n, a, stop_fd);
    if (!rc) {
        printf("nstack serve: %u stacks, one per queue of %s\nnstack serve: ready\n", n,
               a->tap.xdp_ifname ? a->tap.xdp_ifname : a->tap.ifname);
        fflush(stdout);
        running = (int)n;
        for (unsigned q = 0; q < n; q++) {
            w[q].running = &running;
            w[q].started = pthread_create(&w[q].thread, NULL, worker_main, &w[q]) == 0;
            if (!w[q].started) {
                __atomic_fetch_sub(&running, 1, __ATOMIC_RELEASE);
                rc = 1;
            }
        }
        sig = queues_wait(&running, stop_fd);
        for (unsigned q = 0; q < n; q++)
            if (w[q].started)
                pthread_join(w[q].thread, NULL);
        say_why_stopped(sig ? -EINTR : 0, sig, a->duration);
        for (unsigned q = 0; q < n; q++) {
            printf("--- stack %u (queue %u) ---\n", q, q);
            serve_report(w[q].sv, &w[q].a);
            if (w[q].rc < 0 && w[q].rc != -EINTR)
                rc = 1;
        }
        queues_report_total(w, n, a);
        fflush(stdout);
    }
    /* The stacks sharing queue 0's program go first (see nst_xdp_close). */
    for (unsigned q = n; q-- > 0;)
        if (w[q].sv)
            serve_free(w[q].sv);
    if (stop_fd >= 0)
        close(stop_fd);
    nst_tap_group_free(a->tap.tap_group);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int nst_cmd_serve(int argc, char **argv)
{
    struct serve_args a;
    memset(&a, 0, sizeof(a));
    tap_opts_default(&a.tap);
    int rc = serve_parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct server *sv = calloc(1, sizeof(*sv));
    if (!sv) {
        fprintf(stderr, "nstack serve: out of memory\n");
        return 1;
    }
    if (a.tap.queues > 1) {
        free(sv);
        return serve_queues(&a);
    }
    rc = serve_start(sv, &a);
    if (!rc) {
        printf("nstack serve: ready\n");
        fflush(stdout);
        rc = serve_run(sv, &a);
    }
    serve_free(sv);
    return rc;
}
