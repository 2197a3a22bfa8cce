/* nstack serve: a host on a TAP device that answers ARP and ping, and runs
 * the services asked for, until a duration passes or SIGINT/SIGTERM.
 *
 * Services are a table: each has an option (--NAME PORT), a socket type
 * and a readiness handler. The stack's event callback only marks a
 * descriptor as worth a look (it runs inside the stack's input path, where
 * calling back into the socket API is not allowed); the run loop's step
 * callback then calls the handler of each marked descriptor. A service that
 * accepts connections registers each new descriptor as its own with
 * serve_own(), so TCP services fit the same table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/socket.h>

#include "tools/cli.h"
#include "tools/cmd_tap.h"

#define SERVE_MAX_FDS 4096 /* descriptors the server tracks (listeners and connections) */
#define SERVE_ROUNDS 16    /* passes over the marked descriptors per turn of the loop */
#define SERVE_OPT_DURATION 400
#define SERVE_OPT_SERVICE 401 /* + index in the services table */

struct server;

struct service {
    const char *name;   /* the option: --NAME PORT */
    const char *help;
    int type;           /* NST_SOCK_DGRAM or NST_SOCK_STREAM */
    /* fd (the service's socket, or one it owns) may be ready: events is its
     * current readiness (NST_EV_*). */
    void (*on_ready)(struct server *sv, int fd, int events);
    /* Prints what the service did, when the server stops. */
    void (*report)(const struct server *sv, FILE *out);
};

struct server {
    struct tap_host h;
    const struct service *owner[SERVE_MAX_FDS]; /* NULL: not a service's descriptor */
    uint8_t marked[SERVE_MAX_FDS];
    int pending[SERVE_MAX_FDS];                 /* marked descriptors, in order */
    int npending;
    uint64_t udp_echoed, udp_echo_bytes;
    uint8_t buf[65536];
};

/* ---- the services ------------------------------------------------------ */

/* RFC 862: every datagram goes back to where it came from. */
static void udp_echo_ready(struct server *sv, int fd, int events)
{
    if (!(events & NST_EV_IN))
        return;
    struct nst_sockaddr from;
    ssize_t n;
    /* The socket's queue is bounded by its receive buffer, so this ends. */
    while ((n = nst_recvfrom(sv->h.st, fd, sv->buf, sizeof(sv->buf), 0, &from)) >= 0) {
        if (nst_sendto(sv->h.st, fd, sv->buf, (size_t)n, 0, &from) >= 0) {
            sv->udp_echoed++;
            sv->udp_echo_bytes += (uint64_t)n;
        }
    }
}

static void udp_echo_report(const struct server *sv, FILE *out)
{
    fprintf(out, "udp-echo: %llu datagrams, %llu bytes echoed\n", (unsigned long long)sv->udp_echoed,
            (unsigned long long)sv->udp_echo_bytes);
}

/* TCP services (echo RFC 862, discard RFC 863, source, a minimal HTTP/1.1
 * responder) join this table once src/tcp/ links: a listener's handler
 * accepts and serve_own()s each connection. */
static const struct service services[] = {
    {"udp-echo", "echo UDP datagrams sent to PORT back to their sender (RFC 862)", NST_SOCK_DGRAM, udp_echo_ready,
     udp_echo_report},
};
#define NSERVICES (sizeof(services) / sizeof(services[0]))

/* ---- marking and dispatching ------------------------------------------- */

static void serve_mark(struct server *sv, int fd)
{
    if (fd < 0 || fd >= SERVE_MAX_FDS || !sv->owner[fd] || sv->marked[fd])
        return;
    sv->marked[fd] = 1;
    sv->pending[sv->npending++] = fd;
}

/* Makes fd one of svc's descriptors (a listener, or an accepted connection). */
static int serve_own(struct server *sv, int fd, const struct service *svc)
{
    if (fd < 0 || fd >= SERVE_MAX_FDS)
        return -EMFILE;
    sv->owner[fd] = svc;
    serve_mark(sv, fd); /* it may already have something to say */
    return 0;
}

/* The stack's event callback: inside the stack, so only note it. */
static void on_stack_event(void *arg, int fd, int events)
{
    (void)events;
    serve_mark(arg, fd);
}

/* The run loop's step: each marked descriptor's handler, until none is
 * marked (a handler's own sends may mark others), within SERVE_ROUNDS. */
