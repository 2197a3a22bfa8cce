/* nstack connect: an nstack TCP client on a TAP device.
 *
 * It connects to DEST:PORT, then sends a stream (--send BYTES of RFC 864's
 * pattern, or --send-file FILE, '-' for stdin) or reads until EOF (--recv),
 * and prints what it moved: bytes, wall time, throughput and SHA-256 (for
 * the kernel side to compare), the connection's TCP counters, and every TCP
 * state the connection passes through until it is gone or in TIME_WAIT, so
 * a test can watch a close from both ends (`ss -tan` on the kernel's).
 *
 * The close: after sending, nstack shuts its side down (its FIN follows the
 * data: the active close), reads until the peer's EOF, then closes. After
 * receiving, it closes at the peer's EOF (the passive close), --hold-close
 * seconds later if asked: meanwhile the connection sits in CLOSE_WAIT.
 *
 * The run is the run loop's step (connect_step): one pass per turn of the
 * loop, after the stack took the frames and ran its timers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <nstack/socket.h>
#include <nstack/tcp_info.h>

#include "tools/bulk.h"
#include "tools/cli.h"
#include "tools/cmd_tap.h"
#include "tools/digest.h"

#define CONNECT_CHUNK 65536
#define CONNECT_LIST_MAX 8 /* connections looked at after close: this stack has one */

enum { OPT_SEND = 400, OPT_SEND_FILE, OPT_RECV, OPT_HOLD_CLOSE, OPT_TIMEOUT };
enum { MODE_NONE, MODE_SEND, MODE_RECV };

struct connect_args {
    struct tap_opts tap;
    struct nst_sockaddr dest;
    int mode;
    uint64_t send_bytes;      /* --send */
    const char *send_file;    /* --send-file; "-" is stdin */
    double hold_close;        /* seconds in CLOSE_WAIT before closing */
    double idle;              /* --timeout: give up after this long without progress */
};

enum phase {
    PH_CONNECTING, /* SYN sent, waiting for NST_EV_OUT or NST_EV_ERR */
    PH_TRANSFER,   /* moving bytes until our side is done and the peer's EOF came */
    PH_HOLD,       /* --hold-close: EOF seen, the socket still open */
    PH_CLOSING,    /* closed: watching the state until TIME_WAIT or gone */
    PH_DONE,
};

struct connect_run {
    struct tap_host h;
    const struct connect_args *a;
    enum phase phase;
    int fd;
    struct nst_sockaddr local;
    int err;                  /* what ended the run early (-errno), 0 if nothing */
    nst_time_t t0;            /* the run's start: states are printed relative to it */
    nst_time_t last_progress; /* for --timeout */
    nst_time_t hold_until;
    int state;                /* the last state printed; -1 before the first */
    struct nst_tcp_info info; /* the connection's last TCP_INFO while the socket was open */
    /* The stream. */
    struct digest *digest;    /* of what is sent (send) or received (recv) */
    nst_time_t start, end;    /* established; all sent acknowledged (send) or EOF (recv) */
    uint64_t sent, received;
    int in_fd;                /* --send-file's descriptor, -1 for the pattern */
    int in_watched;           /* in_fd is in the run loop (waiting for input) */
    uint64_t pattern_left;
    size_t pend_off, pend_len; /* out[pend_off, pend_len): read from the source, not yet sent */
    int shut;                 /* our FIN is queued (send) */
    int eof;                  /* the peer's FIN was read */
    uint8_t out[CONNECT_CHUNK], in[CONNECT_CHUNK];
};

/* ---- the TCP state, as it changes ---------------------------------------- */

/* The connection's state: from TCP_INFO while the socket has it, else from
 * the stack's list (closed connections and TIME_WAIT records are there: a
 * socket whose connection entered TIME_WAIT says CLOSED, its TCB freed for
 * a compact record); NST_TCPS_CLOSED once it is gone. */
static int current_state(struct connect_run *r)
{
    struct nst_tcp_info one;
    size_t len = sizeof(one);
    if (r->fd >= 0 && nst_getsockopt(r->h.st, r->fd, NST_IPPROTO_TCP, NST_TCP_INFO, &one, &len) == 0 &&
        one.state != NST_TCPS_CLOSED) {
        r->info = one;
        return one.state;
    }
    struct nst_tcp_info list[CONNECT_LIST_MAX];
    int n = nst_tcp_list(r->h.st, list, CONNECT_LIST_MAX);
    for (int i = 0; i < n && i < CONNECT_LIST_MAX; i++)
        if (list[i].state != NST_TCPS_CLOSED && list[i].local.port == r->local.port &&
            list[i].remote.port == r->a->dest.port && list[i].remote.addr == r->a->dest.addr)
            return list[i].state;
    return NST_TCPS_CLOSED;
}

