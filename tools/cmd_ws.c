/* nstack ws: a WebSocket client (RFC 6455, include/nstack/ws.h) on a TAP
 * device. It connects to ws://A.B.C.D[:PORT]/PATH, sends each line of
 * standard input as a text message, prints each message it receives
 * ("< " and the text, or "< binary N bytes"), and when standard input ends
 * closes with 1000 and waits for the server's close. --ping S sends a ping
 * every S seconds and gives the server S seconds to answer each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <nstack/stream.h>
#include <nstack/ws.h>

#include "tools/cli.h"
#include "tools/cmd_tap.h"

enum { OPT_PING = 400, OPT_PROTOCOL, OPT_TIMEOUT };

struct ws_client {
    struct tap_host h;
    struct nst_ws *ws;
    int open, closed, code, err, stdin_done;
    char line[65536];
    size_t line_len;
};

static void ws_usage(void)
{
    printf("usage: nstack ws --tap IFNAME --addr A.B.C.D/N [--gw A.B.C.D] [options] ws://A.B.C.D[:PORT]/PATH\n\n"
           "A WebSocket client on nstack over a TAP device: sends each line of standard input\n"
           "as a text message, prints the messages it receives, closes (1000) at the end of\n"
           "standard input and prints the connection's counters.\n\n"
           "  --ping S        a ping every S seconds; no pong within S seconds closes the connection\n"
           "  --protocol P    offer subprotocol P (Sec-WebSocket-Protocol)\n"
           "  --timeout S     give up if not closed S seconds after standard input ends (default 10)\n"
           "%s",
           tap_opts_help);
}

/* ws://A.B.C.D[:PORT][/PATH]: the address, port, Host value and path. */
static int parse_url(const char *url, struct nst_sockaddr *to, char *host, size_t host_cap, const char **path)
{
    if (strncmp(url, "ws://", 5) != 0)
        return -EINVAL;
    const char *h = url + 5, *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    if (!hl || hl >= host_cap)
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = 0;
    *path = slash ? slash : "/";
    char addr[32];
    const char *colon = strchr(host, ':');
    size_t al = colon ? (size_t)(colon - host) : hl;
    if (al >= sizeof(addr))
        return -EINVAL;
    memcpy(addr, host, al);
    addr[al] = 0;
    uint64_t port = 80;
    if (nst_ip4_parse(addr, &to->addr, NULL) || (colon && nst_cli_parse_u64(colon + 1, 1, 65535, &port)))
        return -EINVAL;
    to->port = (uint16_t)port;
    return 0;
}

static void on_open(void *arg, struct nst_ws *ws)
{
    struct ws_client *c = arg;
    c->open = 1;
    const char *p = nst_ws_protocol(ws);
    printf("connected%s%s\n", p ? ", subprotocol " : "", p ? p : "");
    fflush(stdout);
}

static void on_message(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    (void)arg;
    (void)ws;
    if (opcode == NST_WS_TEXT)
        printf("< %.*s\n", (int)len, (const char *)data);
    else
        printf("< binary %zu bytes\n", len);
    fflush(stdout);
}

static void on_close(void *arg, struct nst_ws *ws, int code)
{
    struct ws_client *c = arg;
    c->closed = 1;
    c->code = code;
    c->err = nst_ws_error(ws);
}

static const struct nst_ws_handler handler = {on_open, on_message, on_close};

/* Sends the complete lines in c->line. */
static void send_lines(struct ws_client *c)
{
    size_t start = 0;
    for (size_t i = 0; i < c->line_len; i++) {
        if (c->line[i] != '\n')
            continue;
        size_t n = i - start;
        if (n && c->line[start + n - 1] == '\r')
            n--;
        if (nst_ws_send(c->ws, NST_WS_TEXT, c->line + start, n) < 0)
            fprintf(stderr, "nstack ws: a line was not sent (not UTF-8, or the connection is closing)\n");
        start = i + 1;
    }
    memmove(c->line, c->line + start, c->line_len - start);
    c->line_len -= start;
}

static void stdin_ended(struct ws_client *c)
{
    if (c->line_len) { /* a last line without its newline */
        c->line[c->line_len++] = '\n';
        send_lines(c);
    }
    c->stdin_done = 1;
    nst_runloop_del_fd(c->h.rl, STDIN_FILENO);
    nst_ws_close(c->ws, NST_WS_NORMAL, NULL);
}

static void on_stdin(void *arg, int fd, uint32_t events, nst_time_t now)
{
    (void)events;
    (void)now;
    struct ws_client *c = arg;
    if (c->line_len == sizeof(c->line)) { /* a line longer than the buffer: send what there is */
        nst_ws_send(c->ws, NST_WS_TEXT, c->line, c->line_len);
        c->line_len = 0;
    }
    ssize_t n = read(fd, c->line + c->line_len, sizeof(c->line) - c->line_len);
    if (n > 0) {
        c->line_len += (size_t)n;
        send_lines(c);
    } else if (n == 0 || errno != EAGAIN) {
        stdin_ended(c);
    }
}

static int opened_or_closed(void *arg)
{
    struct ws_client *c = arg;
    return c->open || c->closed;
}

static int closed(void *arg) { return ((struct ws_client *)arg)->closed; }

static int closed_or_eof(void *arg) { return ((struct ws_client *)arg)->closed || ((struct ws_client *)arg)->stdin_done; }