static void serve_step(void *arg, nst_time_t now)
{
    (void)now;
    struct server *sv = arg;
    for (int round = 0; round < SERVE_ROUNDS && sv->npending; round++) {
        int batch[SERVE_MAX_FDS];
        int n = sv->npending;
        memcpy(batch, sv->pending, (size_t)n * sizeof(int));
        sv->npending = 0;
        for (int i = 0; i < n; i++)
            sv->marked[batch[i]] = 0;
        for (int i = 0; i < n; i++) {
            int fd = batch[i];
            int ev = nst_socket_events(sv->h.st, fd);
            if (ev >= 0 && sv->owner[fd])
                sv->owner[fd]->on_ready(sv, fd, ev);
        }
    }
}

static int start_service(struct server *sv, const struct service *svc, uint16_t port)
{
    struct nst_stack *st = sv->h.st;
    int fd = nst_socket(st, svc->type);
    if (fd < 0)
        return fd;
    struct nst_sockaddr a = {0, port};
    int err = nst_bind(st, fd, &a);
    if (!err && svc->type == NST_SOCK_STREAM)
        err = nst_listen(st, fd, 128);
    if (!err)
        err = serve_own(sv, fd, svc);
    if (err)
        nst_close(st, fd);
    return err;
}

/* ---- the command --------------------------------------------------------- */

static void serve_usage(void)
{
    printf("usage: nstack serve --tap IFNAME --addr A.B.C.D/N [--gw A.B.C.D] [--duration SECONDS]\n"
           "                    [SERVICE PORT]... [options]\n\n"
           "Runs an nstack host on a TAP device: it answers ARP and ping, and runs the services\n"
           "asked for, until --duration passes or SIGINT/SIGTERM. Then it prints the driver's counters.\n\n"
           "  --duration S    stop after S seconds (default: run until interrupted)\n");
    for (size_t i = 0; i < NSERVICES; i++)
        printf("  --%s PORT%*s%s\n", services[i].name, (int)(10 - strlen(services[i].name)), "", services[i].help);
    printf("%s", tap_opts_help);
}

struct serve_args {
    struct tap_opts tap;
    uint16_t port[NSERVICES]; /* 0: service off */
    double duration;          /* 0: until interrupted */
};

static int serve_parse(int argc, char **argv, struct serve_args *a)
{
    static const struct option base[] = {TAP_LONG_OPTIONS,
                                         {"duration", required_argument, 0, SERVE_OPT_DURATION},
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
        } else if (c >= SERVE_OPT_SERVICE && c < SERVE_OPT_SERVICE + (int)NSERVICES) {
            const struct service *svc = &services[c - SERVE_OPT_SERVICE];
            if (nst_cli_parse_u64(optarg, 1, 65535, &v))
                return nst_cli_bad_usage("serve", "--%s needs a port from 1 to 65535, not '%s'", svc->name, optarg);
            a->port[c - SERVE_OPT_SERVICE] = (uint16_t)v;
        } else {
            int rc = tap_opts_parse("serve", c, optarg, &a->tap);
            if (rc)
                return rc < 0 ? nst_cli_bad_usage("serve", "unknown option") : rc;
        }
    }
    if (optind < argc)
        return nst_cli_bad_usage("serve", "unexpected argument '%s'", argv[optind]);
    return tap_opts_check("serve", &a->tap);
}

static int serve_start(struct server *sv, const struct serve_args *a)
{
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
        int err = start_service(sv, &services[i], a->port[i]);
        if (err) {
            fprintf(stderr, "\nnstack serve: cannot start %s on port %u: %s\n", services[i].name, a->port[i],
                    strerror(-err));
            return 1;
        }
        printf("; %s on port %u", services[i].name, a->port[i]);
    }
    printf("\nnstack serve: ready\n");
    fflush(stdout);
    return 0;
}

/* Runs until the duration passes or a signal; prints why it stopped and
 * what it did. 0, or 1 if the run loop failed. */
static int serve_run(struct server *sv, const struct serve_args *a)
{
    struct nst_runloop *rl = sv->h.rl;
    nst_time_t deadline = NST_TIME_NEVER;
    if (a->duration > 0)
        deadline = nst_runloop_now(rl) + (nst_time_t)(a->duration * 1e9);
    int r = nst_runloop_run(rl, deadline, NULL, NULL);
    if (r == -EINTR)
        printf("nstack serve: stopped by %s\n", strsignal(nst_runloop_signal(rl)));
    else if (r >= 0)
        printf("nstack serve: stopped after %g s\n", a->duration);
    else
        fprintf(stderr, "nstack serve: the run loop failed: %s\n", strerror(-r));
    for (size_t i = 0; i < NSERVICES; i++)
        if (a->port[i])
            services[i].report(sv, stdout);
    tap_host_print_stats(stdout, &sv->h);
    return r < 0 && r != -EINTR ? 1 : 0;
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
    rc = serve_start(sv, &a);
    if (!rc)
        rc = serve_run(sv, &a);
    tap_host_close(&sv->h);
    free(sv);
    return rc;
}