/* Prints each state the first time it is seen (flushed: a test reads this
 * while the connection lives). */
static void watch_state(struct connect_run *r, nst_time_t now)
{
    int s = current_state(r);
    if (s == r->state)
        return;
    r->state = s;
    r->last_progress = now;
    printf("nstack connect: state %s (+%.3f s)\n", nst_tcp_state_name(s), (double)(now - r->t0) / 1e9);
    fflush(stdout);
}

/* ---- the stream ---------------------------------------------------------- */

static void fail(struct connect_run *r, int err, const char *what)
{
    fprintf(stderr, "nstack connect: %s: %s\n", what, strerror(-err));
    if (!r->err)
        r->err = err;
    if (r->fd >= 0) {
        nst_close(r->h.st, r->fd);
        r->fd = -1;
    }
    r->phase = PH_DONE;
}

static void input_ready(void *arg, int fd, uint32_t events, nst_time_t now)
{
    (void)arg, (void)fd, (void)events, (void)now; /* the step that follows reads it */
}

/* Watches the input only while the step waits for it: a pipe that stays
 * readable while the socket is full would wake the loop for nothing. */
static void watch_input(struct connect_run *r, int on)
{
    if (on == r->in_watched)
        return;
    if (on ? nst_runloop_add_fd(r->h.rl, r->in_fd, EPOLLIN, input_ready, r) : nst_runloop_del_fd(r->h.rl, r->in_fd))
        return; /* a regular file cannot be watched, and never needs to be */
    r->in_watched = on;
}

/* Refills r->out from the source: > 0 bytes, 0 at its end, -EAGAIN, -errno. */
static ssize_t source_read(struct connect_run *r)
{
    if (r->in_fd < 0) {
        size_t n = r->pattern_left < sizeof(r->out) ? (size_t)r->pattern_left : sizeof(r->out);
        bulk_chargen(r->out, n, r->a->send_bytes - r->pattern_left);
        r->pattern_left -= n;
        return (ssize_t)n;
    }
    ssize_t n = read(r->in_fd, r->out, sizeof(r->out));
    return n < 0 ? -errno : n;
}

/* Sends until the socket or the source has nothing more to give; at the
 * source's end, shuts our side down (the FIN after the data). */
static void push(struct connect_run *r)
{
    for (;;) {
        if (r->pend_off == r->pend_len) {
            ssize_t n = source_read(r);
            if (n == -EAGAIN || n == -EINTR) {
                watch_input(r, 1);
                return;
            }
            if (n < 0) {
                fail(r, (int)n, "cannot read the input");
                return;
            }
            if (n == 0) {
                int err = nst_shutdown(r->h.st, r->fd, NST_SHUT_WR);
                if (err)
                    fail(r, err, "shutdown");
                r->shut = 1;
                return;
            }
            r->pend_off = 0;
            r->pend_len = (size_t)n;
        }
        ssize_t sent = nst_send(r->h.st, r->fd, r->out + r->pend_off, r->pend_len - r->pend_off, 0);
        if (sent == -EAGAIN) {
            watch_input(r, 0);
            return;
        }
        if (sent < 0) {
            fail(r, (int)sent, "send");
            return;
        }
        digest_update(r->digest, r->out + r->pend_off, (size_t)sent);
        r->pend_off += (size_t)sent;
        r->sent += (uint64_t)sent;
    }
}

/* Reads what has arrived (hashed in --recv mode) until -EAGAIN or EOF. */
static void pull(struct connect_run *r, nst_time_t now)
{
    for (;;) {
        ssize_t n = nst_recv(r->h.st, r->fd, r->in, sizeof(r->in), 0);
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            fail(r, (int)n, "recv");
            return;
        }
        if (n == 0) {
            r->eof = 1;
            if (r->a->mode == MODE_RECV)
                r->end = now;
            return;
        }
        if (r->a->mode == MODE_RECV)
            digest_update(r->digest, r->in, (size_t)n);
        r->received += (uint64_t)n;
    }
}

