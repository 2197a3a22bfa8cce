/* TLS for the nstack program's servers: the options (--cert, --key, ...),
 * the server context made from them, and the one step a TCP service needs
 * to become a TLS service: wrapping each accepted socket in a TLS stream.
 * Services then read and write the stream (include/nstack/stream.h) and
 * never care that it is TLS. */
#ifndef NST_TOOLS_SERVE_TLS_H
#define NST_TOOLS_SERVE_TLS_H

#include <getopt.h>
#include <stdio.h>

#include <nstack/stream.h>
#include <nstack/tls.h>

struct serve_tls_opts {
    const char *cert, *key;   /* PEM files: the chain and its key */
    int min_version, max_version; /* NST_TLS1_2 / NST_TLS1_3, 0: the library's default */
    const char *alpn;         /* "h2,http/1.1"; NULL: no ALPN */
    uint32_t max_early_data;  /* 0: 0-RTT rejected */
    const char *ticket_keys;  /* a file of 80 bytes (name, HMAC, AES), NULL: keys of our own */
};

#define SERVE_TLS_OPT_BASE 480
#define SERVE_TLS_LONG_OPTIONS                                                                        \
    {"cert", required_argument, 0, SERVE_TLS_OPT_BASE + 0},                                           \
        {"key", required_argument, 0, SERVE_TLS_OPT_BASE + 1},                                        \
        {"tls-min", required_argument, 0, SERVE_TLS_OPT_BASE + 2},                                    \
        {"tls-max", required_argument, 0, SERVE_TLS_OPT_BASE + 3},                                    \
        {"alpn", required_argument, 0, SERVE_TLS_OPT_BASE + 4},                                       \
        {"max-early-data", required_argument, 0, SERVE_TLS_OPT_BASE + 5},                             \
        {"ticket-keys", required_argument, 0, SERVE_TLS_OPT_BASE + 6}

extern const char serve_tls_opts_help[];

/* Handles option c: 0 if it was a TLS option and is fine, 2 (bad usage,
 * printed) if its value is wrong, -1 if c is not one. */
int serve_tls_opts_parse(const char *cmd, int c, const char *arg, struct serve_tls_opts *o);
/* A TLS service needs --cert and --key; without one, the TLS options are
 * an error. 0 or 2 (printed). */
int serve_tls_opts_check(const char *cmd, const struct serve_tls_opts *o, int tls_wanted);

/* The server context: certificate and key, versions, ALPN, 0-RTT, ticket
 * keys, and $SSLKEYLOGFILE honoured. 0, or -errno with the reason printed
 * to err. */
int serve_tls_ctx_new(const struct serve_tls_opts *o, struct nst_tls_ctx **out, FILE *err);

/* Wraps an accepted TCP socket fd of st in a TLS server stream (which owns
 * fd from then on; its handshake starts at once) whose readiness goes to
 * cb(arg, stream, events). NULL when out of memory (fd is closed). */
struct nst_stream *serve_tls_accept(struct nst_tls_ctx *ctx, struct nst_stack *st, int fd, nst_stream_cb cb,
                                    void *arg);

#endif