static void print_stats(const struct ws_client *c)
{
    const struct nst_ws_stats *s = nst_ws_stats(c->ws);
    printf("ws: closed %d%s%s; messages %llu in, %llu out; bytes %llu in, %llu out; pings %llu out, "
           "pongs %llu in; pings %llu in, pongs %llu out; pong timeouts %llu; protocol errors %llu\n",
           c->code, c->err ? ": " : "", c->err ? strerror(-c->err) : "", (unsigned long long)s->msgs_in,
           (unsigned long long)s->msgs_out, (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
           (unsigned long long)s->pings_out, (unsigned long long)s->pongs_in, (unsigned long long)s->pings_in,
           (unsigned long long)s->pongs_out, (unsigned long long)s->pong_timeouts,
           (unsigned long long)(s->err_protocol + s->err_utf8 + s->err_too_big));
}

static int ws_run(struct ws_client *c, const struct nst_sockaddr *to, const char *host, const char *path,
                  const struct nst_ws_config *cfg, double timeout)
{
    int fd = nst_socket(c->h.st, NST_SOCK_STREAM);
    int r = fd < 0 ? fd : nst_connect(c->h.st, fd, to);
    struct nst_stream *s = r == -EINPROGRESS || r == 0 ? nst_stream_tcp(c->h.st, fd) : NULL;
    if (!s || !(c->ws = nst_ws_client(s, host, path, cfg, &handler, c))) {
        fprintf(stderr, "nstack ws: cannot connect: %s\n", strerror(r < 0 && r != -EINPROGRESS ? -r : ENOMEM));
        return 1;
    }
    nst_runloop_run(c->h.rl, nst_runloop_now(c->h.rl) + NST_SEC(15), opened_or_closed, c);
    if (!c->open) {
        fprintf(stderr, "nstack ws: the handshake failed (%s)\n",
                c->closed ? strerror(-c->err) : "no answer in 15 s");
        return 1;
    }
    /* Standard input as lines; a regular file cannot be polled: read it at once. */
    if (nst_runloop_add_fd(c->h.rl, STDIN_FILENO, EPOLLIN, on_stdin, c) < 0) {
        while (!c->stdin_done)
            on_stdin(c, STDIN_FILENO, 0, 0);
    }
    nst_runloop_run(c->h.rl, NST_TIME_NEVER, closed_or_eof, c); /* or a signal (-EINTR) */
    if (!c->closed) {
        if (!c->stdin_done)
            stdin_ended(c);
        nst_runloop_run(c->h.rl, nst_runloop_now(c->h.rl) + (nst_time_t)(timeout * 1e9), closed, c);
    }
    print_stats(c);
    return c->closed && c->code == NST_WS_NORMAL ? 0 : 1;
}

int nst_cmd_ws(int argc, char **argv)
{
    static const struct option opts[] = {TAP_LONG_OPTIONS,
                                         {"ping", required_argument, 0, OPT_PING},
                                         {"protocol", required_argument, 0, OPT_PROTOCOL},
                                         {"timeout", required_argument, 0, OPT_TIMEOUT},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct tap_opts t;
    tap_opts_default(&t);
    struct nst_ws_config cfg;
    nst_ws_config_default(&cfg);
    const char *protocol = NULL;
    double ping = 0, timeout = 10;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'h') {
            ws_usage();
            return 0;
        } else if (ch == OPT_PING) {
            if (nst_cli_parse_double(optarg, 0.01, 86400, &ping))
                return nst_cli_bad_usage("ws", "--ping needs seconds (0.01 to 86400), not '%s'", optarg);
        } else if (ch == OPT_PROTOCOL) {
            protocol = optarg;
        } else if (ch == OPT_TIMEOUT) {
            if (nst_cli_parse_double(optarg, 0.01, 86400, &timeout))
                return nst_cli_bad_usage("ws", "--timeout needs seconds, not '%s'", optarg);
        } else {
            int rc = tap_opts_parse("ws", ch, optarg, &t);
            if (rc)
                return rc < 0 ? nst_cli_bad_usage("ws", "unknown option") : rc;
        }
    }
    if (optind != argc - 1)
        return nst_cli_bad_usage("ws", "one URL (ws://A.B.C.D[:PORT]/PATH) is needed");
    struct nst_sockaddr to;
    char host[128];
    const char *path;
    if (parse_url(argv[optind], &to, host, sizeof(host), &path))
        return nst_cli_bad_usage("ws", "'%s' is not ws://A.B.C.D[:PORT]/PATH", argv[optind]);
    int rc = tap_opts_check("ws", &t);
    if (!rc)
        rc = tap_opts_check_family("ws", &t, NST_AF_INET, "a ws:// URL");
    if (rc)
        return rc;
    if (ping > 0) {
        cfg.ping_interval = (nst_time_t)(ping * 1e9);
        cfg.pong_timeout = cfg.ping_interval;
    }
    const char *protos[1] = {protocol};
    if (protocol) {
        cfg.protocols = protos;
        cfg.nprotocols = 1;
    }
    struct ws_client *c = calloc(1, sizeof(*c));
    if (!c)
        return 1;
    rc = tap_host_open("ws", &t, &c->h);
    if (!rc)
        rc = ws_run(c, &to, host, path, &cfg, timeout);
    nst_ws_free(c->ws);
    if (c->h.st)
        tap_host_close(&c->h);
    free(c);
    return rc;
}