/* ---- the run ------------------------------------------------------------- */

static void close_socket(struct connect_run *r)
{
    nst_close(r->h.st, r->fd);
    r->fd = -1;
    r->phase = PH_CLOSING;
}

static void on_connecting(struct connect_run *r, nst_time_t now)
{
    int ev = nst_socket_events(r->h.st, r->fd);
    if (ev & NST_EV_ERR) {
        int err = 0;
        size_t len = sizeof(err);
        nst_getsockopt(r->h.st, r->fd, NST_SOL_SOCKET, NST_SO_ERROR, &err, &len);
        fail(r, err > 0 ? -err : -ECONNREFUSED, "cannot connect"); /* SO_ERROR is a positive errno */
        return;
    }
    if (!(ev & NST_EV_OUT))
        return;
    char a[16], b[16];
    nst_getsockname(r->h.st, r->fd, &r->local);
    printf("nstack connect: connected to %s:%u from %s:%u in %.3f ms\n", nst_ip4_str(r->a->dest.addr, a),
           r->a->dest.port, nst_ip4_str(r->local.addr, b), r->local.port, (double)(now - r->t0) / 1e6);
    fflush(stdout);
    r->start = now;
    r->phase = PH_TRANSFER;
}

static void on_transfer(struct connect_run *r, nst_time_t now)
{
    uint64_t before = r->sent + r->received;
    if (r->a->mode == MODE_SEND && !r->shut)
        push(r);
    if (r->phase == PH_TRANSFER)
        pull(r, now);
    if (r->phase != PH_TRANSFER)
        return;
    if (r->sent + r->received != before)
        r->last_progress = now;
    /* Sending is done when the peer acknowledged every byte (r->info is
     * this turn's: watch_state read it). */
    if (r->a->mode == MODE_SEND && r->shut && !r->end && r->info.send_queue == 0 && r->info.unacked == 0)
        r->end = now;
    if (!r->eof || (r->a->mode == MODE_SEND && !r->shut))
        return;
    if (r->a->hold_close > 0) {
        r->hold_until = now + (nst_time_t)(r->a->hold_close * 1e9);
        r->last_progress = r->hold_until;
        r->phase = PH_HOLD;
        printf("nstack connect: the peer closed; holding the socket open for %g s\n", r->a->hold_close);
        fflush(stdout);
        return;
    }
    close_socket(r);
}

static int connect_step(void *arg, nst_time_t now)
{
    struct connect_run *r = arg;
    watch_state(r, now);
    switch (r->phase) {
    case PH_CONNECTING: on_connecting(r, now); break;
    case PH_TRANSFER: on_transfer(r, now); break;
    case PH_HOLD:
        if (now >= r->hold_until)
            close_socket(r);
        break;
    case PH_CLOSING:
        if (r->state == NST_TCPS_TIME_WAIT || r->state == NST_TCPS_CLOSED)
            r->phase = PH_DONE;
        break;
    case PH_DONE: break;
    }
    if (r->phase == PH_CLOSING)
        watch_state(r, now); /* closing may have ended it at once */
    if (r->phase == PH_CLOSING && (r->state == NST_TCPS_TIME_WAIT || r->state == NST_TCPS_CLOSED))
        r->phase = PH_DONE;
    return 0;
}

static int run_done(void *arg) { return ((struct connect_run *)arg)->phase == PH_DONE; }

/* Runs until done, a signal (-EINTR), --timeout without progress
 * (-ETIMEDOUT), or a failing loop. */
static int connect_loop(struct connect_run *r)
{
    nst_time_t idle = (nst_time_t)(r->a->idle * 1e9);
    while (r->phase != PH_DONE) {
        nst_time_t deadline = r->last_progress + idle;
        if (r->phase == PH_HOLD && r->hold_until < deadline)
            deadline = r->hold_until;
        int rc = nst_runloop_run(r->h.rl, deadline, run_done, r);
        if (rc < 0)
            return rc;
        if (rc == 0 && nst_runloop_now(r->h.rl) >= r->last_progress + idle)
            return -ETIMEDOUT;
    }
    return 0;
}

