/* nstack connect: an nstack TCP client on a TAP device.
 *
 * It connects to DEST:PORT, then sends a stream (--send BYTES of RFC 864's
 * pattern, or --send-file FILE, '-' for stdin) or reads until EOF (--recv),
 * and prints what it moved: bytes, wall time, throughput and SHA-256 (for
 * the kernel side to compare), the connection's TCP counters, and every TCP
 * state the connection passes through until it is gone or in TIME_WAIT, so
 * a test can watch a close from both ends (`ss -tan` on the kernel's).
 * Here: the options and the command; tools/connect_run.c: the run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/socket.h>

#include "tools/cli.h"
#include "tools/connect.h"
#include "tools/digest.h"

enum { OPT_SEND = 400, OPT_SEND_FILE, OPT_RECV, OPT_HOLD_CLOSE, OPT_TIMEOUT };

/* ---- the command --------------------------------------------------------- */

static void connect_usage(void)
{
    printf("usage: nstack connect --tap IFNAME --addr A.B.C.D/N [--gw A.B.C.D]\n"
           "                      (--send BYTES | --send-file FILE | --recv) [options] DEST:PORT\n\n"
           "Connects from nstack, over a TAP device, to a TCP server at DEST:PORT (A.B.C.D:PORT,\n"
           "or [IPV6]:PORT once the host's IPv6 addresses passed DAD); sends or\n"
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

/* DEST:PORT: "10.77.0.1:5001" or "[2001:db8:77::1]:5001", a port given. */
static int parse_dest(const char *s, struct nst_sockaddr *d)
{
    if (nst_sockaddr_parse(s, d) || d->port == 0)
        return -EINVAL;
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
        return nst_cli_bad_usage("connect",
                                 "DEST:PORT needs an address and a port like 10.77.0.1:5000 or "
                                 "[2001:db8:77::1]:5000, not '%s'",
                                 argv[optind]);
    if (optind + 1 < argc)
        return nst_cli_bad_usage("connect", "unexpected argument '%s'", argv[optind + 1]);
    char what[80];
    snprintf(what, sizeof what, "DEST %s", argv[optind]);
    return tap_opts_check_family("connect", &a->tap, a->dest.family, what);
}

/* The input, the hash, the host, the run, the report. The exit code: 0 if
 * the stream went through. */
static int connect_main(struct connect_run *r)
{
    int rc = connect_open_input(r);
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
    connect_report(r);
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
    connect_close_input(r);
    if (r->h.st && r->fd >= 0)
        nst_close(r->h.st, r->fd);
    tap_host_close(&r->h);
    digest_free(r->digest);
    free(r);
    return rc;
}
