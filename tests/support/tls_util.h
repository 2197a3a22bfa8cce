/* Test helpers for TLS on the simulator: the NY–London lab path, server
 * and client contexts from a run-time PKI, an echo server and an echo
 * client over streams (TLS or plain), driven by stream callbacks in
 * virtual time. Linked into the tests named test_tls* (with nstack_app). */
#ifndef NST_TEST_TLS_UTIL_H
#define NST_TEST_TLS_UTIL_H

#include <nstack/nstack.h>
#include <nstack/stream.h>
#include <nstack/tls.h>

#define TT_PORT 443
#define TT_REQ_LEN 300 /* longer than any handshake record: the first such record is the request */
#define TT_MAX_CONNS 16

/* The CA and server certificate ("london.lab", 10.0.4.2), made by tt_init
 * (RSA key generation is slow: once per test program). */
extern struct nst_tls_test_pki tt_pki;
void tt_init(void);
void tt_fini(void);

struct tt_lab {
    struct nst_lab_path p;
    struct nst_world *w;
    struct nst_stack *ny, *ldn;
};

struct tt_server;

struct tt_sconn {
    struct tt_server *sv;
    struct nst_stream *s;
    uint8_t buf[16384];
    size_t len, off;
    uint64_t in, early_in;
    int eof, err, shut;
    uint16_t peer_port;
    nst_time_t t_accept, t_err;
    struct nst_tls_info info;
};

struct tt_server {
    struct nst_stack *st;
    struct nst_tls_ctx *ctx; /* NULL: plain TCP */
    int lfd;
    int echo;                /* 0: read and count only */
    struct tt_sconn c[TT_MAX_CONNS];
    int n;
};

struct tt_client {
    struct nst_stream *s;
    const uint8_t *data;
    size_t len, sent;
    uint8_t *got;
    size_t got_len;
    int eof, err, shut_when_done;
    nst_time_t t_done, t_err;
};

/* The NY–London lab path (80 ms round trip, 1 Gbit/s), loss on the
 * transatlantic link, LAN neighbours resolved (so timings are the
 * handshakes' own). */
void tt_lab_up(struct tt_lab *l, uint64_t seed, double loss);
void tt_lab_down(struct tt_lab *l);

/* Contexts from tt_pki: the server's certificate; the client trusts the CA. */
struct nst_tls_ctx *tt_server_ctx(int minv, int maxv, uint32_t max_early, const char *alpn);
struct nst_tls_ctx *tt_client_ctx(int minv, int maxv, int early, const char *alpn);
/* A TLS 1.3 server taking max_early bytes of 0-RTT whose streams may answer
 * them as 0.5-RTT data (early_answer). */
struct nst_tls_ctx *tt_server_ctx_answering(uint32_t max_early);

/* An echo server on st:port (ctx NULL: plain TCP streams); each accepted
 * connection echoes what it reads and answers EOF with its own shutdown. */
void tt_server_start(struct tt_server *sv, struct nst_stack *st, struct nst_tls_ctx *ctx, uint16_t port);
void tt_server_stop(struct tt_server *sv);

/* A TCP socket of ny connecting to London's port (-EINPROGRESS checked). */
int tt_client_fd(struct tt_lab *l, uint16_t port);

/* A client stream (ctx NULL: plain) that writes data[0..len) (at once:
 * 0-RTT bytes queue before TCP connects) and reads the echo. */
void tt_client_open(struct tt_client *c, struct tt_lab *l, struct nst_tls_ctx *ctx, const char *host, uint16_t port, const uint8_t *data, size_t len);
void tt_client_free(struct tt_client *c);

/* Predicates for nst_world_run_until_cond: the echo is all back (or an
 * error); the stream ended (EOF or error). */
int tt_client_done(void *arg);
int tt_client_closed(void *arg);

/* len pseudo-random bytes (malloc'd). */
uint8_t *tt_pattern(size_t len, uint32_t seed);

/* One TT_REQ_LEN echo on a new connection, then 100 ms more (TLS 1.3
 * tickets follow the handshake). 0 if the echo came back intact; the
 * client stays open. */
int tt_one_request(struct tt_lab *l, struct tt_client *c, struct nst_tls_ctx *cctx, const char *host, const uint8_t *req);

/* Ports, to match a client with its server-side connection. */
/* One such request on its own: 1 if its handshake resumed, 0 if not, -1 if
 * the echo failed; the client is closed. */
int tt_request_resumed(struct tt_lab *l, struct nst_tls_ctx *cctx, const char *host, const uint8_t *req);

uint16_t tt_local_port(struct nst_stream *s);
struct tt_sconn *tt_sconn_by_port(struct tt_server *sv, uint16_t port);
uint16_t tt_fd_port(struct nst_stack *st, int fd);

/* The usual scene: the lab path (seed, loss), a server and a client context
 * of one version (0: both, 1.2 to 1.3) with the server's 0-RTT limit and the
 * client's wish for 0-RTT, an echo server on TT_PORT, and a request of
 * TT_REQ_LEN bytes. */
struct tt_fix {
    struct tt_lab l;
    struct nst_tls_ctx *sctx, *cctx;
    struct tt_server sv;
    uint8_t *req;
};
void tt_fix_up(struct tt_fix *f, uint64_t seed, double loss, int version, uint32_t server_early, int client_early);
void tt_fix_down(struct tt_fix *f);

#endif