static int connect_start(struct connect_run *r)
{
    struct nst_stack *st = r->h.st;
    r->t0 = r->last_progress = nst_runloop_now(r->h.rl);
    r->fd = nst_socket(st, NST_SOCK_STREAM);
    if (r->fd < 0)
        return r->fd;
    int err = nst_connect(st, r->fd, &r->a->dest);
    if (err && err != -EINPROGRESS)
        return err;
    watch_state(r, r->t0);
    nst_runloop_set_step(r->h.rl, connect_step, r);
    return 0;
}

/* ---- the report ---------------------------------------------------------- */

static void report(struct connect_run *r)
{
    const struct nst_tcp_info *i = &r->info;
    nst_time_t end = r->end ? r->end : nst_runloop_now(r->h.rl);
    if (r->start)
        bulk_report(stdout, r->a->mode == MODE_SEND ? "sent" : "received",
                    r->a->mode == MODE_SEND ? r->sent : r->received, end - r->start, r->digest);
    printf("connection: %llu segments out, %llu in; %llu retransmitted (%llu fast, %llu timeouts), "
           "%llu bytes retransmitted; rtt %.3f ms, cwnd %u, mss %u\n",
           (unsigned long long)i->segs_out, (unsigned long long)i->segs_in, (unsigned long long)i->retransmits,
           (unsigned long long)i->fast_retransmits, (unsigned long long)i->rto_timeouts,
           (unsigned long long)i->bytes_retrans, (double)i->rtt / 1e6, i->cwnd, i->snd_mss);
    printf("final state: %s\n", r->state >= 0 ? nst_tcp_state_name(r->state) : "none");
    tap_host_print_stats(stdout, &r->h);
}

/* ---- the command --------------------------------------------------------- */

static void connect_usage(void)
{
    printf("usage: nstack connect --tap IFNAME --addr A.B.C.D/N [--gw A.B.C.D]\n"
           "                      (--send BYTES | --send-file FILE | --recv) [options] DEST:PORT\n\n"
           "Connects from nstack, over a TAP device, to a TCP server at DEST:PORT; sends or\n"
           "receives a stream, then closes. Prints each TCP state the connection passes\n"
           "through, the bytes moved with their time, throughput and SHA-256, and the\n"
           "connection's TCP counters.\n\n"
           "  --send BYTES     send BYTES (K, M, G: KiB, MiB, GiB) of RFC 864's pattern, then close\n"
           "  --send-file FILE send FILE ('-': standard input), then close\n"
           "  --recv           read until the peer closes, then close\n"
           "  --hold-close S   after the peer's FIN, keep the socket open S seconds (CLOSE_WAIT)\n"
           "  --timeout S      give up after S seconds without progress (default 30)\n"
           "%s",
           tap_opts_help);
}

static int parse_dest(const char *s, struct nst_sockaddr *d)
{
    char host[32];
    const char *colon = strrchr(s, ':');
    uint64_t port;
    if (!colon || (size_t)(colon - s) >= sizeof(host))
        return -EINVAL;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    if (nst_ip4_parse(host, &d->addr, NULL) || nst_cli_parse_u64(colon + 1, 1, 65535, &port))
        return -EINVAL;
    d->port = (uint16_t)port;
    return 0;
}

static int set_mode(struct connect_args *a, int mode)
{
    if (a->mode != MODE_NONE)
        return nst_cli_bad_usage("connect", "--send, --send-file and --recv exclude one another");
    a->mode = mode;
    return 0;
}

/* The connect options; 0 or 2 (bad usage). */
static int connect_option(int c, const char *arg, struct connect_args *a)
{
    switch (c) {
    case OPT_SEND:
        if (nst_cli_parse_size(arg, UINT64_MAX, &a->send_bytes))
            return nst_cli_bad_usage("connect", "--send needs a byte count like 1000, 64K, 1G, not '%s'", arg);
        return set_mode(a, MODE_SEND);
    case OPT_SEND_FILE:
        a->send_file = arg;
        return set_mode(a, MODE_SEND);
    case OPT_RECV: return set_mode(a, MODE_RECV);
    case OPT_HOLD_CLOSE:
        if (nst_cli_parse_double(arg, 0, 3600, &a->hold_close))
            return nst_cli_bad_usage("connect", "--hold-close needs seconds (0 to 3600), not '%s'", arg);
        return 0;
    case OPT_TIMEOUT:
        if (nst_cli_parse_double(arg, 0.001, 1e6, &a->idle))
            return nst_cli_bad_usage("connect", "--timeout needs seconds (0.001 to 1000000), not '%s'", arg);
        return 0;
    default: return nst_cli_bad_usage("connect", "unknown option");
    }
}

/* 0, -1 after --help, or an exit code (2: bad usage). */
static int connect_parse(int argc, char **argv, struct connect_args *a)
{
    static const struct option opts[] = {
        TAP_LONG_OPTIONS,
        {"send", required_argument, 0, OPT_SEND},
        {"send-file", required_argument, 0, OPT_SEND_FILE},
        {"recv", no_argument, 0, OPT_RECV},
        {"hold-close", required_argument, 0, OPT_HOLD_CLOSE},
        {"timeout", required_argument, 0, OPT_TIMEOUT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            connect_usage();
            return -1;
        }
        int rc = tap_opts_parse("connect", c, optarg, &a->tap);
        if (rc < 0)
            rc = connect_option(c, optarg, a);
        if (rc)
            return rc;
    }
    int rc = tap_opts_check("connect", &a->tap);
    if (rc)
        return rc;
    if (a->mode == MODE_NONE)
        return nst_cli_bad_usage("connect", "one of --send BYTES, --send-file FILE or --recv is required");
    if (optind >= argc)
        return nst_cli_bad_usage("connect", "DEST:PORT is required");
    if (parse_dest(argv[optind], &a->dest))
        return nst_cli_bad_usage("connect", "DEST:PORT needs an IPv4 address and a port like 10.77.0.1:5000, not '%s'",
                                 argv[optind]);
    if (optind + 1 < argc)
        return nst_cli_bad_usage("connect", "unexpected argument '%s'", argv[optind + 1]);
    return 0;
}

/* The input of --send-file, non-blocking (a pipe is then watched by the run
 * loop). 0, or 1 with the reason printed. */
static int open_input(struct connect_run *r)
{
    r->in_fd = -1;
    r->pattern_left = r->a->send_bytes;
    if (!r->a->send_file)
        return 0;
    int fd = strcmp(r->a->send_file, "-") ? open(r->a->send_file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (fd < 0) {
        fprintf(stderr, "nstack connect: cannot open %s: %s\n", r->a->send_file, strerror(errno));
        return 1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    r->in_fd = fd;
    return 0;
}

static void close_input(struct connect_run *r)
{
    watch_input(r, 0);
    if (r->in_fd > STDIN_FILENO)
        close(r->in_fd);
}

static int connect_main(struct connect_run *r)
{
    int rc = open_input(r);
    if (rc)
        return rc;
    r->digest = digest_new();
    if (!r->digest) {
        fprintf(stderr, "nstack connect: cannot set up SHA-256 (libcrypto)\n");
        return 1;
    }
    rc = tap_host_open("connect", &r->a->tap, &r->h);
    if (rc)
        return rc;
    int err = connect_start(r);
    if (err) {
        fprintf(stderr, "nstack connect: cannot connect: %s\n", strerror(-err));
        return 1;
    }
    err = connect_loop(r);
    if (err == -EINTR)
        printf("nstack connect: stopped by %s\n", strsignal(nst_runloop_signal(r->h.rl)));
    else if (err)
        fprintf(stderr, "nstack connect: %s\n",
                err == -ETIMEDOUT ? "no progress within --timeout" : strerror(-err));
    report(r);
    /* Out before the loop is freed: that unblocks SIGINT/SIGTERM. */
    fflush(stdout);
    /* Done means the stream went through: sent and acknowledged, or read to
     * the peer's EOF, and the close went as far as it goes. */
    int complete = !err && !r->err && (r->a->mode == MODE_SEND ? r->end != 0 : r->eof);
    return complete ? 0 : 1;
}

int nst_cmd_connect(int argc, char **argv)
{
    struct connect_args a;
    memset(&a, 0, sizeof(a));
    tap_opts_default(&a.tap);
    a.idle = 30;
    int rc = connect_parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct connect_run *r = calloc(1, sizeof(*r));
    if (!r) {
        fprintf(stderr, "nstack connect: out of memory\n");
        return 1;
    }
    r->a = &a;
    r->fd = -1;
    r->in_fd = -1;
    r->state = -1;
    rc = connect_main(r);
    close_input(r);
    if (r->h.st && r->fd >= 0)
        nst_close(r->h.st, r->fd);
    tap_host_close(&r->h);
    digest_free(r->digest);
    free(r);
    return rc;
}
